"""Streams of OpenAI ``chat.completion.chunk`` objects.

Event-stream frames -> native chunks (client.EventIterator) -> the family's
``parse_stream_event`` -> :class:`ChunkBuilder` -> ``ModelResponseChunk``.
:class:`Stream` and :class:`AsyncStream` are iterators and context managers;
they release their connection when exhausted, closed, or garbage-collected.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Optional

from ..errors import APIConnectionError, APIError
from ..providers.base import StreamPiece, StreamState
from ..types import ModelResponseChunk, Usage

_METRICS_KEY = "amazon-bedrock-invocationMetrics"
_validate_chunk = ModelResponseChunk.model_validate


class StopTrimmer:
    """Applies stop sequences client-side for families Bedrock gives no stop field.

    Holds back any tail that could be the start of a stop sequence, so no text
    past a stop sequence is ever emitted.
    """

    __slots__ = ("stops", "held", "stopped")

    def __init__(self, stops: list[str]) -> None:
        self.stops = stops
        self.held = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        buffer = self.held + text
        cut = min((i for i in (buffer.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped, self.held = True, ""
            return buffer[:cut]
        keep = 0
        for stop in self.stops:
            for length in range(min(len(stop) - 1, len(buffer)), 0, -1):
                if buffer.endswith(stop[:length]):
                    keep = max(keep, length)
                    break
        self.held = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep] if keep else buffer

    def flush(self) -> str:
        held, self.held = self.held, ""
        return "" if self.stopped else held


def trim_at_stop(text: Optional[str], stops: list[str]) -> tuple[Optional[str], bool]:
    """Cut ``text`` at its first stop sequence; (text, whether one was found)."""
    if not text or not stops:
        return text, False
    cut = min((i for i in (text.find(s) for s in stops) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def _count(metrics: Any, name: str, default: Optional[int], model: str) -> Optional[int]:
    """A token count from ``amazon-bedrock-invocationMetrics``, checked."""
    if not isinstance(metrics, dict):
        raise APIError(f"malformed {_METRICS_KEY} in Bedrock's stream: not an object", model=model)
    value = metrics.get(name, default)
    if value is default:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise APIError(f"malformed {_METRICS_KEY} in Bedrock's stream: {name} is not a whole number", model=model)
    return value


class ChunkBuilder:
    """Turns native stream events into OpenAI chunks; shared by sync and async streams."""

    def __init__(
        self,
        family: Any,
        model: str,
        *,
        include_usage: bool,
        client_stops: list[str],
        estimate_prompt: Callable[[], int],
        index_offset: int = 0,
        completion_id: Optional[str] = None,
        created: Optional[int] = None,
    ) -> None:
        self.family = family
        self.model = model
        self.include_usage = include_usage
        self.estimate_prompt = estimate_prompt
        self.index_offset = index_offset
        self.id = completion_id or "chatcmpl-" + uuid.uuid4().hex
        self.created = created or int(time.time())
        self.state = StreamState()
        self.client_stops = client_stops
        self.trimmers: dict[int, StopTrimmer] = {}
        self.started: set[int] = set()
        self.finished: set[int] = set()
        self.prompt_tokens: Optional[int] = None
        self.completion_tokens: Optional[int] = None
        self.cache_read_tokens: Optional[int] = None
        self.cache_write_tokens: Optional[int] = None
        self.metrics_seen = False
        self.text_so_far: list[str] = []
        self.reasoning_so_far: list[str] = []

    @property
    def done(self) -> bool:
        """True once every started choice finished (the rest of the stream can be dropped)."""
        return bool(self.started) and self.started <= self.finished

    def _chunk(self, index: int, delta: dict, finish=None, native=None) -> ModelResponseChunk:
        # One validation of plain data builds the three nested models: the cheapest way
        # to make thousands of chunks a second (streams are litebed's hottest path).
        return _validate_chunk(
            {
                "id": self.id,
                "created": self.created,
                "model": self.model,
                "choices": [{"index": index, "delta": delta, "finish_reason": finish, "native_finish_reason": native}],
            }
        )

    def feed(self, event: dict) -> list[ModelResponseChunk]:
        metrics = event.get(_METRICS_KEY) if isinstance(event, dict) else None
        if metrics:
            self.metrics_seen = True
            self.prompt_tokens = _count(metrics, "inputTokenCount", self.prompt_tokens, self.model)
            self.completion_tokens = _count(metrics, "outputTokenCount", self.completion_tokens, self.model)
            self.cache_read_tokens = _count(metrics, "cacheReadInputTokenCount", self.cache_read_tokens, self.model)
            self.cache_write_tokens = _count(metrics, "cacheWriteInputTokenCount", self.cache_write_tokens, self.model)
        out: list[ModelResponseChunk] = []
        for delta in self.family.parse_stream_event(event, self.state):
            out.extend(self._delta(delta))
        return out

    def _delta(self, delta: StreamPiece) -> list[ModelResponseChunk]:
        if not self.metrics_seen:
            if delta.prompt_tokens is not None:
                self.prompt_tokens = delta.prompt_tokens
            if delta.completion_tokens is not None:
                self.completion_tokens = delta.completion_tokens
            if delta.cache_read_tokens is not None:
                self.cache_read_tokens = delta.cache_read_tokens
            if delta.cache_write_tokens is not None:
                self.cache_write_tokens = delta.cache_write_tokens
        index = delta.index + self.index_offset
        if index in self.finished:
            return []
        out = []
        if index not in self.started:
            self.started.add(index)
            out.append(self._chunk(index, {"role": "assistant", "content": ""}))
        content = delta.content
        finish = delta.finish_reason
        if self.client_stops:
            trimmer = self.trimmers.setdefault(index, StopTrimmer(self.client_stops))
            if content:
                content = trimmer.feed(content)
            if trimmer.stopped:
                finish = "stop"
            elif finish is not None:
                content = (content or "") + trimmer.flush()
        if delta.reasoning_content or delta.thinking_blocks:
            # Reasoning comes before the answer, in its own deltas (LiteLLM's field names).
            if delta.reasoning_content:
                self.reasoning_so_far.append(delta.reasoning_content)
            out.append(self._chunk(index, {"reasoning_content": delta.reasoning_content,
                                           "thinking_blocks": delta.thinking_blocks}))
        if content or delta.tool_calls:
            if content:
                self.text_so_far.append(content)
            out.append(self._chunk(index, {"content": content or None, "tool_calls": delta.tool_calls or None}))
        if finish is not None:
            self.finished.add(index)
            out.append(self._chunk(index, {}, finish, delta.native_finish_reason))
        return out

    def finish(self) -> list[ModelResponseChunk]:
        """Call at the end of the native stream: checks completeness, adds the usage chunk."""
        unfinished = self.started - self.finished
        if unfinished or not self.started:
            raise APIConnectionError(
                "Bedrock's event stream ended before the model finished (no stop reason); "
                "the answer is incomplete",
                model=self.model,
            )
        return []

    def usage_chunk(self) -> Optional[ModelResponseChunk]:
        if not self.include_usage:
            return None
        return ModelResponseChunk(id=self.id, created=self.created, model=self.model, choices=[], usage=self.usage())

    def usage(self) -> Usage:
        from .._usage import build_usage

        estimated = False
        prompt, completion = self.prompt_tokens, self.completion_tokens
        reasoning = "".join(self.reasoning_so_far)
        if prompt is None:
            prompt, estimated = self.estimate_prompt(), True
        if completion is None:
            from .._tokens import token_counter

            completion, estimated = token_counter(text=reasoning + "".join(self.text_so_far)), True
        return build_usage(prompt, completion, cache_read=self.cache_read_tokens, cache_write=self.cache_write_tokens,
                           reasoning_text=reasoning, estimated=estimated)


class Stream:
    """An iterator of ``ModelResponseChunk``; a context manager with ``close()``."""

    def __init__(self, chunks: Iterator[ModelResponseChunk], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close
        self._closed = False

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> ModelResponseChunk:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                close_chunks = getattr(self._chunks, "close", None)
                if close_chunks is not None:
                    close_chunks()
            finally:
                self._close()

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


class AsyncStream:
    """An async iterator of ``ModelResponseChunk``; an async context manager with ``aclose()``."""

    def __init__(self, chunks: AsyncIterator[ModelResponseChunk], close: Callable[[], Any]) -> None:
        self._chunks = chunks
        self._close = close
        self._closed = False

    def __aiter__(self) -> AsyncStream:
        return self

    async def __anext__(self) -> ModelResponseChunk:
        try:
            return await self._chunks.__anext__()
        except BaseException:
            await self.aclose()
            raise

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                close_chunks = getattr(self._chunks, "aclose", None)
                if close_chunks is not None:
                    await close_chunks()
            finally:
                await self._close()

    close = aclose

    async def __aenter__(self) -> AsyncStream:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
