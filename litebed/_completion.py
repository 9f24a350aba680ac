"""``completion()`` and ``acompletion()``: the walk from OpenAI arguments to Bedrock and back.

routing -> family module (pure) -> client (signing, pooling, retries) ->
family parser -> OpenAI-shaped types. See docs/internals.md.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

from ._transport.sender import BedrockClient, check_num_retries, check_timeout
from ._auth.credentials import AuthOptions
from .errors import APIError, BadRequestError
from ._params import build_chat_params, openai_kwargs
from .providers.base import ChatParams, Completion
from ._streaming.stream import AsyncStream, ChunkBuilder, Stream, trim_at_stop
from .types import ChatCompletionMessageToolCall, Choices, Message, ModelResponse, Usage

__all__ = ["acompletion", "completion"]


@dataclass
class _Call:
    """Everything decided before the first byte is sent."""

    model: str  # the caller's model string, echoed in responses
    target_id: str  # what goes into the URL path (id, profile or ARN)
    family: Any
    api: str
    params: ChatParams
    messages: list
    client: Optional[BedrockClient]  # set last: resolving credentials may call STS
    call_options: dict
    include_usage: bool
    family_model_id: str  # the base model id the family formats the body for

    def body(self) -> dict:
        # Fanned-out requests each ask for one choice.
        params = replace(self.params, n=1) if self.fan_out > 1 else self.params
        return self.family.build_request(self.family_model_id, self.messages, params)

    @property
    def synthesised_stream(self) -> bool:
        """Streamed tools on a model whose ConverseStream has no tool use (§6.4): call
        Converse without streaming and replay the answer as chunks."""
        return bool(self.params.stream and self.params.tools and not self.family.stream_tools_supported(self.family_model_id))

    @property
    def client_stops(self) -> list[str]:
        return self.params.stop if not self.family.NATIVE_STOP else []

    @property
    def fan_out(self) -> int:
        """How many requests make up ``n`` choices (1 when the body asks natively)."""
        from .providers import native_n

        if self.params.n > 1 and not native_n(self.family, self.params.stream):
            return self.params.n
        return 1


def _module_default(name: str, value: Optional[bool]) -> bool:
    if value is not None:
        return bool(value)
    return bool(getattr(sys.modules.get("litebed"), name, False))


@dataclass
class _Target:
    """Where a call goes, before the model family is known."""

    route: Any
    target_id: str
    options: AuthOptions
    #: The base model the body is formatted for; None until an opaque ARN is resolved.
    family_model_id: Optional[str]


def _target(model: str, messages: Any, local: dict, kwargs: dict) -> _Target:
    from ._routing import base_model_of, parse_model

    if not isinstance(messages, list) or not messages:
        raise BadRequestError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise BadRequestError(f"messages[{i}] must be a dict with a 'role'")
    check_timeout(local.get("timeout"))
    check_num_retries(local.get("num_retries"))
    route = parse_model(model)
    model_id = local.get("model_id")
    if model_id is not None and not isinstance(model_id, str):
        raise BadRequestError(f"model_id: must be a model id or ARN string, got {type(model_id).__name__}")
    options = AuthOptions.from_kwargs(kwargs, arn_region=route.region or _arn_region(model_id))
    base_model = local.get("base_model")
    family_model_id = base_model_of(route, base_model) if base_model or not model_id or not route.is_arn else None
    return _Target(route, model_id or route.model_id, options, family_model_id)


def _prepare(client: Any, model: str, messages: Any, local: dict, kwargs: dict, *, stream: bool) -> _Call:
    target = _target(model, messages, local, kwargs)
    bedrock = None
    if target.family_model_id is None:  # an opaque ARN: the control plane says which model it runs
        from ._arn import resolve_base_model

        bedrock = client.bedrock(target.options)
        target.family_model_id = resolve_base_model(bedrock, target.route.model_id)
    call = _finish(target, model, messages, local, kwargs, stream=stream)
    # Credentials last (they may call STS): a bad argument never costs a network call.
    call.client = bedrock or client.bedrock(target.options)
    if call.api == "converse":
        from ._media import inline_remote_media

        # Remote images are fetched here, with the client's policy, not inside the pure body builder.
        call.messages = inline_remote_media(call.messages, client.media_policy)
    return call


async def _aprepare(client: Any, model: str, messages: Any, local: dict, kwargs: dict, *, stream: bool) -> _Call:
    target = _target(model, messages, local, kwargs)
    bedrock = None
    if target.family_model_id is None:
        from ._arn import aresolve_base_model

        bedrock = await client.abedrock(target.options)
        target.family_model_id = await aresolve_base_model(bedrock, target.route.model_id)
    call = _finish(target, model, messages, local, kwargs, stream=stream)
    call.client = bedrock or await client.abedrock(target.options)
    if call.api == "converse":
        from ._media import ainline_remote_media

        call.messages = await ainline_remote_media(call.messages, client.media_policy)
    return call


def _finish(target: _Target, model: str, messages: list, local: dict, kwargs: dict, *, stream: bool) -> _Call:
    from .providers import chat_family_for, converse_family

    route, family_model_id = target.route, target.family_model_id
    family = converse_family() if route.api == "converse" else chat_family_for(family_model_id)

    drop_params = _module_default("drop_params", local.get("drop_params"))
    stream_options = local.get("stream_options") or {}
    if stream_options and not stream:
        raise BadRequestError("stream_options is only allowed with stream=True")
    if stream and not family.STREAMING:
        raise BadRequestError(f"model {family_model_id!r} does not support streaming on Bedrock; call without stream=True")
    params = build_chat_params(
        family, family_model_id, openai_params=openai_kwargs(local), extra=kwargs, stream=stream, drop_params=drop_params
    )
    params.modify_params = _module_default("modify_params", local.get("modify_params"))
    call = _Call(
        model=model,
        target_id=target.target_id,
        family=family,
        api=route.api,
        params=params,
        messages=messages,
        client=None,
        call_options={"timeout": local.get("timeout"), "num_retries": local.get("num_retries")},
        include_usage=bool(stream_options.get("include_usage")),
        family_model_id=family_model_id,
    )
    return call


def _arn_region(model_id: Optional[str]) -> Optional[str]:
    if model_id and model_id.startswith("arn:"):
        parts = model_id.split(":")
        return parts[3] or None if len(parts) > 3 else None
    return None


# --- non-streamed ------------------------------------------------------------


def _header_count(call: _Call, headers: Any, name: str, fallback: Optional[int]) -> Optional[int]:
    value = headers.get(name)
    if value is None:
        return fallback
    if not value.isdigit():
        raise APIError(f"Bedrock sent a {name} header that is not a whole number: {value[:40]!r}", model=call.model)
    return int(value)


def _usage(call: _Call, completion: Completion, headers: Any) -> Usage:
    """Bedrock's counts (headers, then the native body); an estimate only where it gave none."""
    prompt = _header_count(call, headers, "x-amzn-bedrock-input-token-count", completion.prompt_tokens)
    output = _header_count(call, headers, "x-amzn-bedrock-output-token-count", completion.completion_tokens)
    estimated = prompt is None or output is None
    if estimated:
        from ._tokens import token_counter

        if prompt is None:
            prompt = token_counter(messages=call.messages)
        if output is None:
            output = sum(token_counter(text=choice.content or "") for choice in completion.choices)
    return Usage(prompt_tokens=prompt, completion_tokens=output, total_tokens=prompt + output, estimated=estimated)


def _to_response(call: _Call, parsed: list[tuple[Completion, Any]]) -> ModelResponse:
    """Merge one or more native answers (fan-out for n) into one ModelResponse."""
    choices = []
    stops = call.client_stops
    for completion, _ in parsed:
        for choice in completion.choices:
            content, cut = trim_at_stop(choice.content, stops)
            tool_calls = [ChatCompletionMessageToolCall(**tc) for tc in choice.tool_calls] if choice.tool_calls else None
            choices.append(
                Choices(
                    index=len(choices),
                    message=Message(content=content, tool_calls=tool_calls),
                    finish_reason="stop" if cut else choice.finish_reason,
                    native_finish_reason=choice.native_finish_reason,
                )
            )
    usage = _merge_usage([_usage(call, completion, headers) for completion, headers in parsed])
    return ModelResponse(model=call.model, choices=choices, usage=usage)


def _parse(call: _Call, body: Any) -> Completion:
    try:
        return call.family.parse_response(body)
    except APIError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise APIError(f"unexpected response body from Bedrock for {call.family_model_id!r}: {exc!r}", model=call.model) from None


def _invoke_once(call: _Call, body: dict) -> tuple[Completion, Any]:
    if call.api == "converse":
        result = call.client.converse(call.target_id, body, **call.call_options)
    else:
        result = call.client.invoke(call.target_id, body, **call.call_options)
    return _parse(call, result.body), result.headers


async def _ainvoke_once(call: _Call, body: dict) -> tuple[Completion, Any]:
    if call.api == "converse":
        result = await call.client.aconverse(call.target_id, body, **call.call_options)
    else:
        result = await call.client.ainvoke(call.target_id, body, **call.call_options)
    return _parse(call, result.body), result.headers


_fanout_pool: Optional[ThreadPoolExecutor] = None


def _pool() -> ThreadPoolExecutor:
    global _fanout_pool
    if _fanout_pool is None:
        _fanout_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="litebed-n")
    return _fanout_pool


# --- streamed ----------------------------------------------------------------


def _replay_chunks(call: _Call, response: ModelResponse) -> list:
    """An answer received whole, as the chunks a stream of it would have carried."""
    from .types import Delta, ModelResponseChunk, StreamingChoices, ToolCallDelta

    def chunk(index, delta, finish=None, native=None):
        return ModelResponseChunk(
            id=response.id, created=response.created, model=response.model,
            choices=[StreamingChoices(index=index, delta=delta, finish_reason=finish, native_finish_reason=native)],
        )

    chunks = []
    for choice in response.choices:
        message = choice.message
        chunks.append(chunk(choice.index, Delta(role="assistant", content="")))
        tool_calls = [
            ToolCallDelta(index=i, id=tc.id, type="function", function={"name": tc.function.name, "arguments": tc.function.arguments})
            for i, tc in enumerate(message.tool_calls or [])
        ]
        if message.content or tool_calls:
            chunks.append(chunk(choice.index, Delta(content=message.content or None, tool_calls=tool_calls or None)))
        chunks.append(chunk(choice.index, Delta(), choice.finish_reason, choice.native_finish_reason))
    if call.include_usage:
        chunks.append(ModelResponseChunk(id=response.id, created=response.created, model=response.model, choices=[], usage=response.usage))
    return chunks


def _whole_call(call: _Call) -> _Call:
    return replace(call, params=replace(call.params, stream=False))


def _merge_usage(usages: list[Usage]) -> Usage:
    """Usage of fanned-out requests: they share one prompt, counted once as OpenAI does for n."""
    prompt = max(u.prompt_tokens for u in usages)
    completion = sum(u.completion_tokens for u in usages)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        estimated=any(u.estimated for u in usages),
    )


class _StreamParts:
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

    def usage_chunk(self):
        if not self.call.include_usage:
            return None
        chunk = self.builders[0].usage_chunk()
        chunk.usage = _merge_usage([b.usage() for b in self.builders])
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


def _stream(call: _Call, body: dict) -> Stream:
    """Open the stream now (errors and retries happen here, as openai's do); read it lazily."""
    parts = _StreamParts(call)
    client, options = call.client, call.call_options
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


async def _astream(call: _Call, body: dict) -> AsyncStream:
    parts = _StreamParts(call)
    client, options = call.client, call.call_options
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


async def _aiter(items):
    for item in items:
        yield item


async def _anoop() -> None:
    return None


# --- the public functions ----------------------------------------------------


def completion(
    client: Any,
    model: str,
    messages: list[dict],
    *,
    stream: bool = False,
    stream_options: Optional[dict] = None,
    max_tokens: Optional[int] = None,
    max_completion_tokens: Optional[int] = None,
    temperature: Optional[float] = None,
    top_p: Optional[float] = None,
    stop: Union[str, list[str], None] = None,
    n: Optional[int] = None,
    presence_penalty: Optional[float] = None,
    frequency_penalty: Optional[float] = None,
    seed: Optional[int] = None,
    user: Optional[str] = None,
    tools: Optional[list[dict]] = None,
    tool_choice: Any = None,
    response_format: Optional[dict] = None,
    logprobs: Optional[bool] = None,
    top_logprobs: Optional[int] = None,
    parallel_tool_calls: Optional[bool] = None,
    logit_bias: Optional[dict] = None,
    drop_params: Optional[bool] = None,
    modify_params: Optional[bool] = None,
    model_id: Optional[str] = None,
    base_model: Optional[str] = None,
    timeout: Optional[float] = None,
    num_retries: Optional[int] = None,
    **kwargs: Any,
) -> Union[ModelResponse, Stream]:
    """Create a chat completion on Bedrock with OpenAI's arguments and shapes.

    ``model`` is ``"bedrock/<model-id>"`` (``bedrock/invoke/...`` is the default
    route, ``bedrock/converse/...`` uses Converse). ``model_id`` sends the
    request to an ARN (provisioned throughput, custom or imported model,
    application inference profile) while ``model`` names its base model.
    Remaining keyword arguments are credentials (``aws_*``, ``api_key``,
    ``api_base``) or native parameters of the model family (``top_k``, ...).

    Returns a :class:`~litebed.types.ModelResponse`, or with ``stream=True`` a
    :class:`~litebed._streaming.stream.Stream` of ``ModelResponseChunk``.
    """
    call = _prepare(client, model, messages, locals(), kwargs, stream=stream)
    if call.synthesised_stream:
        whole = _whole_call(call)
        response = _to_response(whole, [_invoke_once(whole, whole.body()) for _ in range(whole.fan_out)])
        return Stream(iter(_replay_chunks(call, response)), lambda: None)
    body = call.body()
    if stream:
        return _stream(call, body)
    if call.fan_out == 1:
        return _to_response(call, [_invoke_once(call, body)])
    futures = [_pool().submit(_invoke_once, call, body) for _ in range(call.fan_out)]
    return _to_response(call, [f.result() for f in futures])


async def acompletion(
    client: Any,
    model: str,
    messages: list[dict],
    *,
    stream: bool = False,
    stream_options: Optional[dict] = None,
    max_tokens: Optional[int] = None,
    max_completion_tokens: Optional[int] = None,
    temperature: Optional[float] = None,
    top_p: Optional[float] = None,
    stop: Union[str, list[str], None] = None,
    n: Optional[int] = None,
    presence_penalty: Optional[float] = None,
    frequency_penalty: Optional[float] = None,
    seed: Optional[int] = None,
    user: Optional[str] = None,
    tools: Optional[list[dict]] = None,
    tool_choice: Any = None,
    response_format: Optional[dict] = None,
    logprobs: Optional[bool] = None,
    top_logprobs: Optional[int] = None,
    parallel_tool_calls: Optional[bool] = None,
    logit_bias: Optional[dict] = None,
    drop_params: Optional[bool] = None,
    modify_params: Optional[bool] = None,
    model_id: Optional[str] = None,
    base_model: Optional[str] = None,
    timeout: Optional[float] = None,
    num_retries: Optional[int] = None,
    **kwargs: Any,
) -> Union[ModelResponse, AsyncStream]:
    """The async twin of :func:`completion` (never blocks the event loop)."""
    call = await _aprepare(client, model, messages, locals(), kwargs, stream=stream)
    if call.synthesised_stream:
        whole = _whole_call(call)
        results = await asyncio.gather(*(_ainvoke_once(whole, whole.body()) for _ in range(whole.fan_out)))
        return AsyncStream(_aiter(_replay_chunks(call, _to_response(whole, list(results)))), _anoop)
    body = call.body()
    if stream:
        return await _astream(call, body)
    if call.fan_out == 1:
        return _to_response(call, [await _ainvoke_once(call, body)])
    results = await asyncio.gather(*(_ainvoke_once(call, body) for _ in range(call.fan_out)))
    return _to_response(call, list(results))
