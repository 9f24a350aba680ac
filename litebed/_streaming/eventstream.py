"""Decoding ``application/vnd.amazon.eventstream`` frames.

A frame is ``total_len | headers_len | prelude_crc | headers | payload | message_crc``
(big-endian uint32s, CRC-32/IEEE). Reads arrive in arbitrary slices, so the
decoder buffers until a whole frame is present. Both CRCs are checked: a
corrupted or truncated stream must never pass for a complete one.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any, Iterator, Optional

from ..errors import APIConnectionError, error_from_bedrock

_PRELUDE = struct.Struct(">III")
_CRC = struct.Struct(">I")
_MAX_HEADERS = 128 * 1024
_MAX_PAYLOAD = 24 * 1024 * 1024


class EventMessage:
    """One decoded frame: its headers and its raw payload."""

    __slots__ = ("headers", "payload")

    def __init__(self, headers: dict[str, Any], payload: bytes) -> None:
        self.headers = headers
        self.payload = payload

    def __repr__(self) -> str:
        return f"EventMessage(headers={self.headers!r}, payload={self.payload[:80]!r})"

    @property
    def message_type(self) -> str:
        return self.headers.get(":message-type", "event")

    @property
    def event_type(self) -> Optional[str]:
        return self.headers.get(":event-type")

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else {}


class EventStreamError(APIConnectionError):
    """The byte stream is not valid event-stream framing."""


#: Header blocks seen before: every frame of a stream usually carries the same one.
_HEADER_CACHE: dict[bytes, dict[str, Any]] = {}
_HEADER_CACHE_SIZE = 256


def _parse_headers(data: bytes) -> dict[str, Any]:
    cached = _HEADER_CACHE.get(data)
    if cached is not None:
        return dict(cached)
    headers = _decode_headers(data)
    if len(_HEADER_CACHE) >= _HEADER_CACHE_SIZE:
        _HEADER_CACHE.clear()
    _HEADER_CACHE[data] = headers
    return dict(headers)


def _decode_headers(data: bytes) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    pos, end = 0, len(data)
    while pos < end:
        name_len = data[pos]
        pos += 1
        name = data[pos : pos + name_len].decode("utf-8")
        pos += name_len
        value_type = data[pos]
        pos += 1
        if value_type == 7 or value_type == 6:
            (length,) = struct.unpack_from(">H", data, pos)
            pos += 2
            raw = data[pos : pos + length]
            pos += length
            value: Any = raw.decode("utf-8") if value_type == 7 else raw
        elif value_type == 0:
            value = True
        elif value_type == 1:
            value = False
        elif value_type == 2:
            (value,) = struct.unpack_from(">b", data, pos)
            pos += 1
        elif value_type == 3:
            (value,) = struct.unpack_from(">h", data, pos)
            pos += 2
        elif value_type == 4:
            (value,) = struct.unpack_from(">i", data, pos)
            pos += 4
        elif value_type in (5, 8):
            (value,) = struct.unpack_from(">q", data, pos)
            pos += 8
        elif value_type == 9:
            value = data[pos : pos + 16]
            pos += 16
        else:
            raise EventStreamError(f"unknown event-stream header type {value_type}")
        if name in headers:
            raise EventStreamError(f"duplicate event-stream header {name!r}")
        headers[name] = value
    return headers


class EventStreamDecoder:
    """Feed bytes, iterate whole messages. ``close()`` checks nothing is left over."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[EventMessage]:
        # Reads usually hold whole frames: decode in place and only buffer a tail.
        if self._buffer:
            self._buffer += data
            data = bytes(self._buffer)
            self._buffer = bytearray()
        view = memoryview(data)
        pos, end = 0, len(data)
        crc32 = zlib.crc32
        while end - pos >= 12:
            total_len, headers_len, prelude_crc = _PRELUDE.unpack_from(data, pos)
            if crc32(view[pos : pos + 8]) != prelude_crc:
                raise EventStreamError("event-stream prelude CRC mismatch")
            if headers_len > _MAX_HEADERS or total_len - headers_len - 16 > _MAX_PAYLOAD or total_len < 16:
                raise EventStreamError("event-stream frame exceeds limits")
            frame_end = pos + total_len
            if frame_end > end:
                break
            (message_crc,) = _CRC.unpack_from(data, frame_end - 4)
            if crc32(view[pos + 8 : frame_end - 4], prelude_crc) != message_crc:
                raise EventStreamError("event-stream message CRC mismatch")
            payload_start = pos + 12 + headers_len
            headers = _parse_headers(data[pos + 12 : payload_start])
            yield EventMessage(headers, data[payload_start : frame_end - 4])
            pos = frame_end
        if pos < end:
            self._buffer = bytearray(view[pos:])

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def close(self) -> None:
        if self._buffer:
            raise EventStreamError(
                f"event stream ended inside a frame ({len(self._buffer)} bytes left over)"
            )


def raise_for_message(message: EventMessage, *, model: Optional[str] = None) -> None:
    """Raise the mapped litebed exception for an ``exception`` or ``error`` frame."""
    kind = message.message_type
    if kind == "event":
        return
    if kind == "exception":
        exception_type = message.headers.get(":exception-type") or "internalServerException"
        try:
            body = message.json()
        except ValueError:
            body = {}
        text = body.get("message") or body.get("Message") or message.payload.decode("utf-8", "replace")
        code = exception_type[0].upper() + exception_type[1:]
        status = body.get("originalStatusCode")
        raise error_from_bedrock(_STREAM_EXCEPTION_STATUS.get(code, status), code, text, model=model)
    code = message.headers.get(":error-code") or "InternalServerException"
    text = message.headers.get(":error-message") or "stream error"
    raise error_from_bedrock(None, code, text, model=model)


_STREAM_EXCEPTION_STATUS = {
    "InternalServerException": 500,
    "ModelStreamErrorException": 424,
    "ValidationException": 400,
    "ThrottlingException": 429,
    "ModelTimeoutException": 408,
    "ServiceUnavailableException": 503,
}
