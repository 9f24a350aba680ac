"""Anthropic Claude Messages API (Claude 3 and later) — docs/bedrock.md §5.2.

Besides the schema (required ``anthropic_version``/``max_tokens``/``messages``,
closed objects, ranges), the conversation rules Anthropic enforces: the first
message is ``user``, roles alternate, ``tool_use`` only in assistant turns,
``tool_result`` only in the user turn right after the assistant's ``tool_use``
with matching ids, and ``tool_choice`` only together with ``tools``.

Extended thinking (``thinking``, and ``output_config.effort`` on the adaptive
models) and prompt caching (``cache_control`` checkpoints) follow the per-model
tables and rules of ``thinking.py`` and ``prompt_cache.py``: the answer starts
with a signed thinking block (redacted when the prompt holds Anthropic's
trigger string), replayed thinking blocks must verify, and ``usage`` reports
cache reads and writes for the models that cache.
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from .. import brain, prompt_cache, thinking, tooluse
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import (
    Check,
    anything,
    array,
    base64_string,
    boolean,
    either,
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

MEDIA_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
CACHE_CONTROL = obj({"type": enum("ephemeral"), "ttl": enum("5m", "1h")}, required=("type",))

TEXT_BLOCK = obj({"type": enum("text"), "text": string(), "cache_control": CACHE_CONTROL, "citations": anything()},
                 required=("type", "text"))
IMAGE_BLOCK = obj({
    "type": enum("image"),
    "source": obj({"type": enum("base64"), "media_type": enum(*MEDIA_TYPES), "data": base64_string()},
                  required=("type", "media_type", "data")),
    "cache_control": CACHE_CONTROL,
}, required=("type", "source"))
TOOL_USE_BLOCK = obj({"type": enum("tool_use"), "id": string(64, 1), "name": string(64, 1), "input": free_object(),
                      "cache_control": CACHE_CONTROL}, required=("type", "id", "name", "input"))
TOOL_RESULT_BLOCK = obj({
    "type": enum("tool_result"), "tool_use_id": string(),
    "content": either(string(), array(either(TEXT_BLOCK, IMAGE_BLOCK, wanted="JSONObject")), wanted="String or JSONArray"),
    "is_error": boolean(), "cache_control": CACHE_CONTROL,
}, required=("type", "tool_use_id"))
THINKING_BLOCK = obj({"type": enum("thinking"), "thinking": string(), "signature": string()},
                     required=("type", "thinking", "signature"))
REDACTED_THINKING_BLOCK = obj({"type": enum("redacted_thinking"), "data": string()}, required=("type", "data"))
BLOCKS = {"text": TEXT_BLOCK, "image": IMAGE_BLOCK, "tool_use": TOOL_USE_BLOCK, "tool_result": TOOL_RESULT_BLOCK,
          "thinking": THINKING_BLOCK, "redacted_thinking": REDACTED_THINKING_BLOCK}
THOUGHTS = ("thinking", "redacted_thinking")


def content_block(value: Any, path: str) -> None:
    obj({"type": enum(*BLOCKS)}, required=("type",), closed=False)(value, path)
    BLOCKS[value["type"]](value, path)


MESSAGE = obj({"role": enum("user", "assistant"),
               "content": either(string(), array(content_block), wanted="String or JSONArray")},
              required=("role", "content"))
TOOL = obj({"type": enum("custom"), "name": string(64, 1), "description": string(), "input_schema": free_object(),
            "cache_control": CACHE_CONTROL}, required=("name", "input_schema"))
TOOL_CHOICE = obj({"type": enum("auto", "any", "tool"), "name": string(), "disable_parallel_tool_use": boolean()},
                  required=("type",))

SCHEMA: Check = obj({
    "anthropic_version": enum("bedrock-2023-05-31"),
    "max_tokens": integer(1),
    "messages": array(MESSAGE, 1),
    "system": either(string(), array(TEXT_BLOCK), wanted="String or JSONArray"),
    "temperature": number(0, 1),
    "top_p": number(0, 1),
    "top_k": integer(0, 500),
    "stop_sequences": array(string(), 0, 8191),
    "tools": array(TOOL),
    "tool_choice": TOOL_CHOICE,
    "anthropic_beta": array(string()),
    "thinking": obj({"type": enum("enabled", "disabled", "adaptive"), "budget_tokens": integer(1024)}, required=("type",)),
    "output_config": obj({"effort": enum(*thinking.EFFORTS)}),
}, required=("anthropic_version", "max_tokens", "messages"))


def blocks_of(message: dict) -> list[dict]:
    content = message["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def check_conversation(body: dict) -> None:
    """Anthropic's conversation rules (roles, tool_use / tool_result pairing, tool_choice)."""
    messages = body["messages"]
    if messages[0]["role"] != "user":
        invalid('messages: first message must use the "user" role')
    pending: set[str] = set()
    for index, message in enumerate(messages):
        role, blocks = message["role"], blocks_of(message)
        if index and messages[index - 1]["role"] == role:
            invalid(f'messages: roles must alternate between "user" and "assistant", but found multiple "{role}" roles in a row')
        for position, block in enumerate(blocks):
            kind = block["type"]
            if kind == "tool_use" and role != "assistant":
                invalid(f"messages.{index}.content.{position}: tool_use blocks are only allowed in assistant messages")
            if kind in ("tool_result", "image") and role != "user":
                invalid(f"messages.{index}.content.{position}: {kind} blocks are only allowed in user messages")
            if kind in THOUGHTS and role != "assistant":
                invalid(f"messages.{index}.content.{position}: {kind} blocks are only allowed in assistant messages")
            if kind == "tool_result" and block["tool_use_id"] not in pending:
                invalid(f"messages.{index}.content.{position}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{block['tool_use_id']}. Each `tool_result` block must have a corresponding `tool_use` block "
                        "in the previous message.")
        answered = {b["tool_use_id"] for b in blocks if b["type"] == "tool_result"}
        if pending and role == "user" and pending - answered:
            invalid(f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(sorted(pending - answered))}. Each `tool_use` block must have a corresponding "
                    "`tool_result` block in the next message.")
        pending = {b["id"] for b in blocks if b["type"] == "tool_use"}
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if choice is not None and not tools:
        invalid("tool_choice may only be specified while providing tools.")
    if choice is not None and choice["type"] == "tool":
        if "name" not in choice:
            fail("#/tool_choice", "required key [name] not found")
        if choice["name"] not in {tool["name"] for tool in tools}:
            invalid(f"tool_choice.name: tool '{choice['name']}' not found in tools")


def block_text(block: dict) -> str:
    """The text a block contributes to the prompt."""
    if block["type"] == "text":
        return block["text"]
    if block["type"] == "tool_use":
        return json.dumps(block["input"])
    if block["type"] == "tool_result":
        content = block.get("content", "")
        if isinstance(content, str):
            return content
        return "\n".join(b["text"] for b in content if b["type"] == "text")
    return ""


def last_user_text(messages: list[dict]) -> str:
    """The text of the last user turn (tool results when it has no text blocks)."""
    user = next(m for m in reversed(messages) if m["role"] == "user")
    blocks = blocks_of(user)
    texts = [b["text"] for b in blocks if b["type"] == "text"]
    return "\n".join(texts) if texts else "\n".join(block_text(b) for b in blocks)


def prompt_text(body: dict) -> str:
    system = body.get("system", "")
    parts = [system] if isinstance(system, str) else [b["text"] for b in system]
    for message in body["messages"]:
        parts.extend(block_text(b) for b in blocks_of(message))
    return "\n".join(p for p in parts if p)


def tool_offer(body: dict) -> tuple[list[tooluse.Tool], tooluse.Choice]:
    """The offered tools and ``tool_choice`` (``auto`` when absent, as Anthropic defaults)."""
    tools = [tooluse.Tool(tool["name"], tool["input_schema"]) for tool in body.get("tools") or []]
    choice = body.get("tool_choice") or {"type": "auto"}
    return tools, tooluse.Choice(choice["type"], choice.get("name"))


def answers_tool_results(messages: list[dict]) -> bool:
    """Whether the last user turn carries tool results (the model then answers in text unless forced)."""
    user = next(m for m in reversed(messages) if m["role"] == "user")
    return any(block["type"] == "tool_result" for block in blocks_of(user))


def model_name(model_id: str) -> str:
    """``anthropic.claude-3-haiku-20240307-v1:0`` -> ``claude-3-haiku-20240307``."""
    return re.sub(r"-v\d+(:\d+)?$", "", model_id.split(".", 1)[-1])


def check_replayed_thoughts(messages: list[dict]) -> None:
    """Thinking blocks sent back must be the model's own, unaltered (thinking on or not)."""
    for index, message in enumerate(messages):
        for position, block in enumerate(blocks_of(message)):
            path = f"messages.{index}.content.{position}"
            if block["type"] == "thinking" and not thinking.verify_signature(block["thinking"], block["signature"]):
                raise thinking.bad_signature(path)
            if block["type"] == "redacted_thinking" and thinking.unredact(block["data"]) is None:
                raise thinking.bad_redacted_data(path)


def thinking_plan(body: dict, model_id: str) -> Optional[thinking.Plan]:
    """The thinking this request gets (None: off), after Anthropic's rules (``thinking.Refused``)."""
    messages = body["messages"]
    check_replayed_thoughts(messages)
    plan = thinking.requested(model_id, body.get("thinking"), body.get("output_config"))
    if plan is None:
        return None
    choice = body.get("tool_choice") or {}
    thinking.check_sampling(plan, max_tokens=body["max_tokens"], temperature=body.get("temperature"),
                            top_p=body.get("top_p"), top_k=body.get("top_k"),
                            forced_tool=choice.get("type") in ("any", "tool"), prefill=messages[-1]["role"] == "assistant")
    if any(block["type"] == "tool_result" for block in blocks_of(messages[-1])):
        # tool results answer the assistant turn before: that turn's thinking must be replayed
        previous = blocks_of(messages[-2])
        found = previous[0]["type"] if previous else "text"
        if found not in THOUGHTS:
            raise thinking.missing_thought(len(messages) - 2, found)
    return plan


def _unmarked(block: dict) -> dict:
    return {key: value for key, value in block.items() if key != "cache_control"}


def cache_layout(body: dict) -> tuple[list[prompt_cache.Unit], list[prompt_cache.Checkpoint]]:
    """The prompt in prefix order (tools, system, messages) and its ``cache_control`` checkpoints."""
    units: list[prompt_cache.Unit] = []
    points: list[prompt_cache.Checkpoint] = []

    def add(value: Any, text: str, marker: Optional[dict], section: str, path: str) -> None:
        units.append(prompt_cache.Unit(value, text))
        if marker is not None:
            points.append(prompt_cache.Checkpoint(len(units), marker.get("ttl", "5m"), section, path))

    for index, tool in enumerate(body.get("tools") or []):
        add(["tool", _unmarked(tool)], json.dumps(_unmarked(tool), sort_keys=True), tool.get("cache_control"),
            "tools", f"tools.{index}")
    system = body.get("system", "")
    for index, block in enumerate([{"type": "text", "text": system}] if isinstance(system, str) else system):
        add(["system", _unmarked(block)], block["text"], block.get("cache_control"), "system", f"system.{index}")
    for index, message in enumerate(body["messages"]):
        for position, block in enumerate(blocks_of(message)):
            add(["message", index, message["role"], _unmarked(block)], block_text(block), block.get("cache_control"),
                "messages", f"messages.{index}.content.{position}")
    return units, points


def has_cache_markers(body: dict) -> bool:
    """Whether any block or tool carries ``cache_control`` (most requests: no, and nothing to lay out)."""
    system = body.get("system")
    blocks = [*(body.get("tools") or []), *(system if isinstance(system, list) else [])]
    blocks += [b for m in body["messages"] if isinstance(m["content"], list) for b in m["content"]]
    return any("cache_control" in block for block in blocks)


class AnthropicMessages(Family):
    name = "anthropic-messages"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)
        check_conversation(body)
        try:
            thinking_plan(body, model_id)
            if has_cache_markers(body):
                prompt_cache.check(model_id, cache_layout(body)[1])
        except thinking.Refused as exc:
            invalid(exc.message)

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        plan = thinking_plan(body, model_id)
        question = last_user_text(body["messages"])
        thought = (thinking.think(plan, question, prompt=prompt_text(body), max_tokens=body["max_tokens"])
                   if plan is not None else None)
        thought_tokens = thought.tokens if thought else 0
        tools, tool_choice = tool_offer(body)
        reply = brain.respond(question, max_tokens=body["max_tokens"] - thought_tokens,
                              stop_sequences=body.get("stop_sequences", ()), tools=tools, tool_choice=tool_choice,
                              after_tool_results=answers_tool_results(body["messages"]), stream_words=stream_words)
        caches = prompt_cache.rules_for(model_id) is not None
        if has_cache_markers(body) or body.get("tools"):
            cache = prompt_cache.active().account(model_id, *cache_layout(body))
        else:  # the same count as the layout's, without building it
            cache = prompt_cache.Usage(count_tokens(prompt_text(body)))
        message_id = "msg_bdrk_" + brain.stable_id(model_id, body)
        content: list[dict] = [thought.anthropic_block()] if thought else []
        if reply.text or not reply.tool_calls:
            content.append({"type": "text", "text": reply.text})
        for index, call in enumerate(reply.tool_calls):
            content.append({"type": "tool_use", "id": "toolu_bdrk_" + brain.stable_id(message_id, index),
                            "name": call.name, "input": call.arguments})
        stop_reason = ("tool_use" if reply.tool_calls else
                       {"end": "end_turn", "length": "max_tokens", "stop_sequence": "stop_sequence"}[reply.finish])
        output_tokens = reply.output_tokens + thought_tokens  # thinking is billed as output
        usage = {"input_tokens": cache.input_tokens, "output_tokens": output_tokens}
        if caches:  # the models that cache report both counts, zero or not
            usage.update(cache_creation_input_tokens=cache.write, cache_read_input_tokens=cache.read)
        head = {"id": message_id, "type": "message", "role": "assistant", "model": model_name(model_id)}
        return Generation(
            body={**head, "content": content, "stop_reason": stop_reason, "stop_sequence": reply.stop_sequence,
                  "usage": usage},
            chunks=self._chunks(head, content, stop_reason, reply.stop_sequence, usage),
            input_tokens=cache.input_tokens, output_tokens=output_tokens,
            cache_read_tokens=cache.read if caches else None, cache_write_tokens=cache.write if caches else None,
        )

    @staticmethod
    def _chunks(head: dict, content: list[dict], stop_reason: str, stop_sequence, usage: dict) -> list[dict]:
        chunks: list[dict[str, Any]] = [{"type": "message_start", "message": {
            **head, "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {**usage, "output_tokens": 0}}}]
        for index, block in enumerate(content):
            chunks.append({"type": "content_block_start", "index": index, "content_block": _block_start(block)})
            chunks.extend({"type": "content_block_delta", "index": index, "delta": delta} for delta in _block_deltas(block))
            chunks.append({"type": "content_block_stop", "index": index})
        chunks.append({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": stop_sequence},
                       "usage": {"output_tokens": usage["output_tokens"]}})
        chunks.append({"type": "message_stop"})
        return chunks


def _block_start(block: dict) -> dict:
    """A content block as ``content_block_start`` announces it (a redacted thought arrives whole)."""
    if block["type"] == "thinking":
        return {"type": "thinking", "thinking": ""}
    if block["type"] == "text":
        return {"type": "text", "text": ""}
    if block["type"] == "tool_use":
        return {**block, "input": {}}
    return block


def _block_deltas(block: dict) -> list[dict]:
    if block["type"] == "thinking":
        return [*({"type": "thinking_delta", "thinking": piece} for piece in brain.pieces(block["thinking"])),
                {"type": "signature_delta", "signature": block["signature"]}]
    if block["type"] == "text":
        return [{"type": "text_delta", "text": piece} for piece in brain.pieces(block["text"])]
    if block["type"] == "tool_use":
        return [{"type": "input_json_delta", "partial_json": part} for part in brain.json_fragments(block["input"])]
    return []
