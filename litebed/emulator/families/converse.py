"""Converse / ConverseStream — bedrock-reference §6 (shapes from the service model).

Validates the request as the service does: closed top-level members, the
``ContentBlock`` union, strict role alternation starting with ``user``,
``toolResult`` answering the previous turn's ``toolUse`` ids, document names,
tool names, inference ranges, and the per-model feature matrix of §6.4 (system
prompts, tools, streaming tool use, ``toolChoice.tool``, images, multi-turn).
Embedding and image models are not served by Converse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from .. import brain
from ..tokens import count_tokens
from .base import ConverseResult, ValidationFailed
from .validation import (
    Check,
    anything,
    array,
    base64_string,
    boolean,
    enum,
    fail,
    free_object,
    integer,
    invalid,
    number,
    obj,
    string,
    validate,
)

IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
DOCUMENT_FORMATS = ("pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md")
VIDEO_FORMATS = ("mkv", "mov", "mp4", "webm", "flv", "mpeg", "mpg", "wmv", "three_gp")
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_TOOL_USE_ID = re.compile(r"^[a-zA-Z0-9_.:-]{1,64}$")
# Bedrock's document-name rule: alphanumerics, single whitespace characters, hyphens,
# parentheses and square brackets.
_DOCUMENT_NAME = re.compile(r"^(?!.*\s\s)[A-Za-z0-9\s\-()\[\]]{1,200}$")


def union(members: dict[str, Check]) -> Check:
    """A Smithy union: an object with exactly one of ``members``."""
    keys_only, closed = obj({name: anything() for name in members}), obj(members)

    def check(value: Any, path: str) -> None:
        keys_only(value, path)
        if len(value) != 1:
            fail(path, f"expected exactly one of [{', '.join(members)}], found {len(value)}")
        closed(value, path)
    return check


def pattern(regex: re.Pattern, what: str) -> Check:
    def check(value: Any, path: str) -> None:
        string()(value, path)
        if not regex.match(value):
            fail(path, f"string [{value}] does not match the {what} pattern")
    return check


S3_LOCATION = obj({"uri": string(1024, 1), "bucketOwner": string()}, required=("uri",))
IMAGE = obj({"format": enum(*IMAGE_FORMATS), "source": union({"bytes": base64_string(), "s3Location": S3_LOCATION})},
            required=("format", "source"))
DOCUMENT = obj({
    "format": enum(*DOCUMENT_FORMATS), "name": pattern(_DOCUMENT_NAME, "document name"),
    "source": union({"bytes": base64_string(), "s3Location": S3_LOCATION, "text": string(), "content": anything()}),
    "context": string(), "citations": obj({"enabled": boolean()}, required=("enabled",)),
}, required=("name", "source"))
VIDEO = obj({"format": enum(*VIDEO_FORMATS), "source": union({"bytes": base64_string(), "s3Location": S3_LOCATION})},
            required=("format", "source"))
TOOL_USE = obj({"toolUseId": pattern(_TOOL_USE_ID, "toolUseId"), "name": pattern(_TOOL_NAME, "tool name"),
                "input": anything(), "type": string()}, required=("toolUseId", "name", "input"))
TOOL_RESULT = obj({
    "toolUseId": pattern(_TOOL_USE_ID, "toolUseId"),
    "content": array(union({"json": anything(), "text": string(), "image": IMAGE, "document": DOCUMENT,
                            "video": VIDEO, "searchResult": anything()})),
    "status": enum("success", "error"), "type": string(),
}, required=("toolUseId", "content"))
CACHE_POINT = obj({"type": enum("default"), "ttl": enum("5m", "1h")}, required=("type",))
CONTENT_BLOCK = union({
    "text": string(), "image": IMAGE, "document": DOCUMENT, "video": VIDEO, "audio": anything(),
    "toolUse": TOOL_USE, "toolResult": TOOL_RESULT, "guardContent": anything(), "cachePoint": CACHE_POINT,
    "reasoningContent": anything(), "citationsContent": anything(), "searchResult": anything(),
})
MESSAGE = obj({"role": enum("user", "assistant"), "content": array(CONTENT_BLOCK)}, required=("role", "content"))
SYSTEM_BLOCK = union({"text": string(min_len=1), "guardContent": anything(), "cachePoint": CACHE_POINT})
TOOL_CONFIG = obj({
    "tools": array(union({
        "toolSpec": obj({"name": pattern(_TOOL_NAME, "tool name"), "description": string(min_len=1),
                         "inputSchema": union({"json": free_object()}), "strict": boolean()},
                        required=("name", "inputSchema")),
        "systemTool": obj({"name": string(min_len=1)}, required=("name",)),
        "cachePoint": CACHE_POINT,
    }), 1),
    "toolChoice": union({"auto": obj({}), "any": obj({}), "tool": obj({"name": pattern(_TOOL_NAME, "tool name")},
                                                                     required=("name",))}),
}, required=("tools",))
INFERENCE_CONFIG = obj({"maxTokens": integer(1), "temperature": number(0, 1), "topP": number(0, 1),
                        "stopSequences": array(string(min_len=1), 0, 2500)})


def request_schema(stream: bool) -> Check:
    guardrail = {"guardrailIdentifier": string(2048, 0), "guardrailVersion": string(), "trace": enum("enabled", "disabled", "enabled_full")}
    if stream:
        guardrail["streamProcessingMode"] = enum("sync", "async")
    return obj({
        "messages": array(MESSAGE),
        "system": array(SYSTEM_BLOCK),
        "inferenceConfig": INFERENCE_CONFIG,
        "toolConfig": TOOL_CONFIG,
        "guardrailConfig": obj(guardrail, required=("guardrailIdentifier", "guardrailVersion")),
        "additionalModelRequestFields": free_object(),
        "additionalModelResponseFieldPaths": array(pattern(re.compile(r"^/"), "JSON Pointer"), 0, 10),
        "requestMetadata": obj({}, closed=False),
        "performanceConfig": obj({"latency": enum("standard", "optimized")}),
        "serviceTier": obj({"type": enum("priority", "default", "flex", "reserved")}, required=("type",)),
        "outputConfig": free_object(),
        "promptVariables": free_object(),
    }, required=("messages",))


def check_conversation(messages: list[dict]) -> None:
    """Roles alternate starting with ``user``; tool results answer the previous turn; documents need text."""
    if not messages:
        invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.")
    if messages[0]["role"] != "user":
        invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.")
    tool_use_ids: set[str] = set()
    for index, message in enumerate(messages):
        if index and messages[index - 1]["role"] == message["role"]:
            invalid("A conversation must alternate between user and assistant roles. Make sure the conversation "
                    "alternates between user and assistant roles and try again.")
        if not message["content"]:
            fail(f"#/messages/{index}/content", "expected minimum item count: 1, found: 0")
        kinds = [next(iter(block)) for block in message["content"]]
        for kind in kinds:
            if kind in ("image", "document", "video", "toolResult") and message["role"] != "user":
                invalid(f"messages.{index}.content: {kind} content blocks are only allowed in user messages.")
            if kind == "toolUse" and message["role"] != "assistant":
                invalid(f"messages.{index}.content: toolUse content blocks are only allowed in assistant messages.")
        if "document" in kinds and "text" not in kinds:
            invalid(f"messages.{index}.content: a message with a document must also contain a text block.")
        for block in message["content"]:
            if "toolResult" in block and block["toolResult"]["toolUseId"] not in tool_use_ids:
                invalid(f"messages.{index}.content: the toolResult blocks must match the toolUse blocks of the previous "
                        f"turn; unknown toolUseId [{block['toolResult']['toolUseId']}].")
        tool_use_ids = {block["toolUse"]["toolUseId"] for block in message["content"] if "toolUse" in block}


def block_text(block: dict) -> str:
    """The prompt text a Converse content block carries."""
    if "text" in block:
        return block["text"]
    if "toolUse" in block:
        return json.dumps(block["toolUse"]["input"])
    if "toolResult" in block:
        return "\n".join(part["text"] if "text" in part else json.dumps(part["json"])
                         for part in block["toolResult"]["content"] if "text" in part or "json" in part)
    if "document" in block and "text" in block["document"]["source"]:
        return block["document"]["source"]["text"]
    return ""


def last_user_text(messages: list[dict]) -> str:
    """The last user turn's text blocks (its tool results when it has none)."""
    user = next(m for m in reversed(messages) if m["role"] == "user")
    texts = [block["text"] for block in user["content"] if "text" in block]
    return "\n".join(texts) if texts else "\n".join(block_text(b) for b in user["content"])


def prompt_text(messages: list[dict], system: Sequence[dict] = ()) -> str:
    parts = [block["text"] for block in system if "text" in block]
    parts += [block_text(block) for message in messages for block in message["content"]]
    return "\n".join(part for part in parts if part)


STOP_REASONS = {"end": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence"}


def answer_content(reply: brain.Reply, seed: object) -> tuple[list[dict], str]:
    """Converse-style content blocks (text, then toolUse) and the stopReason for ``reply``."""
    content: list[dict] = []
    if reply.text or not reply.tool_calls:
        content.append({"text": reply.text})
    for index, call in enumerate(reply.tool_calls):
        content.append({"toolUse": {"toolUseId": "tooluse_" + brain.stable_id(seed, index, length=22),
                                    "name": call.name, "input": call.arguments}})
    return content, "tool_use" if reply.tool_calls else STOP_REASONS[reply.finish]


def stream_events(content: list[dict], stop_reason: str, usage: dict, metrics: dict) -> list[tuple[str, dict]]:
    """The ConverseStream event sequence (§4.5) for an answer."""
    events: list[tuple[str, dict]] = [("messageStart", {"role": "assistant"})]
    for index, block in enumerate(content):
        if "text" in block:
            for piece in brain.pieces(block["text"]) or [""]:
                events.append(("contentBlockDelta", {"contentBlockIndex": index, "delta": {"text": piece}}))
        elif "reasoningContent" in block:
            for piece in brain.pieces(block["reasoningContent"]["reasoningText"]["text"]):
                events.append(("contentBlockDelta", {"contentBlockIndex": index,
                                                     "delta": {"reasoningContent": {"text": piece}}}))
        else:
            tool = block["toolUse"]
            events.append(("contentBlockStart", {"contentBlockIndex": index, "start": {
                "toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}}}))
            for fragment in brain.json_fragments(tool["input"]):
                events.append(("contentBlockDelta", {"contentBlockIndex": index, "delta": {"toolUse": {"input": fragment}}}))
        events.append(("contentBlockStop", {"contentBlockIndex": index}))
    events.append(("messageStop", {"stopReason": stop_reason}))
    events.append(("metadata", {"usage": usage, "metrics": metrics}))
    return events


# Models newer than the §6.4 table. Their rows are not in the reference, so these traits
# follow their siblings and are unverified: Llama 4 like Llama 3.2 11B/90B (vision, tools,
# no tool use in streams), Pixtral Large like Mistral Large plus vision, DeepSeek-R1
# without tool use, and DeepSeek-V3.1, Qwen3, Writer Palmyra and gpt-oss with tool use
# in and out of streams. DeepSeek-R1 and gpt-oss are reasoning models: their answers
# start with a reasoningContent block.
_NEWER_STREAM_TOOLS = ("deepseek.v3", "qwen.", "writer.palmyra", "openai.gpt-oss")
_NEWER_NO_STREAM_TOOLS = ("meta.llama4-", "mistral.pixtral-")
_REASONING_MODELS = ("deepseek.r1", "openai.gpt-oss")
#: The reasoning text the emulated reasoning models write before every answer.
REASONING = "Thinking about the request."


def traits(model_id: str) -> dict:
    """The §6.4 feature matrix for one model id."""
    m = model_id
    claude3 = m.startswith("anthropic.claude-") and not m.startswith(("anthropic.claude-v2", "anthropic.claude-instant"))
    nova = m.startswith("amazon.nova-")
    llama_tools = m.startswith(("meta.llama3-1-", "meta.llama3-2-11b", "meta.llama3-2-90b", "meta.llama3-3-"))
    mistral_tools = m.startswith(("mistral.mistral-large", "mistral.mistral-small"))
    newer_no_stream_tools = m.startswith(_NEWER_NO_STREAM_TOOLS)
    return {
        "system": not m.startswith(("amazon.titan-text", "amazon.titan-tg1", "mistral.mistral-7b", "mistral.mixtral",
                                    "cohere.command-text", "cohere.command-light", "ai21.j2")),
        "tools": claude3 or nova or llama_tools or mistral_tools or newer_no_stream_tools
        or m.startswith(("cohere.command-r", "ai21.jamba-1-5", *_NEWER_STREAM_TOOLS)),
        "stream_tools": not (llama_tools or mistral_tools or newer_no_stream_tools),
        "specific_tool_choice": claude3 or nova,
        "vision": (claude3 and "claude-3-5-haiku" not in m) or m.startswith(("amazon.nova-lite", "amazon.nova-pro",
                                                                             "amazon.nova-premier", "meta.llama3-2-11b",
                                                                             "meta.llama3-2-90b", *_NEWER_NO_STREAM_TOOLS)),
        "chat": not m.startswith(("ai21.j2", "cohere.command-text", "cohere.command-light")),
        "stream": not m.startswith("ai21.j2"),
        "reasoning": m.startswith(_REASONING_MODELS),
    }


def check_features(body: dict, model_id: str, stream: bool) -> None:
    can = traits(model_id)
    if stream and not can["stream"]:
        invalid("The model is unsupported for streaming.")
    if body.get("system") and not can["system"]:
        invalid("This model doesn't support system messages. Try again without system messages or use a model that supports them.")
    if not can["chat"] and len(body["messages"]) > 1:
        invalid("This model doesn't support conversation history. Try again with a single user message.")
    tool_config = body.get("toolConfig")
    if tool_config is not None:
        if not can["tools"]:
            invalid("This model doesn't support tool use.")
        if stream and not can["stream_tools"]:
            invalid("This model doesn't support tool use in streaming mode.")
        if "tool" in tool_config.get("toolChoice", {}) and not can["specific_tool_choice"]:
            invalid("This model doesn't support the toolConfig.toolChoice.tool field. Remove toolConfig.toolChoice.tool and try again.")
    if not can["vision"] and any("image" in block for m in body["messages"] for block in m["content"]):
        invalid("This model doesn't support the image content block that you provided. Try again with a model that supports images.")
    has_tool_blocks = any("toolUse" in b or "toolResult" in b for m in body["messages"] for b in m["content"])
    if has_tool_blocks and tool_config is None:
        invalid("The toolConfig field must be defined when using toolUse and toolResult content blocks.")


def answer(body: Any, *, model_id: str, stream: bool, conversable: bool) -> ConverseResult:
    """Validate a Converse body for ``model_id`` and answer it (events too when ``stream``)."""
    if not conversable:
        raise ValidationFailed("This action doesn't support the model that you provided. Try again with a supported text or chat model.")
    validate(body, request_schema(stream))
    check_conversation(body["messages"])
    check_features(body, model_id, stream)
    config = body.get("inferenceConfig", {})
    tool_config = body.get("toolConfig") or {}
    tools_offered = any("toolSpec" in tool for tool in tool_config.get("tools", []))
    reasoning = REASONING if traits(model_id)["reasoning"] else ""
    max_tokens = config.get("maxTokens")
    if max_tokens is not None and reasoning:
        max_tokens = max(max_tokens - count_tokens(reasoning), 0)  # the reasoning is output too
    reply = brain.respond(last_user_text(body["messages"]), max_tokens=max_tokens,
                          stop_sequences=config.get("stopSequences", ()), tools_allowed=tools_offered)
    input_tokens = count_tokens(prompt_text(body["messages"], body.get("system", [])))
    content, stop_reason = answer_content(reply, (model_id, body))
    if reasoning:
        content.insert(0, {"reasoningContent": {"reasoningText": {"text": reasoning}}})
    output_tokens = reply.output_tokens + count_tokens(reasoning)
    usage = {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + output_tokens}
    metrics = {"latencyMs": 10 + output_tokens}
    result = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop_reason,
              "usage": usage, "metrics": metrics}
    if "/stop_sequence" in body.get("additionalModelResponseFieldPaths", []):
        result["additionalModelResponseFields"] = {"stop_sequence": reply.stop_sequence}
    return ConverseResult(body=result, events=stream_events(content, stop_reason, usage, metrics) if stream else [],
                          input_tokens=input_tokens, output_tokens=output_tokens)
