"""Claude extended thinking: which model thinks how, the rules, the thoughts and their signatures.

Shared by the Claude Messages family (``thinking`` in the InvokeModel body) and
Converse (``additionalModelRequestFields.thinking``); both raise ``Refused``
with Anthropic's wording and let the family turn it into a ValidationException.

Signatures: a thinking block's ``signature`` is an HMAC-SHA256 of its text under
a fixed emulator key, so any emulator instance verifies a block another one
wrote, and a block whose text or signature was altered fails. A redacted
block's ``data`` carries the hidden text, XOR-masked, behind its own HMAC: it
is opaque to the client (as Anthropic's encrypted data is) yet verifiable.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any, Optional

from .brain import collapse
from .tokens import count_tokens, truncate_to_tokens

#: Anthropic's documented test string: a prompt containing it is answered with redacted thinking.
REDACTED_TRIGGER = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253"
EFFORTS = ("low", "medium", "high", "max")

# A constant, not a secret: it only has to make the emulator's own blocks recognisable.
_KEY = b"litebed-emulator thinking signature key v1"
_SIGNED = b"EmuThinkingSig1:"
_REDACTED = b"EmuRedactedThk1:"
_DOCS = "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
_DIRECTIVE = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_CLAUDE_VERSION = re.compile(r"^claude-(?:opus|sonnet|haiku|fable)-(\d+)(?:-(\d))?$")


class Refused(ValueError):
    """A request the model refuses. ``model_error``: the model said so (Converse prefixes such
    messages with "The model returned the following errors: "); otherwise Bedrock itself did."""

    def __init__(self, message: str, *, model_error: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.model_error = model_error


# -- which Claude thinks how ------------------------------------------------------------


@functools.lru_cache(maxsize=512)  # a pure function of the model id, asked on every request
def claude_base(model_id: str) -> Optional[str]:
    """``anthropic.claude-3-7-sonnet-20250219-v1:0`` -> ``claude-3-7-sonnet``; None for other providers."""
    if not model_id.startswith("anthropic."):
        return None
    name = re.sub(r"-v\d+(:\d+)?$", "", model_id.split(".", 1)[1])
    return re.sub(r"-\d{8}$", "", name)


def claude_version(base: Optional[str]) -> Optional[tuple[int, int]]:
    """(major, minor) of a Claude 4-and-later base id (``claude-opus-4-1`` -> (4, 1)); None before 4."""
    match = _CLAUDE_VERSION.match(base or "")
    if match is None or int(match.group(1)) < 4:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


@functools.lru_cache(maxsize=512)  # a pure function of the model id, asked on every request
def thinking_style(model_id: str) -> Optional[str]:
    """How a Claude model thinks: ``budget`` (enabled + budget_tokens), ``adaptive+budget``
    (Claude 4.6: adaptive, budgets still accepted), ``adaptive`` (4.7 and later: no budgets),
    ``always`` (Claude Fable: always adaptive), or None (Claude 3 / 3.5: no thinking)."""
    base = claude_base(model_id)
    if base == "claude-3-7-sonnet":
        return "budget"
    if base == "claude-fable-5":
        return "always"
    version = claude_version(base)
    if version is None:
        return None
    if version <= (4, 5):
        return "budget"
    return "adaptive+budget" if version == (4, 6) else "adaptive"


@dataclass(frozen=True)
class Plan:
    """Thinking as requested: ``budget`` is None for adaptive thinking."""

    budget: Optional[int] = None
    effort: Optional[str] = None


def requested(model_id: str, thinking: Any, output_config: Any, *, where: str = "") -> Optional[Plan]:
    """The thinking a request asks of ``model_id`` (None: off); ``Refused`` when the model refuses it.

    ``thinking`` / ``output_config`` are the request's fields (None when absent), already
    checked for shape where the body has a schema; ``where`` prefixes a path (Converse
    passes them inside ``additionalModelRequestFields``).
    """
    style = thinking_style(model_id)
    if output_config is not None:
        if style not in ("adaptive", "adaptive+budget", "always"):
            raise Refused(f"{where}output_config: Extra inputs are not permitted")
        _check_output_config(output_config, where)
    effort = (output_config or {}).get("effort")
    if thinking is None:
        return Plan(effort=effort) if style == "always" else None
    if style is None:
        raise Refused(f"{where}thinking: Extra inputs are not permitted")
    kind = _check_thinking_shape(thinking, where)
    if style == "always" and kind != "adaptive":
        raise Refused(f"{where}thinking.type: this model always thinks adaptively; `thinking.type` may only be "
                      "`adaptive` (or omit `thinking`).")
    if kind == "adaptive" and style == "budget":
        raise Refused(f"{where}thinking.type: Input tag 'adaptive' found using 'type' does not match any of the "
                      "expected tags: 'enabled', 'disabled'")
    if kind == "enabled" and style == "adaptive":
        raise Refused(f"{where}thinking.type.enabled is not supported for this model. Use `thinking.type.adaptive` "
                      "and `output_config.effort` to control thinking.")
    if kind == "disabled":
        return None
    return Plan(budget=thinking.get("budget_tokens"), effort=effort)


def _check_thinking_shape(thinking: Any, where: str) -> str:
    if not isinstance(thinking, dict) or thinking.get("type") not in ("enabled", "disabled", "adaptive"):
        raise Refused(f"{where}thinking: Input tag found using 'type' does not match any of the expected tags: "
                      "'enabled', 'disabled', 'adaptive'")
    kind = thinking["type"]
    for key in thinking:
        if key not in ("type", "budget_tokens") or (key == "budget_tokens" and kind != "enabled"):
            raise Refused(f"{where}thinking.{kind}.{key}: Extra inputs are not permitted")
    budget = thinking.get("budget_tokens")
    if kind == "enabled" and budget is None:
        raise Refused(f"{where}thinking.enabled.budget_tokens: Field required")
    if kind == "enabled" and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1024):
        raise Refused(f"{where}thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    return kind


def _check_output_config(output_config: Any, where: str) -> None:
    if not isinstance(output_config, dict):
        raise Refused(f"{where}output_config: Input should be a valid dictionary")
    for key, value in output_config.items():
        if key != "effort":
            raise Refused(f"{where}output_config.{key}: Extra inputs are not permitted")
        if value not in EFFORTS:
            raise Refused(f"{where}output_config.effort: Input should be 'low', 'medium', 'high' or 'max'")


def check_sampling(plan: Plan, *, max_tokens: Optional[int], temperature: Any, top_p: Any, top_k: Any,
                   forced_tool: bool, prefill: bool) -> None:
    """The rules while thinking is on (``Refused`` with Anthropic's text when one is broken)."""
    if plan.budget is not None and max_tokens is not None and max_tokens <= plan.budget:
        raise Refused("`max_tokens` must be greater than `thinking.budget_tokens`. " + _DOCS
                      + "#max-tokens-and-context-window-size")
    if temperature is not None and temperature != 1:
        raise Refused("`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. " + _DOCS
                      + "#feature-compatibility")
    if top_k is not None:
        raise Refused("`top_k` must be unset when thinking is enabled or in adaptive mode. " + _DOCS
                      + "#feature-compatibility")
    if top_p is not None and not 0.95 <= top_p <= 1:
        raise Refused("`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled or in "
                      "adaptive mode. " + _DOCS + "#feature-compatibility")
    if forced_tool:
        raise Refused("Thinking may not be enabled when tool_choice forces tool use.")
    if prefill:
        raise Refused("Assistant message prefill is not supported when thinking is enabled or in adaptive mode. "
                      "The conversation must end with a user message.")


def missing_thought(message_index: int, found: str) -> Refused:
    """The refusal when the assistant turn before the last tool results does not start with a thought."""
    return Refused(
        f"messages.{message_index}.content.0.type: Expected `thinking` or `redacted_thinking`, but found `{found}`. "
        "When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
        "lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
        "previous turns. To avoid this requirement, disable `thinking`. " + _DOCS)


def bad_signature(path: str) -> Refused:
    return Refused(f"{path}: Invalid `signature` in `thinking` block")


def bad_redacted_data(path: str) -> Refused:
    return Refused(f"{path}: Invalid `data` in `redacted_thinking` block")


# -- signatures ------------------------------------------------------------------------------


def _mac(label: bytes, text: str) -> bytes:
    return hmac.new(_KEY, label + b"\0" + text.encode("utf-8"), hashlib.sha256).digest()


def sign(text: str) -> str:
    """The ``signature`` of a thinking block whose text is ``text``."""
    return base64.b64encode(_SIGNED + _mac(b"thinking", text)).decode("ascii")


def verify_signature(text: Any, signature: Any) -> bool:
    if not isinstance(text, str) or not isinstance(signature, str):
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(raw, _SIGNED + _mac(b"thinking", text))


def _mask(data: bytes, mac: bytes) -> bytes:
    stream = hashlib.shake_256(_KEY + mac).digest(len(data))
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def redact(text: str) -> str:
    """The opaque ``data`` of a redacted thinking block hiding ``text``."""
    mac = _mac(b"redacted", text)
    return base64.b64encode(_REDACTED + mac + _mask(text.encode("utf-8"), mac)).decode("ascii")


def unredact(data: Any) -> Optional[str]:
    """The text hidden in ``data``, or None when ``data`` is not a redacted block this emulator wrote."""
    if not isinstance(data, str):
        return None
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    head, mac, masked = raw[:len(_REDACTED)], raw[len(_REDACTED):len(_REDACTED) + 32], raw[len(_REDACTED) + 32:]
    if head != _REDACTED or len(mac) != 32:
        return None
    try:
        text = _mask(masked, mac).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if hmac.compare_digest(mac, _mac(b"redacted", text)) else None


# -- what the model thinks --------------------------------------------------------------------


def reasoning_text(user_text: str, effort: Optional[str] = None) -> str:
    """The emulated model's reasoning about ``user_text`` (brain directives left out)."""
    topic = collapse(_DIRECTIVE.sub(" ", user_text))
    topic = topic if len(topic) <= 160 else topic[:157] + "..."
    sentences = [f'The user asks: "{topic}".' if topic else "The user sent a request without text.",
                 "I will work out what is being asked and answer it directly.",
                 "Let me check the answer against the request before replying."]
    if effort == "low":
        sentences = sentences[:2]
    elif effort == "max":
        sentences.append("I will go over each step once more to be sure.")
    return " ".join(sentences)


@dataclass(frozen=True)
class Thought:
    """What the model thought before answering; ``redacted`` hides it from the client."""

    text: str
    redacted: bool = False

    @property
    def tokens(self) -> int:
        """Thinking is billed as output, redacted or not."""
        return count_tokens(self.text)

    def anthropic_block(self) -> dict:
        if self.redacted:
            return {"type": "redacted_thinking", "data": redact(self.text)}
        return {"type": "thinking", "thinking": self.text, "signature": sign(self.text)}

    def converse_block(self) -> dict:
        """Converse's reasoningContent; ``redactedContent`` is a blob (base64 on the JSON wire)
        holding the bytes of the block's Anthropic ``data``."""
        if self.redacted:
            return {"reasoningContent": {"redactedContent": base64.b64encode(redact(self.text).encode()).decode()}}
        return {"reasoningContent": {"reasoningText": {"text": self.text, "signature": sign(self.text)}}}


def think(plan: Plan, user_text: str, *, prompt: str, max_tokens: Optional[int]) -> Thought:
    """The thought before an answer to ``user_text``; redacted when the whole ``prompt`` carries
    Anthropic's trigger string. It takes at most the budget; adaptive thinking (no budget)
    adapts to the room there is and takes at most half of ``max_tokens``, leaving the rest
    to the answer."""
    text = reasoning_text(user_text, plan.effort)
    limit = plan.budget if plan.budget is not None else None if max_tokens is None else max_tokens // 2
    if limit is not None and max_tokens is not None:
        limit = min(limit, max_tokens)
    if limit is not None:
        text = truncate_to_tokens(text, limit)
    return Thought(text, redacted=REDACTED_TRIGGER in prompt)
