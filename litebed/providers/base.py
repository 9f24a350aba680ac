"""The small interface every chat family module implements, and the neutral
results they hand back.

A family module (``anthropic.py``, ``titan.py``, ...) is pure: no I/O, no
mutable globals. It exposes, at module level:

``FAMILY``               a short name (``"anthropic-text"``, ``"titan"``, ...)
``SUPPORTED_PARAMS``     OpenAI parameter names it can honour (see ``ChatParams``)
``PROVIDER_PARAMS``      native keyword arguments passed straight into the body
``NATIVE_N``             True when the body itself can ask for ``n`` completions
``NATIVE_STOP``          False when Bedrock has no stop field (litebed cuts output)
``build_request(model_id, messages, params) -> dict``   the native body
``parse_response(body) -> Completion``
``parse_stream_event(event, state) -> list[Delta]``     one decoded ``chunk``
``map_stop_reason(native) -> str``                      OpenAI's finish_reason

Families needing a differently shaped module implement the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import BadRequestError, UnsupportedParamsError

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


@dataclass
class Completion:
    choices: list[Choice]
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    id: Optional[str] = None


@dataclass
class Delta:
    """One piece of a streamed answer, before it becomes an OpenAI chunk."""

    index: int = 0
    role: Optional[str] = None
    content: Optional[str] = None
    tool_calls: Optional[list[dict]] = None  # OpenAI delta shape, with "index"
    finish_reason: Optional[str] = None
    native_finish_reason: Any = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None


@dataclass
class StreamState:
    """Mutable per-stream scratch space a family parser may use."""

    data: dict[str, Any] = field(default_factory=dict)


# --- helpers shared by the family modules -----------------------------------


def content_text(content: Any, *, argument: str = "messages") -> str:
    """Flatten OpenAI message content (None, str, or a list of parts) to text.

    Text parts are joined with no separator (as OpenAI concatenates them); a
    part this family cannot express as text raises ``BadRequestError``.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                pieces.append(str(part.get("text") or ""))
            elif isinstance(part, dict):
                raise BadRequestError(
                    f"{argument}: content part of type {part.get('type')!r} cannot be sent "
                    "to this model as text"
                )
            else:
                raise BadRequestError(f"{argument}: content parts must be dicts, got {type(part).__name__}")
        return "".join(pieces)
    raise BadRequestError(f"{argument}: content must be a string, a list of parts or None")


def merge_turns(messages: list[dict], *, system_roles=("system", "developer")) -> tuple[str, list[tuple[str, str]]]:
    """Split messages into (system text, [(role, text), ...]) with same-role runs merged.

    Roles other than user/assistant/system raise ``BadRequestError`` (a family
    without tools cannot express a ``tool`` message). Merged texts are joined
    with a blank line.
    """
    system_parts: list[str] = []
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        role = message.get("role")
        text = content_text(message.get("content"), argument=f"messages[{i}].content")
        if role in system_roles:
            system_parts.append(text)
            continue
        if role not in ("user", "assistant"):
            raise BadRequestError(
                f"messages[{i}].role {role!r} is not supported by this model family; "
                "use the converse route (bedrock/converse/<model>) for tool messages"
            )
        if turns and turns[-1][0] == role:
            turns[-1] = (role, turns[-1][1] + "\n\n" + text)
        else:
            turns.append((role, text))
    return "\n\n".join(p for p in system_parts if p), turns


def unsupported(param: str, model_id: str, hint: str = "") -> UnsupportedParamsError:
    tail = f" {hint}" if hint else ""
    return UnsupportedParamsError(
        f"{param!r} is not supported by model {model_id!r}; pass drop_params=True to drop it.{tail}",
        model=model_id,
    )


def clamp(value: Optional[float], low: float, high: float) -> Optional[float]:
    """OpenAI allows temperature 0-2; most Bedrock families take 0-1. We clamp."""
    if value is None:
        return None
    return max(low, min(high, float(value)))
