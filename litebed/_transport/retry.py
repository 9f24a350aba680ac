"""The retry policy: the one place that decides whether and when to try again.

Only the client retries (botocore's own retries are never in play, and a
router, when one is used, turns the client's off), so attempts never multiply.
The policy is a few named constants and one pure function; the sync and async
senders each run the same three-line loop around it.
"""

from __future__ import annotations

import random
from typing import Optional

from ..errors import APIConnectionError, APIError, APITimeoutError, RateLimitError

DEFAULT_NUM_RETRIES = 2
#: Under the default policy throttling gets a longer budget than other errors:
#: Bedrock throttles by tokens per minute, and a short wait nearly always clears
#: it (at a 20 % throttle rate, 3 attempts fail 1 call in 125; 7 fail 1 in 78,000).
#: An explicit ``num_retries`` applies to every retryable error alike.
DEFAULT_THROTTLE_RETRIES = 6
INITIAL_BACKOFF = 0.5  # seconds, doubled per attempt, full jitter
MAX_BACKOFF = 8.0

_RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "ModelNotReadyException",
        "TooManyRequestsException",
        "InternalServerException",
        "InternalFailure",
        "ServiceUnavailableException",
        "ServiceUnavailable",
    }
)
_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def backoff_delay(attempt: int) -> float:
    """Full-jitter exponential backoff before retry number ``attempt`` (0-based)."""
    return random.uniform(0, min(MAX_BACKOFF, INITIAL_BACKOFF * (2**attempt)))


def is_retryable(error: APIError) -> bool:
    """Connection failures (not timeouts: the time is spent) and Bedrock's transient codes."""
    if isinstance(error, APIConnectionError):
        return error.retryable and not isinstance(error, APITimeoutError)
    if error.bedrock_code in _RETRYABLE_CODES:
        return True
    return error.bedrock_code is None and error.status_code in _RETRYABLE_STATUS


def retry_budget(error: APIError, num_retries: Optional[int]) -> int:
    if num_retries is not None:
        return num_retries
    return DEFAULT_THROTTLE_RETRIES if isinstance(error, RateLimitError) else DEFAULT_NUM_RETRIES


def next_delay(error: APIError, attempt: int, num_retries: Optional[int]) -> Optional[float]:
    """Seconds to wait before trying again after ``error`` on attempt ``attempt`` (0-based),
    or None when the error is final."""
    if attempt >= retry_budget(error, num_retries) or not is_retryable(error):
        return None
    return backoff_delay(attempt)
