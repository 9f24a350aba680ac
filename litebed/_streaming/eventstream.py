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
from collections.abc import Iterator
from typing import Any, Optional

from ..errors import APIConnectionError, error_from_bedrock, excerpt

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


#: Fixed-size header value types -> their struct (5 is an int64, 8 a timestamp in ms).
_FIXED_VALUES = {
    2: struct.Struct(">b"),
    3: struct.Struct(">h"),
    4: struct.Struct(">i"),
    5: struct.Struct(">q"),
    8: struct.Struct(">q"),
}
_LENGTH = struct.Struct(">H")


def _decode_headers(data: bytes) -> dict[str, Any]:
    """Decode a header block, bounds-checking every read (run once per distinct block)."""
    headers: dict[str, Any] = {}
    pos, end = 0, len(data)
    while pos < end:
        name_len = data[pos]
        pos += 1
        if pos + name_len >= end:  # the name, then at least the value type byte
            raise EventStreamError(
                "malformed event-stream header block: a header name (or its value type) runs past the end"
            )
        name = _text(data[pos : pos + name_len], "a header name")
        pos += name_len
        value_type = data[pos]
        pos += 1
        if value_type == 7 or value_type == 6:
            if pos + 2 > end:
                raise _truncated(name)
            (length,) = _LENGTH.unpack_from(data, pos)
            pos += 2
            if pos + length > end:
                raise _truncated(name)
            raw = data[pos : pos + length]
            pos += length
            value: Any = _text(raw, f"the value of header {name!r}") if value_type == 7 else raw
        elif value_type == 0 or value_type == 1:
            value = value_type == 0
        elif value_type in _FIXED_VALUES:
            fixed = _FIXED_VALUES[value_type]
            if pos + fixed.size > end:
                raise _truncated(name)
            (value,) = fixed.unpack_from(data, pos)
            pos += fixed.size
        elif value_type == 9:
            if pos + 16 > end:
                raise _truncated(name)
            value = data[pos : pos + 16]
            pos += 16
        else:
            raise EventStreamError(f"unknown event-stream header type {value_type} (header {name!r})")
        if name in headers:
            raise EventStreamError(f"duplicate event-stream header {name!r}")
        headers[name] = value
    return headers


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EventStreamError(f"malformed event-stream header block: {what} is not valid UTF-8") from None


def _truncated(name: str) -> EventStreamError:
    return EventStreamError(f"malformed event-stream header block: the value of header {name!r} is truncated")


def _bad_prelude(total_len: int, headers_len: int) -> EventStreamError:
    if total_len < 16:
        return EventStreamError(f"event-stream frame length {total_len} is shorter than a frame's prelude and CRC")
    if headers_len > total_len - 16:
        return EventStreamError(
            f"event-stream header block ({headers_len} bytes) is longer than its frame ({total_len} bytes)"
        )
    return EventStreamError("event-stream frame exceeds limits")


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
            payload_len = total_len - headers_len - 16
            if headers_len > _MAX_HEADERS or payload_len > _MAX_PAYLOAD or payload_len < 0:
                raise _bad_prelude(total_len, headers_len)
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
    """Raise the mapped litebed exception for an ``exception`` or ``error`` frame.

    The server's text is scrubbed of secrets and shortened; a payload that is not
    a JSON object still raises the class its ``:exception-type`` maps to, with a
    message saying what was wrong with it.
    """
    headers = message.headers
    kind = headers.get(":message-type", "event")
    if kind == "event":
        return
    if kind == "exception":
        exception_type = _header(headers, ":exception-type") or "internalServerException"
        code = exception_type[0].upper() + exception_type[1:]
        text, status = _exception_text(message.payload, exception_type)
        raise error_from_bedrock(_STREAM_EXCEPTION_STATUS.get(code, status), code, text, model=model)
    if kind == "error":
        code = _header(headers, ":error-code") or "InternalServerException"
        text = _header(headers, ":error-message") or "stream error"
        raise error_from_bedrock(None, code, excerpt(text), model=model)
    raise EventStreamError(f"event-stream frame of unknown :message-type {excerpt(repr(kind), 80)}", model=model)


def _header(headers: dict[str, Any], name: str) -> Optional[str]:
    """A string header's value (a header of another type counts as absent)."""
    value = headers.get(name)
    return value if isinstance(value, str) else None


def _exception_text(payload: bytes, exception_type: str) -> tuple[str, Optional[int]]:
    """An exception frame's payload -> (message, ``originalStatusCode``)."""
    if not payload:
        return f"{exception_type} (the exception event carried no message)", None
    raw = payload[:65536].decode("utf-8", "replace")  # only an excerpt is ever shown
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError):
        return f"{exception_type} event with a payload that is not JSON: {excerpt(raw)}", None
    if not isinstance(body, dict):
        return f"{exception_type} event with a JSON payload that is not an object: {excerpt(raw)}", None
    text = body.get("message") or body.get("Message")
    status = body.get("originalStatusCode")
    if isinstance(status, bool) or not isinstance(status, int):
        status = None
    return excerpt(text if isinstance(text, str) else raw), status


_STREAM_EXCEPTION_STATUS = {
    "InternalServerException": 500,
    "ModelStreamErrorException": 424,
    "ValidationException": 400,
    "ThrottlingException": 429,
    "ModelTimeoutException": 408,
    "ServiceUnavailableException": 503,
}
