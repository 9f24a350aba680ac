"""Mistral Large 2407 and later: the chat-completion body (docs/bedrock.md §5.11).

``messages`` keep OpenAI's shape with text content; tools use the OpenAI
function form; ``tool_choice`` is ``auto`` / ``any`` / ``none`` (a named function
cannot be forced: ``UnsupportedParamsError``). The chat body documents no
pre-fill, so a trailing assistant message is refused, as is an assistant first turn.
"""

from __future__ import annotations

import json
from typing import Any, Optional

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
from .requests import (
    Turn,
    apply_extra_body,
    clamp,
    collect_turns,
    function_tools,
    require_user_turn_first,
    tool_choice_mode,
    unsupported,
)

FAMILY = "mistral-chat"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n", "tools", "tool_choice"})
PROVIDER_PARAMS: frozenset[str] = frozenset()
NATIVE_N = False
NATIVE_STOP = False  # §8.1: no stop field documented for the chat body; main.py trims
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)

_STOP_REASONS = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "model_length": "length"}
_read = AnswerReader(FAMILY)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for Mistral Large 2407+."""
    system, turns = collect_turns(messages, images=False)
    require_user_turn_first(turns, "Mistral")
    # A trailing assistant message is sent as is: the pre-fill, as in the other families.
    native = [{"role": "system", "content": system}] if system else []
    for turn in turns:
        native.extend(_messages(turn))
    body: dict[str, Any] = {"messages": native, "max_tokens": params.max_tokens}
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["top_p"] = params.top_p
    tools = function_tools(params.tools)
    if tools:
        mode, _ = tool_choice_mode(params.tool_choice)
        if mode == "named":
            raise unsupported("tool_choice", model_id, 'Mistral accepts "auto", "required" or "none" only.')
        body["tools"] = [
            {
                "type": "function",
                "function": {"name": t["name"], "description": t["description"], "parameters": t["parameters"]},
            }
            for t in tools
        ]
        body["tool_choice"] = {"auto": "auto", "required": "any", "none": "none"}[mode]
    return apply_extra_body(body, params)


def _messages(turn: Turn) -> list[dict]:
    texts = "\n\n".join(p[1] for p in turn.parts if p[0] == "text")
    if turn.role == "assistant":
        message: dict[str, Any] = {"role": "assistant", "content": texts}
        calls = [
            {"id": p[1], "function": {"name": p[2], "arguments": json.dumps(p[3])}}
            for p in turn.parts
            if p[0] == "tool_call"
        ]
        if calls:
            message["tool_calls"] = calls
        return [message]
    # Tool results come first (they answer the assistant turn before), then any user text.
    native = [
        {"role": "tool", "tool_call_id": p[1], "content": p[2]} for p in turn.parts if p[0] == "tool_result"
    ]
    if texts or not native:
        native.append({"role": "user", "content": texts})
    return native


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def _calls(message: dict, where: str, *, named: bool) -> list[dict]:
    """A message's ``tool_calls`` in OpenAI's shape (``named``: each must have a name)."""
    calls = []
    for i, call, at in _read.objects(message, "tool_calls", where, required=False):
        function = _read.get(call, "function", dict, at, required=named) or {}
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments or {})
        calls.append(
            {"id": _read.get(call, "id", str, at) or f"call_{i}", "type": "function",
             "function": {"name": _read.get(function, "name", str, at + "function.", required=named),
                          "arguments": arguments}}
        )
    return calls


def _reason(choice: dict, where: str) -> Optional[str]:
    # Bedrock's Mistral sends "stop_reason"; OpenAI's "finish_reason" is read when it is absent.
    return _read.get(choice, "stop_reason" if "stop_reason" in choice else "finish_reason", str, where)


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    choices = []
    for i, choice, where in _read.choices(body, "choices"):
        message = _read.get(choice, "message", dict, where, required=True)
        reason = _reason(choice, where)
        tool_calls = _calls(message, where + "message.", named=True)
        content = _read.get(message, "content", str, where + "message.")
        choices.append(
            Choice(
                index=_read.index(choice, i, where),
                content=content if content or not tool_calls else None,
                finish_reason=map_stop_reason(reason),
                native_finish_reason=reason,
                tool_calls=tool_calls or None,
            )
        )
    return Completion(choices=choices, id=_read.get(body, "id"))


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    deltas = []
    for i, choice, where in _read.objects(event, "choices", required=False):
        # Bedrock's Mistral chunks carry "message" (unverified); OpenAI-style "delta" is accepted too.
        key = "delta" if choice.get("delta") else "message"
        message = _read.get(choice, key, dict, where) or {}
        reason = _reason(choice, where)
        index = _read.index(choice, i, where)
        delta = StreamPiece(index=index, content=_read.get(message, "content", str, f"{where}{key}.") or None)
        if index not in state.data.setdefault("started", set()):
            state.data["started"].add(index)
            delta.role = "assistant"
        calls = _calls(message, f"{where}{key}.", named=False)
        if calls:
            start = state.data.get("tool_count", 0)
            for offset, call in enumerate(calls):
                call["index"] = start + offset
            state.data["tool_count"] = start + len(calls)
            delta.tool_calls = calls
        if reason:
            delta.finish_reason = map_stop_reason(reason)
            delta.native_finish_reason = reason
        deltas.append(delta)
    return deltas
