"""Embedding models: native request bodies, batching rules and response parsing (pure).

Wire facts: docs/bedrock.md §5.14. Titan models embed one ``inputText`` per
request; Cohere Embed v3 takes up to 96 ``texts`` per request. Nothing here
does I/O: :func:`plan_requests` turns validated inputs into native bodies, and
:func:`parse_response` turns a native answer back into vectors.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import BadRequestError
from .answers import AnswerReader, describe

__all__ = [
    "COHERE_INPUT_TYPES",
    "COHERE_MAX_CHARS",
    "COHERE_MAX_TEXTS",
    "COHERE_TRUNCATE",
    "EmbeddingModel",
    "EmbeddingOptions",
    "EmbeddingRequest",
    "SUPPORTED_MODELS",
    "build_body",
    "check_text",
    "decode_base64",
    "embedding_model_for",
    "encode_base64",
    "parse_response",
    "plan_requests",
    "validate_input",
]

COHERE_MAX_TEXTS = 96
COHERE_MAX_CHARS = 2048
COHERE_INPUT_TYPES = ("search_document", "search_query", "classification", "clustering")
COHERE_TRUNCATE = ("NONE", "START", "END")
COHERE_DEFAULT_INPUT_TYPE = "search_document"


@dataclass(frozen=True)
class EmbeddingModel:
    """What one embedding model accepts."""

    #: ``"titan-v1"``, ``"titan-v2"``, ``"titan-multimodal"`` or ``"cohere"``.
    kind: str
    #: allowed values of ``dimensions`` (empty: the argument is refused)
    dimensions: tuple[int, ...] = ()
    #: texts per request
    batch_size: int = 1

    @property
    def is_cohere(self) -> bool:
        return self.kind == "cohere"


_TITAN_V1 = EmbeddingModel("titan-v1")
_TITAN_V2 = EmbeddingModel("titan-v2", dimensions=(256, 512, 1024))
_TITAN_MULTIMODAL = EmbeddingModel("titan-multimodal", dimensions=(256, 384, 1024))
_COHERE = EmbeddingModel("cohere", batch_size=COHERE_MAX_TEXTS)

#: (pattern matched against the whole base model id, model). Version suffixes such
#: as ``:0`` or ``:2:8k`` are part of the id Bedrock lists, so they are allowed.
_MODELS: tuple[tuple[re.Pattern, EmbeddingModel], ...] = (
    (re.compile(r"amazon\.titan-embed-text-v1(:.*)?"), _TITAN_V1),
    (re.compile(r"amazon\.titan-embed-g1-text-02(:.*)?"), _TITAN_V1),
    (re.compile(r"amazon\.titan-embed-text-v2(:.*)?"), _TITAN_V2),
    (re.compile(r"amazon\.titan-embed-image-v1(:.*)?"), _TITAN_MULTIMODAL),
    (re.compile(r"cohere\.embed-(english|multilingual)-v3(:.*)?"), _COHERE),
)

SUPPORTED_MODELS = (
    "amazon.titan-embed-text-v1",
    "amazon.titan-embed-g1-text-02",
    "amazon.titan-embed-text-v2:0",
    "amazon.titan-embed-image-v1",
    "cohere.embed-english-v3",
    "cohere.embed-multilingual-v3",
)


def embedding_model_for(base_model_id: str) -> EmbeddingModel:
    """The :class:`EmbeddingModel` serving ``base_model_id`` (geo prefix already stripped)."""
    for pattern, model in _MODELS:
        if pattern.fullmatch(base_model_id):
            return model
    raise BadRequestError(
        f"model: {base_model_id!r} is not an embedding model litebed supports; "
        f"use one of {', '.join(SUPPORTED_MODELS)} (or their cross-region ids and ARNs)"
    )


@dataclass(frozen=True)
class EmbeddingOptions:
    """Validated per-call options, already checked against the model."""

    dimensions: Optional[int] = None
    normalize: Optional[bool] = None
    input_type: Optional[str] = None
    truncate: Optional[str] = None

    @classmethod
    def build(
        cls,
        model: EmbeddingModel,
        *,
        dimensions: Optional[int] = None,
        normalize: Optional[bool] = None,
        input_type: Optional[str] = None,
        truncate: Optional[str] = None,
    ) -> EmbeddingOptions:
        """Check each argument against ``model``; ``BadRequestError`` names the culprit."""
        if dimensions is not None:
            if not model.dimensions:
                raise BadRequestError(f"dimensions: the {model.kind} embedding model has a fixed size; omit dimensions")
            if isinstance(dimensions, bool) or dimensions not in model.dimensions:
                allowed = ", ".join(map(str, model.dimensions))
                raise BadRequestError(f"dimensions: must be one of {allowed} for this model, got {dimensions!r}")
        if normalize is not None:
            if model.kind != "titan-v2":
                raise BadRequestError("normalize: only Titan Text Embeddings V2 accepts normalize")
            if not isinstance(normalize, bool):
                raise BadRequestError(f"normalize: must be True or False, got {normalize!r}")
        if input_type is not None:
            if not model.is_cohere:
                raise BadRequestError("input_type: only Cohere Embed models accept input_type")
            if input_type not in COHERE_INPUT_TYPES:
                raise BadRequestError(f"input_type: must be one of {', '.join(COHERE_INPUT_TYPES)}, got {input_type!r}")
        if truncate is not None:
            if not model.is_cohere:
                raise BadRequestError("truncate: only Cohere Embed models accept truncate")
            if not isinstance(truncate, str) or truncate.upper() not in COHERE_TRUNCATE:
                raise BadRequestError(f"truncate: must be one of {', '.join(COHERE_TRUNCATE)}, got {truncate!r}")
            truncate = truncate.upper()
        return cls(dimensions=dimensions, normalize=normalize, input_type=input_type, truncate=truncate)


def check_text(model: EmbeddingModel, options: EmbeddingOptions, text: Any) -> Optional[str]:
    """Why ``text`` cannot be embedded by ``model`` (None when it can)."""
    if not isinstance(text, str):
        return f"must be a string, got {type(text).__name__}"
    if not text:
        return "is an empty string"
    if model.is_cohere and len(text) > COHERE_MAX_CHARS and options.truncate in (None, "NONE"):
        # Bedrock's default truncate for Cohere is NONE: it would refuse the whole batch.
        return (
            f"is {len(text)} characters; Cohere Embed takes at most {COHERE_MAX_CHARS} "
            'unless truncate="START" or "END"'
        )
    return None


def validate_input(model: EmbeddingModel, options: EmbeddingOptions, input: Any) -> list[str]:
    """``input`` (a string or a non-empty list of strings) as a list, or ``BadRequestError``."""
    texts = [input] if isinstance(input, str) else input
    if not isinstance(texts, (list, tuple)):
        raise BadRequestError(f"input: must be a string or a list of strings, got {type(input).__name__}")
    if not texts:
        raise BadRequestError("input: the list is empty; pass at least one string")
    for index, text in enumerate(texts):
        problem = check_text(model, options, text)
        if problem:
            raise BadRequestError(f"input[{index}] {problem}")
    return list(texts)


@dataclass(frozen=True)
class EmbeddingRequest:
    """One native request: the body and the positions of the texts it carries."""

    indices: tuple[int, ...]
    body: dict


def _body(model: EmbeddingModel, options: EmbeddingOptions, texts: Sequence[str]) -> dict:
    if model.is_cohere:
        body: dict = {"texts": list(texts), "input_type": options.input_type or COHERE_DEFAULT_INPUT_TYPE}
        if options.truncate is not None:
            body["truncate"] = options.truncate
        return body
    body = {"inputText": texts[0]}
    if model.kind == "titan-v2":
        if options.dimensions is not None:
            body["dimensions"] = options.dimensions
        if options.normalize is not None:
            body["normalize"] = options.normalize
    elif model.kind == "titan-multimodal" and options.dimensions is not None:
        body["embeddingConfig"] = {"outputEmbeddingLength": options.dimensions}
    return body


def plan_requests(model: EmbeddingModel, options: EmbeddingOptions, texts: Sequence[str]) -> list[EmbeddingRequest]:
    """Split validated ``texts`` into native requests (in order)."""
    size = model.batch_size
    return [
        EmbeddingRequest(tuple(range(start, min(start + size, len(texts)))), _body(model, options, texts[start:start + size]))
        for start in range(0, len(texts), size)
    ]


def build_body(model: EmbeddingModel, options: EmbeddingOptions, texts: Sequence[str]) -> dict:
    """The native body for ``texts`` (one text for Titan, up to 96 for Cohere)."""
    if len(texts) > model.batch_size or not texts:
        raise ValueError(f"{model.kind} takes 1..{model.batch_size} texts per request, got {len(texts)}")
    return _body(model, options, texts)


def parse_response(model: EmbeddingModel, body: Any, *, expected: int, header_tokens: Optional[int]) -> tuple[list[list[float]], int]:
    """Native answer -> (one vector per text sent, input tokens).

    Tokens come from Titan's ``inputTextTokenCount``, else from the
    ``x-amzn-bedrock-input-token-count`` header (Cohere has no count in its body).
    A malformed answer (a member missing or of the wrong type, a vector that is
    empty, holds something other than float32 numbers, or is not as long as the
    others, the wrong number of vectors) raises ``APIError``.
    """
    read = AnswerReader(model.kind, prefix=f"unexpected embedding response from Bedrock ({model.kind} model)")
    body = read.body(body)
    if model.is_cohere:
        embeddings = read.get(body, "embeddings", (list, dict), required=True)
        where = "embeddings"
        if isinstance(embeddings, dict):  # response_type "embeddings_by_type"
            embeddings, where = read.get(embeddings, "float", list, "embeddings.", required=True), "embeddings.float"
        vectors = [_vector(read, vector, f"{where}[{i}]") for i, vector in enumerate(embeddings)]
        tokens = header_tokens
    else:
        if body.get("embedding") is not None:
            vector, where = read.get(body, "embedding", list), "embedding"
        elif body.get("embeddingsByType") is not None:
            by_type = read.get(body, "embeddingsByType", dict)
            vector, where = read.get(by_type, "float", list, "embeddingsByType.", required=True), "embeddingsByType.float"
        else:
            raise read.error("embedding is missing")
        vectors = [_vector(read, vector, where)]
        tokens = read.count(body, "inputTextTokenCount")
        if tokens is None:
            tokens = header_tokens
    if len(vectors) != expected:
        raise read.error(f"Bedrock returned {len(vectors)} embeddings for {expected} texts")
    if any(len(vector) != len(vectors[0]) for vector in vectors):
        sizes = sorted({len(vector) for vector in vectors})
        raise read.error(f"the vectors are not all as long: lengths {sizes}")
    return vectors, int(tokens or 0)


def _vector(read: AnswerReader, vector: Any, where: str) -> list[float]:
    """``vector`` as a list, checked to be non-empty float32 numbers (what base64 encoding packs)."""
    if not isinstance(vector, list) or not vector:
        shown = "an empty list" if isinstance(vector, list) else describe(vector)
        raise read.error(f"{where} is {shown}, expected a list of numbers")
    try:
        struct.pack(f"<{len(vector)}f", *vector)
    except (struct.error, OverflowError):
        raise read.error(f"{where} holds a value that is not a (float32) number") from None
    return list(vector)


def encode_base64(vector: Sequence[float]) -> str:
    """Base64 of little-endian float32, as OpenAI's ``encoding_format="base64"``."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def decode_base64(data: str) -> list[float]:
    """The inverse of :func:`encode_base64`."""
    raw = base64.b64decode(data)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))
