"""The Converse route, ``bedrock/converse/<model-id>`` (bedrock-reference §6).

One body shape for every model: OpenAI messages become ``system`` and
``messages`` blocks (text, image, document, toolUse, toolResult), OpenAI
parameters become ``inferenceConfig`` and ``toolConfig``, and every other
keyword argument goes to ``additionalModelRequestFields`` untouched.
``response_format`` is implemented with a forced tool whose arguments come back
as the message content. See docs/routes.md and docs/tools.md for the policies.

Pure, like every family module, except that an ``http(s)`` image URL is
downloaded through :mod:`litebed._media` (which can refuse it).
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from .. import _media as media
from ..errors import BadRequestError
from .base import (
    AnswerReader,
    ChatParams,
    Choice,
    Completion,
    StreamPiece,
    StreamState,
    clamp,
    content_text,
    function_tools,
    json_response_schema,
    tool_choice_mode,
    unsupported,
)

__all__ = [
    "JSON_TOOL_NAME",
    "PLACEHOLDER_USER_TEXT",
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


class _AnyNativeParam:
    """``PROVIDER_PARAMS`` for Converse: any keyword argument that is not one of
    litebed's own is a native model field (``additionalModelRequestFields``).

    Names that look like misspelt credentials are refused, so a secret can never
    end up inside a request body.
    """

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and not name.startswith(("aws_", "api_")) and name not in ("api_key", "api_base")

    def __repr__(self) -> str:
        return "<any native model field>"


FAMILY = "converse"
SUPPORTED_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "n", "tools", "tool_choice", "response_format", "user", "seed"}
)
PROVIDER_PARAMS = _AnyNativeParam()
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N

#: The forced tool that carries a ``response_format`` answer; its arguments
#: become the message content. User tools may not use this name.
JSON_TOOL_NAME = "litebed_json_response"
#: The text of the user turn ``modify_params=True`` inserts where Bedrock needs one.
PLACEHOLDER_USER_TEXT = "."

_GUARDRAIL_KWARGS = ("guardrailConfig", "guardrail_config")
_ADDITIONAL_KWARGS = ("additionalModelRequestFields", "additional_model_request_fields")
# §6.4 support matrix, matched against the base model id (geography prefix stripped).
_NO_TOOLS = re.compile(
    r"amazon\.titan-|meta\.llama2|meta\.llama3-(8b|70b)|meta\.llama3-2-(1b|3b)|mistral\.(mistral-7b|mixtral)"
    r"|cohere\.command-(text|light)|ai21\.j2-|ai21\.jamba-instruct|anthropic\.claude-(instant-)?v[12]"
)
_NO_SYSTEM = re.compile(r"amazon\.titan-|mistral\.(mistral-7b|mixtral)|ai21\.j2-|cohere\.command-(text|light)")
# Llama 3.3 and Mistral Small are not in the table; treated like their siblings.
_NO_STREAM_TOOLS = re.compile(r"meta\.llama3-[123]-|mistral\.mistral-(large|small)")
# §9 item 2: toolChoice.tool is Claude 3+ and Nova only.
_NAMED_CHOICE = re.compile(r"anthropic\.claude-(?!(instant-)?v[12](:|$))|amazon\.nova-")
# Models with a native seed field (§6.5, unverified acceptance).
_NATIVE_SEED = re.compile(r"cohere\.command-r")
_METADATA_VALUE = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}")

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
    system, turns = _conversation(messages)
    _check_tool_pairs(turns)
    turns = _repair(turns, params.modify_params)
    has_tool_blocks = any(_kind(block) in ("toolUse", "toolResult") for turn in turns for block in turn["content"])
    if system and not supports_system(model_id):
        # §6.4: no system prompt in Converse for this model; it leads the first user turn instead.
        turns[0]["content"].insert(0, {"text": "\n\n".join(system)})
        system = []

    body: dict[str, Any] = {"messages": turns}
    if system:
        body["system"] = [{"text": text} for text in system]
    config: dict[str, Any] = {"maxTokens": params.max_tokens}
    if params.temperature is not None:
        config["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        config["topP"] = params.top_p
    if params.stop:
        config["stopSequences"] = list(params.stop)
    body["inferenceConfig"] = config

    tool_config = _tool_config(model_id, params, has_tool_blocks)
    if tool_config:
        if params.stream and not stream_tools_supported(model_id):
            raise BadRequestError(
                f"model {model_id!r} cannot stream tool use on Converse (bedrock-reference §6.4); call without stream=True"
            )
        body["toolConfig"] = tool_config
    _native_fields(body, model_id, params)
    return body


def _conversation(messages: list[dict]) -> tuple[list[str], list[dict]]:
    """OpenAI messages -> (system texts, Converse messages with same-role runs merged)."""
    system: list[str] = []
    turns: list[dict] = []
    for i, message in enumerate(messages):
        role = message.get("role")
        where = f"messages[{i}]"
        if role in ("system", "developer"):
            text = content_text(message.get("content"), argument=f"{where}.content")
            if text.strip():
                system.append(text)
            continue
        if role == "user":
            blocks = _user_blocks(message.get("content"), where)
        elif role == "assistant":
            blocks = _assistant_blocks(message, where)
        elif role == "tool":
            blocks, role = [_tool_result(message, where)], "user"
        else:
            raise BadRequestError(f"{where}.role {role!r} is not one of system, developer, user, assistant, tool")
        if not blocks:
            continue  # an empty message says nothing; skipping it keeps the turns valid
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks, "_index": i})
    return system, turns


def _user_blocks(content: Any, where: str) -> list[dict]:
    if content is None or isinstance(content, str):
        return [{"text": content}] if content and content.strip() else []
    if not isinstance(content, list):
        raise BadRequestError(f"{where}.content must be a string, a list of parts or None")
    blocks: list[dict] = []
    names: set[str] = set()
    for k, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        argument = f"{where}.content[{k}]"
        if isinstance(part, str) or kind == "text":
            text = part if isinstance(part, str) else str(part.get("text") or "")
            if text.strip():
                blocks.append({"text": text})
        elif kind == "image_url":
            url = part.get("image_url")
            image = media.load_image(url.get("url") if isinstance(url, dict) else url, argument=argument)
            blocks.append({"image": {"format": image.format, "source": {"bytes": image.base64}}})
        elif kind == "file":
            file = part.get("file") if isinstance(part.get("file"), dict) else {}
            if "file_id" in file and "file_data" not in file:
                raise BadRequestError(f"{argument}: file_id uploads do not exist on Bedrock; pass file.file_data")
            document = media.load_document(file.get("file_data"), file.get("filename"), argument=argument)
            name = media.document_name(file.get("filename"), taken=names, fallback=f"document {len(names) + 1}")
            blocks.append({"document": {"format": document.format, "name": name, "source": {"bytes": document.base64}}})
        else:
            raise BadRequestError(f"{argument}: a content part of type {kind!r} cannot be sent to Bedrock")
    return blocks


def _assistant_blocks(message: dict, where: str) -> list[dict]:
    content = message.get("content")
    if isinstance(content, list):
        pieces = []
        for k, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in ("text", "refusal"):
                raise BadRequestError(f"{where}.content[{k}]: an assistant message can only hold text parts on Bedrock")
            pieces.append(str(part.get(kind) or ""))
        content = "".join(pieces)
    elif content is not None and not isinstance(content, str):
        raise BadRequestError(f"{where}.content must be a string, a list of parts or None")
    blocks: list[dict] = [{"text": content}] if content and content.strip() else []
    for j, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not call.get("id") or not function.get("name"):
            raise BadRequestError(f"{where}.tool_calls[{j}] needs an id and a function name")
        arguments = _arguments(function.get("arguments"), f"{where}.tool_calls[{j}].function.arguments")
        blocks.append({"toolUse": {"toolUseId": call["id"], "name": function["name"], "input": arguments}})
    return blocks


def _arguments(arguments: Any, argument: str) -> dict:
    if arguments in (None, ""):
        return {}
    if isinstance(arguments, dict):
        return arguments
    try:
        value = json.loads(arguments)
    except (TypeError, ValueError):
        raise BadRequestError(f"{argument} must be a JSON object string") from None
    if not isinstance(value, dict):
        raise BadRequestError(f"{argument} must be a JSON object")
    return value


def _tool_result(message: dict, where: str) -> dict:
    call_id = message.get("tool_call_id")
    if not call_id:
        raise BadRequestError(f"{where}: a tool message needs a tool_call_id")
    text = content_text(message.get("content"), argument=f"{where}.content")
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    result = [{"json": value}] if isinstance(value, dict) else [{"text": text}]
    return {"toolResult": {"toolUseId": call_id, "content": result}}


def _kind(block: dict) -> str:
    return next(iter(block))


def _check_tool_pairs(turns: list[dict]) -> None:
    """Each toolResult answers a toolUse of the message before; each toolUse is answered."""
    for position, turn in enumerate(turns):
        asked = [b["toolUse"]["toolUseId"] for b in turn["content"] if "toolUse" in b]
        answered = [b["toolResult"]["toolUseId"] for b in turn["content"] if "toolResult" in b]
        previous = turns[position - 1]["content"] if position else []
        offered = {b["toolUse"]["toolUseId"] for b in previous if "toolUse" in b}
        for call_id in answered:
            if call_id not in offered:
                raise BadRequestError(
                    f"messages[{turn['_index']}]: tool result for {call_id!r} does not answer a tool call "
                    "of the assistant message before it"
                )
        if asked and position + 1 < len(turns):
            following = {b["toolResult"]["toolUseId"] for b in turns[position + 1]["content"] if "toolResult" in b}
            missing = [c for c in asked if c not in following]
            if missing:
                raise BadRequestError(f"messages[{turn['_index']}]: tool calls {missing} have no tool message answering them")


def _repair(turns: list[dict], modify: bool) -> list[dict]:
    """Enforce Bedrock's shape rules: start with a user turn, text beside documents.

    With ``modify=False`` a violation raises ``BadRequestError``; with True the
    minimal fix (a ``PLACEHOLDER_USER_TEXT`` block) is inserted.
    """
    if not turns or turns[0]["role"] != "user":
        if not modify:
            where = f"messages[{turns[0]['_index']}] is an assistant message" if turns else "there is no user message"
            raise BadRequestError(
                f"Bedrock needs the conversation to start with a user message, but {where}; "
                "pass modify_params=True to insert a minimal user turn"
            )
        turns.insert(0, {"role": "user", "content": [{"text": PLACEHOLDER_USER_TEXT}], "_index": 0})
    for turn in turns:
        blocks = turn["content"]
        if any("document" in b for b in blocks) and not any("text" in b for b in blocks):
            if not modify:
                raise BadRequestError(
                    f"messages[{turn['_index']}]: Bedrock needs a text part next to a document; "
                    "add one, or pass modify_params=True to insert a minimal one"
                )
            blocks.append({"text": PLACEHOLDER_USER_TEXT})
    last = turns[-1]
    if last["role"] == "assistant" and "text" in last["content"][-1]:
        # A pre-fill: Bedrock's Claude refuses one ending in whitespace.
        last["content"][-1]["text"] = last["content"][-1]["text"].rstrip()
    for turn in turns:
        turn.pop("_index", None)
    return turns


def _tool_config(model_id: str, params: ChatParams, has_tool_blocks: bool) -> Optional[dict]:
    tools = function_tools(params.tools)
    schema = json_response_schema(params.response_format)
    mode, name = tool_choice_mode(params.tool_choice)
    if tools and not supports_tools(model_id):
        raise unsupported("tools", model_id, "This model has no tool use on Converse (bedrock-reference §6.4).")
    if schema is not None and not supports_tools(model_id):
        raise unsupported(
            "response_format", model_id, "JSON output is implemented with a forced tool, and this model has no tool use."
        )
    names = [t["name"] for t in tools]
    if JSON_TOOL_NAME in names:
        raise BadRequestError(f"the tool name {JSON_TOOL_NAME!r} is reserved by litebed for response_format")
    if mode == "named" and name not in names:
        raise BadRequestError(f"tool_choice names {name!r}, which is not one of the tools given")
    specs = [
        {"toolSpec": {"name": t["name"], **({"description": t["description"]} if t["description"] else {}),
                      "inputSchema": {"json": t["parameters"]}}}
        for t in tools
    ]
    if schema is not None:
        return _json_tool_config(model_id, params, schema, specs, mode, has_tool_blocks)
    if not specs:
        if has_tool_blocks:
            raise BadRequestError(
                "messages contain tool calls or tool results, and Bedrock then requires the tools to be "
                "declared: pass tools= as well"
            )
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
    return {"tools": [s for s in specs if s["toolSpec"]["name"] == name], "toolChoice": {"any": {}}}


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
    extra = dict(params.extra)
    guardrail = None
    for key in _GUARDRAIL_KWARGS:
        if key in extra:
            guardrail = extra.pop(key)
    if guardrail is not None:
        if not isinstance(guardrail, dict) or not guardrail.get("guardrailIdentifier"):
            raise BadRequestError("guardrailConfig must be a dict with guardrailIdentifier and guardrailVersion")
        if not params.stream:
            # Only ConverseStream's GuardrailStreamConfiguration has this member (§6.1).
            guardrail = {k: v for k, v in guardrail.items() if k != "streamProcessingMode"}
        body["guardrailConfig"] = guardrail
    fields: dict[str, Any] = {}
    for key in _ADDITIONAL_KWARGS:
        if key in extra:
            given = extra.pop(key)
            if not isinstance(given, dict):
                raise BadRequestError(f"{key} must be a dict of native model fields")
            fields.update(given)
    fields.update(extra)
    if params.seed is not None:
        if not _NATIVE_SEED.match(model_id):
            raise unsupported("seed", model_id, "Converse has no seed, and this model has no native one.")
        fields["seed"] = params.seed
    if fields:
        body["additionalModelRequestFields"] = fields
    if params.user is not None:
        if not _METADATA_VALUE.fullmatch(params.user):
            raise BadRequestError(
                "user is sent as Converse requestMetadata, which allows at most 256 letters, digits, "
                "whitespace and :_@$#=/+,-. characters"
            )
        body["requestMetadata"] = {"user": params.user}


# --- the response ------------------------------------------------------------


def map_stop_reason(native: Any) -> str:
    """Converse ``stopReason`` -> OpenAI ``finish_reason`` (§8.2); unknown values -> "stop"."""
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    """A Converse response body (§6.2) -> :class:`Completion`."""
    body = _read.body(body)
    texts: list[str] = []
    tool_calls: list[dict] = []
    json_answer: Optional[str] = None
    for kind, block in _read.converse_blocks(body):
        if kind == "text":
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
    choice = Choice(index=0, content=content, finish_reason=finish, native_finish_reason=reason, tool_calls=tool_calls or None)
    return Completion(choices=[choice], prompt_tokens=prompt_tokens, completion_tokens=completion_tokens)


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
    if kind == "metadata" and payload:
        # metadata follows messageStop (§4.5); ChunkBuilder records counts of finished choices.
        return [StreamPiece(prompt_tokens=payload["inputTokens"], completion_tokens=payload["outputTokens"])]
    return []
