"""The interface between the emulator's HTTP server and its model families.

The server owns HTTP, auth, faults and framing; a family owns one native body
format: it validates a request as strictly as Bedrock documents, and produces
a deterministic answer. Families never import anything from litebed outside
``litebed.emulator`` (if client and emulator shared a misconception, no test
could catch it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional


class ValidationFailed(Exception):
    """The body breaks the family's documented rules; answered as 400 ValidationException."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Generation:
    """What the emulated model produced for one InvokeModel request."""

    body: dict                      # the native (non-streamed) response body
    chunks: list[dict]              # the native stream chunks, in order, WITHOUT
                                    # amazon-bedrock-invocationMetrics (the server adds
                                    # it to the last chunk)
    input_tokens: int               # uncached input tokens
    output_tokens: int
    #: prompt-cache reads and writes, for a model that caches (None: the model does not,
    #: and the server sends no cache headers or metrics)
    cache_read_tokens: Optional[int] = None
    cache_write_tokens: Optional[int] = None


@dataclass
class ConverseResult:
    """What the emulated model produced for one Converse request."""

    body: dict                                  # the Converse response body
    events: list[tuple[str, dict]] = field(default_factory=list)  # (event type, payload) for ConverseStream
    input_tokens: int = 0                       # uncached input tokens
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


class Family:
    """One native body format. Subclasses set ``name`` and implement the two methods."""

    name: str = "?"
    #: responseStreamingSupported for InvokeModelWithResponseStream
    streaming: bool = True

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        raise NotImplementedError

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        raise NotImplementedError
