"""The Converse route, ``bedrock/converse/<model-id>`` (docs/bedrock.md §6).

One body shape for every model: OpenAI messages become ``system`` and
``messages`` blocks (text, image, document, toolUse, toolResult), OpenAI
parameters become ``inferenceConfig`` and ``toolConfig``. Keyword arguments may
be Converse request members (``guardrailConfig``, ``requestMetadata``, ...,
:data:`REQUEST_MEMBERS`) or documented native fields (``top_k``, ...), which go to
``additionalModelRequestFields`` with the caller's ``extra_body``.
``response_format`` is implemented with a forced tool whose arguments come back
as the message content. See docs/routes.md and docs/tools.md for the policies.

Pure, like every family module: the caller inlines remote image URLs (with its
media policy) before the body is built; OpenAI messages become Converse blocks
in :mod:`.converse_messages`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from ..errors import BadRequestError
from .answers import AnswerReader
from .base import ChatParams, Choice, Completion, StreamPiece, StreamState
from .converse_messages import (
    PLACEHOLDER_USER_TEXT,
    block_kind,
    check_tool_pairs,
    conversation,
    repair,
)
from .prompt_parts import cache_point, thinking_text
from .requests import (
    check_json,
    clamp,
    expected,
    extra_body,
    function_tools,
    json_response_schema,
    native_stops,
    provider_fields,
    tool_choice_mode,
    tools_required,
    unsupported,
)

__all__ = [
    "FAMILY",
    "JSON_TOOL_NAME",
    "NATIVE_N",
    "NATIVE_N_STREAM",
    "NATIVE_STOP",
    "PLACEHOLDER_USER_TEXT",
    "PROVIDER_PARAMS",
    "STREAMING",
    "SUPPORTED_PARAMS",
    "build_request",
    "map_stop_reason",
    "parse_response",
    "parse_stream_event",
    "stream_tools_supported",
    "supported_params",
    "supports_named_tool_choice",
    "supports_system",
    "supports_tools",
]


FAMILY = "converse"
SUPPORTED_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "n", "tools", "tool_choice", "response_format", "user", "seed"}
)
#: Converse request members a caller may pass as keyword arguments (camelCase, or
#: snake_case where OpenAI has no parameter of that name), and the member each sets.
REQUEST_MEMBERS = {
    **{name: name for name in (
        "guardrailConfig", "additionalModelRequestFields", "additionalModelResponseFieldPaths",
        "promptVariables", "requestMetadata", "performanceConfig", "serviceTier", "outputConfig",
    )},
    "guardrail_config": "guardrailConfig",
    "additional_model_request_fields": "additionalModelRequestFields",
    "additional_model_response_field_paths": "additionalModelResponseFieldPaths",
    "prompt_variables": "promptVariables",
    "request_metadata": "requestMetadata",
    "performance_config": "performanceConfig",
    "output_config": "outputConfig",
}
#: Documented native model fields accepted as keyword arguments; they go into
#: ``additionalModelRequestFields`` (any other native field: ``extra_body={...}``).
NATIVE_MODEL_FIELDS = frozenset({"top_k", "k", "anthropic_beta"})
PROVIDER_PARAMS = frozenset(REQUEST_MEMBERS) | NATIVE_MODEL_FIELDS
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N

#: The forced tool that carries a ``response_format`` answer; its arguments
#: become the message content. User tools may not use this name.
JSON_TOOL_NAME = "litebed_json_response"

# Models whose Converse support is "limited (no chat)": one user message (§6.4).
_SINGLE_TURN = re.compile(r"ai21\.j2-|cohere\.command-(text|light)")
# Models that ConverseStream does not serve (§6.4).
_NO_STREAM = re.compile(r"ai21\.j2-")
# §6.4 support matrix, matched against the base model id (geography prefix stripped).
_NO_TOOLS = re.compile(
    r"amazon\.titan-|meta\.llama2|meta\.llama3-(8b|70b)|meta\.llama3-2-(1b|3b)|mistral\.(mistral-7b|mixtral)"
    r"|cohere\.command-(text|light)|ai21\.j2-|ai21\.jamba-instruct|anthropic\.claude-(instant-)?v[12]|deepseek\.r1"
)
_NO_SYSTEM = re.compile(r"amazon\.titan-|mistral\.(mistral-7b|mixtral)|ai21\.j2-|cohere\.command-(text|light)")
# Llama 3.3 and Mistral Small are not in the table; treated like their siblings.
_NO_STREAM_TOOLS = re.compile(r"meta\.llama3-[123]-|meta\.llama4-|mistral\.mistral-(large|small)|mistral\.pixtral-")
# §9 item 2: toolChoice.tool is Claude 3+ and Nova only.
_NAMED_CHOICE = re.compile(r"anthropic\.claude-(?!(instant-)?v[12](:|$))|amazon\.nova-")
# Models with a native seed field (§6.5, unverified acceptance).
_NATIVE_SEED = re.compile(r"cohere\.command-r")
_METADATA_VALUE = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}")
_METADATA_KEY = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}")
_GUARDRAIL_ID = re.compile(r"[a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+")
_GUARDRAIL_VERSION = re.compile(r"[1-9][0-9]{0,7}|DRAFT")

_STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
}
_read = AnswerReader(FAMILY)


def supports_tools(model_id: str) -> bool:
    """Whether Converse accepts ``toolConfig`` for this base model (§6.4)."""
    return not _NO_TOOLS.match(model_id)


def supports_system(model_id: str) -> bool:
    """Whether Converse accepts ``system`` blocks for this base model (§6.4)."""
    return not _NO_SYSTEM.match(model_id)


def stream_tools_supported(model_id: str) -> bool:
    """Whether ConverseStream can carry tool use for this model (§6.4 "Stream tools").

    When False, a streamed call with tools must be made without streaming and
    the stream synthesised by the caller.
    """
    return supports_tools(model_id) and not _NO_STREAM_TOOLS.match(model_id)


def supports_named_tool_choice(model_id: str) -> bool:
    """Whether ``toolChoice: {"tool": ...}`` is available (Claude 3+ and Nova)."""
    return bool(_NAMED_CHOICE.match(model_id))


def supported_params(model_id: str) -> frozenset[str]:
    """``SUPPORTED_PARAMS`` narrowed to what ``model_id`` can honour on Converse.

    Tools and ``response_format`` need tool use; ``seed`` needs a native seed field.
    ``build_request`` raises ``UnsupportedParamsError`` for the others.
    """
    params = set(SUPPORTED_PARAMS)
    if not supports_tools(model_id):
        params -= {"tools", "tool_choice", "response_format"}
    if not _NATIVE_SEED.match(model_id):
        params.discard("seed")
    return frozenset(params)


# --- the request -------------------------------------------------------------


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The Converse body for ``messages`` and ``params`` (§6.1); ``model_id`` is the base model id."""
    if params.stream and _NO_STREAM.match(model_id):
        raise BadRequestError(f"model {model_id!r} does not stream on Converse; call without stream=True")
    system, turns = conversation(messages, thinking_blocks=model_id.startswith("anthropic."))
    check_tool_pairs(turns)
    turns = repair(turns, params.modify_params)
    if len(turns) > 1 and _SINGLE_TURN.match(model_id):
        raise BadRequestError(
            f"messages: model {model_id!r} takes a single user message on Converse (no conversation history, "
            f"no pre-fill); send one user message, or use bedrock/{model_id}"
        )
    has_tool_blocks = any(block_kind(block) in ("toolUse", "toolResult") for turn in turns for block in turn["content"])
    if system and not supports_system(model_id):
        # §6.4: no system prompt in Converse for this model; it leads the first user turn instead.
        turns[0]["content"].insert(0, {"text": "\n\n".join(block["text"] for block in system if "text" in block)})
        system = []

    body: dict[str, Any] = {"messages": turns}
    if system:
        body["system"] = system
    config: dict[str, Any] = {"maxTokens": params.max_tokens}
    if params.temperature is not None:
        config["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        config["topP"] = params.top_p
    if params.stop:
        config["stopSequences"] = native_stops(FAMILY, params.stop, model_id)
    body["inferenceConfig"] = config

    tool_config = _tool_config(model_id, params, has_tool_blocks)
    if tool_config:
        if params.stream and not stream_tools_supported(model_id):
            raise BadRequestError(
                f"model {model_id!r} cannot stream tool use on Converse (AWS's Converse feature table); call without stream=True"
            )
        body["toolConfig"] = tool_config
    _native_fields(body, model_id, params)
    return body


def _tool_config(model_id: str, params: ChatParams, has_tool_blocks: bool) -> Optional[dict]:
    tools = function_tools(params.tools)
    schema = json_response_schema(params.response_format)
    mode, name = tool_choice_mode(params.tool_choice)
    if tools and not supports_tools(model_id):
        raise unsupported("tools", model_id, "This model has no tool use on Converse (AWS's Converse feature table).")
    if schema is not None and not supports_tools(model_id):
        raise unsupported(
            "response_format", model_id, "JSON output is implemented with a forced tool, and this model has no tool use."
        )
    names = [t["name"] for t in tools]
    if JSON_TOOL_NAME in names:
        raise BadRequestError(f"the tool name {JSON_TOOL_NAME!r} is reserved by litebed for response_format")
    if mode == "named" and name not in names:
        raise BadRequestError(f"tool_choice names {name!r}, which is not one of the tools given")
    specs: list[dict] = []
    for tool, given in zip(tools, params.tools or (), strict=False):
        specs.append({"toolSpec": {"name": tool["name"], **({"description": tool["description"]} if tool["description"] else {}),
                                   "inputSchema": {"json": tool["parameters"]}}})
        if isinstance(given, dict) and given.get("cache_control"):
            specs.append(cache_point(given["cache_control"]))  # checked by litebed._caching
    if schema is not None:
        return _json_tool_config(model_id, params, schema, specs, mode, has_tool_blocks)
    if not specs:
        if has_tool_blocks:
            raise tools_required()
        return None
    if mode == "none":
        # Converse has no "none" choice, and it requires toolConfig whenever the
        # history holds tool blocks: keep the tools then, without a choice.
        return {"tools": specs} if has_tool_blocks else None
    if mode == "auto":
        return {"tools": specs, "toolChoice": {"auto": {}}}
    if mode == "required":
        return {"tools": specs, "toolChoice": {"any": {}}}
    if supports_named_tool_choice(model_id):
        return {"tools": specs, "toolChoice": {"tool": {"name": name}}}
    # No toolChoice.tool on this model: offering only the named tool with "any" forces it.
    return {"tools": [s for s in specs if "toolSpec" in s and s["toolSpec"]["name"] == name], "toolChoice": {"any": {}}}


def _json_tool_config(model_id, params, schema, specs, mode, has_tool_blocks) -> dict:
    if mode == "named":
        raise BadRequestError("response_format cannot be combined with a named tool_choice on Converse")
    if schema.get("type", "object") != "object":
        raise BadRequestError("response_format: Converse can only return a JSON object (the schema's type must be 'object')")
    json_schema = (params.response_format or {}).get("json_schema") or {}
    description = json_schema.get("description") or "Give the answer as this JSON object."
    json_spec = {"toolSpec": {"name": JSON_TOOL_NAME, "description": description, "inputSchema": {"json": schema}}}
    if specs and mode != "none":
        # The model may still call a user tool, or answer with the JSON object.
        return {"tools": [*specs, json_spec], "toolChoice": {"any": {}}}
    kept = specs if has_tool_blocks else []
    if supports_named_tool_choice(model_id):
        return {"tools": [*kept, json_spec], "toolChoice": {"tool": {"name": JSON_TOOL_NAME}}}
    return {"tools": [*kept, json_spec], "toolChoice": {"any": {}}}


def _native_fields(body: dict, model_id: str, params: ChatParams) -> None:
    """Request members and native fields given as keywords, ``seed``, ``user`` and ``extra_body``."""
    fields: dict[str, Any] = {}
    metadata: dict[str, str] = {}
    for key, value in provider_fields(params).items():
        member = REQUEST_MEMBERS.get(key)
        if member is None:  # a documented native field (top_k, ...)
            fields[key] = check_json(value, key)
        elif member == "additionalModelRequestFields":
            if not isinstance(value, dict):
                raise expected(key, "a dict of native model fields", value)
            fields.update(check_json(value, key))
        elif member == "requestMetadata":
            metadata.update(_request_metadata(key, value))
        else:
            body[member] = _MEMBER_CHECKS.get(member, _json_object)(key, value, params.stream)
    fields.update(_reasoning_fields(model_id, params))
    if params.seed is not None:
        if not _NATIVE_SEED.match(model_id):
            raise unsupported("seed", model_id, "Converse has no seed, and this model has no native one.")
        fields["seed"] = params.seed
    fields.update(extra_body(params))  # the caller's native fields win
    if fields:
        body["additionalModelRequestFields"] = fields
    if params.user is not None:
        if not _METADATA_VALUE.fullmatch(params.user):
            raise BadRequestError(
                "user is sent as Converse requestMetadata, which allows at most 256 letters, digits, "
                "whitespace and :_@$#=/+,-. characters"
            )
        metadata["user"] = params.user
    if metadata:
        body["requestMetadata"] = metadata


def _reasoning_fields(model_id: str, params: ChatParams) -> dict:
    """Thinking and reasoning effort as the model's native fields (decided by ``litebed._reasoning``)."""
    fields: dict[str, Any] = {}
    if params.thinking is not None:
        fields["thinking"] = params.thinking
    effort = params.reasoning_effort
    if effort is None:
        return fields
    if model_id.startswith("anthropic."):
        fields["output_config"] = {"effort": effort}  # adaptive thinking's effort
    elif model_id.startswith("amazon.nova"):
        fields["reasoningConfig"] = {"type": "enabled", "maxReasoningEffort": effort}
    else:  # gpt-oss
        fields["reasoning_effort"] = effort
    return fields


def _request_metadata(key: str, value: Any) -> dict:
    if not isinstance(value, dict) or not 1 <= len(value) <= 16:
        raise expected(key, "a dict of 1-16 string pairs", value)
    for name, text in value.items():
        if not isinstance(name, str) or not _METADATA_KEY.fullmatch(name):
            raise expected(f"{key} keys", "1-256 letters, digits, whitespace or :_@$#=/+,-. characters", name)
        if not isinstance(text, str) or not _METADATA_VALUE.fullmatch(text):
            raise expected(f"{key}.{name}", "at most 256 letters, digits, whitespace or :_@$#=/+,-. characters", text)
    return value


def _guardrail(key: str, value: Any, stream: bool) -> dict:
    if not isinstance(value, dict) or not isinstance(value.get("guardrailIdentifier"), str) or not value["guardrailIdentifier"]:
        raise expected(key, "a dict with guardrailIdentifier and guardrailVersion", value)
    if not isinstance(value.get("guardrailVersion"), str):
        raise expected(f"{key}.guardrailVersion", "a string (a version number or DRAFT)", value.get("guardrailVersion"))
    allowed = {"guardrailIdentifier": None, "guardrailVersion": None, "trace": ("enabled", "disabled", "enabled_full"),
               "streamProcessingMode": ("sync", "async")}
    for name, item in value.items():
        if name not in allowed:
            raise expected(f"{key} keys", "guardrailIdentifier, guardrailVersion, trace or streamProcessingMode", name)
        choices = allowed[name]
        if choices is not None and item not in choices:
            raise expected(f"{key}.{name}", " or ".join(repr(c) for c in choices), item)
    if not stream:
        # Only ConverseStream's GuardrailStreamConfiguration has this member (§6.1).
        value = {k: v for k, v in value.items() if k != "streamProcessingMode"}
    return value


def _field_paths(key: str, value: Any, stream: bool) -> list:
    if not isinstance(value, list) or len(value) > 10 or not all(
        isinstance(p, str) and p.startswith("/") and len(p) <= 256 for p in value
    ):
        raise expected(key, "a list of at most 10 JSON Pointers (strings starting with '/')", value)
    return value


def _one_of(member: str, choices: tuple[str, ...]) -> Any:
    def check(key: str, value: Any, stream: bool) -> dict:
        if not isinstance(value, dict) or set(value) != {member} or value[member] not in choices:
            raise expected(key, f"{{{member!r}: " + " | ".join(repr(c) for c in choices) + "}", value)
        return value
    return check


def _json_object(key: str, value: Any, stream: bool) -> dict:
    if not isinstance(value, dict):
        raise expected(key, "a dict", value)
    return check_json(value, key)


_MEMBER_CHECKS = {
    "guardrailConfig": _guardrail,
    "additionalModelResponseFieldPaths": _field_paths,
    "performanceConfig": _one_of("latency", ("standard", "optimized")),
    "serviceTier": _one_of("type", ("priority", "default", "flex", "reserved")),
}


# --- the response ------------------------------------------------------------


def map_stop_reason(native: Any) -> str:
    """Converse ``stopReason`` -> OpenAI ``finish_reason`` (§8.2); unknown values -> "stop"."""
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    """A Converse response body (§6.2) -> :class:`Completion`."""
    body = _read.body(body)
    texts: list[str] = []
    tool_calls: list[dict] = []
    reasoning: list[dict] = []
    json_answer: Optional[str] = None
    for kind, block in _read.converse_blocks(body):
        if kind == "reasoning":
            reasoning.append(block)
        elif kind == "text":
            texts.append(block)
        elif kind == "toolUse":
            arguments = json.dumps(block.get("input") or {}, ensure_ascii=False)
            if block["name"] == JSON_TOOL_NAME:
                json_answer = arguments
            else:
                function = {"name": block["name"], "arguments": arguments}
                tool_calls.append({"id": block["toolUseId"], "type": "function", "function": function})
    reason = _read.get(body, "stopReason")
    finish = map_stop_reason(reason)
    if json_answer is not None:
        content: Optional[str] = json_answer  # any text around a JSON answer is commentary, not JSON
        if not tool_calls and finish == "tool_calls":
            finish = "stop"
    else:
        content = "".join(texts) if texts or not tool_calls else None
    prompt_tokens, completion_tokens = _read.converse_usage(body)
    cache_read, cache_write = _read.converse_cache(body)
    choice = Choice(index=0, content=content, finish_reason=finish, native_finish_reason=reason, tool_calls=tool_calls or None,
                    reasoning_content=thinking_text(reasoning), thinking_blocks=_replayable(reasoning))
    return Completion(choices=[choice], prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                      cache_read_tokens=cache_read, cache_write_tokens=cache_write)


def _replayable(blocks: list[dict]) -> Optional[list[dict]]:
    """Signed or redacted reasoning blocks (Claude's, to send back); unsigned reasoning
    (DeepSeek-R1, gpt-oss) is only text, and Bedrock takes none of it back."""
    kept = [b for b in blocks if b["type"] == "redacted_thinking" or b["signature"]]
    return kept or None


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    """One ConverseStream event, ``{event_type: payload}`` (§4.5) -> deltas.

    Tool calls get OpenAI indexes counting tool calls only; the ``response_format``
    tool's argument fragments stream as content instead.
    """
    data = state.data
    kind, payload = _read.converse_event(event)
    if kind == "messageStart":
        return [StreamPiece(role="assistant")]
    if kind == "contentBlockStart":
        use = payload["toolUse"]
        if not use:
            return []
        blocks = data.setdefault("blocks", {})
        if use["name"] == JSON_TOOL_NAME:
            blocks[payload["contentBlockIndex"]] = "json"
            return []
        tool_index = data.get("tool_count", 0)
        data["tool_count"] = tool_index + 1
        blocks[payload["contentBlockIndex"]] = tool_index
        call = {"index": tool_index, "id": use["toolUseId"], "type": "function",
                "function": {"name": use["name"], "arguments": ""}}
        return [StreamPiece(tool_calls=[call])]
    if kind == "contentBlockDelta":
        if payload["reasoning"] is not None:
            return _reasoning_delta(payload["contentBlockIndex"], payload["reasoning"], data)
        if payload["text"]:
            return [StreamPiece(content=payload["text"])]
        fragment = payload["input"]
        target = data.get("blocks", {}).get(payload["contentBlockIndex"])
        if not fragment or target is None:
            return []
        if target == "json":
            return [StreamPiece(content=fragment)]
        return [StreamPiece(tool_calls=[{"index": target, "function": {"arguments": fragment}}])]
    if kind == "messageStop":
        reason = payload["stopReason"]
        finish = map_stop_reason(reason)
        if finish == "tool_calls" and not data.get("tool_count") and "json" in data.get("blocks", {}).values():
            finish = "stop"
        return [StreamPiece(finish_reason=finish, native_finish_reason=reason)]
    if kind == "contentBlockStop":
        pieces = data.get("reasoning", {}).pop(payload["contentBlockIndex"], None)
        if pieces is None or not pieces[1]:
            return []  # unsigned reasoning (DeepSeek-R1, gpt-oss) is text only: nothing to replay
        return [StreamPiece(thinking_blocks=[{"type": "thinking", "thinking": "".join(pieces[0]),
                                              "signature": "".join(pieces[1])}])]
    if kind == "metadata" and payload:
        # metadata follows messageStop (§4.5); ChunkBuilder records counts of finished choices.
        return [StreamPiece(prompt_tokens=payload["inputTokens"], completion_tokens=payload["outputTokens"],
                            cache_read_tokens=payload["cacheReadInputTokens"],
                            cache_write_tokens=payload["cacheWriteInputTokens"])]
    return []


def _reasoning_delta(index: int, delta: dict, data: dict) -> list[StreamPiece]:
    """A reasoningContent delta: text streams as reasoning_content; the signature is kept for
    the whole block, given at its contentBlockStop; a redacted block is given whole at once."""
    if delta["redactedContent"]:
        return [StreamPiece(thinking_blocks=[{"type": "redacted_thinking", "data": delta["redactedContent"]}])]
    pieces = data.setdefault("reasoning", {}).setdefault(index, ([], []))
    if delta["signature"]:
        pieces[1].append(delta["signature"])
    if delta["text"]:
        pieces[0].append(delta["text"])
        return [StreamPiece(reasoning_content=delta["text"])]
    return []
