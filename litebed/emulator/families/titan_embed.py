"""Amazon Titan embeddings: G1 Text, Text V2, Multimodal G1 — docs/bedrock.md §5.14.

* G1 Text (``amazon.titan-embed-text-v1``, ``-g1-text-02``): only ``inputText``; 1536 dims.
* Text V2 (``amazon.titan-embed-text-v2:0``): ``inputText`` (≤ 50,000 chars),
  ``dimensions`` 256|512|1024, ``normalize``, ``embeddingTypes`` float|binary;
  ``embeddingsByType`` always present.
* Multimodal G1 (``amazon.titan-embed-image-v1``): ``inputText`` and/or ``inputImage``,
  ``embeddingConfig.outputEmbeddingLength`` 256|384|1024.
Embedding models do not stream.
"""

from __future__ import annotations

from typing import Any, Optional

from ..tokens import count_tokens
from .base import Family, Generation
from .embedding import vector
from .validation import (
    array,
    base64_string,
    boolean,
    enum,
    invalid,
    obj,
    string,
    validate,
)

V1 = obj({"inputText": string(50000, 1)}, required=("inputText",))
V2 = obj({"inputText": string(50000, 1), "dimensions": enum(256, 512, 1024), "normalize": boolean(),
          "embeddingTypes": array(enum("float", "binary"), 1, 2)}, required=("inputText",))
MULTIMODAL = obj({"inputText": string(min_len=1), "inputImage": base64_string(),
                  "embeddingConfig": obj({"outputEmbeddingLength": enum(256, 384, 1024)})})


def kind(model_id: str) -> str:
    if model_id.startswith("amazon.titan-embed-image"):
        return "multimodal"
    return "v2" if model_id.startswith("amazon.titan-embed-text-v2") else "v1"


class TitanEmbed(Family):
    name = "titan-embed"
    streaming = False

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        variant = kind(model_id)
        validate(body, {"v1": V1, "v2": V2, "multimodal": MULTIMODAL}[variant])
        if variant == "multimodal" and "inputText" not in body and "inputImage" not in body:
            invalid("Malformed input request: #: at least one of [inputText, inputImage] is required, "
                    "please reformat your input and try again.")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        variant = kind(model_id)
        text = body.get("inputText", "")
        tokens = count_tokens(text)
        if variant == "v1":
            return Generation({"embedding": vector(text, 1536), "inputTextTokenCount": tokens}, [], tokens, 0)
        if variant == "multimodal":
            size = body.get("embeddingConfig", {}).get("outputEmbeddingLength", 1024)
            seed = text + "|" + body.get("inputImage", "")
            return Generation({"embedding": vector(seed, size), "inputTextTokenCount": tokens, "message": None},
                              [], tokens, 0)
        floats = vector(text, body.get("dimensions", 1024), normalize=body.get("normalize", True))
        by_type = {}
        for wanted in body.get("embeddingTypes", ["float"]):
            by_type[wanted] = floats if wanted == "float" else [1 if v > 0 else 0 for v in floats]
        response = {"embedding": floats, "inputTextTokenCount": tokens, "embeddingsByType": by_type}
        return Generation(response, [], tokens, 0)
