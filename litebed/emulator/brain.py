"""The emulated model: what a conversation produces, as a pure function of the request.

Tests steer it with directives in the last user turn (docs/internals.md):

* ``[[reply:TEXT]]`` — reply exactly TEXT (up to the first ``]]``).
* ``[[words:N]]`` — reply ``w1 w2 ... wN``.
* ``[[tool:NAME {json args}]]`` — a tool call (only where the request offers tools);
  several directives are parallel calls.

Without a directive the model calls a tool when the request's tool choice says
so (``tooluse.py``: ``any``, ``tool``, or ``auto`` when the message names a
tool); otherwise the reply is ``"Echo: "`` + the last user text, whitespace collapsed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Optional

from .tokens import count_tokens, truncate_to_tokens
from .tooluse import AUTO, Choice, Tool, ToolCall, choose

_REPLY = re.compile(r"\[\[reply:(.*?)\]\]", re.DOTALL)
_WORDS = re.compile(r"\[\[words:(\d+)\]\]")
_TOOL = re.compile(r"\[\[tool:([A-Za-z0-9_.:-]+)\s*(\{.*?\})?\s*\]\]", re.DOTALL)
_PIECE = re.compile(r"\s*\S+|\s+$")


@dataclass(frozen=True)
class Reply:
    """What the model says: text, why it stopped, and any tool calls."""

    text: str
    finish: str                       # "end" | "length" | "stop_sequence"
    stop_sequence: Optional[str] = None
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)

    @property
    def output_tokens(self) -> int:
        """Emulated output tokens: the text plus each call's JSON arguments."""
        return count_tokens(self.text) + sum(count_tokens(json.dumps(c.arguments)) for c in self.tool_calls)


def collapse(text: str) -> str:
    """Whitespace runs collapsed to one space, ends stripped."""
    return " ".join(text.split())


def numbered_words(n: int) -> str:
    """``"w1 w2 ... wN"``."""
    return " ".join(f"w{i}" for i in range(1, n + 1))


def tool_calls_in(user_text: str) -> tuple[ToolCall, ...]:
    """The ``[[tool:NAME {json}]]`` directives in ``user_text``, in order."""
    calls = []
    for name, raw in _TOOL.findall(user_text):
        try:
            arguments = json.loads(raw) if raw else {}
        except ValueError:
            arguments = {"raw": raw}
        calls.append(ToolCall(name, arguments if isinstance(arguments, dict) else {"value": arguments}))
    return tuple(calls)


def respond(
    user_text: str,
    *,
    max_tokens: Optional[int] = None,
    stop_sequences: Iterable[str] = (),
    tools_allowed: bool = False,
    tools: Sequence[Tool] = (),
    tool_choice: Choice = AUTO,
    after_tool_results: bool = False,
    stream_words: Optional[int] = None,
) -> Reply:
    """The reply to a conversation whose last user turn is ``user_text``.

    ``tools`` (the offered tools) and ``tool_choice`` let the model call one
    without a directive (``tooluse.choose``); ``after_tool_results`` says the
    last user turn only answers earlier calls. ``tools_allowed`` alone allows the
    ``[[tool:...]]`` directives. ``stream_words`` (the server's long-stream knob)
    replaces the reply with that many words. The text is cut at the earliest
    requested stop sequence (which is reported), then at ``max_tokens`` by the
    emulated token scheme.
    """
    calls = tool_calls_in(user_text) if tools_allowed or tools else ()
    if not calls and tools:
        chosen = choose(user_text, tools, tool_choice, after_tool_results=after_tool_results)
        calls = (chosen,) if chosen is not None else ()
    words = _WORDS.search(user_text)
    reply = _REPLY.search(user_text)
    if stream_words is not None:
        text = numbered_words(stream_words)
    elif words:
        text = numbered_words(int(words.group(1)))
    elif reply:
        text = reply.group(1)
    elif calls:
        text = ""
    else:
        text = "Echo: " + collapse(user_text)

    finish, matched = "end", None
    hits = [(text.find(s), i, s) for i, s in enumerate(stop_sequences) if s and s in text]
    if hits:
        position, _, matched = min(hits)
        text, finish, calls = text[:position], "stop_sequence", ()
    if max_tokens is not None and count_tokens(text) > max_tokens:
        text, finish, matched, calls = truncate_to_tokens(text, max_tokens), "length", None, ()
    return Reply(text, finish, matched, tuple(calls))


def pieces(text: str) -> list[str]:
    """The stream pieces of ``text``: each word with its leading whitespace."""
    return _PIECE.findall(text)


def json_fragments(arguments: dict, parts: int = 3) -> list[str]:
    """A tool call's JSON arguments as a few string fragments (how tool input streams)."""
    encoded = json.dumps(arguments)
    size = max(1, -(-len(encoded) // parts))
    return [encoded[i:i + size] for i in range(0, len(encoded), size)] or [encoded]


def stable_id(*parts: object, length: int = 24) -> str:
    """A deterministic alphanumeric id derived from ``parts`` (e.g. the request body)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = int.from_bytes(digest, "big")
    out: list[str] = []
    while len(out) < length:
        number, rem = divmod(number, 62)
        out.append(alphabet[rem])
    return "".join(out)
