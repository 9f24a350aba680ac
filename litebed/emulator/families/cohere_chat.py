"""Cohere Command R / R+ (chat) — docs/bedrock.md §5.6.

``message`` is required; ``chat_history`` entries are ``{role: USER|CHATBOT, message}``;
tools use ``parameter_definitions``; ``tool_results`` pair a ``call`` with ``outputs``.
Tool calls carry no ids (as in the native protocol). Streams are ``event_type``
objects: ``stream-start``, ``text-generation`` per piece, ``tool-calls-generation``
when the model calls tools, ``stream-end`` with the whole response.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from .. import brain, tooluse
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import (
    anything,
    array,
    boolean,
    enum,
    free_object,
    integer,
    number,
    obj,
    string,
    validate,
)

PARAMETER = obj({"description": string(), "type": string(min_len=1), "required": boolean()}, required=("type",))
SCHEMA = obj({
    "message": string(),
    "chat_history": array(obj({"role": enum("USER", "CHATBOT", "SYSTEM", "TOOL"), "message": string(),
                               "tool_calls": anything(), "tool_results": anything()}, required=("role",))),
    "preamble": string(),
    "documents": array(obj({}, closed=False)),
    "search_queries_only": boolean(),
    "max_tokens": integer(1, 4000),
    "temperature": number(0, 1),
    "p": number(0.01, 0.99),
    "k": integer(0, 500),
    "prompt_truncation": enum("OFF", "AUTO_PRESERVE_ORDER"),
    "frequency_penalty": number(0, 1),
    "presence_penalty": number(0, 1),
    "seed": integer(),
    "return_prompt": boolean(),
    "tools": array(obj({"name": string(min_len=1), "description": string(),
                        "parameter_definitions": obj({}, closed=False)}, required=("name", "description"))),
    "tool_results": array(obj({"call": obj({"name": string(), "parameters": free_object(), "generation_id": string()},
                                           required=("name", "parameters")),
                               "outputs": array(free_object())}, required=("call", "outputs"))),
    "stop_sequences": array(string(), 0, 4),
    "raw_prompting": boolean(),
}, required=("message",))


def _check_parameters(body: dict) -> None:
    for index, tool in enumerate(body.get("tools", [])):
        for name, definition in tool.get("parameter_definitions", {}).items():
            PARAMETER(definition, f"#/tools/{index}/parameter_definitions/{name}")


def prompt_text(body: dict) -> str:
    parts = [body.get("preamble", "")]
    parts += [entry.get("message", "") for entry in body.get("chat_history", [])]
    parts += [json.dumps(result["outputs"]) for result in body.get("tool_results", [])]
    parts.append(body["message"])
    return "\n".join(part for part in parts if part)


class CohereChat(Family):
    name = "cohere-chat"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)
        _check_parameters(body)

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        user_text = body["message"] or "\n".join(json.dumps(r["outputs"]) for r in body.get("tool_results", []))
        # Cohere has no tool choice: the model decides as with ``auto``.
        reply = brain.respond(user_text, max_tokens=body.get("max_tokens"), stop_sequences=body.get("stop_sequences", ()),
                              tools=tooluse.cohere_tools(body.get("tools")),
                              after_tool_results=bool(body.get("tool_results")), stream_words=stream_words)
        input_tokens = count_tokens(prompt_text(body))
        finish = {"end": "COMPLETE", "length": "MAX_TOKENS", "stop_sequence": "STOP_SEQUENCE"}[reply.finish]
        response_id = brain.stable_id(model_id, body, length=32)
        response = {
            "response_id": response_id, "generation_id": brain.stable_id(response_id, length=32), "text": reply.text,
            "finish_reason": finish,
            "chat_history": [*body.get("chat_history", []), {"role": "USER", "message": body["message"]},
                             {"role": "CHATBOT", "message": reply.text}],
            "meta": {"api_version": {"version": "1"},
                     "billed_units": {"input_tokens": input_tokens, "output_tokens": reply.output_tokens}},
        }
        if reply.tool_calls:
            response["tool_calls"] = [{"name": c.name, "parameters": c.arguments} for c in reply.tool_calls]
        chunks: list[dict] = [{"event_type": "stream-start", "is_finished": False, "generation_id": response["generation_id"]}]
        chunks += [{"event_type": "text-generation", "is_finished": False, "text": piece} for piece in brain.pieces(reply.text)]
        if reply.tool_calls:
            chunks.append({"event_type": "tool-calls-generation", "is_finished": False, "text": reply.text,
                           "tool_calls": response["tool_calls"]})
        chunks.append({"event_type": "stream-end", "is_finished": True, "finish_reason": finish, "response": response})
        return Generation(body=response, chunks=chunks, input_tokens=input_tokens, output_tokens=reply.output_tokens)
