"""Reading native answers strictly: a malformed body is an ``APIError`` that says what was wrong.

Messages describe the kind of a bad value (``describe``), never the value, so a
server echoing a secret cannot get it into an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

from ..errors import APIError
from .base import Choice

_KINDS: dict[type, str] = {str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}
_EXPECTED: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}


def describe(value: Any) -> str:
    """The JSON kind of ``value`` (``"null"``, ``"a string"``, ...) for an error message.

    Never the value itself: a hostile answer could echo anything, secrets included.
    """
    if value is None:
        return "null"
    if value is True or value is False:
        return "a boolean"
    return _KINDS.get(type(value)) or f"a {type(value).__name__}"


class AnswerReader:
    """Checked reads of one family's native answers and stream events.

    Each read returns what it was asked for or raises ``APIError``
    (``"malformed <family> response from Bedrock: content[2].text is a number,
    expected a string"``), so a broken or hostile answer never escapes as a
    ``KeyError``, ``TypeError`` or ``AttributeError``, nor passes for a success.
    ``where`` is the path of the node read, as a prefix (``"usage."``).
    """

    __slots__ = ("prefix",)

    def __init__(self, family: str, prefix: Optional[str] = None) -> None:
        self.prefix = prefix or f"malformed {family} response from Bedrock"

    def error(self, problem: str) -> APIError:
        return APIError(f"{self.prefix}: {problem}")

    def body(self, value: Any, what: str = "the body") -> dict:
        """``value`` itself, which must be a JSON object."""
        if isinstance(value, dict):
            return value
        raise self.error(f"{what} is {describe(value)}, expected an object")

    def get(self, node: dict, key: str, kind: Any = str, where: str = "", *, required: bool = False) -> Any:
        """``node[key]`` when it is a ``kind`` (str, list or dict, or a tuple of them);
        None when absent or null, unless ``required``."""
        value = node.get(key)
        if isinstance(value, kind):
            return value
        if value is None:
            if not required:
                return None
            raise self.error(f"{where}{key} is missing")
        expected = _EXPECTED[kind] if type(kind) is type else " or ".join(map(_EXPECTED.__getitem__, kind))
        raise self.error(f"{where}{key} is {describe(value)}, expected {expected}")

    def objects(self, node: dict, key: str, where: str = "", *, required: bool = True) -> list[tuple[int, dict, str]]:
        """``node[key]``, a list of JSON objects, as ``(position, object, its path + ".")``
        triples ([] when absent and not ``required``)."""
        items = self.get(node, key, list, where, required=required) or []
        triples = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.error(f"{where}{key}[{i}] is {describe(item)}, expected an object")
            triples.append((i, item, f"{where}{key}[{i}]."))
        return triples

    def choices(self, node: dict, key: str) -> list[tuple[int, dict, str]]:
        """:meth:`objects` for the answer's choices, of which there must be at least one."""
        triples = self.objects(node, key)
        if not triples:
            raise self.error(f"{key} is empty: the answer has no choices")
        return triples

    def count(self, node: dict, key: str, where: str = "") -> Optional[int]:
        """A token count: a non-negative integer, or None when absent."""
        value = node.get(key)
        if value is None or (type(value) is int and value >= 0):
            return value
        raise self.error(f"{where}{key} is {describe(value)}, expected a token count")

    def index(self, node: dict, default: Any, where: str = "", key: str = "index") -> Any:
        """A choice's or a block's index (``default`` when absent or null): a non-negative integer."""
        value = node.get(key)
        if value is None:
            return default
        if type(value) is int and value >= 0:
            return value
        raise self.error(f"{where}{key} is {describe(value)}, expected a non-negative integer")

    def text_choice(
        self, node: dict, text: str, reason: str, map_reason: Callable[[Any], str], where: str = "", index: int = 0
    ) -> Choice:
        """A choice of plain text: ``node[text]`` (a string, required), finished for ``node[reason]``."""
        native = self.get(node, reason, str, where)
        content = self.get(node, text, str, where, required=True)
        return Choice(index=index, content=content, finish_reason=map_reason(native), native_finish_reason=native)

    # Converse-shaped answers: the Converse route's, and Nova's messages-v1.

    def converse_blocks(self, body: dict) -> list[tuple[str, Any]]:
        """``output.message.content`` as ``("text", str)``, ``("toolUse", dict)`` and
        ``("reasoning", dict)`` pairs.

        A toolUse has a string ``toolUseId`` and ``name``, and an object (or no) ``input``.
        A reasoning block is Anthropic's shape: ``{"type": "thinking", "thinking", "signature"}``
        (the signature "" when the model signs none: DeepSeek-R1, gpt-oss) or
        ``{"type": "redacted_thinking", "data"}``. Blocks of other kinds are left out.
        """
        output = self.get(body, "output", dict, required=True)
        message = self.get(output, "message", dict, "output.", required=True)
        blocks: list[tuple[str, Any]] = []
        for _, block, where in self.objects(message, "content", "output.message."):
            if "text" in block:
                blocks.append(("text", self.get(block, "text", str, where) or ""))
            elif "toolUse" in block:
                blocks.append(("toolUse", self._tool_use(block, where)))
            elif "reasoningContent" in block:
                blocks.append(("reasoning", self._reasoning(block, where)))
        return blocks

    def _reasoning(self, block: dict, where: str) -> dict:
        content = self.get(block, "reasoningContent", dict, where, required=True)
        where += "reasoningContent."
        if "redactedContent" in content:
            return {"type": "redacted_thinking", "data": self.get(content, "redactedContent", str, where, required=True)}
        text = self.get(content, "reasoningText", dict, where) or {}
        where += "reasoningText."
        return {"type": "thinking", "thinking": self.get(text, "text", str, where) or "",
                "signature": self.get(text, "signature", str, where) or ""}

    def _tool_use(self, block: dict, where: str) -> dict:
        use = self.get(block, "toolUse", dict, where, required=True)
        where += "toolUse."
        self.get(use, "toolUseId", str, where, required=True)
        self.get(use, "name", str, where, required=True)
        self.get(use, "input", dict, where)
        return use

    def converse_usage(self, body: dict, where: str = "") -> tuple[Optional[int], Optional[int]]:
        """(``usage.inputTokens``, ``usage.outputTokens``)."""
        usage = self.get(body, "usage", dict, where) or {}
        where += "usage."
        return self.count(usage, "inputTokens", where), self.count(usage, "outputTokens", where)

    def converse_cache(self, body: dict, where: str = "", *, native: bool = False) -> tuple[Optional[int], Optional[int]]:
        """(cache read, cache write) input tokens: Converse's ``usage.cacheReadInputTokens`` /
        ``cacheWriteInputTokens``, or with ``native`` Nova's ``...TokenCount`` names."""
        usage = self.get(body, "usage", dict, where) or {}
        where += "usage."
        suffix = "TokenCount" if native else "Tokens"
        return (self.count(usage, "cacheReadInput" + suffix, where),
                self.count(usage, "cacheWriteInput" + suffix, where))

    def converse_event(self, event: Any) -> tuple[Optional[str], dict]:
        """A Converse-shaped stream event -> (its kind, its members, checked and flattened).

        The kind is the first of :data:`CONVERSE_EVENTS` the event holds (None for
        any other event, which is ignored). The members, None when absent:

        * contentBlockStart: ``contentBlockIndex``, ``toolUse`` (checked as in answers);
        * contentBlockDelta: ``contentBlockIndex``, ``text``, ``input`` (a tool-use fragment),
          ``reasoning`` (``{"text", "signature", "redactedContent"}``, None when absent);
        * contentBlockStop: ``contentBlockIndex``;
        * messageStop: ``stopReason``;
        * metadata: ``inputTokens``, ``outputTokens``, ``cacheReadInputTokens``,
          ``cacheWriteInputTokens`` (``{}`` when it has no usage);
        * messageStart: the event's payload as it is.
        """
        event = self.body(event, "a stream event")
        kind = next((name for name in CONVERSE_EVENTS if name in event), None)
        if kind is None:
            return None, {}
        payload = self.get(event, kind, dict) or {}
        where = kind + "."
        if kind == "contentBlockStart":
            start = self.get(payload, "start", dict, where) or {}
            use = self._tool_use(start, where + "start.") if start.get("toolUse") else None
            return kind, {"contentBlockIndex": self.index(payload, None, where, "contentBlockIndex"), "toolUse": use}
        if kind == "contentBlockDelta":
            delta = self.get(payload, "delta", dict, where) or {}
            use = self.get(delta, "toolUse", dict, where + "delta.") or {}
            reasoning = self.get(delta, "reasoningContent", dict, where + "delta.")
            if reasoning is not None:
                at = where + "delta.reasoningContent."
                reasoning = {key: self.get(reasoning, key, str, at) for key in ("text", "signature", "redactedContent")}
            return kind, {
                "contentBlockIndex": self.index(payload, None, where, "contentBlockIndex"),
                "text": self.get(delta, "text", str, where + "delta."),
                "input": self.get(use, "input", str, where + "delta.toolUse."),
                "reasoning": reasoning,
            }
        if kind == "contentBlockStop":
            return kind, {"contentBlockIndex": self.index(payload, None, where, "contentBlockIndex")}
        if kind == "messageStop":
            return kind, {"stopReason": self.get(payload, "stopReason", str, where)}
        if kind == "metadata":
            if not payload.get("usage"):
                return kind, {}
            input_tokens, output_tokens = self.converse_usage(payload, where)
            read, write = self.converse_cache(payload, where)
            return kind, {"inputTokens": input_tokens, "outputTokens": output_tokens,
                          "cacheReadInputTokens": read, "cacheWriteInputTokens": write}
        return kind, payload


#: The ConverseStream events a Converse-shaped parser reads, in the order they are looked for.
CONVERSE_EVENTS = ("messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata")
