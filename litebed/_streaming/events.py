"""One event-stream frame -> the ``(event type, payload)`` a family parser reads.

InvokeModelWithResponseStream wraps each native chunk as ``{"bytes": <base64>}``
in a ``chunk`` event; ConverseStream sends its events' JSON directly.
Exception frames raise the mapped litebed error.
"""

from __future__ import annotations

import binascii
import json
from typing import Any, Optional

from .eventstream import raise_for_message

_CHUNK_PREFIX = b'{"bytes":"'


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
    return json.loads(payload)["bytes"].encode()


def decode_event(message, model_id: str, chunk_payloads: bool) -> Optional[tuple[str, Any]]:
    """One frame -> (event type, payload), raising for exception frames."""
    headers = message.headers
    if headers.get(":message-type", "event") != "event":
        raise_for_message(message, model=model_id)
    event_type = headers.get(":event-type")
    if chunk_payloads:
        if event_type != "chunk":
            return None  # unknown event types are ignored, as botocore does
        return "chunk", json.loads(binascii.a2b_base64(_chunk_bytes(message.payload)).decode("utf-8"))
    return event_type, message.json()
