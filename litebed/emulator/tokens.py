"""The emulated token-count scheme (docs/internals.md, "The emulated model").

Deliberately unlike any BPE tokenizer, so a client that reports usage from its
own estimate instead of the service's counts is caught by exact comparisons.
"""

from __future__ import annotations


def count_tokens(text: str) -> int:
    """Emulated tokens in ``text``: ``ceil(utf-8 bytes / 3)``, 0 for an empty text."""
    if not text:
        return 0
    return (len(text.encode("utf-8")) + 2) // 3


def truncate_to_tokens(text: str, max_tokens: int) -> str:
    """The longest prefix of ``text`` whose emulated count is at most ``max_tokens``."""
    if count_tokens(text) <= max_tokens:
        return text
    # count(prefix) <= max_tokens  <=>  len(prefix bytes) <= 3 * max_tokens
    return text.encode("utf-8")[: 3 * max(max_tokens, 0)].decode("utf-8", errors="ignore")
