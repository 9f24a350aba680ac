"""A chat call's answers: whole responses, replayed chunks and opened streams.

Given a prepared call (``_completion._Call``: family, body, client, options),
this module sends it and turns Bedrock's answers into OpenAI shapes: usage
from Bedrock's own counts, fan-out for ``n`` merged into one response, and
streams that are opened (and their errors raised) before they are returned.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional, cast

from ._streaming.stream import AsyncStream, ChunkBuilder, Stream, trim_at_stop
from ._usage import build_usage, merge_usage
from .errors import APIError
from .providers.base import Completion
from .types import ChatCompletionMessageToolCall, Choices, FinishReason, Message, ModelResponse, ModelResponseChunk, Usage

if TYPE_CHECKING:
    from ._completion import _Call


# --- non-streamed ------------------------------------------------------------


def header_count(call: _Call, headers: Any, name: str, fallback: Optional[int]) -> Optional[int]:
    value = headers.get(name)
    if value is None:
        return fallback
    if not value.isdigit():
        raise APIError(f"Bedrock sent a {name} header that is not a whole number: {value[:40]!r}", model=call.model)
    return int(value)


def response_usage(call: _Call, completion: Completion, headers: Any) -> Usage:
    """Bedrock's counts (headers, then the native body); an estimate only where it gave none."""
    prompt = header_count(call, headers, "x-amzn-bedrock-input-token-count", completion.prompt_tokens)
    output = header_count(call, headers, "x-amzn-bedrock-output-token-count", completion.completion_tokens)
    cache_read, cache_write = completion.cache_read_tokens, completion.cache_write_tokens
    if cache_read is not None or cache_write is not None:  # a model that caches: its headers, when sent, win
        cache_read = header_count(call, headers, "x-amzn-bedrock-cache-read-input-token-count", cache_read)
        cache_write = header_count(call, headers, "x-amzn-bedrock-cache-write-input-token-count", cache_write)
    estimated = prompt is None or output is None
    if prompt is None or output is None:
        from ._tokens import token_counter

        if prompt is None:
            prompt = token_counter(messages=call.messages)
        if output is None:
            output = sum(token_counter(text=(choice.reasoning_content or "") + (choice.content or ""))
                         for choice in completion.choices)
    reasoning = "".join(choice.reasoning_content or "" for choice in completion.choices)
    return build_usage(prompt, output, cache_read=cache_read, cache_write=cache_write, reasoning_text=reasoning,
                       estimated=estimated)


def to_response(call: _Call, parsed: list[tuple[Completion, Any]]) -> ModelResponse:
    """Merge one or more native answers (fan-out for n) into one ModelResponse."""
    choices: list[Choices] = []
    stops = call.client_stops
    for completion, _ in parsed:
        for choice in completion.choices:
            content, cut = trim_at_stop(choice.content, stops)
            tool_calls = [ChatCompletionMessageToolCall(**tc) for tc in choice.tool_calls] if choice.tool_calls else None
            choices.append(
                Choices(
                    index=len(choices),
                    message=Message(content=content, tool_calls=tool_calls, reasoning_content=choice.reasoning_content,
                                    thinking_blocks=choice.thinking_blocks),
                    # A family's map_stop_reason gives an OpenAI finish reason (a str to the
                    # type checker); pydantic validates it against the Literal here.
                    finish_reason=cast(FinishReason, "stop" if cut else choice.finish_reason),
                    native_finish_reason=choice.native_finish_reason,
                )
            )
    usage = merge_usage([response_usage(call, completion, headers) for completion, headers in parsed])
    return ModelResponse(model=call.model, choices=choices, usage=usage)


def parse_answer(call: _Call, body: Any) -> Completion:
    try:
        return call.family.parse_response(body)
    except APIError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        # A backstop behind the family's own checks: name the failure, never echo the body.
        raise APIError(
            f"malformed response from Bedrock for {call.family_model_id!r} ({type(exc).__name__})", model=call.model
        ) from None


def invoke_once(call: _Call, body: dict) -> tuple[Completion, Any]:
    if call.api == "converse":
        result = call.bedrock.converse(call.target_id, body, **call.call_options)
    else:
        result = call.bedrock.invoke(call.target_id, body, **call.call_options)
    return parse_answer(call, result.body), result.headers


async def ainvoke_once(call: _Call, body: dict) -> tuple[Completion, Any]:
    if call.api == "converse":
        result = await call.bedrock.aconverse(call.target_id, body, **call.call_options)
    else:
        result = await call.bedrock.ainvoke(call.target_id, body, **call.call_options)
    return parse_answer(call, result.body), result.headers


_fanout_pool: Optional[ThreadPoolExecutor] = None


def fanout_pool() -> ThreadPoolExecutor:
    global _fanout_pool
    if _fanout_pool is None:
        _fanout_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="litebed-n")
    return _fanout_pool


# --- streamed ----------------------------------------------------------------


def replay_chunks(call: _Call, response: ModelResponse) -> list:
    """An answer received whole, as the chunks a stream of it would have carried."""
    from .types import Delta, StreamingChoices, ToolCallDelta, ToolCallFunctionDelta

    def chunk(index, delta, finish=None, native=None):
        return ModelResponseChunk(
            id=response.id, created=response.created, model=response.model,
            choices=[StreamingChoices(index=index, delta=delta, finish_reason=finish, native_finish_reason=native)],
        )

    chunks = []
    for choice in response.choices:
        message = choice.message
        chunks.append(chunk(choice.index, Delta(role="assistant", content="")))
        if message.reasoning_content or message.thinking_blocks:
            chunks.append(chunk(choice.index, Delta(reasoning_content=message.reasoning_content,
                                                    thinking_blocks=message.thinking_blocks)))
        tool_calls = [
            ToolCallDelta(
                index=i, id=tc.id, type="function",
                function=ToolCallFunctionDelta(name=tc.function.name, arguments=tc.function.arguments),
            )
            for i, tc in enumerate(message.tool_calls or [])
        ]
        if message.content or tool_calls:
            chunks.append(chunk(choice.index, Delta(content=message.content or None, tool_calls=tool_calls or None)))
        chunks.append(chunk(choice.index, Delta(), choice.finish_reason, choice.native_finish_reason))
    if call.include_usage:
        chunks.append(ModelResponseChunk(id=response.id, created=response.created, model=response.model, choices=[], usage=response.usage))
    return chunks


def whole_call(call: _Call) -> _Call:
    return replace(call, params=replace(call.params, stream=False))


class StreamParts:
    """What the native streams behind one litebed stream share: the chunk id, the
    open connection (so closing the litebed stream closes it), and the usage."""

    def __init__(self, call: _Call) -> None:
        self.call = call
        self.builders: list[ChunkBuilder] = []
        self.events: Any = None

    def builder(self) -> ChunkBuilder:
        from ._tokens import token_counter

        call, first = self.call, self.builders[0] if self.builders else None
        builder = ChunkBuilder(
            call.family,
            call.model,
            include_usage=call.include_usage,
            client_stops=call.client_stops,
            estimate_prompt=lambda: token_counter(messages=call.messages),
            index_offset=len(self.builders),
            completion_id=first.id if first else None,
            created=first.created if first else None,
        )
        self.builders.append(builder)
        return builder

    def usage_chunk(self) -> Optional[ModelResponseChunk]:
        if not self.call.include_usage:
            return None
        chunk = self.builders[0].usage_chunk()  # not None: the builders share include_usage
        if chunk is not None:
            chunk.usage = merge_usage([b.usage() for b in self.builders])
        return chunk

    def event_payload(self, event: tuple[str, Any]) -> Any:
        event_type, payload = event
        return payload if self.call.api != "converse" else {event_type: payload}

    def close(self) -> None:
        if self.events is not None:
            self.events.close()

    async def aclose(self) -> None:
        if self.events is not None:
            await self.events.aclose()


def open_stream(call: _Call, body: dict) -> Stream:
    """Open the stream now (errors and retries happen here, as openai's do); read it lazily."""
    parts = StreamParts(call)
    client, options = call.bedrock, call.call_options
    open_stream = client.converse_stream if call.api == "converse" else client.invoke_stream
    first = open_stream(call.target_id, body, **options)

    def chunks():
        for number in range(call.fan_out):
            # Fanned-out streams are read one after another; each opens when its turn comes.
            events = parts.events = first if number == 0 else open_stream(call.target_id, body, **options)
            builder = parts.builder()
            try:
                for event in events:
                    yield from builder.feed(parts.event_payload(event))
                    if builder.client_stops and builder.done:
                        break  # stopped client-side: the rest is never read
                builder.finish()
            finally:
                events.close()
        usage = parts.usage_chunk()
        if usage is not None:
            yield usage

    parts.events = first
    return Stream(chunks(), parts.close)


async def aopen_stream(call: _Call, body: dict) -> AsyncStream:
    parts = StreamParts(call)
    client, options = call.bedrock, call.call_options
    open_stream = client.aconverse_stream if call.api == "converse" else client.ainvoke_stream
    first = await open_stream(call.target_id, body, **options)

    async def chunks():
        for number in range(call.fan_out):
            events = parts.events = first if number == 0 else await open_stream(call.target_id, body, **options)
            builder = parts.builder()
            try:
                async for event in events:
                    for chunk in builder.feed(parts.event_payload(event)):
                        yield chunk
                    if builder.client_stops and builder.done:
                        break
                builder.finish()
            finally:
                await events.aclose()
        usage = parts.usage_chunk()
        if usage is not None:
            yield usage

    parts.events = first
    return AsyncStream(chunks(), parts.aclose)


async def async_items(items):
    for item in items:
        yield item


async def async_noop() -> None:
    return None
