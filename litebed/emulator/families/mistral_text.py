"""Mistral text completion (7B Instruct, Mixtral 8x7B, Large 2402, Small 2402) — docs/bedrock.md §5.10.

``prompt`` required; ``max_tokens`` capped per model; ``stop`` ≤ 10 strings;
``temperature``/``top_p`` 0–1; ``top_k`` 1–200. The last user turn is the last
``[INST] ... [/INST]`` block (else the raw prompt).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import array, integer, number, obj, string, validate

MAX_TOKENS = {
    "mistral.mistral-7b-instruct-v0:2": 8192,
    "mistral.mixtral-8x7b-instruct-v0:1": 4096,
    "mistral.mistral-large-2402-v1:0": 8192,
    "mistral.mistral-large-2407-v1:0": 8192,
    "mistral.mistral-small-2402-v1:0": 8192,
}
_INST = re.compile(r"\[INST\](.*?)\[/INST\]", re.DOTALL)


def schema(model_id: str):
    return obj({
        "prompt": string(),
        "max_tokens": integer(1, MAX_TOKENS.get(model_id, 8192)),
        "stop": array(string(), 0, 10),
        "temperature": number(0, 1),
        "top_p": number(0, 1),
        "top_k": integer(1, 200),
    }, required=("prompt",))


def last_user_text(prompt: str) -> str:
    turns = _INST.findall(prompt)
    return turns[-1] if turns else prompt.replace("<s>", "").replace("</s>", "")


class MistralText(Family):
    name = "mistral-text"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, schema(model_id))

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        default = 512 if model_id.startswith(("mistral.mistral-7b", "mistral.mixtral")) else 8192
        reply = brain.respond(last_user_text(body["prompt"]), max_tokens=body.get("max_tokens", default),
                              stop_sequences=body.get("stop", ()), stream_words=stream_words)
        stop_reason = "length" if reply.finish == "length" else "stop"
        chunks = [{"outputs": [{"text": piece, "stop_reason": None}]} for piece in brain.pieces(reply.text)]
        chunks.append({"outputs": [{"text": "", "stop_reason": stop_reason}]})
        return Generation(body={"outputs": [{"text": reply.text, "stop_reason": stop_reason}]}, chunks=chunks,
                          input_tokens=count_tokens(body["prompt"]), output_tokens=reply.output_tokens)
