"""Hostile event streams: frames whose CRCs are right but whose insides are not.

Every malformed header block, prelude or payload raises a litebed ``APIError``
saying what was wrong (``EventStreamError``, an ``APIConnectionError``, for
framing; ``APIError`` for a payload the model family cannot read), never a bare
``IndexError``, ``struct.error``, ``UnicodeDecodeError`` or ``ValueError``.
"""

from __future__ import annotations

import base64
import json
import struct
import uuid
import zlib

import pytest

import litebed
from litebed._streaming import eventstream as es
from litebed._streaming.events import decode_event
from litebed._streaming.eventstream import EventStreamDecoder, EventStreamError, raise_for_message
from litebed.emulator.eventstream import encode_frame, event_frame, exception_frame


def raw_frame(header_block: bytes, payload: bytes = b"", *, headers_len: int | None = None, total_len: int | None = None) -> bytes:
    """A frame with correct CRCs around whatever header block and lengths it is given."""
    total = 16 + len(header_block) + len(payload) if total_len is None else total_len
    prelude = struct.pack(">II", total, len(header_block) if headers_len is None else headers_len)
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + header_block + payload
    return body + struct.pack(">I", zlib.crc32(body))


def string_header(name: bytes, value: bytes) -> bytes:
    return bytes([len(name)]) + name + b"\x07" + struct.pack(">H", len(value)) + value


def decode(data: bytes) -> list:
    decoder = EventStreamDecoder()
    messages = list(decoder.feed(data))
    decoder.close()
    return messages


def chunk_message(payload: bytes):
    headers = ((":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event"))
    (message,) = decode(encode_frame(headers, payload))
    return message


def bytes_payload(inner: bytes) -> bytes:
    return json.dumps({"bytes": base64.b64encode(inner).decode()}).encode()


# --- header blocks ---------------------------------------------------------------

MALFORMED_HEADER_BLOCKS = {
    "name length past the end": (b"\x10:ev", "runs past the end"),
    "name with no value type": (b"\x03abc", "runs past the end"),
    "string length cut short": (b"\x03abc\x07\x00", "truncated"),
    "string value cut short": (b"\x03abc\x07\x00\x10xy", "truncated"),
    "bytes value cut short": (b"\x03abc\x06\x00\x05xy", "truncated"),
    "byte value missing": (b"\x03abc\x02", "truncated"),
    "int16 cut short": (b"\x03abc\x03\x00", "truncated"),
    "int32 cut short": (b"\x03abc\x04\x00\x01", "truncated"),
    "int64 cut short": (b"\x03abc\x05\x00\x00\x00\x00", "truncated"),
    "timestamp cut short": (b"\x03abc\x08\x00", "truncated"),
    "uuid cut short": (b"\x03abc\x09" + b"\x00" * 15, "truncated"),
    "unknown value type": (b"\x03abc\x0a", "unknown event-stream header type 10"),
    "value type 255": (b"\x03abc\xff", "unknown event-stream header type 255"),
    "name not UTF-8": (b"\x02\xff\xfe\x00", "header name is not valid UTF-8"),
    "string value not UTF-8": (b"\x03abc\x07\x00\x02\xff\xfe", "not valid UTF-8"),
    "duplicate header": (string_header(b"abc", b"x") * 2, "duplicate"),
    "good header then garbage": (string_header(b":event-type", b"chunk") + b"\x05", "runs past the end"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_HEADER_BLOCKS))
def test_malformed_header_block_raises_event_stream_error(case):
    block, expected = MALFORMED_HEADER_BLOCKS[case]
    data = raw_frame(block, b'{"bytes":"e30="}')
    for _ in range(2):  # a block that failed is never cached as good
        with pytest.raises(EventStreamError, match=expected) as info:
            decode(data)
        assert isinstance(info.value, litebed.APIConnectionError)
    assert bytes(block) not in es._HEADER_CACHE


@pytest.mark.parametrize("case", sorted(MALFORMED_HEADER_BLOCKS))
def test_malformed_header_block_split_at_every_byte(case):
    data = raw_frame(MALFORMED_HEADER_BLOCKS[case][0], b"payload")
    decoder = EventStreamDecoder()
    with pytest.raises(EventStreamError):
        for i in range(len(data)):
            list(decoder.feed(data[i : i + 1]))


def test_header_block_longer_than_its_frame():
    block = string_header(b":event-type", b"chunk")
    data = raw_frame(block, b"", headers_len=len(block) + 40)
    with pytest.raises(EventStreamError, match="longer than its frame"):
        decode(data)
    # Refused from the prelude alone, before the rest of the frame arrives.
    with pytest.raises(EventStreamError, match="longer than its frame"):
        list(EventStreamDecoder().feed(data[:12]))


def test_frame_length_shorter_than_a_frame():
    prelude = struct.pack(">II", 8, 0)
    data = prelude + struct.pack(">I", zlib.crc32(prelude)) + b"\x00" * 8
    with pytest.raises(EventStreamError, match="frame length 8 is"):
        decode(data)


def test_every_header_type_decodes_like_botocore():
    from botocore.eventstream import EventStreamBuffer

    value_uuid = uuid.UUID("12345678-1234-5678-1234-567812345678").bytes
    block = (
        b"\x01t\x00" + b"\x01f\x01" + b"\x01b\x02\xfe" + b"\x01h\x03\xff\x00" + b"\x01i\x04\x00\x00\x01\x00"
        + b"\x01l\x05" + struct.pack(">q", -5) + b"\x01y\x06\x00\x02\x00\xff" + string_header(b"s", "ü".encode())
        + b"\x01d\x08" + struct.pack(">q", 1700000000000) + b"\x01u\x09" + value_uuid
    )
    data = raw_frame(block, b"{}")
    (ours,) = decode(data)
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    (theirs,) = list(buffer)
    assert ours.headers["t"] is True and ours.headers["f"] is False
    assert ours.headers["b"] == -2 and ours.headers["h"] == -256 and ours.headers["i"] == 256
    assert ours.headers["l"] == -5 and ours.headers["y"] == b"\x00\xff" and ours.headers["s"] == "ü"
    assert ours.headers["u"] == value_uuid and ours.headers["d"] == 1700000000000
    for name in ("t", "f", "b", "h", "i", "l", "y", "s"):
        assert ours.headers[name] == theirs.headers[name], name


# --- chunk payloads ----------------------------------------------------------------

FRAMING_GARBAGE = {  # Bedrock's own {"bytes": ...} wrapping is broken
    "not JSON": (b"not json at all", "chunk event.*the payload is not JSON"),
    "truncated JSON": (b'{"bytes":', "chunk event.*the payload is not JSON"),
    "not UTF-8": (b'{"bytes":"\xff\xfe"}', "chunk event"),
    "a list": (b"[1, 2]", "chunk event.*a list, not an object"),
    "null": (b"null", "chunk event.*null, not an object"),
    "no bytes": (b'{"other": "e30="}', "chunk event.*no 'bytes' member"),
    "bytes null": (b'{"bytes": null}', "chunk event.*no 'bytes' member"),
    "bytes a number": (b'{"bytes": 5}', "chunk event.*'bytes' as a number"),
    "bytes an object": (b'{"bytes": {"a": 1}}', "chunk event.*'bytes' as an object"),
    "bad base64 characters": (b'{"bytes":"@@@@"}', "chunk event.*not valid base64"),
    "bad base64 padding": (b'{"bytes":"e30"}', "chunk event.*not valid base64"),
    "base64 with junk inside": (b'{"bytes":"e3!0="}', "chunk event.*not valid base64"),
    "lone surrogate": (b'{"bytes": "\\ud800"}', "chunk event.*not valid base64"),
    "deeply nested wrapper": (b"[" * 100_000, "chunk event.*nested too deeply"),
}

MODEL_GARBAGE = {  # the wrapping is fine; what the model sent is not JSON
    "inner not UTF-8": (b"\xff\xfe\x00", "chunk event.*not valid UTF-8"),
    "inner not JSON": (b"hello, world", "chunk event.*not JSON"),
    "inner empty": (b"", "chunk event.*not JSON"),
    "inner nested too deeply": (b"[" * 100_000, "chunk event.*nested too deeply"),
}


@pytest.mark.parametrize("case", sorted(FRAMING_GARBAGE))
def test_broken_chunk_wrapping_is_an_event_stream_error(case):
    payload, expected = FRAMING_GARBAGE[case]
    with pytest.raises(EventStreamError, match=expected) as info:
        decode_event(chunk_message(payload), "anthropic.claude-v2", True)
    assert info.value.model == "anthropic.claude-v2"


@pytest.mark.parametrize("case", sorted(MODEL_GARBAGE))
def test_unreadable_model_chunk_is_an_api_error(case):
    inner, expected = MODEL_GARBAGE[case]
    with pytest.raises(litebed.APIError, match=expected) as info:
        decode_event(chunk_message(bytes_payload(inner)), "m", True)
    assert not isinstance(info.value, litebed.APIConnectionError)
    assert info.value.model == "m"


def test_well_formed_chunks_still_decode_on_both_paths():
    inner = {"completion": "Hi ü ?/?", "stop_reason": None}
    encoded = base64.b64encode(json.dumps(inner).encode()).decode()
    assert "/" in encoded
    fast = f'{{"bytes":"{encoded}"}}'.encode()
    escaped = f'{{"bytes":"{encoded.replace("/", chr(92) + "/")}"}}'.encode()  # a JSON encoder may write \/
    spaced = json.dumps({"p": "x", "bytes": encoded}, indent=1).encode()
    padded = f'{{"bytes":"{encoded}","p":"abcdef"}}'.encode()
    for payload in (fast, escaped, spaced, padded):
        assert decode_event(chunk_message(payload), "m", True) == ("chunk", inner)


def test_non_object_model_chunk_is_left_to_the_family():
    # A JSON list is readable JSON; the family's parse_stream_event refuses it.
    assert decode_event(chunk_message(bytes_payload(b"[1]")), "m", True) == ("chunk", [1])


def test_unknown_event_types_are_still_ignored():
    (message,) = decode(event_frame("somethingNew", {"a": 1}))
    assert decode_event(message, "m", True) is None


# --- Converse payloads ---------------------------------------------------------------


@pytest.mark.parametrize("payload", [b"{nope", b"\xff\xfe", b"[" * 100_000])
def test_converse_event_payload_not_json(payload):
    headers = ((":event-type", "contentBlockDelta"), (":content-type", "application/json"), (":message-type", "event"))
    (message,) = decode(encode_frame(headers, payload))
    with pytest.raises(litebed.APIError, match="malformed contentBlockDelta event") as info:
        decode_event(message, "m", False)
    assert not isinstance(info.value, litebed.APIConnectionError)


def test_converse_event_with_empty_payload_is_an_empty_object():
    (message,) = decode(encode_frame(((":event-type", "messageStart"), (":message-type", "event")), b""))
    assert decode_event(message, "m", False) == ("messageStart", {})


# --- exception and error frames -------------------------------------------------------


def exception_message(payload: bytes, exception_type: str = "throttlingException"):
    headers = ((":message-type", "exception"), (":exception-type", exception_type), (":content-type", "application/json"))
    (message,) = decode(encode_frame(headers, payload))
    return message


@pytest.mark.parametrize(
    "payload,expected",
    [
        (b"<html>Too Many</html>", "throttlingException event with a payload that is not JSON: <html>Too Many</html>"),
        (b'["a", "list"]', "throttlingException event with a JSON payload that is not an object"),
        (b"null", "throttlingException event with a JSON payload that is not an object"),
        (b'"just a string"', "not an object"),
        (b"\xff\xfe\xfd", "not JSON"),
        (b"[" * 100_000, "not JSON"),
        (b"", "carried no message"),
        (b'{"message": 5}', '{"message": 5}'),
        (b'{"message": {"nested": true}}', '"nested"'),
        (b'{"Message": "capitalised"}', "capitalised"),
    ],
)
def test_exception_frame_with_unreadable_payload_keeps_its_class(payload, expected):
    for via_decode_event in (False, True):
        with pytest.raises(litebed.RateLimitError) as info:
            if via_decode_event:
                decode_event(exception_message(payload), "m", True)
            else:
                raise_for_message(exception_message(payload), model="m")
        assert expected in info.value.message
        assert info.value.bedrock_code == "ThrottlingException"
        assert info.value.model == "m"


def test_exception_frame_with_bad_original_status_code():
    for status in ('"abc"', "true", "[500]", "null"):
        payload = f'{{"message": "boom", "originalStatusCode": {status}}}'.encode()
        with pytest.raises(litebed.APIError) as info:
            raise_for_message(exception_message(payload, "someNewException"))
        assert info.value.message == "boom"
    with pytest.raises(litebed.InternalServerError) as info:
        raise_for_message(exception_message(b'{"message": "x", "originalStatusCode": 502}', "someNewException"))
    assert info.value.status_code == 502


def test_exception_frame_payload_is_shortened():
    with pytest.raises(litebed.RateLimitError) as info:
        raise_for_message(exception_message(json.dumps({"message": "x" * 5_000_000}).encode()))
    assert len(info.value.message) < 1100
    with pytest.raises(litebed.RateLimitError) as info:
        raise_for_message(exception_message(b"y" * 5_000_000))
    assert len(info.value.message) < 1200


def test_exception_type_header_of_another_type_is_ignored():
    block = string_header(b":message-type", b"exception") + b"\x0f:exception-type\x04\x00\x00\x00\x07"
    (message,) = decode(raw_frame(block, b'{"message": "odd"}'))
    with pytest.raises(litebed.InternalServerError, match="odd"):
        raise_for_message(message)
    block = string_header(b":message-type", b"exception") + string_header(b":exception-type", b"")
    (message,) = decode(raw_frame(block, b'{"message": "empty type"}'))
    with pytest.raises(litebed.InternalServerError, match="empty type"):
        raise_for_message(message)


def test_error_frame_with_typed_headers():
    block = string_header(b":message-type", b"error") + b"\x0b:error-code\x06\x00\x03abc" + b"\x0e:error-message\x00"
    (message,) = decode(raw_frame(block))
    with pytest.raises(litebed.InternalServerError, match="stream error") as info:
        raise_for_message(message)
    assert info.value.bedrock_code == "InternalServerException"


@pytest.mark.parametrize("kind", [b"surprise", b""])
def test_unknown_message_type_is_an_event_stream_error(kind):
    (message,) = decode(raw_frame(string_header(b":message-type", kind), b"{}"))
    with pytest.raises(EventStreamError, match="unknown :message-type"):
        decode_event(message, "m", True)


def test_message_type_of_another_header_type():
    (message,) = decode(raw_frame(b"\x0d:message-type\x04\x00\x00\x00\x01", b"{}"))
    with pytest.raises(EventStreamError, match="unknown :message-type"):
        raise_for_message(message)


def test_well_formed_exception_frame_unchanged():
    (message,) = decode(exception_frame("modelStreamErrorException", "the model broke"))
    with pytest.raises(litebed.InternalServerError) as info:
        raise_for_message(message)
    assert info.value.message == "the model broke" and info.value.status_code == 424
