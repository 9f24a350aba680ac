"""Cohere Command R / R+ chat (docs/bedrock.md §5.6).

The last user message becomes ``message``, earlier turns ``chat_history``
(``USER`` / ``CHATBOT``), system text ``preamble``. When the conversation ends
with tool results, ``message`` is empty and the results go to ``tool_results``,
each paired with the call it answers (matched by ``tool_call_id``). Earlier
tool rounds are kept in ``chat_history`` as ``CHATBOT`` entries with
``tool_calls`` and ``TOOL`` entries with ``tool_results`` (Cohere's chat-v1
shape; unverified on Bedrock).

Cohere tool calls carry no ids, so litebed synthesises deterministic ones:
``call_`` + a hash of the generation id, position, name and parameters.
"""

from __future__ import annotations

import hashlib
import json
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
from .requests import (
    Turn,
    apply_extra_body,
    clamp,
    collect_turns,
    function_tools,
    native_stops,
    tool_choice_mode,
    unsupported,
)

FAMILY = "cohere-chat"
SUPPORTED_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "n", "seed", "presence_penalty", "frequency_penalty",
     "tools", "tool_choice"}
)
PROVIDER_PARAMS = frozenset({"k", "documents", "prompt_truncation", "search_queries_only", "raw_prompting"})
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)

#: JSON-schema type -> Cohere parameter_definitions type.
_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list", "object": "dict"}
_STOP_REASONS = {
    "COMPLETE": "stop",
    "STOP_SEQUENCE": "stop",
    "MAX_TOKENS": "length",
    "ERROR_TOXIC": "content_filter",
}
_read = AnswerReader(FAMILY)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for Command R / R+."""
    system, turns = collect_turns(messages, images=False)
    if not turns or turns[-1].role != "user":
        where = f"messages[{turns[-1].index}] is an assistant message" if turns else "messages hold no user message"
        raise BadRequestError(
            "Command R needs the conversation to end with a user or tool message (no pre-fill); " + where
        )
    last = turns[-1]
    results = [p for p in last.parts if p[0] == "tool_result"]
    body: dict[str, Any] = {"message": _text(last), "max_tokens": params.max_tokens}
    if not body["message"] and not results:
        raise BadRequestError(f"messages[{last.index}]: Command R needs a non-empty last user message")
    history = [entry for turn in turns[:-1] for entry in _history_entries(turn, turns)]
    if history:
        body["chat_history"] = history
    if results:
        body["tool_results"] = [_tool_result(part, turns) for part in results]
    if system:
        body["preamble"] = system
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["p"] = clamp(params.top_p, 0.01, 0.99)  # Command R takes 0.01-0.99: 1.0 (all tokens) -> 0.99
    if params.stop:
        body["stop_sequences"] = native_stops(FAMILY, params.stop)
    if params.seed is not None:
        body["seed"] = params.seed
    if params.presence_penalty is not None:
        body["presence_penalty"] = clamp(params.presence_penalty, 0.0, 1.0)
    if params.frequency_penalty is not None:
        body["frequency_penalty"] = clamp(params.frequency_penalty, 0.0, 1.0)
    for key in PROVIDER_PARAMS:
        if key in params.extra:
            body[key] = params.extra[key]
    tools = _tools(model_id, params)
    if tools:
        body["tools"] = tools
    return apply_extra_body(body, params)


def _text(turn: Turn) -> str:
    return "\n\n".join(p[1] for p in turn.parts if p[0] == "text")


def _history_entries(turn: Turn, turns: list[Turn]) -> list[dict]:
    if turn.role == "assistant":
        entry: dict[str, Any] = {"role": "CHATBOT", "message": _text(turn)}
        calls = [{"name": p[2], "parameters": p[3]} for p in turn.parts if p[0] == "tool_call"]
        if calls:
            entry["tool_calls"] = calls
        return [entry]
    entries = []
    results = [_tool_result(p, turns) for p in turn.parts if p[0] == "tool_result"]
    if results:
        entries.append({"role": "TOOL", "tool_results": results})
    if _text(turn) or not results:
        entries.append({"role": "USER", "message": _text(turn)})
    return entries


def _tool_result(part: tuple, turns: list[Turn]) -> dict:
    call_id, output = part[1], part[2]
    call = next(p for t in turns for p in t.parts if p[0] == "tool_call" and p[1] == call_id)
    try:
        value = json.loads(output)
    except ValueError:
        value = None
    outputs = [value] if isinstance(value, dict) else [{"text": output}]
    return {"call": {"name": call[2], "parameters": call[3]}, "outputs": outputs}


def _tools(model_id: str, params: ChatParams) -> list[dict]:
    tools = function_tools(params.tools)
    if not tools:
        return []
    mode, _ = tool_choice_mode(params.tool_choice)
    if mode == "none":
        return []
    if mode != "auto":
        raise unsupported("tool_choice", model_id, 'Command R only chooses tools itself ("auto" or "none").')
    return [
        {"name": t["name"], "description": t["description"], "parameter_definitions": _parameter_definitions(t)}
        for t in tools
    ]


def _parameter_definitions(tool: dict) -> dict:
    schema = tool["parameters"]
    required = set(schema.get("required") or [])
    definitions = {}
    for name, prop in (schema.get("properties") or {}).items():
        kind = prop.get("type") if isinstance(prop, dict) else None
        if isinstance(kind, list):  # ["string", "null"] -> the first non-null type
            kind = next((k for k in kind if k != "null"), None)
        # An unknown or malformed JSON Schema type (even an unhashable one) becomes "str".
        definition = {"type": _TYPES.get(kind, "str") if isinstance(kind, str) else "str", "required": name in required}
        if isinstance(prop, dict) and prop.get("description"):
            definition["description"] = prop["description"]
        definitions[name] = definition
    return definitions


def tool_call_id(seed: Optional[str], position: int, name: str, parameters: Any) -> str:
    """A deterministic OpenAI id for a Cohere tool call (Cohere sends none)."""
    material = json.dumps([seed, position, name, parameters], sort_keys=True, default=str)
    return "call_" + hashlib.sha256(material.encode()).hexdigest()[:24]


def _openai_calls(node: dict, seed: Optional[str], start: int = 0) -> list[dict]:
    """``node["tool_calls"]`` (Cohere's ``{name, parameters}``) in OpenAI's shape."""
    calls = []
    for i, call, where in _read.objects(node, "tool_calls", required=False):
        name = _read.get(call, "name", str, where, required=True)
        parameters = _read.get(call, "parameters", dict, where)
        calls.append({
            "id": tool_call_id(seed, start + i, name, parameters),
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(parameters or {})},
        })
    return calls


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def _finish(reason: Any, has_tool_calls: bool) -> str:
    # §8.2: COMPLETE with tool calls means the model wants the tools run.
    return "tool_calls" if has_tool_calls and reason == "COMPLETE" else map_stop_reason(reason)


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    seed = _read.get(body, "generation_id") or _read.get(body, "response_id")
    tool_calls = _openai_calls(body, seed)
    reason = _read.get(body, "finish_reason")
    text = _read.get(body, "text", required=not tool_calls) or ""
    choice = Choice(
        index=0,
        content=text if text or not tool_calls else None,
        finish_reason=_finish(reason, bool(tool_calls)),
        native_finish_reason=reason,
        tool_calls=tool_calls or None,
    )
    prompt_tokens, completion_tokens = _billed(body, "")
    return Completion(
        choices=[choice],
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        id=_read.get(body, "response_id"),
    )


def _billed(node: dict, where: str) -> tuple[Optional[int], Optional[int]]:
    """(input, output) tokens from ``node["meta"]["billed_units"]``."""
    meta = _read.get(node, "meta", dict, where) or {}
    units = _read.get(meta, "billed_units", dict, where + "meta.") or {}
    where += "meta.billed_units."
    return _read.count(units, "input_tokens", where), _read.count(units, "output_tokens", where)


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    kind = event.get("event_type")
    data = state.data
    if kind == "stream-start":
        data["seed"] = _read.get(event, "generation_id")
        return [StreamPiece(role="assistant")]
    if kind == "text-generation":
        text = _read.get(event, "text")
        return [StreamPiece(content=text)] if text else []
    if kind == "tool-calls-generation":
        start = data.get("tool_count", 0)
        calls = _openai_calls(event, data.get("seed"), start)
        data["tool_count"] = start + len(calls)
        for offset, call in enumerate(calls):
            call["index"] = start + offset
        return [StreamPiece(tool_calls=calls)] if calls else []
    if kind == "stream-end":
        reason = _read.get(event, "finish_reason")
        prompt_tokens, completion_tokens = _billed(_read.get(event, "response", dict) or {}, "response.")
        return [
            StreamPiece(
                finish_reason=_finish(reason, bool(data.get("tool_count"))),
                native_finish_reason=reason,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
            )
        ]
    return []
