"""Amazon Nova (Micro, Lite, Pro, Premier) over InvokeModel: "messages-v1"
(docs/bedrock.md §5.4). The shape mirrors Converse, with base64 image bytes."""

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
from .prompt_parts import cache_point
from .requests import (
    Turn,
    apply_extra_body,
    clamp,
    collect_turns,
    function_tools,
    native_stops,
    require_user_turn_first,
    system_marked,
    system_parts,
    tool_choice_mode,
    tools_required,
)

FAMILY = "nova"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n", "tools", "tool_choice"})
PROVIDER_PARAMS = frozenset({"top_k"})
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)

SCHEMA_VERSION = "messages-v1"

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
_read = AnswerReader(FAMILY)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for a Nova model."""
    system, turns = collect_turns(messages, extras=True)
    require_user_turn_first(turns, "Nova")
    body: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "messages": [m for i, turn in enumerate(turns) if (m := _message(turn, last=i == len(turns) - 1))],
    }
    if system:
        body["system"] = _system(messages) or [{"text": system}]
    config: dict[str, Any] = {"maxTokens": params.max_tokens}
    if params.temperature is not None:
        config["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        config["topP"] = params.top_p
    if "top_k" in params.extra:
        config["topK"] = params.extra["top_k"]
    if params.stop:
        config["stopSequences"] = native_stops(FAMILY, params.stop)
    body["inferenceConfig"] = config
    tool_config = _tool_config(params, has_tool_blocks=any(p[0] in ("tool_call", "tool_result") for t in turns for p in t.parts))
    if tool_config:
        body["toolConfig"] = tool_config
    return apply_extra_body(body, params)


def _system(messages: list[dict]) -> Optional[list[dict]]:
    """System text blocks with cache points; None when nothing is marked (one block is sent)."""
    if not system_marked(messages):
        return None
    parts = system_parts(messages)
    return [cache_point(part[1]) if part[0] == "cache" else {"text": part[1]} for part in parts]


def _message(turn: Turn, *, last: bool) -> Optional[dict]:
    blocks: list[dict] = []
    for part in turn.parts:
        kind = part[0]
        if kind == "thinking":
            continue  # Claude's thinking blocks mean nothing to Nova
        if kind == "cache":
            if blocks:
                blocks.append(cache_point(part[1]))
        elif kind == "text":
            blocks.append({"text": part[1]})
        elif kind == "image":
            image_format = part[1].split("/", 1)[1]
            blocks.append({"image": {"format": image_format, "source": {"bytes": part[2]}}})
        elif kind == "tool_call":
            blocks.append({"toolUse": {"toolUseId": part[1], "name": part[2], "input": part[3]}})
        else:
            blocks.append({"toolResult": {"toolUseId": part[1], "content": [{"text": part[2]}]}})
    if turn.role == "assistant" and last and blocks and "text" in blocks[-1]:
        # Pre-fill: trailing whitespace is trimmed, a blank pre-fill dropped.
        blocks[-1]["text"] = blocks[-1]["text"].rstrip()
        if not blocks[-1]["text"]:
            blocks.pop()
        if not blocks:
            return None
    if not blocks:
        raise BadRequestError(f"messages[{turn.index}]: Nova does not accept a message with empty content")
    return {"role": turn.role, "content": blocks}


def _tool_config(params: ChatParams, *, has_tool_blocks: bool) -> Optional[dict]:
    tools = function_tools(params.tools)
    if not tools:
        if has_tool_blocks:
            raise tools_required()
        return None
    mode, name = tool_choice_mode(params.tool_choice)
    specs = [
        {"toolSpec": {"name": t["name"], **({"description": t["description"]} if t["description"] else {}),
                      "inputSchema": {"json": t["parameters"]}}}
        for t in tools
    ]
    if mode == "none":
        # §8.1: omit toolConfig; tool blocks in the history need it, so keep the tools, with no choice.
        return {"tools": specs} if has_tool_blocks else None
    choice: dict[str, Any] = {"auto": {"auto": {}}, "required": {"any": {}}}.get(mode) or {"tool": {"name": name}}
    return {"tools": specs, "toolChoice": choice}


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    texts: list[str] = []
    tool_calls: list[dict] = []
    for kind, block in _read.converse_blocks(body):
        if kind == "text":
            texts.append(block)
        elif kind == "toolUse":
            function = {"name": block["name"], "arguments": json.dumps(block.get("input") or {})}
            tool_calls.append({"id": block["toolUseId"], "type": "function", "function": function})
    reason = _read.get(body, "stopReason")
    prompt_tokens, completion_tokens = _read.converse_usage(body)
    cache_read, cache_write = _read.converse_cache(body, native=True)
    choice = Choice(
        index=0,
        content="".join(texts) if texts or not tool_calls else None,
        finish_reason=map_stop_reason(reason),
        native_finish_reason=reason,
        tool_calls=tool_calls or None,
    )
    return Completion(choices=[choice], prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                      cache_read_tokens=cache_read, cache_write_tokens=cache_write)


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    data = state.data
    kind, payload = _read.converse_event(event)
    if kind == "messageStart":
        return [StreamPiece(role="assistant")]
    if kind == "contentBlockStart":
        use = payload["toolUse"]
        if not use:
            return []
        tool_index = data.get("tool_count", 0)
        data["tool_count"] = tool_index + 1
        data.setdefault("tool_blocks", {})[payload["contentBlockIndex"]] = tool_index
        call = {
            "index": tool_index,
            "id": use["toolUseId"],
            "type": "function",
            "function": {"name": use["name"], "arguments": ""},
        }
        return [StreamPiece(tool_calls=[call])]
    if kind == "contentBlockDelta":
        if payload["text"]:
            return [StreamPiece(content=payload["text"])]
        fragment = payload["input"]
        tool_index = data.get("tool_blocks", {}).get(payload["contentBlockIndex"])
        if fragment and tool_index is not None:
            return [StreamPiece(tool_calls=[{"index": tool_index, "function": {"arguments": fragment}}])]
        return []
    if kind == "messageStop":
        reason = payload["stopReason"]
        return [StreamPiece(finish_reason=map_stop_reason(reason), native_finish_reason=reason)]
    if kind == "metadata" and payload:
        # Cache counts of a Nova stream come in amazon-bedrock-invocationMetrics (read by ChunkBuilder).
        return [StreamPiece(prompt_tokens=payload["inputTokens"], completion_tokens=payload["outputTokens"])]
    return []
