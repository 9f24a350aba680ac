"""AI21 Jurassic-2 (Mid, Ultra) — docs/bedrock.md §5.7.

camelCase keys, penalty objects with ``scale`` and ``applyTo*`` flags; not a
streaming model. ``numResults`` (1–16) and ``minTokens`` are AI21's own
parameters, seen passed through Bedrock by third-party code; accepted here.
The ``tokens`` lists hold exactly as many entries as the emulated token count.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import array, boolean, integer, number, obj, string, validate

_FLAGS = {flag: boolean() for flag in ("applyToWhitespaces", "applyToPunctuations", "applyToNumbers",
                                        "applyToStopwords", "applyToEmojis")}


def penalty(hi: float):
    return obj({"scale": number(0, hi), **_FLAGS}, required=("scale",))


SCHEMA = obj({
    "prompt": string(),
    "maxTokens": integer(0, 8191),
    "minTokens": integer(0, 8191),
    "temperature": number(0, 1),
    "topP": number(0, 1),
    "stopSequences": array(string()),
    "numResults": integer(1, 16),
    "countPenalty": penalty(1),
    "presencePenalty": penalty(5),
    "frequencyPenalty": penalty(500),
}, required=("prompt",))


def token_list(text: str) -> list[dict]:
    """``count_tokens(text)`` token entries covering ``text`` in near-equal character slices."""
    count = count_tokens(text)
    bounds = [round(i * len(text) / count) for i in range(count + 1)] if count else [0]
    return [{"generatedToken": {"token": text[start:end], "logprob": 0.0, "raw_logprob": 0.0},
             "topTokens": None, "textRange": {"start": start, "end": end}}
            for start, end in pairwise(bounds)]


class AI21Jurassic(Family):
    name = "ai21-j2"
    streaming = False

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        completions, output_tokens = [], 0
        for index in range(body.get("numResults", 1)):
            suffix = f" ({index + 1})" if index else ""
            reply = brain.respond(body["prompt"] + suffix, max_tokens=body.get("maxTokens", 200),
                                  stop_sequences=body.get("stopSequences", ()), stream_words=stream_words)
            output_tokens += reply.output_tokens
            if reply.finish == "length":
                reason = {"reason": "length", "length": body.get("maxTokens", 200)}
            elif reply.finish == "stop_sequence":
                reason = {"reason": "stop", "sequence": reply.stop_sequence}
            else:
                reason = {"reason": "endoftext"}
            completions.append({"data": {"text": reply.text, "tokens": token_list(reply.text)}, "finishReason": reason})
        input_tokens = count_tokens(body["prompt"])
        response_id = int(brain.stable_id(model_id, body, length=8), 36) % 10**9
        return Generation(
            body={"id": response_id, "prompt": {"text": body["prompt"], "tokens": token_list(body["prompt"])},
                  "completions": completions},
            chunks=[], input_tokens=input_tokens, output_tokens=output_tokens,
        )
