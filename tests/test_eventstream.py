"""litebed's event-stream decoder: framing, CRCs, split reads, exception frames."""

import json
import struct
import zlib

import pytest

import litebed
from litebed._streaming.eventstream import EventStreamDecoder, EventStreamError, raise_for_message


def frame(headers: dict, payload: bytes) -> bytes:
    """Encode one frame by the spec (reference §4.1), independently of any library."""
    raw_headers = b""
    for name, value in headers.items():
        data = value.encode()
        raw_headers += bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(data)) + data
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def chunk_event(obj) -> bytes:
    import base64

    payload = json.dumps({"bytes": base64.b64encode(json.dumps(obj).encode()).decode()}).encode()
    return frame({":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}, payload)


def test_spec_example_sizes():
    # The reference's worked example: three string headers -> 75 header bytes.
    data = frame({":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}, b"x" * 58)
    assert struct.unpack(">II", data[:8]) == (149, 75)


def test_decodes_frames_split_at_every_byte():
    data = chunk_event({"completion": "Hel"}) + chunk_event({"completion": "lo"})
    decoder = EventStreamDecoder()
    messages = []
    for i in range(len(data)):
        messages.extend(decoder.feed(data[i : i + 1]))
    decoder.close()
    assert [m.event_type for m in messages] == ["chunk", "chunk"]
    assert messages[0].headers[":message-type"] == "event"


def test_truncated_stream_is_an_error():
    data = chunk_event({"a": 1})
    decoder = EventStreamDecoder()
    assert list(decoder.feed(data[:-5])) == []
    with pytest.raises(EventStreamError):
        decoder.close()


def test_crc_mismatch_is_detected():
    data = bytearray(chunk_event({"a": 1}))
    data[-6] ^= 0xFF
    with pytest.raises(EventStreamError, match="CRC"):
        list(EventStreamDecoder().feed(bytes(data)))
    bad_prelude = bytearray(chunk_event({"a": 1}))
    bad_prelude[9] ^= 0x01
    with pytest.raises(EventStreamError, match="prelude"):
        list(EventStreamDecoder().feed(bytes(bad_prelude)))


def test_exception_frame_raises_mapped_error():
    data = frame(
        {":message-type": "exception", ":exception-type": "throttlingException", ":content-type": "application/json"},
        json.dumps({"message": "Too many requests"}).encode(),
    )
    (message,) = EventStreamDecoder().feed(data)
    with pytest.raises(litebed.RateLimitError) as info:
        raise_for_message(message)
    assert info.value.bedrock_code == "ThrottlingException"
    assert "Too many requests" in str(info.value)


def test_error_frame_raises_with_its_code():
    data = frame({":message-type": "error", ":error-code": "InternalServerException", ":error-message": "bad"}, b"")
    (message,) = EventStreamDecoder().feed(data)
    with pytest.raises(litebed.InternalServerError):
        raise_for_message(message)


def test_agrees_with_botocore_parser():
    from botocore.eventstream import EventStreamBuffer

    data = chunk_event({"x": "ü"}) * 3
    ours = [m.payload for m in EventStreamDecoder().feed(data)]
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    theirs = [m.payload for m in buffer]
    assert ours == theirs
