"""The emulator's frame encoder, checked by botocore's own decoder."""

import base64
import json
import struct
import zlib

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from litebed.emulator.eventstream import chunk_frame, encode_frame, event_frame, exception_frame


def decode_all(data: bytes):
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_chunk_frame_layout_matches_reference_example():
    # docs/bedrock.md §4.1: these three string headers take 75 bytes.
    frame = chunk_frame({"a": 1})
    total, headers_length = struct.unpack(">II", frame[:8])
    assert total == len(frame)
    assert headers_length == 75
    assert struct.unpack(">I", frame[8:12])[0] == zlib.crc32(frame[:8])
    assert struct.unpack(">I", frame[-4:])[0] == zlib.crc32(frame[:-4])


def test_botocore_decodes_chunk_frames_and_their_base64_payload():
    native = [{"completion": " hello", "stop_reason": None}, {"completion": "é", "stop_reason": "stop"}]
    messages = decode_all(b"".join(chunk_frame(chunk) for chunk in native))
    assert [m.headers for m in messages] == [
        {":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"}] * 2
    decoded = [json.loads(base64.b64decode(json.loads(m.payload)["bytes"])) for m in messages]
    assert decoded == native


def test_event_frame_carries_json_payload():
    (message,) = decode_all(event_frame("messageStop", {"stopReason": "end_turn"}))
    assert message.headers[":event-type"] == "messageStop"
    assert json.loads(message.payload) == {"stopReason": "end_turn"}


def test_exception_frame_headers():
    (message,) = decode_all(exception_frame("throttlingException", "slow down"))
    assert message.headers == {":exception-type": "throttlingException", ":content-type": "application/json",
                               ":message-type": "exception"}
    assert json.loads(message.payload) == {"message": "slow down"}


def test_frames_split_across_reads_are_reassembled():
    data = b"".join(event_frame("contentBlockDelta", {"i": i}) for i in range(3))
    buffer = EventStreamBuffer()
    seen = []
    for offset in range(0, len(data), 7):
        buffer.add_data(data[offset:offset + 7])
        seen.extend(json.loads(m.payload)["i"] for m in buffer)
    assert seen == [0, 1, 2]


def test_corrupted_payload_fails_botocores_crc_check():
    frame = bytearray(encode_frame(((":message-type", "event"),), b'{"x": 1}'))
    frame[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        decode_all(bytes(frame))
