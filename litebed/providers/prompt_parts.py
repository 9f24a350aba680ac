"""Cache checkpoints and thinking blocks in OpenAI messages, for the families that send them.

Both are LiteLLM's and Anthropic's conventions carried on OpenAI messages:

* ``cache_control: {"type": "ephemeral", "ttl"?: "5m" | "1h"}`` on a message, a
  content part or a tool marks the end of a prompt prefix to cache. Claude's
  InvokeModel body takes it as is on the block it marks; Converse and Nova take a
  ``{"cachePoint": {"type": "default"}}`` block placed after it.
* ``thinking_blocks`` on an assistant message are Claude's thinking blocks as
  litebed returned them (``{"type": "thinking", "thinking", "signature"}`` or
  ``{"type": "redacted_thinking", "data"}``); Claude needs them back, unchanged,
  in front of the tool calls they led to. Converse carries them as
  ``reasoningContent`` blocks.

Pure helpers: what a model accepts is checked before (``litebed._caching``,
``litebed._reasoning``); here a marker or block is only shaped.
"""

from __future__ import annotations

from typing import Any, Optional

from ..errors import BadRequestError
from .requests import expected

#: The cache lifetimes Bedrock knows; "5m" is the default.
CACHE_TTLS = ("5m", "1h")


def cache_marker(holder: Any, where: str) -> Optional[dict]:
    """``holder["cache_control"]`` checked -> Anthropic's marker (``{"type": "ephemeral"[, "ttl"]}``) or None."""
    if not isinstance(holder, dict):
        return None
    marker = holder.get("cache_control")
    if marker is None:
        return None
    if not isinstance(marker, dict) or marker.get("type") != "ephemeral" or not set(marker) <= {"type", "ttl"}:
        raise expected(f"{where}.cache_control", '{"type": "ephemeral"} (optionally with "ttl": "5m" or "1h")', marker)
    ttl = marker.get("ttl")
    if ttl is not None and ttl not in CACHE_TTLS:
        raise expected(f"{where}.cache_control.ttl", '"5m" or "1h"', ttl)
    return {"type": "ephemeral", "ttl": ttl} if ttl else {"type": "ephemeral"}


def cache_point(marker: dict) -> dict:
    """An Anthropic marker -> Converse's (and Nova's) ``cachePoint`` block."""
    point: dict[str, Any] = {"type": "default"}
    if marker.get("ttl"):
        point["ttl"] = marker["ttl"]
    return {"cachePoint": point}


def check_thinking_blocks(blocks: Any, where: str) -> list[dict]:
    """An assistant message's ``thinking_blocks``, checked against Anthropic's two shapes."""
    if not isinstance(blocks, list):
        raise expected(where, "a list of thinking blocks, as litebed returned them", blocks)
    for k, block in enumerate(blocks):
        at = f"{where}[{k}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking":
            for key in ("thinking", "signature"):
                if not isinstance(block.get(key), str):
                    raise expected(f"{at}.{key}", "a string (send the block back exactly as litebed returned it)",
                                   block.get(key))
        elif kind == "redacted_thinking":
            if not isinstance(block.get("data"), str):
                raise expected(f"{at}.data", "a string (send the block back exactly as litebed returned it)",
                               block.get("data"))
        else:
            raise expected(f"{at}.type", "'thinking' or 'redacted_thinking'", kind)
    return blocks


def anthropic_thinking_block(block: dict) -> dict:
    """A thinking block as Claude's InvokeModel body takes it (only Anthropic's keys)."""
    if block["type"] == "thinking":
        return {"type": "thinking", "thinking": block["thinking"], "signature": block["signature"]}
    return {"type": "redacted_thinking", "data": block["data"]}


def converse_reasoning_block(block: dict) -> dict:
    """A thinking block -> Converse's ``reasoningContent`` block (a blob is base64 on the wire)."""
    if block["type"] == "thinking":
        return {"reasoningContent": {"reasoningText": {"text": block["thinking"], "signature": block["signature"]}}}
    return {"reasoningContent": {"redactedContent": block["data"]}}


def thinking_text(blocks: list[dict]) -> Optional[str]:
    """The readable reasoning of ``blocks`` (redacted blocks have none)."""
    texts = [b["thinking"] for b in blocks if b.get("type") == "thinking" and b.get("thinking")]
    return "".join(texts) if texts else None


def require_thinking_before_tools(messages: list[dict], model_id: str) -> None:
    """With thinking on, Claude needs the assistant message whose tool calls the conversation
    is answering to carry its thinking blocks; refuse the request before sending otherwise."""
    last = len(messages) - 1
    while last >= 0 and isinstance(messages[last], dict) and messages[last].get("role") == "tool":
        last -= 1
    if last == len(messages) - 1 or last < 0:
        return  # the conversation does not end with tool results
    message = messages[last]
    if message.get("role") != "assistant" or not message.get("tool_calls") or message.get("thinking_blocks"):
        return
    raise BadRequestError(
        f"messages[{last}]: with thinking on, {model_id} needs the assistant message that made the tool calls "
        "to carry its thinking_blocks, unchanged, as litebed returned them (response.choices[0].message."
        "thinking_blocks); append the assistant message whole (message.model_dump()), or turn thinking off "
        "for this request"
    )
