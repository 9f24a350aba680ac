"""litebed: an OpenAI-compatible front door to Amazon Bedrock.

    import litebed
    response = litebed.completion(
        model="bedrock/anthropic.claude-3-haiku-20240307-v1:0",
        messages=[{"role": "user", "content": "Hello"}],
    )
    print(response.choices[0].message.content)

``import litebed`` is cheap: boto3, botocore, httpx, pydantic and tiktoken are
imported when first needed, and so is each model family.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ContextWindowExceededError,
    InternalServerError,
    LitebedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServiceUnavailableError,
    UnprocessableEntityError,
    UnsupportedParamsError,
)

__version__ = "0.1.0"

#: Module-level default for ``drop_params=``: drop OpenAI parameters a model
#: family cannot honour instead of raising UnsupportedParamsError.
drop_params: bool = False
#: Module-level default for ``modify_params=`` (Converse route): insert a
#: minimal user turn where Bedrock requires one instead of raising.
modify_params: bool = False

# Public name -> module that defines it, imported on first attribute access.
_LAZY = {
    "Client": "_client",
    "get_model_info": "_catalog",
    "model_info": "_catalog",
    "completion": "_client",
    "acompletion": "_client",
    "embedding": "_client",
    "aembedding": "_client",
    "image_generation": "_client",
    "aimage_generation": "_client",
    "embed_batch": "_client",
    "aembed_batch": "_client",
    "BatchResult": "_batch",
    "token_counter": "_tokens",
    "Stream": "_streaming.stream",
    "AsyncStream": "_streaming.stream",
    "ModelResponse": "types",
    "ModelResponseChunk": "types",
    "Choices": "types",
    "StreamingChoices": "types",
    "Message": "types",
    "Delta": "types",
    "Usage": "types",
    "EmbeddingResponse": "types",
    "ImageResponse": "types",
}

# Written out (not computed from _LAZY) so linters and type checkers see the
# re-exports; tests/test_public_api.py checks it stays sorted and covers _LAZY.
__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "BatchResult",
    "Choices",
    "Client",
    "ContextWindowExceededError",
    "Delta",
    "EmbeddingResponse",
    "ImageResponse",
    "InternalServerError",
    "LitebedError",
    "Message",
    "ModelResponse",
    "ModelResponseChunk",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "Stream",
    "StreamingChoices",
    "UnprocessableEntityError",
    "UnsupportedParamsError",
    "Usage",
    "acompletion",
    "aembed_batch",
    "aembedding",
    "aimage_generation",
    "completion",
    "drop_params",
    "embed_batch",
    "embedding",
    "get_model_info",
    "image_generation",
    "model_info",
    "modify_params",
    "token_counter",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'litebed' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover
    from ._batch import BatchResult
    from ._catalog import get_model_info, model_info
    from ._client import (
        Client,
        acompletion,
        aembed_batch,
        aembedding,
        aimage_generation,
        completion,
        embed_batch,
        embedding,
        image_generation,
    )
    from ._streaming.stream import AsyncStream, Stream
    from ._tokens import token_counter
    from .types import (
        Choices,
        Delta,
        EmbeddingResponse,
        ImageResponse,
        Message,
        ModelResponse,
        ModelResponseChunk,
        StreamingChoices,
        Usage,
    )
