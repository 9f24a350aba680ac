"""AI21 Jamba (Instruct, 1.5 Mini, 1.5 Large) — docs/bedrock.md §5.8.

An OpenAI-like chat body with Bedrock's documented subset: ``messages`` (roles
system/user/assistant, plus tool for 1.5), ``max_tokens`` 0–4096, ``temperature``
0–2, ``top_p``, ``stop``, ``n`` 1–16 (1 when streaming), penalties, and for 1.5
``tools`` / ``response_format``. OpenAI-only keys (``tool_choice``, ``user``,
``seed``, ``stream_options``...) are rejected. Several choices (``n``) differ by an
index suffix. Streams send ``choices[].delta`` chunks; the last carries
``finish_reason`` and ``usage``.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from .. import brain, tooluse
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import (
    Check,
    anything,
    array,
    enum,
    fail,
    free_object,
    integer,
    number,
    obj,
    string,
    validate,
)

TOOL_CALL = obj({"id": string(), "type": enum("function"),
                 "function": obj({"name": string(), "arguments": string()}, required=("name", "arguments"))},
                required=("id", "function"))
FINISH = {"end": "stop", "length": "length", "stop_sequence": "stop"}


def schema(model_id: str) -> Check:
    v15 = "jamba-1-5" in model_id
    roles = ("system", "user", "assistant", "tool") if v15 else ("system", "user", "assistant")
    message = obj({"role": enum(*roles), "content": anything(), "tool_calls": array(TOOL_CALL), "tool_call_id": string()},
                  required=("role",))
    fields: dict[str, Check] = {
        "messages": array(message, 1),
        "max_tokens": integer(0, 4096),
        "temperature": number(0, 2),
        "top_p": number(0, 1),
        "stop": array(string()),
        "n": integer(1, 16),
        "frequency_penalty": number(),
        "presence_penalty": number(),
    }
    if v15:
        fields["tools"] = array(obj({"type": enum("function"), "function": obj(
            {"name": string(min_len=1), "description": string(), "parameters": free_object()}, required=("name",))},
            required=("type", "function")))
        fields["response_format"] = obj({"type": enum("text", "json_object")}, required=("type",))
        fields["documents"] = array(free_object())
    return obj(fields, required=("messages",))


def text_of(content: Any) -> str:
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


class AI21Jamba(Family):
    name = "ai21-jamba"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, schema(model_id))
        if stream and body.get("n", 1) != 1:
            fail("#/n", "n must be 1 when streaming")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        messages = body["messages"]
        last_user = next((m for m in reversed(messages) if m["role"] in ("user", "tool")), messages[-1])
        prompt = "\n".join(text_of(m.get("content")) for m in messages)
        input_tokens = count_tokens(prompt)
        completion_id = "chatcmpl-" + brain.stable_id(model_id, body, length=32)
        choices: list[dict[str, Any]] = []
        output_tokens, replies = 0, []
        for index in range(body.get("n", 1)):
            suffix = f" ({index + 1})" if index else ""
            reply = brain.respond(text_of(last_user.get("content")) + suffix, max_tokens=body.get("max_tokens", 4096),
                                  stop_sequences=body.get("stop", ()), tools=tooluse.function_tools(body.get("tools")),
                                  after_tool_results=last_user["role"] == "tool",
                                  stream_words=stream_words)
            replies.append(reply)
            output_tokens += reply.output_tokens
            tool_calls = [{"id": "call_" + brain.stable_id(completion_id, index, i, length=24), "type": "function",
                           "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                          for i, c in enumerate(reply.tool_calls)] or None
            choices.append({"index": index, "message": {"role": "assistant", "content": reply.text, "tool_calls": tool_calls},
                            "finish_reason": "tool_calls" if tool_calls else FINISH[reply.finish]})
        usage = {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                 "total_tokens": input_tokens + output_tokens}
        model = model_id.split(".", 1)[-1].rsplit("-v1", 1)[0]
        first = choices[0]
        chunks: list[dict[str, Any]] = [{"id": completion_id, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                     "finish_reason": None}]}]
        chunks += [{"id": completion_id, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                   for piece in brain.pieces(replies[0].text)]
        final_delta = {"tool_calls": first["message"]["tool_calls"]} if first["message"]["tool_calls"] else {}
        chunks.append({"id": completion_id, "choices": [{"index": 0, "delta": final_delta,
                                                         "finish_reason": first["finish_reason"]}], "usage": usage})
        return Generation(
            body={"id": completion_id, "model": model, "choices": choices, "usage": usage,
                  "meta": {"requestDurationMillis": 10 + output_tokens}},
            chunks=chunks, input_tokens=input_tokens, output_tokens=output_tokens,
        )
