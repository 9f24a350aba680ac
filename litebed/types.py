"""OpenAI-shaped response types.

Field names and literals match the ``openai`` package's ``ChatCompletion``,
``ChatCompletionChunk``, ``CreateEmbeddingResponse`` and ``ImagesResponse``
(a contract test validates our objects with openai's own types). Each model
allows attribute and item access (``resp.choices[0].message.content`` or
``resp["choices"][0]["message"]["content"]``) and ``model_dump()``.

Fields litebed adds beyond OpenAI's are extra keys that openai's models accept
and ignore: the reasoning and prompt-cache fields users of LiteLLM read
(``message.reasoning_content``, ``message.thinking_blocks``,
``usage.cache_read_input_tokens``, ``usage.cache_creation_input_tokens``), and
litebed's own diagnostics (``choice.native_finish_reason``, ``usage.estimated``),
which are attributes but stay out of ``model_dump()``, ``to_dict()`` and JSON
unless asked for with ``litebed_fields=True``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, SerializationInfo, model_serializer

__all__ = [
    "ChatCompletionMessageToolCall",
    "Choices",
    "CompletionTokensDetails",
    "Delta",
    "Embedding",
    "EmbeddingResponse",
    "EmbeddingUsage",
    "FinishReason",
    "Function",
    "Image",
    "ImageResponse",
    "Message",
    "ModelResponse",
    "ModelResponseChunk",
    "PromptTokensDetails",
    "StreamingChoices",
    "Usage",
]

#: OpenAI's ``finish_reason`` values (litebed maps every native stop reason to one).
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]


class _OpenAIObject(BaseModel):
    """Pydantic model with dict-style access, as users of openai dicts expect."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and getattr(self, key, None) is not None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def keys(self) -> Iterator[str]:
        return iter(self.model_dump().keys())

    def json(self, **kwargs: Any) -> str:
        return self.model_dump_json(**kwargs)

    def model_dump(self, *, litebed_fields: bool = False, **kwargs: Any) -> dict[str, Any]:
        """pydantic's ``model_dump``; ``litebed_fields=True`` keeps litebed's diagnostics
        (``native_finish_reason``, ``estimated``)."""
        if litebed_fields:
            kwargs["context"] = {**(kwargs.get("context") or {}), _KEEP: True}
        return super().model_dump(**kwargs)

    def model_dump_json(self, *, litebed_fields: bool = False, **kwargs: Any) -> str:
        if litebed_fields:
            kwargs["context"] = {**(kwargs.get("context") or {}), _KEEP: True}
        return super().model_dump_json(**kwargs)

    def to_dict(self, *, mode: Literal["python", "json"] = "python", exclude_none: bool = False,
                litebed_fields: bool = False) -> dict[str, Any]:
        """openai's ``to_dict()``: the object as plain dicts and lists."""
        return self.model_dump(mode=mode, exclude_none=exclude_none, litebed_fields=litebed_fields)

    def to_json(self, *, indent: Optional[int] = 2, exclude_none: bool = False, litebed_fields: bool = False) -> str:
        """openai's ``to_json()``: the object as a JSON string (indented by 2 by default)."""
        return self.model_dump_json(indent=indent, exclude_none=exclude_none, litebed_fields=litebed_fields)


#: The serialisation-context key that keeps litebed's own diagnostic fields.
_KEEP = "litebed_fields"


class _WithDiagnostics(_OpenAIObject):
    """A model carrying litebed-only diagnostic fields, left out of dumps unless asked for."""

    #: A ClassVar, not a pydantic private attribute (those are copied into every instance).
    _DIAGNOSTICS: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _without_diagnostics(self, handler, info: SerializationInfo):
        data = handler(self)
        if not (info.context or {}).get(_KEEP):
            for name in self._DIAGNOSTICS:
                data.pop(name, None)
        return data


class Function(_OpenAIObject):
    name: str
    arguments: str


class ChatCompletionMessageToolCall(_OpenAIObject):
    id: str
    type: Literal["function"] = "function"
    function: Function


class Message(_OpenAIObject):
    role: Literal["assistant"] = "assistant"
    content: Optional[str] = None
    tool_calls: Optional[list[ChatCompletionMessageToolCall]] = None
    refusal: Optional[str] = None
    #: The model's reasoning text (Claude's thinking, DeepSeek-R1's and gpt-oss's reasoning).
    reasoning_content: Optional[str] = None
    #: Claude's thinking blocks as Bedrock sent them (``{"type": "thinking", "thinking",
    #: "signature"}`` or ``{"type": "redacted_thinking", "data"}``): send the message back
    #: with them, unchanged, when the conversation continues with tool results.
    thinking_blocks: Optional[list[dict[str, Any]]] = None


class Choices(_WithDiagnostics):
    _DIAGNOSTICS: ClassVar[tuple[str, ...]] = ("native_finish_reason",)

    index: int
    message: Message
    finish_reason: FinishReason
    logprobs: Optional[Any] = None
    #: The stop reason Bedrock's model reported, before mapping.
    native_finish_reason: Optional[Any] = None


class PromptTokensDetails(_OpenAIObject):
    #: Prompt tokens read from Bedrock's prompt cache.
    cached_tokens: int = 0


class CompletionTokensDetails(_OpenAIObject):
    #: Output tokens the model spent reasoning (part of ``completion_tokens``).
    reasoning_tokens: int = 0


class Usage(_WithDiagnostics):
    _DIAGNOSTICS: ClassVar[tuple[str, ...]] = ("estimated",)

    #: Every prompt token, cached or not (OpenAI's meaning): Bedrock's uncached input
    #: plus its cache reads and writes.
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: Optional[PromptTokensDetails] = None
    completion_tokens_details: Optional[CompletionTokensDetails] = None
    #: Anthropic's names, as LiteLLM reports them: prompt tokens read from and written
    #: to the cache (present when the model caches, else None).
    cache_read_input_tokens: Optional[int] = None
    cache_creation_input_tokens: Optional[int] = None
    #: True when Bedrock reported no counts and litebed estimated them offline.
    estimated: bool = False


def _completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex


class ModelResponse(_OpenAIObject):
    id: str = Field(default_factory=_completion_id)
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[Choices]
    usage: Optional[Usage] = None
    system_fingerprint: Optional[str] = None


class _SparseObject(_OpenAIObject):
    """Serialised without None fields, as OpenAI sends tool-call deltas.

    openai's stream accumulator treats a present ``"id": null`` on a later
    delta as a new call; leaving the key out matches OpenAI's wire format.
    """

    @model_serializer(mode="wrap")
    def _without_none(self, handler):
        return {key: value for key, value in handler(self).items() if value is not None}


class ToolCallFunctionDelta(_SparseObject):
    name: Optional[str] = None
    arguments: Optional[str] = None


class ToolCallDelta(_SparseObject):
    index: int
    id: Optional[str] = None
    type: Optional[Literal["function"]] = None
    function: Optional[ToolCallFunctionDelta] = None


class Delta(_OpenAIObject):
    role: Optional[Literal["assistant"]] = None
    content: Optional[str] = None
    tool_calls: Optional[list[ToolCallDelta]] = None
    refusal: Optional[str] = None
    #: A piece of the model's reasoning text, streamed before the answer's content.
    reasoning_content: Optional[str] = None
    #: Complete thinking blocks (with their signature), sent once each block ends.
    thinking_blocks: Optional[list[dict[str, Any]]] = None


class StreamingChoices(_WithDiagnostics):
    _DIAGNOSTICS: ClassVar[tuple[str, ...]] = ("native_finish_reason",)

    index: int
    delta: Delta
    finish_reason: Optional[FinishReason] = None
    logprobs: Optional[Any] = None
    native_finish_reason: Optional[Any] = None


class ModelResponseChunk(_OpenAIObject):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[StreamingChoices]
    usage: Optional[Usage] = None
    system_fingerprint: Optional[str] = None


class Embedding(_OpenAIObject):
    object: Literal["embedding"] = "embedding"
    index: int
    #: A list of floats, or a base64 string of little-endian float32 with encoding_format="base64".
    embedding: Any


class EmbeddingUsage(_OpenAIObject):
    prompt_tokens: int
    total_tokens: int


class EmbeddingResponse(_OpenAIObject):
    object: Literal["list"] = "list"
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


class Image(_OpenAIObject):
    b64_json: Optional[str] = None
    url: Optional[str] = None
    revised_prompt: Optional[str] = None


class ImageResponse(_OpenAIObject):
    created: int = Field(default_factory=lambda: int(time.time()))
    data: list[Image]
