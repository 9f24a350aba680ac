"""Mistral chat completion (Large 2402, Large 2 / 2407) — docs/bedrock.md §5.11.

``messages`` with system/user/assistant/tool roles, OpenAI-style ``tools``,
``tool_choice`` ``auto|any|none`` (no named form), ``max_tokens``, ``temperature``,
``top_p``. Tool calls get 9-character alphanumeric ids and JSON-string arguments.
Streams repeat the response shape with ``choices[].message`` holding each piece
(our reading of the reference's response shape; Bedrock's exact chat stream is
unverified). ``MistralLarge`` serves both a ``prompt`` and a ``messages`` body.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from .. import brain, tooluse
from ..tokens import count_tokens
from .base import Family, Generation
from .mistral_text import MAX_TOKENS, MistralText
from .validation import (
    Check,
    anything,
    array,
    enum,
    free_object,
    integer,
    invalid,
    number,
    obj,
    string,
    validate,
)

TOOL_CALL = obj({"id": string(), "type": enum("function"),
                 "function": obj({"name": string(), "arguments": string()}, required=("name", "arguments"))},
                required=("function",))
MESSAGE = obj({"role": enum("system", "user", "assistant", "tool"), "content": anything(),
               "tool_calls": array(TOOL_CALL), "tool_call_id": string(), "name": string()}, required=("role",))
TOOL = obj({"type": enum("function"), "function": obj(
    {"name": string(min_len=1), "description": string(), "parameters": free_object()}, required=("name",))},
    required=("type", "function"))


def schema(model_id: str) -> Check:
    return obj({
        "messages": array(MESSAGE, 1),
        "tools": array(TOOL),
        "tool_choice": enum("auto", "any", "none"),
        "max_tokens": integer(1, MAX_TOKENS.get(model_id, 8192)),
        "temperature": number(0, 1),
        "top_p": number(0, 1),
    }, required=("messages",))


def check_tool_messages(messages: list[dict]) -> None:
    known: set[str] = set()
    for index, message in enumerate(messages):
        known |= {call["id"] for call in message.get("tool_calls") or [] if "id" in call}
        if message["role"] == "tool" and message.get("tool_call_id") not in known:
            invalid(f"messages.{index}: tool message tool_call_id [{message.get('tool_call_id')}] does not match "
                    "any tool call of a previous assistant message")


def text_of(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


class MistralChat(Family):
    name = "mistral-chat"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, schema(model_id))
        check_tool_messages(body["messages"])

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        messages = body["messages"]
        last = next((m for m in reversed(messages) if m["role"] in ("user", "tool")), messages[-1])
        # tool_choice "none" takes the tools away, directives included
        tools = tooluse.function_tools(body.get("tools")) if body.get("tool_choice") != "none" else []
        reply = brain.respond(text_of(last.get("content")), max_tokens=body.get("max_tokens", 8192), tools=tools,
                              tool_choice=tooluse.Choice(body.get("tool_choice", "auto")),
                              after_tool_results=last["role"] == "tool", stream_words=stream_words)
        tool_calls = [{"id": brain.stable_id(model_id, body, index, length=9),
                       "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                      for index, c in enumerate(reply.tool_calls)]
        stop_reason = "tool_calls" if tool_calls else ("length" if reply.finish == "length" else "stop")
        message = {"role": "assistant", "content": reply.text, **({"tool_calls": tool_calls} if tool_calls else {})}
        chunks: list[dict[str, Any]] = [{"choices": [{"index": 0, "message": {"role": "assistant", "content": piece}, "stop_reason": None}]}
                  for piece in brain.pieces(reply.text)]
        final = {"role": "assistant", "content": "", **({"tool_calls": tool_calls} if tool_calls else {})}
        chunks.append({"choices": [{"index": 0, "message": final, "stop_reason": stop_reason}]})
        input_tokens = count_tokens("\n".join(text_of(m.get("content")) for m in messages))
        return Generation(body={"choices": [{"index": 0, "message": message, "stop_reason": stop_reason}]},
                          chunks=chunks, input_tokens=input_tokens, output_tokens=reply.output_tokens)


class MistralLarge(Family):
    """Mistral Large accepts both the text-completion and the chat body."""

    name = "mistral-large"
    _text, _chat = MistralText(), MistralChat()

    def _pick(self, body: Any) -> Family:
        return self._chat if isinstance(body, dict) and "messages" in body else self._text

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        self._pick(body).validate(body, model_id=model_id, stream=stream)

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        return self._pick(body).generate(body, model_id=model_id, stream=stream, stream_words=stream_words)
