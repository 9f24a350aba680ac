"""Iterate the events of an open Bedrock response stream, sync or async.

Raw bytes -> frames (:class:`~litebed._streaming.eventstream.EventStreamDecoder`)
-> ``(event type, payload)`` (:func:`~litebed._streaming.events.decode_event`).
:class:`EventReader` holds everything but the I/O, so the two iterators differ
only in how they read. Each event must arrive within ``timeout`` of the one
before it: with litebed's transports the deadline is moved forward after every
event, so a server that trickles bytes cannot hold a stream open forever.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Generator
from typing import Any, Optional

from ..errors import APIConnectionError, APIError, APITimeoutError
from .events import decode_event
from .eventstream import EventStreamDecoder

DEFAULT_EVENT_TIMEOUT = 600.0


class EventReader:
    """The sans-I/O part of reading an event stream."""

    __slots__ = ("model_id", "chunk_payloads", "timeout", "decoder", "set_deadline")

    def __init__(self, response: Any, model_id: str, chunk_payloads: bool, timeout: Optional[float]) -> None:
        self.model_id = model_id
        self.chunk_payloads = chunk_payloads
        self.timeout = timeout or DEFAULT_EVENT_TIMEOUT
        self.decoder = EventStreamDecoder()
        # Only litebed's own transports can move a read deadline; others keep their per-read timeouts.
        self.set_deadline = getattr(response.stream, "set_deadline", None)
        self.next_deadline()

    def next_deadline(self) -> None:
        if self.set_deadline is not None:
            self.set_deadline(time.monotonic() + self.timeout)

    def feed(self, data: bytes) -> list[tuple[str, Any]]:
        events = []
        for message in self.decoder.feed(data):
            event = decode_event(message, self.model_id, self.chunk_payloads)
            if event is not None:
                events.append(event)
        if events:
            self.next_deadline()
        return events

    def failure(self, exc: Exception) -> APIError:
        """What a failed read means to the caller."""
        import httpx

        if isinstance(exc, APIError):
            return exc
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(
                f"Bedrock's event stream sent no event within {self.timeout:g} s", model=self.model_id
            )
        return APIConnectionError(f"Bedrock event stream was cut short: {type(exc).__name__}", model=self.model_id)


def _raw(response: Any) -> Any:
    # A response built with its content (httpx.MockTransport, say) has been read already.
    return (response.content,) if response.is_stream_consumed else response.iter_raw()


async def _araw(response: Any) -> AsyncIterator[bytes]:
    if response.is_stream_consumed:
        yield response.content
        return
    async for data in response.aiter_raw():
        yield data


class EventIterator:
    """Iterates ``(event_type, payload)`` of a Bedrock event stream; closes its connection.

    For InvokeModelWithResponseStream the payload is the model's native chunk
    (already base64-decoded and parsed). A stream that ends inside a frame, or
    whose connection drops, raises :class:`~litebed.errors.APIConnectionError`.
    """

    def __init__(self, response, model_id: str, *, chunk_payloads: bool, timeout: Optional[float] = None) -> None:
        self._response = response
        self._reader = EventReader(response, model_id, chunk_payloads, timeout)
        self._iter = self._events()

    def _events(self) -> Generator[tuple[str, Any], None, None]:
        reader = self._reader
        try:
            for data in _raw(self._response):
                yield from reader.feed(data)
            reader.decoder.close()
        except Exception as exc:
            raise reader.failure(exc) from None
        finally:
            self._response.close()

    def __iter__(self) -> EventIterator:
        return self

    def __next__(self) -> tuple[str, Any]:
        return next(self._iter)

    def close(self) -> None:
        self._iter.close()
        self._response.close()


class AsyncEventIterator:
    """The async twin of :class:`EventIterator`."""

    def __init__(self, response, model_id: str, *, chunk_payloads: bool, timeout: Optional[float] = None) -> None:
        self._response = response
        self._reader = EventReader(response, model_id, chunk_payloads, timeout)
        self._iter = self._events()

    async def _events(self) -> AsyncGenerator[tuple[str, Any], None]:
        reader = self._reader
        try:
            async for data in _araw(self._response):
                for event in reader.feed(data):
                    yield event
            reader.decoder.close()
        except Exception as exc:
            raise reader.failure(exc) from None
        finally:
            await self._response.aclose()

    def __aiter__(self) -> AsyncEventIterator:
        return self

    async def __anext__(self) -> tuple[str, Any]:
        return await self._iter.__anext__()

    async def aclose(self) -> None:
        await self._iter.aclose()
        await self._response.aclose()
