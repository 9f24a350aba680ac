"""The typed interface every chat family module satisfies, and the neutral
results they hand back.

A family module (``anthropic_messages.py``, ``titan.py``, ...) is pure: no I/O,
no mutable globals. It satisfies :class:`ChatFamily` at module level (a test
checks every module, and mypy checks the table in ``providers/__init__.py``);
no capability is discovered with ``getattr(..., default)``. Shared helpers
live beside it: :mod:`.requests` (OpenAI messages and tools -> native parts)
and :mod:`.answers` (reading native answers strictly).
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, runtime_checkable


@runtime_checkable
class ChatFamily(Protocol):
    """What litebed needs of a chat family module (module attributes and functions)."""

    #: A short name (``"anthropic-text"``, ``"titan"``, ...).
    FAMILY: str
    #: OpenAI parameter names it can honour (see :class:`ChatParams`).
    SUPPORTED_PARAMS: frozenset[str]
    #: True when the body itself can ask for ``n`` completions ...
    NATIVE_N: bool
    #: ... and when it still can on a streamed call (Jamba refuses it, §5.8).
    NATIVE_N_STREAM: bool
    #: False when Bedrock has no stop field (litebed cuts the output itself).
    NATIVE_STOP: bool
    #: False for models Bedrock cannot stream (``stream=True`` is refused before sending).
    STREAMING: bool

    # Read-only (a property) so that it is covariant: a family's ``frozenset[str]``
    # and Converse's catch-all both satisfy ``Container[str]``; a plain annotation
    # would be a settable member and demand exactly ``Container[str]``.
    @property
    def PROVIDER_PARAMS(self) -> Container[str]:
        """Native keyword arguments passed straight into the body (``top_k`` ...): only
        tested with ``in`` (Converse accepts any name that is not one of litebed's own)."""
        ...

    def supported_params(self, model_id: str) -> frozenset[str]:
        """The OpenAI parameters this model honours (a family may narrow them per model)."""
        ...

    def stream_tools_supported(self, model_id: str) -> bool:
        """Whether a stream with tools can be sent as one (else litebed replays a whole answer)."""
        ...

    def build_request(self, model_id: str, messages: list[dict], params: ChatParams) -> dict:
        """The native request body."""
        ...

    def parse_response(self, body: Any) -> Completion:
        """A native answer -> neutral :class:`Completion` (raises ``APIError`` on a malformed one)."""
        ...

    def parse_stream_event(self, event: Any, state: StreamState) -> list[StreamPiece]:
        """One decoded native stream event -> the pieces of answer it carries."""
        ...

    def map_stop_reason(self, native: Any) -> str:
        """The native stop reason -> OpenAI's ``finish_reason``."""
        ...


def fixed_params(params: frozenset[str]) -> Callable[[str], frozenset[str]]:
    """``supported_params`` for a family whose parameters do not vary by model."""
    return lambda model_id: params


def always(value: bool) -> Callable[[str], bool]:
    """A per-model capability that is the same for every model of the family."""
    return lambda model_id: value


#: The max-tokens value sent when the caller gives none. Bedrock reserves
#: throughput quota by it, so it is always sent, and kept modest.
DEFAULT_MAX_TOKENS = 1024


@dataclass
class ChatParams:
    """OpenAI chat parameters after validation, before any family maps them."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    max_tokens_given: bool = False
    temperature: Optional[float] = None
    top_p: Optional[float] = None
    stop: list[str] = field(default_factory=list)
    n: int = 1
    presence_penalty: Optional[float] = None
    frequency_penalty: Optional[float] = None
    seed: Optional[int] = None
    user: Optional[str] = None
    tools: Optional[list[dict]] = None
    tool_choice: Any = None
    response_format: Optional[dict] = None
    stream: bool = False
    #: Converse route: insert a minimal user turn where Bedrock requires one.
    modify_params: bool = False
    #: Anthropic's ``thinking`` object to send (Claude), decided by ``litebed._reasoning``.
    thinking: Optional[dict] = None
    #: A reasoning effort ("low" | "medium" | "high") for models steered by one:
    #: gpt-oss's ``reasoning_effort``, Nova 2's ``reasoningConfig``, adaptive Claude's effort.
    reasoning_effort: Optional[str] = None
    #: Provider-specific keyword arguments (``top_k`` ...), already checked
    #: against the family's ``PROVIDER_PARAMS``.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Choice:
    index: int
    content: Optional[str]
    finish_reason: str
    native_finish_reason: Any = None
    tool_calls: Optional[list[dict]] = None  # OpenAI shape: {id, type, function{name, arguments}}
    reasoning_content: Optional[str] = None
    #: Claude's blocks in Anthropic's shape: {"type": "thinking", "thinking", "signature"}
    #: or {"type": "redacted_thinking", "data"} (Converse's are converted to it).
    thinking_blocks: Optional[list[dict]] = None


@dataclass
class Completion:
    choices: list[Choice]
    #: Bedrock's uncached input tokens (Anthropic and Converse count cache reads and
    #: writes apart; litebed's Usage adds them back into prompt_tokens).
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    id: Optional[str] = None
    cache_read_tokens: Optional[int] = None
    cache_write_tokens: Optional[int] = None


@dataclass
class StreamPiece:
    """One piece of a streamed answer, before it becomes an OpenAI chunk."""

    index: int = 0
    role: Optional[str] = None
    content: Optional[str] = None
    tool_calls: Optional[list[dict]] = None  # OpenAI delta shape, with "index"
    finish_reason: Optional[str] = None
    native_finish_reason: Any = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    reasoning_content: Optional[str] = None
    thinking_blocks: Optional[list[dict]] = None
    cache_read_tokens: Optional[int] = None
    cache_write_tokens: Optional[int] = None


@dataclass
class StreamState:
    """Mutable per-stream scratch space a family parser may use."""

    data: dict[str, Any] = field(default_factory=dict)
