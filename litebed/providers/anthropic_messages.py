"""Claude Messages API: Claude 3 and later (docs/bedrock.md §5.2, §8).

``response_format`` (json_object / json_schema) is served by a forced tool named
``json_response`` whose input schema is the requested schema; its input comes
back as the message ``content`` (a JSON string) with finish_reason ``"stop"``.
That tool name is therefore reserved.
"""

from __future__ import annotations

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
from .prompt_parts import anthropic_thinking_block, thinking_text
from .requests import (
    Turn,
    apply_extra_body,
    clamp,
    collect_turns,
    function_tools,
    json_response_schema,
    parallel_tool_calls,
    require_user_turn_first,
    system_marked,
    system_parts,
    tool_choice_mode,
    tools_required,
)

FAMILY = "anthropic-messages"
SUPPORTED_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "n", "tools", "tool_choice", "response_format"}
)
PROVIDER_PARAMS = frozenset({"top_k"})
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)

ANTHROPIC_VERSION = "bedrock-2023-05-31"
JSON_TOOL = "json_response"

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_read = AnswerReader(FAMILY)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for a Claude Messages model."""
    system, turns = collect_turns(messages, extras=True)
    require_user_turn_first(turns, "Claude")
    body: dict[str, Any] = {
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": params.max_tokens,
        "messages": [m for i, turn in enumerate(turns) if (m := _message(turn, last=i == len(turns) - 1))],
    }
    if system:
        body["system"] = _system(messages) or system
    if params.thinking is not None:
        body["thinking"] = params.thinking
    if params.reasoning_effort is not None:  # adaptive thinking's effort (Claude 4.6 and later)
        body["output_config"] = {"effort": params.reasoning_effort}
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if params.stop:
        body["stop_sequences"] = list(params.stop)
    if "top_k" in params.extra:
        body["top_k"] = params.extra["top_k"]
    body.update(_tool_fields(params, has_tool_blocks=any(p[0] in ("tool_call", "tool_result") for t in turns for p in t.parts)))
    return apply_extra_body(body, params)


def _system(messages: list[dict]) -> Optional[list[dict]]:
    """System text blocks with their cache markers; None when nothing is marked (a plain string is sent)."""
    if not system_marked(messages):
        return None
    parts = system_parts(messages)
    blocks: list[dict] = []
    for part in parts:
        if part[0] == "cache":
            blocks[-1]["cache_control"] = part[1]
        else:
            blocks.append({"type": "text", "text": part[1]})
    return blocks


def _message(turn: Turn, *, last: bool) -> Optional[dict]:
    blocks: list[dict] = []
    for part in turn.parts:
        kind = part[0]
        if kind == "cache":
            if blocks:
                blocks[-1]["cache_control"] = part[1]
        elif kind == "thinking":
            blocks.append(anthropic_thinking_block(part[1]))
        elif kind == "text":
            blocks.append({"type": "text", "text": part[1]})
        elif kind == "image":
            source = {"type": "base64", "media_type": part[1], "data": part[2]}
            blocks.append({"type": "image", "source": source})
        elif kind == "tool_call":
            blocks.append({"type": "tool_use", "id": part[1], "name": part[2], "input": part[3]})
        else:  # tool_result
            blocks.append({"type": "tool_result", "tool_use_id": part[1], "content": part[2]})
    if turn.role == "assistant" and last and blocks and blocks[-1]["type"] == "text":
        # A trailing assistant message is a pre-fill; Claude refuses a pre-fill
        # ending in whitespace, so it is trimmed.
        blocks[-1]["text"] = blocks[-1]["text"].rstrip()
        if not blocks[-1]["text"]:
            blocks.pop()
        if not blocks:
            return None  # a blank pre-fill asks for nothing
    if not blocks:
        raise BadRequestError(f"messages[{turn.index}]: Claude does not accept a message with empty content")
    return {"role": turn.role, "content": blocks}


def _tool_fields(params: ChatParams, *, has_tool_blocks: bool) -> dict:
    schema = json_response_schema(params.response_format)
    tools = function_tools(params.tools)
    if any(tool["name"] == JSON_TOOL for tool in tools):
        raise BadRequestError(f"tool name {JSON_TOOL!r} is reserved by litebed for response_format")
    if schema is not None:
        if tools:
            raise BadRequestError("response_format cannot be combined with tools for Claude models")
        return {
            "tools": [{"name": JSON_TOOL, "description": "Respond with a JSON value.", "input_schema": schema}],
            "tool_choice": {"type": "tool", "name": JSON_TOOL},
        }
    if not tools:
        if has_tool_blocks:
            raise tools_required()
        return {}
    mode, name = tool_choice_mode(params.tool_choice)
    native = [{"name": t["name"], "description": t["description"], "input_schema": t["parameters"]} for t in tools]
    for tool, given in zip(native, params.tools or (), strict=False):
        if isinstance(given, dict) and given.get("cache_control"):
            tool["cache_control"] = given["cache_control"]  # checked by litebed._caching
    if mode == "none":
        # §8.1: tool_choice "none" -> omit the tools; tool blocks in the history need them: keep them, no choice.
        return {"tools": native} if has_tool_blocks else {}
    choice: dict[str, Any] = {"auto": {"type": "auto"}, "required": {"type": "any"}}.get(mode) or {"type": "tool", "name": name}
    if not parallel_tool_calls(params):
        choice["disable_parallel_tool_use"] = True  # parallel_tool_calls=False
    return {"tools": native, "tool_choice": choice}


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    texts: list[str] = []
    tool_calls: list[dict] = []
    thinking: list[dict] = []
    json_mode = False
    for _, block, where in _read.objects(body, "content"):
        kind = block.get("type")
        if kind == "thinking":
            thinking.append({"type": "thinking", "thinking": _read.get(block, "thinking", str, where) or "",
                             "signature": _read.get(block, "signature", str, where) or ""})
        elif kind == "redacted_thinking":
            thinking.append({"type": "redacted_thinking", "data": _read.get(block, "data", str, where, required=True)})
        elif kind == "text":
            texts.append(_read.get(block, "text", str, where) or "")
        elif kind == "tool_use":
            name = _read.get(block, "name", str, where, required=True)
            arguments = json.dumps(_read.get(block, "input", dict, where) or {})
            if name == JSON_TOOL:
                json_mode = True
                texts.append(arguments)
            else:
                call_id = _read.get(block, "id", str, where, required=True)
                tool_calls.append({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}})
    reason = _read.get(body, "stop_reason")
    finish = "stop" if json_mode and reason == "tool_use" else map_stop_reason(reason)
    usage = _read.get(body, "usage", dict) or {}
    choice = Choice(
        index=0,
        content="".join(texts) if texts or not tool_calls else None,
        finish_reason=finish,
        native_finish_reason=reason,
        tool_calls=tool_calls or None,
        reasoning_content=thinking_text(thinking),
        thinking_blocks=thinking or None,
    )
    return Completion(
        choices=[choice],
        prompt_tokens=_read.count(usage, "input_tokens", "usage."),
        completion_tokens=_read.count(usage, "output_tokens", "usage."),
        id=_read.get(body, "id"),
        cache_read_tokens=_read.count(usage, "cache_read_input_tokens", "usage."),
        cache_write_tokens=_read.count(usage, "cache_creation_input_tokens", "usage."),
    )


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    kind = event.get("type")
    data = state.data
    if kind == "message_start":
        message = _read.get(event, "message", dict) or {}
        usage = _read.get(message, "usage", dict, "message.") or {}
        where = "message.usage."
        return [StreamPiece(role="assistant", prompt_tokens=_read.count(usage, "input_tokens", where),
                            cache_read_tokens=_read.count(usage, "cache_read_input_tokens", where),
                            cache_write_tokens=_read.count(usage, "cache_creation_input_tokens", where))]
    if kind == "content_block_start":
        block = _read.get(event, "content_block", dict) or {}
        if block.get("type") == "thinking":
            # Streamed as reasoning_content pieces; the whole block (with its signature) at its stop.
            first = _read.get(block, "thinking", str, "content_block.") or ""
            data.setdefault("thinking", {})[_read.index(event, None, "content_block_start.")] = ([first], [])
            return [StreamPiece(reasoning_content=first)] if first else []
        if block.get("type") == "redacted_thinking":
            redacted = {"type": "redacted_thinking", "data": _read.get(block, "data", str, "content_block.", required=True)}
            return [StreamPiece(thinking_blocks=[redacted])]
        if block.get("type") == "text":
            text = _read.get(block, "text", str, "content_block.")
            return [StreamPiece(content=text)] if text else []
        if block.get("type") != "tool_use":
            return []
        name = _read.get(block, "name", str, "content_block.", required=True)
        block_index = _read.index(event, None, "content_block_start.")
        if name == JSON_TOOL:
            data.setdefault("json_blocks", set()).add(block_index)
            return []
        tool_index = data.get("tool_count", 0)
        data["tool_count"] = tool_index + 1
        data.setdefault("tool_blocks", {})[block_index] = tool_index
        call = {
            "index": tool_index,
            "id": _read.get(block, "id", str, "content_block.", required=True),
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        return [StreamPiece(tool_calls=[call])]
    if kind == "content_block_delta":
        return _block_delta(event, data)
    if kind == "content_block_stop" and data.get("thinking"):
        pieces = data["thinking"].pop(_read.index(event, None, "content_block_stop."), None)
        if pieces is None:
            return []
        block = {"type": "thinking", "thinking": "".join(pieces[0]), "signature": "".join(pieces[1])}
        return [StreamPiece(thinking_blocks=[block])]
    if kind == "message_delta":
        reason = _read.get(_read.get(event, "delta", dict) or {}, "stop_reason", str, "delta.")
        output_tokens = _read.count(_read.get(event, "usage", dict) or {}, "output_tokens", "usage.")
        if reason is None and output_tokens is None:
            return []
        finish = None
        if reason is not None:
            json_mode = bool(data.get("json_blocks")) and reason == "tool_use"
            finish = "stop" if json_mode else map_stop_reason(reason)
        return [StreamPiece(finish_reason=finish, native_finish_reason=reason, completion_tokens=output_tokens)]
    return []  # other content_block_stop, message_stop, ping: nothing to say


def _block_delta(event: dict, data: dict) -> list[StreamPiece]:
    delta = _read.get(event, "delta", dict) or {}
    index = _read.index(event, None, "content_block_delta.")
    if delta.get("type") == "text_delta":
        text = _read.get(delta, "text", str, "delta.")
        return [StreamPiece(content=text)] if text else []
    if delta.get("type") in ("thinking_delta", "signature_delta"):
        pieces = data.get("thinking", {}).get(index)
        if pieces is None:
            return []
        if delta["type"] == "signature_delta":
            pieces[1].append(_read.get(delta, "signature", str, "delta.") or "")
            return []
        piece = _read.get(delta, "thinking", str, "delta.")
        if not piece:
            return []
        pieces[0].append(piece)
        return [StreamPiece(reasoning_content=piece)]
    if delta.get("type") == "input_json_delta":
        fragment: Optional[str] = _read.get(delta, "partial_json", str, "delta.")
        if not fragment:
            return []
        if index in data.get("json_blocks", ()):
            return [StreamPiece(content=fragment)]
        tool_index = data.get("tool_blocks", {}).get(index)
        if tool_index is None:
            return []
        return [StreamPiece(tool_calls=[{"index": tool_index, "function": {"arguments": fragment}}])]
    return []
