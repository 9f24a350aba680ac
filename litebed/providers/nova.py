"""Amazon Nova (Micro, Lite, Pro, Premier) over InvokeModel: "messages-v1"
(bedrock-reference §5.4). The shape mirrors Converse, with base64 image bytes."""

from __future__ import annotations

import json
from typing import Any, Optional

from ..errors import BadRequestError
from .base import (
    ChatParams,
    Choice,
    Completion,
    StreamPiece,
    StreamState,
    Turn,
    always,
    clamp,
    collect_turns,
    fixed_params,
    function_tools,
    require_user_turn_first,
    tool_choice_mode,
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


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for a Nova model."""
    system, turns = collect_turns(messages)
    require_user_turn_first(turns, "Nova")
    body: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "messages": [m for i, turn in enumerate(turns) if (m := _message(turn, last=i == len(turns) - 1))],
    }
    if system:
        body["system"] = [{"text": system}]
    config: dict[str, Any] = {"maxTokens": params.max_tokens}
    if params.temperature is not None:
        config["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        config["topP"] = params.top_p
    if "top_k" in params.extra:
        config["topK"] = params.extra["top_k"]
    if params.stop:
        config["stopSequences"] = list(params.stop)
    body["inferenceConfig"] = config
    tool_config = _tool_config(params)
    if tool_config:
        body["toolConfig"] = tool_config
    return body


def _message(turn: Turn, *, last: bool) -> Optional[dict]:
    blocks: list[dict] = []
    for part in turn.parts:
        kind = part[0]
        if kind == "text":
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


def _tool_config(params: ChatParams) -> Optional[dict]:
    tools = function_tools(params.tools)
    if not tools:
        return None
    mode, name = tool_choice_mode(params.tool_choice)
    if mode == "none":
        return None  # §8.1: omit toolConfig
    specs = [
        {"toolSpec": {"name": t["name"], "description": t["description"], "inputSchema": {"json": t["parameters"]}}}
        for t in tools
    ]
    choice = {"auto": {"auto": {}}, "required": {"any": {}}}.get(mode) or {"tool": {"name": name}}
    return {"tools": specs, "toolChoice": choice}


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop")


def parse_response(body: dict) -> Completion:
    message = (body.get("output") or {}).get("message") or {}
    texts: list[str] = []
    tool_calls: list[dict] = []
    for block in message.get("content") or []:
        if "text" in block:
            texts.append(block["text"] or "")
        elif "toolUse" in block:
            use = block["toolUse"]
            function = {"name": use.get("name"), "arguments": json.dumps(use.get("input") or {})}
            tool_calls.append({"id": use.get("toolUseId"), "type": "function", "function": function})
    reason = body.get("stopReason")
    usage = body.get("usage") or {}
    choice = Choice(
        index=0,
        content="".join(texts) if texts or not tool_calls else None,
        finish_reason=map_stop_reason(reason),
        native_finish_reason=reason,
        tool_calls=tool_calls or None,
    )
    return Completion(
        choices=[choice], prompt_tokens=usage.get("inputTokens"), completion_tokens=usage.get("outputTokens")
    )


def parse_stream_event(event: dict, state: StreamState) -> list[StreamPiece]:
    data = state.data
    if "messageStart" in event:
        return [StreamPiece(role="assistant")]
    if "contentBlockStart" in event:
        start = event["contentBlockStart"]
        use = (start.get("start") or {}).get("toolUse")
        if not use:
            return []
        tool_index = data.get("tool_count", 0)
        data["tool_count"] = tool_index + 1
        data.setdefault("tool_blocks", {})[start.get("contentBlockIndex")] = tool_index
        call = {
            "index": tool_index,
            "id": use.get("toolUseId"),
            "type": "function",
            "function": {"name": use.get("name"), "arguments": ""},
        }
        return [StreamPiece(tool_calls=[call])]
    if "contentBlockDelta" in event:
        block = event["contentBlockDelta"]
        delta = block.get("delta") or {}
        if delta.get("text"):
            return [StreamPiece(content=delta["text"])]
        fragment = (delta.get("toolUse") or {}).get("input")
        tool_index = data.get("tool_blocks", {}).get(block.get("contentBlockIndex"))
        if fragment and tool_index is not None:
            return [StreamPiece(tool_calls=[{"index": tool_index, "function": {"arguments": fragment}}])]
        return []
    if "messageStop" in event:
        reason = event["messageStop"].get("stopReason")
        return [StreamPiece(finish_reason=map_stop_reason(reason), native_finish_reason=reason)]
    if "metadata" in event:
        usage = event["metadata"].get("usage") or {}
        if usage:
            return [StreamPiece(prompt_tokens=usage.get("inputTokens"), completion_tokens=usage.get("outputTokens"))]
    return []
