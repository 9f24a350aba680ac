"""Anthropic Claude Text Completions (instant-v1, v2, v2:1) — docs/bedrock.md §5.1.

Prompt rules: turns introduced by exactly ``"\\n\\nHuman:"`` / ``"\\n\\nAssistant:"``,
alternating, starting with Human and ending with an open Assistant turn (optionally
followed by prefill text). Claude 2.1 accepts a system prompt before the first
Human turn (Anthropic's documented 2.1 behaviour; Bedrock acceptance unverified,
we accept it for ``anthropic.claude-v2:1`` only).
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import array, enum, integer, invalid, number, obj, string, validate

HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"
_TURN = re.compile(r"\n\n(Human|Assistant):")

SCHEMA = obj({
    "prompt": string(),
    "max_tokens_to_sample": integer(0, 4096),
    "temperature": number(0, 1),
    "top_p": number(0, 1),
    "top_k": integer(0, 500),
    "stop_sequences": array(string()),
    "anthropic_version": enum("bedrock-2023-05-31"),
}, required=("prompt", "max_tokens_to_sample"))


def last_human_text(prompt: str, *, allow_system: bool) -> str:
    """Check the turn structure and return the last Human turn's text."""
    turns = list(_TURN.finditer(prompt))
    if not turns or turns[0].group(1) != "Human" or (turns[0].start() != 0 and not allow_system):
        invalid('Invalid prompt: prompt must start with "\\n\\nHuman:" turn')
    for previous, current in pairwise(turns):
        if previous.group(1) == current.group(1):
            invalid('Invalid prompt: prompt must alternate between "\\n\\nHuman:" and "\\n\\nAssistant:" turns')
    if turns[-1].group(1) != "Assistant":
        invalid('Invalid prompt: prompt must end with "\\n\\nAssistant:" turn')
    human = turns[-2]
    return prompt[human.end():turns[-1].start()]


class AnthropicText(Family):
    name = "anthropic-text"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)
        last_human_text(body["prompt"], allow_system=model_id.startswith("anthropic.claude-v2:1"))

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        user = last_human_text(body["prompt"], allow_system=True)
        reply = brain.respond(user, max_tokens=body["max_tokens_to_sample"],
                              stop_sequences=body.get("stop_sequences", ()), stream_words=stream_words)
        if reply.finish == "length":
            stop_reason, stop = "max_tokens", None
        else:  # a natural end is the built-in "\n\nHuman:" stop sequence
            stop_reason, stop = "stop_sequence", reply.stop_sequence or HUMAN
        chunks = [{"completion": piece, "stop_reason": None, "stop": None} for piece in brain.pieces(reply.text)]
        chunks.append({"completion": "", "stop_reason": stop_reason, "stop": stop})
        return Generation(
            body={"completion": reply.text, "stop_reason": stop_reason, "stop": stop},
            chunks=chunks, input_tokens=count_tokens(body["prompt"]), output_tokens=reply.output_tokens,
        )
