"""Cohere Command (generate) — command-text-v14, command-light-text-v14 — docs/bedrock.md §5.5.

Streaming requires ``"stream": true`` in the body (InvokeModelWithResponseStream
with a body lacking it is rejected), and a non-stream invoke with ``"stream": true``
is rejected too, since the model would answer with stream chunks that InvokeModel
cannot frame (our decision; Bedrock's exact behaviour is unverified).
``num_generations`` produces that many generations; generation *i* > 0 appends
`` (i+1)`` to the text so they differ deterministically.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import (
    array,
    boolean,
    enum,
    integer,
    invalid,
    number,
    obj,
    string,
    validate,
)

SCHEMA = obj({
    "prompt": string(),
    "temperature": number(0, 5),
    "p": number(0, 1),
    "k": integer(0, 500),
    "max_tokens": integer(1, 4096),
    "stop_sequences": array(string(), 0, 4),
    "return_likelihoods": enum("GENERATION", "ALL", "NONE"),
    "stream": boolean(),
    "num_generations": integer(1, 5),
    "logit_bias": obj({}, closed=False),
    "truncate": enum("NONE", "START", "END"),
}, required=("prompt",))
REASONS = {"end": "COMPLETE", "stop_sequence": "COMPLETE", "length": "MAX_TOKENS"}


class CohereCommand(Family):
    name = "cohere-command"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)
        for token, bias in body.get("logit_bias", {}).items():
            if not token.isdigit() or not isinstance(bias, (int, float)) or isinstance(bias, bool) or not -10 <= bias <= 10:
                invalid(f"Malformed input request: #/logit_bias/{token}: expected a bias between -10 and 10 for a "
                        "token id, please reformat your input and try again.")
        if stream and body.get("stream") is not True:
            invalid('Malformed input request: #/stream: streaming requires "stream": true, please reformat your input and try again.')
        if not stream and body.get("stream") is True:
            invalid('Malformed input request: #/stream: "stream": true is only valid with InvokeModelWithResponseStream, '
                    "please reformat your input and try again.")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        count = body.get("num_generations", 1)
        base_id = brain.stable_id(model_id, body, length=32)
        generations: list[dict[str, Any]] = []
        output_tokens = 0
        for index in range(count):
            suffix = f" ({index + 1})" if index else ""
            reply = brain.respond(body["prompt"] + suffix, max_tokens=body.get("max_tokens", 20),
                                  stop_sequences=body.get("stop_sequences", ()), stream_words=stream_words)
            output_tokens += reply.output_tokens
            generations.append({"id": brain.stable_id(base_id, index, length=32), "index": index, "text": reply.text,
                                "finish_reason": REASONS[reply.finish]})
        input_tokens = count_tokens(body["prompt"])
        response = {"id": base_id, "prompt": body["prompt"], "generations": generations}
        chunks: list[dict] = []
        for generation in generations:  # several generations stream one after the other, tagged by index
            tag = {"index": generation["index"]} if count > 1 else {}
            chunks += [{"text": piece, "is_finished": False, **tag} for piece in brain.pieces(generation["text"])]
        chunks.append({"is_finished": True, "finish_reason": generations[-1]["finish_reason"], "response": response})
        return Generation(body=response, chunks=chunks, input_tokens=input_tokens, output_tokens=output_tokens)
