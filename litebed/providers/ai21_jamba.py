"""AI21 Jamba: Instruct, 1.5 Mini, 1.5 Large (docs/bedrock.md §5.8).

An OpenAI-like body: ``messages`` with system/user/assistant roles and text
content. Jamba can return ``n`` (1-16) completions, but not on a stream, so
``NATIVE_N_STREAM`` is False and main.py fans streamed ``n`` out. A trailing
assistant message is sent as the last message, where a chat model treats it as
the start of its answer (the pre-fill of the other families).
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import BadRequestError
from .answers import AnswerReader
from .base import (
    ChatParams,
    Choice,
    Completion,
    StreamPiece,
    StreamState,
    always,
    fixed_params,
)
from .requests import apply_extra_body, merge_turns

FAMILY = "ai21-jamba"
SUPPORTED_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "n", "presence_penalty", "frequency_penalty"}
)
PROVIDER_PARAMS: frozenset[str] = frozenset()
NATIVE_N = True
NATIVE_N_STREAM = False
NATIVE_STOP = True
STREAMING = True
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

MAX_N = 16
_STOP_REASONS = {"stop": "stop", "end_turn": "stop", "length": "length", "tool_calls": "tool_calls"}
_read = AnswerReader(FAMILY)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for Jamba."""
    system, turns = merge_turns(messages)
    if not any(role == "user" for role, _ in turns):
        raise BadRequestError("messages must contain at least one user message")
    if params.n > MAX_N:
        raise BadRequestError(f"n must be at most {MAX_N} for Jamba models, got {params.n}")
    if params.n > 1 and params.stream:
        raise BadRequestError("Jamba streams one completion at a time (n must be 1 when streaming)")
    native = [{"role": "system", "content": system}] if system else []
    native += [{"role": role, "content": text} for role, text in turns]
    body: dict[str, Any] = {"messages": native, "max_tokens": params.max_tokens}
    if params.temperature is not None:
        body["temperature"] = params.temperature  # Jamba takes 0-2, as OpenAI
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if params.stop:
        body["stop"] = list(params.stop)
    if params.n > 1:
        body["n"] = params.n
    if params.presence_penalty is not None:
        body["presence_penalty"] = params.presence_penalty
    if params.frequency_penalty is not None:
        body["frequency_penalty"] = params.frequency_penalty
    return apply_extra_body(body, params)


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    choices = []
    for i, choice, where in _read.choices(body, "choices"):
        message = _read.get(choice, "message", dict, where, required=True)
        reason = _read.get(choice, "finish_reason", str, where)
        choices.append(
            Choice(
                index=_read.index(choice, i, where),
                content=_read.get(message, "content", str, where + "message.") or "",
                finish_reason=map_stop_reason(reason),
                native_finish_reason=reason,
            )
        )
    prompt_tokens, completion_tokens = _usage(body)
    return Completion(
        choices=choices, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens, id=_read.get(body, "id")
    )


def _usage(node: dict) -> tuple[Optional[int], Optional[int]]:
    usage = _read.get(node, "usage", dict) or {}
    return _read.count(usage, "prompt_tokens", "usage."), _read.count(usage, "completion_tokens", "usage.")


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    deltas = []
    for i, choice, where in _read.objects(event, "choices", required=False):
        delta = _read.get(choice, "delta", dict, where) or {}
        reason = _read.get(choice, "finish_reason", str, where)
        deltas.append(
            StreamPiece(
                index=_read.index(choice, i, where),
                role=_read.get(delta, "role", str, where + "delta."),
                content=_read.get(delta, "content", str, where + "delta.") or None,
                finish_reason=map_stop_reason(reason) if reason else None,
                native_finish_reason=reason,
            )
        )
    if event.get("usage"):
        prompt_tokens, completion_tokens = _usage(event)
        deltas.append(StreamPiece(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens))
    return deltas
