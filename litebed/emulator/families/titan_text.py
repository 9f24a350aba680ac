"""Amazon Titan Text (Express, Lite, Premier, TG1 Large) — docs/bedrock.md §5.3.

``textGenerationConfig`` is closed (temperature, topP, maxTokenCount,
stopSequences) and ``maxTokenCount`` is capped per model. A natural end answers
``FINISH`` (what the service sends, §9.12), a cut one ``LENGTH`` or
``STOP_CRITERIA_MET``. The last user turn is read from the conversational
``User: ...\\nBot:`` form when present, else the whole input text.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens
from .base import Family, Generation
from .validation import array, integer, number, obj, string, validate

MAX_TOKEN_COUNT = {
    "amazon.titan-text-lite-v1": 4096,
    "amazon.titan-text-express-v1": 8192,
    "amazon.titan-tg1-large": 8192,
    "amazon.titan-text-premier-v1:0": 3072,
}
_USER_TURN = re.compile(r"(?:^|\n)User:(.*?)(?=\nBot:|\Z)", re.DOTALL)
REASONS = {"end": "FINISH", "length": "LENGTH", "stop_sequence": "STOP_CRITERIA_MET"}


def schema(model_id: str):
    return obj({
        "inputText": string(),
        "textGenerationConfig": obj({
            "temperature": number(0, 1),
            "topP": number(0, 1),
            "maxTokenCount": integer(0, MAX_TOKEN_COUNT.get(model_id, 8192)),
            "stopSequences": array(string()),
        }),
    }, required=("inputText",))


def last_user_text(input_text: str) -> str:
    turns = _USER_TURN.findall(input_text)
    return turns[-1] if turns else input_text


class TitanText(Family):
    name = "titan-text"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, schema(model_id))

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        config = body.get("textGenerationConfig", {})
        reply = brain.respond(last_user_text(body["inputText"]), max_tokens=config.get("maxTokenCount", 512),
                              stop_sequences=config.get("stopSequences", ()), stream_words=stream_words)
        input_tokens, output_tokens = count_tokens(body["inputText"]), reply.output_tokens
        reason = REASONS[reply.finish]
        pieces = brain.pieces(reply.text) or [""]
        chunks, emitted = [], ""
        for index, piece in enumerate(pieces):
            emitted += piece
            last = index == len(pieces) - 1
            chunks.append({"outputText": piece, "index": 0, "totalOutputTextTokenCount": count_tokens(emitted),
                           "completionReason": reason if last else None,
                           "inputTextTokenCount": input_tokens if index == 0 else None})
        return Generation(
            body={"inputTextTokenCount": input_tokens,
                  "results": [{"tokenCount": output_tokens, "outputText": reply.text, "completionReason": reason}]},
            chunks=chunks, input_tokens=input_tokens, output_tokens=output_tokens,
        )
