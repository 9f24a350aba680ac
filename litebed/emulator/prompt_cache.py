"""Prompt caching as Bedrock does it: which model caches what, the checkpoints, the store, the counts.

A family describes a request as *units* in Bedrock's prefix order (tool
definitions, then the system prompt, then every message block) and
*checkpoints* (Claude's ``cache_control``, Converse's and Nova's
``cachePoint``), each ending a prefix. Per AWS's table: at most four
checkpoints; a checkpoint whose whole prefix is under the model's minimum is
silently not created; Nova takes none among the tools; the one-hour lifetime
is for Claude 4.5 and later (and Claude wants longer lifetimes first).

The store belongs to one emulator server (``POST /_emulator/reset`` empties
it) and is keyed by (model, SHA-256 of the canonical JSON of the prefix). For
one request, the longest checkpoint prefix found in the store is read (its
tokens are cache reads, its lifetime starts again); every longer checkpoint is
stored (the tokens between are cache writes, by lifetime); the rest of the
prompt is uncached input. Its clock is injectable, so tests expire entries
without sleeping.

The server binds its store around each family call (:func:`serving`), which
keeps the families' signatures unchanged; a family called with none bound
gets a fresh store, as a new server would have.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from .thinking import Refused, claude_base, claude_version
from .tokens import count_tokens

MAX_CHECKPOINTS = 4
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
UNSUPPORTED = ("You invoked an unsupported model or your request did not allow prompt caching. "
               "See the documentation for more information.")

_CLAUDE_MINIMUMS = {"claude-3-5-haiku": 2048, "claude-3-7-sonnet": 1024, "claude-haiku-4-5": 4096,
                    "claude-opus-4-5": 4096}
_NOVA = ("amazon.nova-micro-v1", "amazon.nova-lite-v1", "amazon.nova-pro-v1", "amazon.nova-premier-v1",
         "amazon.nova-2-lite-v1")


@dataclass(frozen=True)
class Rules:
    """What one model's prompt caching accepts."""

    min_tokens: int
    sections: tuple[str, ...]       # where checkpoints may be: "tools", "system", "messages"
    ttls: tuple[str, ...]
    anthropic: bool                 # Claude's rules and wording (else Nova's)


@functools.lru_cache(maxsize=512)  # a pure function of the model id, asked on every request
def rules_for(model_id: str) -> Optional[Rules]:
    """The caching rules of ``model_id`` (a base model id); None when it does not cache."""
    if model_id.startswith(_NOVA):
        return Rules(1000, ("system", "messages"), ("5m",), anthropic=False)
    base = claude_base(model_id)
    version = claude_version(base)
    if base not in _CLAUDE_MINIMUMS and version is None:
        return None
    ttls = ("5m", "1h") if version is not None and version >= (4, 5) else ("5m",)
    return Rules(_CLAUDE_MINIMUMS.get(base or "", 1024), ("tools", "system", "messages"), ttls, anthropic=True)


@dataclass(frozen=True)
class Unit:
    """One piece of the prompt: ``value`` identifies it (markers left out), ``text`` is what it costs."""

    value: Any
    text: str


@dataclass(frozen=True)
class Checkpoint:
    """A marker ending the prefix of the first ``after`` units. ``path`` names the marker in
    refusals (dotted, e.g. ``system.0``); ``section`` is where it sits."""

    after: int
    ttl: str
    section: str
    path: str


@dataclass(frozen=True)
class Usage:
    """How a request's prompt splits: uncached input, cache reads, cache writes (by lifetime)."""

    input_tokens: int
    read: int = 0
    write: int = 0
    details: tuple[tuple[str, int], ...] = ()   # (ttl, tokens written), 1h first

    def converse_fields(self) -> dict:
        """The cache members of Converse's TokenUsage (``cacheDetails`` only when something was written)."""
        fields: dict[str, Any] = {"cacheReadInputTokens": self.read, "cacheWriteInputTokens": self.write}
        if self.details:
            fields["cacheDetails"] = [{"ttl": ttl, "inputTokens": tokens} for ttl, tokens in self.details]
        return fields


def prompt_tokens(units: Sequence[Unit], upto: Optional[int] = None) -> int:
    """Tokens of the first ``upto`` units (all by default): their texts joined by newlines."""
    return count_tokens("\n".join(unit.text for unit in units[:upto] if unit.text))


def check(model_id: str, checkpoints: Sequence[Checkpoint]) -> None:
    """Refuse checkpoints ``model_id`` does not take (``Refused`` with Bedrock's or the model's text)."""
    if not checkpoints:
        return
    rules = rules_for(model_id)
    if rules is None:
        raise Refused(UNSUPPORTED, model_error=False)
    if len(checkpoints) > MAX_CHECKPOINTS:
        raise Refused(f"A maximum of {MAX_CHECKPOINTS} blocks with cache_control may be provided. "
                      f"Found {len(checkpoints)}.")
    for point in checkpoints:
        if point.section not in rules.sections:
            pointer = "#/" + point.path.replace(".", "/")
            raise Refused(f"Malformed input request: {pointer}: extraneous key [cachePoint] is not permitted, "
                          "please reformat your input and try again.")
        if point.ttl not in rules.ttls:
            if not rules.anthropic:
                raise Refused("Extended TTL prompt caching is only supported for Anthropic models", model_error=False)
            raise Refused(f"{point.path}.cache_control.ephemeral.ttl: Extra inputs are not permitted")
    ttls = [point.ttl for point in checkpoints]
    if "5m" in ttls and "1h" in ttls[ttls.index("5m") + 1:]:
        raise Refused("A ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that "
                      "blocks are processed in the following order: `tools`, `system`, `messages`.")


def _prefix_keys(model_id: str, units: Sequence[Unit], ends: set[int]) -> dict[int, str]:
    """SHA-256 of the canonical JSON list of the first ``n`` units, for each ``n`` in ``ends``,
    hashed in one pass (a prefix's digest is the running hash plus the closing bracket)."""
    keys: dict[int, str] = {}
    running = hashlib.sha256(b"[")
    for index, unit in enumerate(units, 1):
        if index > 1:
            running.update(b",")
        running.update(json.dumps(unit.value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        if index in ends:
            closed = running.copy()
            closed.update(b"]")
            keys[index] = f"{model_id}:{closed.hexdigest()}"
    return keys


class PromptCache:
    """One server's cached prefixes, each with an expiry. Thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        #: seconds, monotonic; replace it to move time in tests
        self.clock = clock
        self._expiry: dict[str, tuple[float, str]] = {}     # key -> (expires at, ttl)
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._expiry.clear()

    def __len__(self) -> int:
        """Live entries."""
        now = self.clock()
        with self._lock:
            return sum(1 for expires, _ in self._expiry.values() if expires > now)

    def account(self, model_id: str, units: Sequence[Unit], checkpoints: Sequence[Checkpoint]) -> Usage:
        """Settle one request: read the longest cached checkpoint prefix, store the longer ones."""
        total = prompt_tokens(units)
        rules = rules_for(model_id)
        if rules is None or not checkpoints:
            return Usage(total)
        ttl_at: dict[int, str] = {}
        for point in checkpoints:
            ttl_at.setdefault(point.after, point.ttl)
        sizes = {after: prompt_tokens(units, after) for after in sorted(ttl_at)}
        created = [after for after, tokens in sizes.items() if after and tokens >= rules.min_tokens]
        keys = _prefix_keys(model_id, units, set(created))
        now = self.clock()
        with self._lock:
            hit = next((after for after in reversed(created) if self._expiry.get(keys[after], (0.0, ""))[0] > now), 0)
            if hit:
                ttl = self._expiry[keys[hit]][1]
                self._expiry[keys[hit]] = (now + TTL_SECONDS[ttl], ttl)
            for after in created:
                if after > hit:
                    self._expiry[keys[after]] = (now + TTL_SECONDS[ttl_at[after]], ttl_at[after])
        read = sizes[hit] if hit else 0
        written: dict[str, int] = {}
        previous = read
        for after in created:
            if after > hit:
                written[ttl_at[after]] = written.get(ttl_at[after], 0) + sizes[after] - previous
                previous = sizes[after]
        write = previous - read
        details = tuple((ttl, written[ttl]) for ttl in ("1h", "5m") if written.get(ttl))
        return Usage(total - read - write, read, write, details)


_serving: contextvars.ContextVar[Optional[PromptCache]] = contextvars.ContextVar("litebed_emulator_prompt_cache",
                                                                                  default=None)


def active() -> PromptCache:
    """The store of the server answering this request (a fresh one when none is bound)."""
    store = _serving.get()
    return store if store is not None else PromptCache()  # not ``or``: an empty store is falsy (__len__)


@contextlib.contextmanager
def serving(store: PromptCache) -> Iterator[PromptCache]:
    """Bind ``store`` for the family calls inside the block."""
    token = _serving.set(store)
    try:
        yield store
    finally:
        _serving.reset(token)
