"""Cohere Embed v3 (English, Multilingual) — docs/bedrock.md §5.14.

``texts`` (1–96, each ≤ 2,048 chars) or ``images`` (one data URI), never both;
``input_type`` required; ``truncate`` NONE|START|END; ``embedding_types``
float|int8|uint8|binary|ubinary. 1024 normalized dimensions. Not streaming.
"""

from __future__ import annotations

from typing import Any, Optional

from .. import brain
from ..tokens import count_tokens
from .base import Family, Generation
from .embedding import quantize, vector
from .validation import array, enum, fail, invalid, obj, string, validate

DIMENSIONS = 1024
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
SCHEMA = obj({
    "texts": array(string(2048), 1, 96),
    "images": array(string(), 1, 1),
    "input_type": enum(*INPUT_TYPES),
    "truncate": enum("NONE", "START", "END"),
    "embedding_types": array(enum("float", "int8", "uint8", "binary", "ubinary"), 1),
}, required=("input_type",))


class CohereEmbed(Family):
    name = "cohere-embed"
    streaming = False

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)
        if ("texts" in body) == ("images" in body):
            invalid("Malformed input request: #: exactly one of [texts, images] is required, "
                    "please reformat your input and try again.")
        for index, uri in enumerate(body.get("images", [])):
            if not uri.startswith(("data:image/png;base64,", "data:image/jpeg;base64,")):
                fail(f"#/images/{index}", "expected a data:image/png or data:image/jpeg base64 URI")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        inputs = body.get("texts") or body["images"]
        floats = [vector(text, DIMENSIONS) for text in inputs]
        response: dict = {"id": brain.stable_id(model_id, body, length=32).lower()}
        if "embedding_types" in body:
            response["response_type"] = "embeddings_by_type"
            response["embeddings"] = {kind: floats if kind == "float" else [quantize(v, kind) for v in floats]
                                      for kind in body["embedding_types"]}
        else:
            response["response_type"] = "embeddings_floats"
            response["embeddings"] = floats
        response["texts"] = body.get("texts", [])
        if "images" in body:
            response["images"] = [{"width": 1, "height": 1, "format": "png", "bit_depth": 8}]
        tokens = sum(count_tokens(text) for text in body.get("texts", []))
        return Generation(response, [], tokens, 0)
