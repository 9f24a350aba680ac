"""DeepSeek-R1 (``deepseek.r1-v1:0``) — from AWS's "DeepSeek models" page of the Bedrock user guide.

Request: ``{"prompt": string, "temperature": float, "top_p": float,
"max_tokens": int, "stop": string array}`` — ``prompt`` required,
``temperature`` and ``top_p`` at most 1, ``max_tokens`` 1 to 32,768, ``stop``
at most 10 items. Response: ``{"choices": [{"text": string, "stop_reason":
string}]}`` with ``stop_reason`` ``stop`` (the model finished) or ``length``
(``max_tokens`` reached). Streams repeat that shape, one chunk per piece of
text with a null ``stop_reason`` until the last (as third-party clients read
them; the page shows no stream chunk).

The page's example prompt is DeepSeek's chat template ending in
``<｜Assistant｜><think>\\n``: the model first writes its reasoning, closes it
with ``</think>``, then answers. The emulated model does the same — a fixed
reasoning sentence, ``\\n</think>\\n\\n``, then the brain's reply — and stop
sequences and ``max_tokens`` apply to that whole generated text, as they
would on the real model. The last ``<｜User｜>`` turn of the prompt (up to the
next template marker) is what the brain answers; a prompt without the template
is answered whole. No default ``max_tokens`` is documented; 8192 is used.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens, truncate_to_tokens
from .base import Family, Generation
from .validation import array, integer, number, obj, string, validate

SCHEMA = obj({
    "prompt": string(),
    "temperature": number(0, 1),
    "top_p": number(0, 1),
    "max_tokens": integer(1, 32768),
    "stop": array(string(), 0, 10),
}, required=("prompt",))

#: What the emulated model "thinks" before every answer.
REASONING = "Thinking about the request."
DEFAULT_MAX_TOKENS = 8192
_USER_TURN = re.compile("<\uff5cUser\uff5c>(.*?)(?=<\uff5c|\\Z)", re.DOTALL)


def last_user_text(prompt: str) -> str:
    turns = _USER_TURN.findall(prompt)
    return turns[-1] if turns else prompt


def generated_text(prompt: str, *, stops: list[str], max_tokens: int, stream_words: Optional[int]) -> tuple[str, str]:
    """(the text the model writes after the prompt, its stop_reason)."""
    reply = brain.respond(last_user_text(prompt), stream_words=stream_words)
    text = f"{REASONING}\n</think>\n\n{reply.text}"
    reason = "stop"
    hits = [text.find(stop) for stop in stops if stop and stop in text]
    if hits:
        text = text[:min(hits)]
    if count_tokens(text) > max_tokens:
        text, reason = truncate_to_tokens(text, max_tokens), "length"
    return text, reason


class DeepSeekR1(Family):
    name = "deepseek-r1"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        text, reason = generated_text(body["prompt"], stops=body.get("stop", []),
                                      max_tokens=body.get("max_tokens", DEFAULT_MAX_TOKENS), stream_words=stream_words)
        chunks: list[dict] = [{"choices": [{"text": piece, "stop_reason": None}]} for piece in brain.pieces(text)]
        chunks.append({"choices": [{"text": "", "stop_reason": reason}]})
        return Generation(body={"choices": [{"text": text, "stop_reason": reason}]}, chunks=chunks,
                          input_tokens=count_tokens(body["prompt"]), output_tokens=count_tokens(text))
