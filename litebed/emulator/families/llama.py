"""Meta Llama 2 / 3 / 3.1 / 3.2 / 3.3 — docs/bedrock.md §5.9.

Only ``prompt``, ``temperature``, ``top_p``, ``max_gen_len`` (1–2048) and, for the
3.2 vision models, ``images``; there is no stop field (a ``stop`` key is rejected
and the model ignores stop sequences). Bedrock does not validate chat templates,
so the last user turn is extracted robustly: the last Llama 3 ``user`` header
block, else the last Llama 2 ``[INST] ... [/INST]``, else the raw prompt.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import array, base64_string, integer, number, obj, string, validate

_LLAMA3_USER = re.compile(r"<\|start_header_id\|>user<\|end_header_id\|>(.*?)(?:<\|eot_id\|>|\Z)", re.DOTALL)
_LLAMA2_USER = re.compile(r"\[INST\](.*?)\[/INST\]", re.DOTALL)
_LLAMA2_SYSTEM = re.compile(r"<<SYS>>.*?<</SYS>>", re.DOTALL)
_SPECIAL = re.compile(r"<\|[a-z_]+\|>|</?s>")
VISION = ("meta.llama3-2-11b", "meta.llama3-2-90b")


def last_user_text(prompt: str) -> str:
    turns = _LLAMA3_USER.findall(prompt)
    if turns:
        return turns[-1]
    turns = _LLAMA2_USER.findall(prompt)
    if turns:
        return _LLAMA2_SYSTEM.sub("", turns[-1])
    return _SPECIAL.sub("", prompt)


def schema(model_id: str):
    fields = {"prompt": string(), "temperature": number(0, 1), "top_p": number(0, 1), "max_gen_len": integer(1, 2048)}
    if model_id.startswith(VISION):
        fields["images"] = array(base64_string())
    return obj(fields, required=("prompt",))


class Llama(Family):
    name = "llama"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, schema(model_id))

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        reply = brain.respond(last_user_text(body["prompt"]), max_tokens=body.get("max_gen_len", 512),
                              stream_words=stream_words)
        input_tokens, output_tokens = count_tokens(body["prompt"]), reply.output_tokens
        stop_reason = "length" if reply.finish == "length" else "stop"
        chunks, emitted = [], ""
        for index, piece in enumerate(brain.pieces(reply.text)):
            emitted += piece
            chunks.append({"generation": piece, "prompt_token_count": input_tokens if index == 0 else None,
                           "generation_token_count": count_tokens(emitted), "stop_reason": None})
        chunks.append({"generation": "", "prompt_token_count": None if chunks else input_tokens,
                       "generation_token_count": output_tokens, "stop_reason": stop_reason})
        return Generation(
            body={"generation": reply.text, "prompt_token_count": input_tokens,
                  "generation_token_count": output_tokens, "stop_reason": stop_reason},
            chunks=chunks, input_tokens=input_tokens, output_tokens=output_tokens,
        )
