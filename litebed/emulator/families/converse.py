"""Converse / ConverseStream — docs/bedrock.md §6 (shapes from the service model).

Validates the request as the service does: closed top-level members, the
``ContentBlock`` union, strict role alternation starting with ``user``,
``toolResult`` answering the previous turn's ``toolUse`` ids, document names,
tool names, inference ranges, and the per-model feature matrix of §6.4 (system
prompts, tools, streaming tool use, ``toolChoice.tool``, images, multi-turn).
Embedding and image models are not served by Converse.

Reasoning: Claude thinks when ``additionalModelRequestFields`` asks it to
(``thinking``, ``output_config``; the rules and signatures of ``thinking.py``)
and answers with a signed ``reasoningContent`` block first; replayed reasoning
must verify. Nova 2 Lite takes ``reasoningConfig`` and shows its reasoning as
``[REDACTED]``. DeepSeek-R1 and gpt-oss always reason. Prompt caching:
``cachePoint`` blocks in ``toolConfig.tools``, ``system`` and messages, per
``prompt_cache.py``; ``usage`` adds the cache counts for the models that cache.
Errors the model itself raises are prefixed, as Bedrock does, with "The model
returned the following errors: ".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from typing import Any, Optional

from .. import brain, prompt_cache, thinking, tooluse
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
REASONING_CONTENT = union({"reasoningText": obj({"text": string(), "signature": string()}, required=("text",)),
                           "redactedContent": base64_string()})
CONTENT_BLOCK = union({
    "text": string(), "image": IMAGE, "document": DOCUMENT, "video": VIDEO, "audio": anything(),
    "toolUse": TOOL_USE, "toolResult": TOOL_RESULT, "guardContent": anything(), "cachePoint": CACHE_POINT,
    "reasoningContent": REASONING_CONTENT, "citationsContent": anything(), "searchResult": anything(),
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
            if kind in ("toolUse", "reasoningContent") and message["role"] != "assistant":
                invalid(f"messages.{index}.content: {kind} content blocks are only allowed in assistant messages.")
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


def tool_offer(tool_config: dict) -> tuple[list[tooluse.Tool], tooluse.Choice]:
    """The offered tools (``toolSpec``s) and the ``toolChoice`` of a (validated) ``toolConfig``."""
    tools = [tooluse.Tool(tool["toolSpec"]["name"], tool["toolSpec"]["inputSchema"]["json"])
             for tool in tool_config.get("tools", []) if "toolSpec" in tool]
    ((mode, detail),) = (tool_config.get("toolChoice") or {"auto": {}}).items()
    return tools, tooluse.Choice(mode, detail.get("name"))


def answers_tool_results(messages: list[dict]) -> bool:
    """Whether the last user turn carries tool results (the model then answers in text unless forced)."""
    user = next(m for m in reversed(messages) if m["role"] == "user")
    return any("toolResult" in block for block in user["content"])


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
            events.extend(("contentBlockDelta", {"contentBlockIndex": index, "delta": {"reasoningContent": delta}})
                          for delta in reasoning_deltas(block["reasoningContent"]))
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


def reasoning_deltas(reasoning: dict) -> list[dict]:
    """How a reasoningContent block streams: its text in pieces then its signature; redacted, whole."""
    if "redactedContent" in reasoning:
        return [{"redactedContent": reasoning["redactedContent"]}]
    text = reasoning["reasoningText"]
    deltas = [{"text": piece} for piece in brain.pieces(text["text"])]
    return deltas + ([{"signature": text["signature"]}] if "signature" in text else [])


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
#: Nova 2 reasons on request (``reasoningConfig``); AWS shows its reasoning only as this text.
_NOVA_REASONING_MODELS = ("amazon.nova-2-lite",)
NOVA_REASONING = "[REDACTED]"
NOVA_REASONING_CONFIG = obj({"type": enum("enabled", "disabled"), "maxReasoningEffort": enum("low", "medium", "high")},
                            required=("type",))
MODEL_ERROR = "The model returned the following errors: "
#: Converse block -> the Anthropic block type Claude sees (named in Claude's errors)
_ANTHROPIC_TYPES = {"text": "text", "toolUse": "tool_use", "toolResult": "tool_result", "image": "image",
                    "document": "document", "reasoningContent": "thinking"}


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


def _redacted_data(blob: str) -> Optional[str]:
    """The Anthropic ``data`` string a redactedContent blob (base64 on the wire) carries."""
    try:
        return base64.b64decode(blob).decode("ascii")
    except (binascii.Error, ValueError):
        return None


def check_replayed_reasoning(messages: list[dict]) -> None:
    """Claude's reasoning sent back must be its own, unaltered (thinking on or not)."""
    for index, message in enumerate(messages):
        for position, block in enumerate(message["content"]):
            reasoning = block.get("reasoningContent")
            if reasoning is None:
                continue
            path = f"messages.{index}.content.{position}"
            if "reasoningText" in reasoning:
                text = reasoning["reasoningText"]
                if not thinking.verify_signature(text["text"], text.get("signature")):
                    raise thinking.bad_signature(path)
            elif thinking.unredact(_redacted_data(reasoning["redactedContent"])) is None:
                raise thinking.bad_redacted_data(path)


def claude_thinking(body: dict, model_id: str) -> Optional[thinking.Plan]:
    """Claude's thinking for a Converse request (None: off), after Anthropic's rules (``thinking.Refused``)."""
    messages = body["messages"]
    check_replayed_reasoning(messages)
    extra = body.get("additionalModelRequestFields") or {}
    plan = thinking.requested(model_id, extra.get("thinking"), extra.get("output_config"))
    if plan is None:
        return None
    config = body.get("inferenceConfig", {})
    choice = (body.get("toolConfig") or {}).get("toolChoice", {})
    thinking.check_sampling(plan, max_tokens=config.get("maxTokens"), temperature=config.get("temperature"),
                            top_p=config.get("topP"), top_k=extra.get("top_k"),
                            forced_tool="any" in choice or "tool" in choice, prefill=messages[-1]["role"] == "assistant")
    if len(messages) > 1 and any("toolResult" in block for block in messages[-1]["content"]):
        previous = [block for block in messages[-2]["content"] if "cachePoint" not in block]
        kind = next(iter(previous[0])) if previous else "text"
        found = ("redacted_thinking" if kind == "reasoningContent" and "redactedContent" in previous[0]["reasoningContent"]
                 else _ANTHROPIC_TYPES.get(kind, kind))
        if found not in ("thinking", "redacted_thinking"):
            raise thinking.missing_thought(len(messages) - 2, found)
    return plan


def nova_reasoning(body: dict, model_id: str) -> Optional[str]:
    """Nova 2's reasoning effort when ``reasoningConfig`` enables it (None: no reasoning)."""
    config = (body.get("additionalModelRequestFields") or {}).get("reasoningConfig")
    if config is None:
        return None
    if not model_id.startswith(_NOVA_REASONING_MODELS):
        raise thinking.Refused("Malformed input request: #: extraneous key [reasoningConfig] is not permitted, "
                               "please reformat your input and try again.")
    NOVA_REASONING_CONFIG(config, "#/additionalModelRequestFields/reasoningConfig")
    return config.get("maxReasoningEffort", "low") if config["type"] == "enabled" else None


def opening_reasoning(body: dict, model_id: str, plan: Optional[thinking.Plan], nova_effort: Optional[str],
                      question: str) -> tuple[Optional[dict], int]:
    """The reasoningContent block the answer starts with (None: none) and its output tokens."""
    if plan is not None:
        thought = thinking.think(plan, question, prompt=prompt_text(body["messages"], body.get("system", [])),
                                 max_tokens=body.get("inferenceConfig", {}).get("maxTokens"))
        return thought.converse_block(), thought.tokens
    if nova_effort is not None:  # the reasoning is hidden, not free: its tokens are billed
        hidden = thinking.reasoning_text(question, nova_effort)
        return {"reasoningContent": {"reasoningText": {"text": NOVA_REASONING}}}, count_tokens(hidden)
    if traits(model_id)["reasoning"]:
        return {"reasoningContent": {"reasoningText": {"text": REASONING}}}, count_tokens(REASONING)
    return None, 0


def cache_layout(body: dict) -> tuple[list[prompt_cache.Unit], list[prompt_cache.Checkpoint]]:
    """The prompt in prefix order (tools, system, messages) and its ``cachePoint`` checkpoints
    (each ends the prefix before it). Nova's native body shares the layout."""
    units: list[prompt_cache.Unit] = []
    points: list[prompt_cache.Checkpoint] = []

    def walk(blocks: list[dict], section: str, path: str, tag: list, text: Callable[[dict], str]) -> None:
        for position, block in enumerate(blocks):
            if "cachePoint" in block:
                ttl = block["cachePoint"].get("ttl", "5m")
                points.append(prompt_cache.Checkpoint(len(units), ttl, section, f"{path}.{position}"))
            else:
                units.append(prompt_cache.Unit([*tag, block], text(block)))

    walk((body.get("toolConfig") or {}).get("tools", []), "tools", "toolConfig.tools", ["tool"],
         lambda tool: json.dumps(tool, sort_keys=True))
    walk(body.get("system", []), "system", "system", ["system"], lambda block: block.get("text", ""))
    for index, message in enumerate(body["messages"]):
        walk(message["content"], "messages", f"messages.{index}.content", ["message", index, message["role"]], block_text)
    return units, points


def token_usage(model_id: str, cache: prompt_cache.Usage, output_tokens: int) -> dict:
    """Converse's TokenUsage: uncached input, output, everything, and the cache counts of a caching model."""
    usage = {"inputTokens": cache.input_tokens, "outputTokens": output_tokens,
             "totalTokens": cache.input_tokens + cache.read + cache.write + output_tokens}
    if prompt_cache.rules_for(model_id) is not None:
        usage.update(cache.converse_fields())
    return usage


def answer(body: Any, *, model_id: str, stream: bool, conversable: bool) -> ConverseResult:
    """Validate a Converse body for ``model_id`` and answer it (events too when ``stream``)."""
    if not conversable:
        raise ValidationFailed("This action doesn't support the model that you provided. Try again with a supported text or chat model.")
    validate(body, request_schema(stream))
    check_conversation(body["messages"])
    check_features(body, model_id, stream)
    units, points = cache_layout(body)
    try:
        plan = claude_thinking(body, model_id) if model_id.startswith("anthropic.") else None
        nova_effort = nova_reasoning(body, model_id)
        prompt_cache.check(model_id, points)
    except thinking.Refused as exc:
        invalid(MODEL_ERROR + exc.message if exc.model_error else exc.message)
    config = body.get("inferenceConfig", {})
    tools, tool_choice = tool_offer(body.get("toolConfig") or {})
    question = last_user_text(body["messages"])
    reasoning, reasoning_tokens = opening_reasoning(body, model_id, plan, nova_effort, question)
    max_tokens = config.get("maxTokens")
    if max_tokens is not None:
        max_tokens = max(max_tokens - reasoning_tokens, 0)  # the reasoning is output too
    reply = brain.respond(question, max_tokens=max_tokens, stop_sequences=config.get("stopSequences", ()),
                          tools=tools, tool_choice=tool_choice,
                          after_tool_results=answers_tool_results(body["messages"]))
    cache = prompt_cache.active().account(model_id, units, points)
    content, stop_reason = answer_content(reply, (model_id, body))
    if reasoning:
        content.insert(0, reasoning)
    output_tokens = reply.output_tokens + reasoning_tokens
    usage = token_usage(model_id, cache, output_tokens)
    metrics = {"latencyMs": 10 + output_tokens}
    result = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop_reason,
              "usage": usage, "metrics": metrics}
    if "/stop_sequence" in body.get("additionalModelResponseFieldPaths", []):
        result["additionalModelResponseFields"] = {"stop_sequence": reply.stop_sequence}
    return ConverseResult(body=result, events=stream_events(content, stop_reason, usage, metrics) if stream else [],
                          input_tokens=cache.input_tokens, output_tokens=output_tokens,
                          cache_read_tokens=cache.read, cache_write_tokens=cache.write)
