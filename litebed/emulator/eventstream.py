"""The AWS event-stream frame encoder (docs/bedrock.md §4.1).

Deliberately independent of ``litebed._streaming.eventstream`` (the client's decoder): if
the two shared code, a shared misconception could never be caught by a test.
Only string headers (type 7) are written; that is all Bedrock sends.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from functools import lru_cache

_STRING_HEADER = 7
_PRELUDE = struct.Struct(">II")
_CRC = struct.Struct(">I")


@lru_cache(maxsize=256)
def encode_headers(headers: tuple[tuple[str, str], ...]) -> bytes:
    """Encode ``((name, value), ...)`` as string headers (cached: the sets repeat)."""
    out = bytearray()
    for name, value in headers:
        raw_name = name.encode("utf-8")
        raw_value = value.encode("utf-8")
        out += struct.pack(">B", len(raw_name)) + raw_name
        out += struct.pack(">BH", _STRING_HEADER, len(raw_value)) + raw_value
    return bytes(out)


def encode_frame(headers: tuple[tuple[str, str], ...], payload: bytes) -> bytes:
    """One complete message: prelude, prelude CRC, headers, payload, message CRC."""
    header_bytes = encode_headers(headers)
    total = 16 + len(header_bytes) + len(payload)
    prelude = _PRELUDE.pack(total, len(header_bytes))
    prelude_crc = zlib.crc32(prelude)
    body = prelude + _CRC.pack(prelude_crc) + header_bytes + payload
    return body + _CRC.pack(zlib.crc32(body))


def event_frame(event_type: str, payload: dict) -> bytes:
    """An ``event`` message whose payload is the JSON of ``payload``."""
    headers = ((":event-type", event_type), (":content-type", "application/json"), (":message-type", "event"))
    return encode_frame(headers, json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def chunk_frame(native_chunk: dict) -> bytes:
    """An InvokeModelWithResponseStream ``chunk``: ``{"bytes": base64(json(chunk))}`` (§4.2)."""
    inner = json.dumps(native_chunk, separators=(",", ":")).encode("utf-8")
    return event_frame("chunk", {"bytes": base64.b64encode(inner).decode("ascii")})


def exception_frame(exception_type: str, message: str) -> bytes:
    """An in-stream exception (§3.3): ``exception_type`` is the lowerCamel union member name."""
    headers = ((":exception-type", exception_type), (":content-type", "application/json"), (":message-type", "exception"))
    return encode_frame(headers, json.dumps({"message": message}).encode("utf-8"))
