"""One event-stream frame -> the ``(event type, payload)`` a family parser reads.

InvokeModelWithResponseStream wraps each native chunk as ``{"bytes": <base64>}``
in a ``chunk`` event; ConverseStream sends its events' JSON directly.
Exception frames raise the mapped litebed error.

A payload that cannot be read raises, naming the event type and what was wrong:
:class:`EventStreamError` (an ``APIConnectionError``) when Bedrock's own ``chunk``
wrapping is broken (not JSON, no ``bytes``, bad base64), :class:`APIError` when
what it carries (the model's chunk, a Converse event) is not UTF-8 JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import Any, Optional

from ..errors import APIError, excerpt
from ..providers.answers import describe as _kind
from .eventstream import EventStreamError, raise_for_message

_CHUNK_PREFIX = b'{"bytes":"'

# Strict base64: the lenient decoder skips stray characters instead of refusing them.
if sys.version_info >= (3, 11):
    _a2b_base64 = binascii.a2b_base64
else:  # pragma: no cover - Python 3.10's a2b_base64 has no strict_mode

    def _a2b_base64(data: bytes, *, strict_mode: bool = False) -> bytes:
        return base64.b64decode(data, validate=strict_mode)


def _chunk_bytes(payload: bytes) -> bytes:
    """The base64 ``bytes`` member of a ``chunk`` event's JSON payload.

    The payload is almost always exactly ``{"bytes":"..."}`` (perhaps with a
    padding member after it); reading the string directly skips a JSON parse
    per event. Anything else is parsed properly.
    """
    if payload.startswith(_CHUNK_PREFIX):
        end = payload.find(b'"', len(_CHUNK_PREFIX))
        if end > 0 and payload[end + 1 : end + 2] in (b"}", b","):
            return payload[len(_CHUNK_PREFIX) : end]
    return _parsed_chunk_bytes(payload)


def _parsed_chunk_bytes(payload: bytes) -> bytes:
    """The slow path of :func:`_chunk_bytes`: a JSON parse, every step checked."""
    wrapper = _json(payload, "chunk", EventStreamError)
    if not isinstance(wrapper, dict):
        raise EventStreamError(f"malformed chunk event from Bedrock: the payload is JSON {_kind(wrapper)}, not an object")
    data = wrapper.get("bytes")
    if not isinstance(data, str):
        what = "has no 'bytes' member" if data is None else f"has 'bytes' as {_kind(data)}, not a string"
        raise EventStreamError(f"malformed chunk event from Bedrock: the payload {what}")
    return data.encode("utf-8", "replace")


def _reparsed_base64(payload: bytes) -> bytes:
    """The chunk's bytes after a proper JSON parse of its payload.

    Strict base64 refuses what a JSON encoder may legally write in a string (an
    escaped ``\\/``), so the fast path's raw read gets a second chance here.
    """
    try:
        return _a2b_base64(_parsed_chunk_bytes(payload), strict_mode=True)
    except binascii.Error:
        raise EventStreamError("malformed chunk event from Bedrock: 'bytes' is not valid base64") from None


def _json(raw: bytes, event_type: str, error: type[APIError]) -> Any:
    try:
        return json.loads(raw)
    except RecursionError:
        problem = "is nested too deeply"
    except ValueError:  # UnicodeDecodeError included
        problem = "is not JSON"
    raise error(f"malformed {event_type} event from Bedrock: the payload {problem}") from None


def decode_event(message, model_id: str, chunk_payloads: bool) -> Optional[tuple[str, Any]]:
    """One frame -> (event type, payload), raising for exception frames."""
    headers = message.headers
    if headers.get(":message-type", "event") != "event":
        raise_for_message(message, model=model_id)
    event_type = headers.get(":event-type")
    try:
        if not chunk_payloads:
            payload = message.payload
            return event_type, (_json(payload, _event_name(event_type), APIError) if payload else {})
        if event_type != "chunk":
            return None  # unknown event types are ignored, as botocore does
        try:
            data = _a2b_base64(_chunk_bytes(message.payload), strict_mode=True)
        except binascii.Error:
            data = _reparsed_base64(message.payload)
        try:
            return "chunk", json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            problem = "is not valid UTF-8"
        except RecursionError:
            problem = "is nested too deeply"
        except ValueError:
            problem = "is not JSON"
        raise APIError(f"malformed chunk event from Bedrock: the model's chunk {problem}")
    except APIError as exc:
        exc.model = model_id
        raise exc from None


def _event_name(event_type: Any) -> str:
    return excerpt(event_type, 64) if isinstance(event_type, str) and event_type else "unnamed"
