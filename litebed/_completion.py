"""``completion()`` and ``acompletion()``: the walk from OpenAI arguments to Bedrock and back.

routing -> family module (pure) -> client (signing, pooling, retries) ->
family parser -> OpenAI-shaped types. See docs/internals.md.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, replace
from typing import Any, Optional, Union

from . import _reasoning
from ._auth.credentials import AuthOptions
from ._caching import check_cache_points
from ._chat_results import (
    ainvoke_once,
    aopen_stream,
    async_items,
    async_noop,
    fanout_pool,
    invoke_once,
    open_stream,
    replay_chunks,
    to_response,
    whole_call,
)
from ._limits import check_request
from ._params import OPENAI_PARAMS, build_chat_params, check_stream_options, client_stops
from ._routing import base_model_of, parse_model
from ._streaming.stream import AsyncStream, Stream
from ._transport.sender import BedrockClient, WithBedrock, check_num_retries, check_timeout
from .errors import BadRequestError
from .providers import chat_family_for, converse_family, native_n
from .providers.base import ChatParams
from .providers.requests import check_messages
from .types import ModelResponse

__all__ = ["acompletion", "completion"]


@dataclass
class _Call(WithBedrock):
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
        """A stream Bedrock cannot send, made from one call without streaming replayed as
        chunks: streamed tools on a model whose ConverseStream has no tool use (§6.4), and
        any stream on a family Bedrock does not stream at all (``STREAMING`` False: J2)."""
        if not self.params.stream:
            return False
        if not self.family.STREAMING:
            return True
        return bool(self.params.tools and not self.family.stream_tools_supported(self.family_model_id))

    @property
    def client_stops(self) -> list[str]:
        """Stops litebed applies itself: all of them where Bedrock has no stop field, else those
        beyond what the family's body takes (the first ones are sent natively)."""
        return client_stops(self.family, self.family_model_id, self.params.stop)

    @property
    def fan_out(self) -> int:
        """How many requests make up ``n`` choices (1 when the body asks natively)."""
        if self.params.n > 1 and not native_n(self.family, self.params.stream):
            return self.params.n
        return 1


def _module_default(name: str, value: Optional[bool]) -> bool:
    if value is not None:
        return bool(value)
    return bool(getattr(sys.modules.get("litebed"), name, False))


#: completion()'s own keywords besides OpenAI's (the rest are credentials or native fields).
_OWN_KEYWORDS = (
    "stream", "stream_options", "drop_params", "modify_params", "model_id", "base_model", "timeout", "num_retries",
    "thinking",
)


_OWN_SET = frozenset(_OWN_KEYWORDS)
_TAKEN = _OWN_SET | frozenset(OPENAI_PARAMS)


@dataclass
class ChatArgs:
    """A call's keywords that completion() itself reads, taken out of ``**kwargs`` once.

    What is left in ``kwargs`` afterwards is credentials and endpoints (taken by
    ``AuthOptions.from_kwargs``) and native fields of the model family.
    """

    openai: dict  # the OpenAI parameters given (max_tokens, temperature, tools, ...)
    stream: bool = False
    stream_options: Any = None
    drop_params: Optional[bool] = None
    modify_params: Optional[bool] = None
    model_id: Optional[str] = None
    base_model: Optional[str] = None
    timeout: Optional[float] = None
    num_retries: Optional[int] = None
    thinking: Optional[dict] = None  # Anthropic's thinking object (see _reasoning)

    @classmethod
    def take(cls, kwargs: dict) -> ChatArgs:
        openai: dict[str, Any] = {}
        own: dict[str, Any] = {}
        for name in [name for name in kwargs if name in _TAKEN]:  # a call passes few keywords: scan those
            (own if name in _OWN_SET else openai)[name] = kwargs.pop(name)
        args = cls(openai=openai, **own)
        if not isinstance(args.stream, bool):
            raise BadRequestError(f"stream: must be True or False, got {args.stream!r}")
        check_timeout(args.timeout)
        check_num_retries(args.num_retries)
        if args.model_id is not None and not isinstance(args.model_id, str):
            raise BadRequestError(f"model_id: must be a model id or ARN string, got {type(args.model_id).__name__}")
        return args


@dataclass
class _Target:
    """Where a call goes, before the model family is known."""

    route: Any
    target_id: str
    options: AuthOptions
    #: The base model the body is formatted for; None until an opaque ARN is resolved.
    family_model_id: Optional[str]


def _target(model: str, messages: Any, args: ChatArgs, kwargs: dict) -> _Target:
    if not isinstance(messages, list) or not messages:
        raise BadRequestError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    check_messages(messages)  # before credentials and media downloads: a bad message costs nothing
    route = parse_model(model)
    model_id, base_model = args.model_id, args.base_model
    options = AuthOptions.from_kwargs(kwargs, arn_region=route.region or _arn_region(model_id))
    family_model_id = base_model_of(route, base_model) if base_model or not model_id or not route.is_arn else None
    return _Target(route, model_id or route.model_id, options, family_model_id)


def _prepare(client: Any, model: str, messages: Any, args: ChatArgs, kwargs: dict) -> _Call:
    target = _target(model, messages, args, kwargs)
    bedrock = None
    if target.family_model_id is None:  # an opaque ARN: the control plane says which model it runs
        from ._arn import resolve_base_model

        bedrock = client.bedrock(target.options)
        target.family_model_id = resolve_base_model(bedrock, target.route.model_id)
    call = _finish(target, model, messages, args, kwargs)
    _check_limits(call)
    # Credentials last (they may call STS): a bad argument never costs a network call.
    call.client = bedrock or client.bedrock(target.options)
    if call.api == "converse":
        from ._media import inline_remote_media

        # Remote images are fetched here, with the client's policy, not inside the pure body builder.
        call.messages = inline_remote_media(call.messages, client.media_policy)
    return call


async def _aprepare(client: Any, model: str, messages: Any, args: ChatArgs, kwargs: dict) -> _Call:
    target = _target(model, messages, args, kwargs)
    bedrock = None
    if target.family_model_id is None:
        from ._arn import aresolve_base_model

        bedrock = await client.abedrock(target.options)
        target.family_model_id = await aresolve_base_model(bedrock, target.route.model_id)
    call = _finish(target, model, messages, args, kwargs)
    _check_limits(call)
    call.client = bedrock or await client.abedrock(target.options)
    if call.api == "converse":
        from ._media import ainline_remote_media

        call.messages = await ainline_remote_media(call.messages, client.media_policy)
    return call


def _finish(target: _Target, model: str, messages: list, args: ChatArgs, kwargs: dict) -> _Call:
    route, family_model_id = target.route, target.family_model_id
    assert family_model_id is not None, "an opaque ARN's base model is resolved before _finish"
    api = route.api
    if api == "converse":
        family = converse_family()
    elif model.startswith("bedrock/invoke/"):
        family = chat_family_for(family_model_id)  # a native body was asked for: none known is an error
    else:
        from .providers import chat_family_or_converse

        # A model with no native body format known to litebed goes through Converse.
        family, api = chat_family_or_converse(family_model_id)

    stream = args.stream
    drop_params = _module_default("drop_params", args.drop_params)
    stream_options = check_stream_options(args.stream_options, stream)
    # A family Bedrock cannot stream (STREAMING False) gets a synthesised stream (_Call.synthesised_stream).
    openai = dict(args.openai)
    effort = openai.pop("reasoning_effort", None)  # decided with the catalog by _reasoning.apply
    params = build_chat_params(
        family, family_model_id, openai_params=openai, extra=kwargs, stream=stream, drop_params=drop_params
    )
    params.modify_params = _module_default("modify_params", args.modify_params)
    _reasoning.apply(params, family, family_model_id, effort=effort, thinking=args.thinking, drop_params=drop_params)
    messages, params.tools = check_cache_points(messages, params.tools, family, family_model_id, drop_params)
    _reasoning.check_conversation(messages, params, family, family_model_id)
    call = _Call(
        model=model,
        target_id=target.target_id,
        family=family,
        api=api,
        params=params,
        messages=messages,
        client=None,
        call_options={"timeout": args.timeout, "num_retries": args.num_retries},
        include_usage=bool(stream_options.get("include_usage")),
        family_model_id=family_model_id,
    )
    return call


def _check_limits(call: _Call) -> None:
    """The catalog's context window and output cap for this model, checked before sending."""
    # An Anthropic long-context beta widens the window past the catalog's: leave the check to Bedrock.
    beta = str(call.params.extra.get("anthropic_beta", "")) + str(call.params.extra.get("extra_body", ""))
    messages = [] if "context-1m" in beta else call.messages
    cap = check_request(call.family_model_id, messages, call.params.max_tokens, call.params.max_tokens_given, call.model)
    if not call.params.max_tokens_given and isinstance(cap, int) and cap < call.params.max_tokens:
        call.params.max_tokens = cap  # the default (1024) never asks for more than the model can give


def _arn_region(model_id: Optional[str]) -> Optional[str]:
    if model_id and model_id.startswith("arn:"):
        parts = model_id.split(":")
        return parts[3] or None if len(parts) > 3 else None
    return None


# --- the entry points (Client.completion / acompletion) -----------------------------


def completion(client: Any, model: str, messages: list[dict], **kwargs: Any) -> Union[ModelResponse, Stream]:
    """A chat completion on ``client`` (see :func:`litebed.completion` for the arguments).

    Returns a :class:`~litebed.types.ModelResponse`, or with ``stream=True`` a
    :class:`~litebed.Stream` of ``ModelResponseChunk`` whose request has been sent.
    """
    args = ChatArgs.take(kwargs)
    call = _prepare(client, model, messages, args, kwargs)
    if call.synthesised_stream:
        whole = whole_call(call)
        response = to_response(whole, [invoke_once(whole, whole.body()) for _ in range(whole.fan_out)])
        return Stream(iter(replay_chunks(call, response)), lambda: None)
    body = call.body()
    if args.stream:
        return open_stream(call, body)
    if call.fan_out == 1:
        return to_response(call, [invoke_once(call, body)])
    futures = [fanout_pool().submit(invoke_once, call, body) for _ in range(call.fan_out)]
    return to_response(call, [f.result() for f in futures])


async def acompletion(client: Any, model: str, messages: list[dict], **kwargs: Any) -> Union[ModelResponse, AsyncStream]:
    """The async twin of :func:`completion` (never blocks the event loop)."""
    args = ChatArgs.take(kwargs)
    call = await _aprepare(client, model, messages, args, kwargs)
    if call.synthesised_stream:
        whole = whole_call(call)
        results = await asyncio.gather(*(ainvoke_once(whole, whole.body()) for _ in range(whole.fan_out)))
        return AsyncStream(async_items(replay_chunks(call, to_response(whole, list(results)))), async_noop)
    body = call.body()
    if args.stream:
        return await aopen_stream(call, body)
    if call.fan_out == 1:
        return to_response(call, [await ainvoke_once(call, body)])
    results = await asyncio.gather(*(ainvoke_once(call, body) for _ in range(call.fan_out)))
    return to_response(call, list(results))
