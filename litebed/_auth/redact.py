"""Keep secrets out of log records.

botocore logs, at DEBUG, the canonical request it signs (the session token
included), the prepared request's headers, the parameters of every call (an
``AssumeRoleWithWebIdentity`` token) and, for STS, the response body with the
newly issued secret key and session token. :class:`SecretFilter` scrubs two
kinds of text from every record that passes through those loggers:

* every secret value litebed has seen (:func:`register`), in raw and
  URL-encoded form;
* the value after any secret-bearing field name (``SecretAccessKey``,
  ``SessionToken``, ``x-amz-security-token``, ``Bearer`` ...), which catches
  credentials botocore logs *before* litebed gets to see them (the STS
  response body is logged while it is parsed).

Filters attached to a parent logger do not run for records created by its
children, so :func:`install` attaches the filter to each logger that emits.
It is installed when litebed first resolves credentials, never at import.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Optional
from urllib.parse import quote, quote_plus

__all__ = ["MASK", "SecretFilter", "install", "register", "scrub"]

MASK = "***"

#: Loggers that can carry a secret: every botocore module that logs, plus the HTTP stacks.
LOGGER_NAMES = (
    "botocore",
    *(
        f"botocore.{module}"
        for module in (
            "args", "auth", "awsrequest", "client", "compat", "compress", "configprovider",
            "credentials", "discovery", "endpoint", "endpoint_provider", "handlers", "history",
            "hooks", "httpchecksum", "httpsession", "loaders", "monitoring", "paginate", "parsers",
            "plugin", "regions", "response", "retryhandler", "session", "tokens", "useragent",
            "utils", "waiter", "retries.adaptive", "retries.special", "retries.standard",
        )
    ),
    "boto3",
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.util.retry",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "litebed",
)

# A secret-bearing name, the separator forms botocore's logs use (XML ``>``,
# JSON/repr ``": "`` or ``': b'``, canonical-request ``:``, form ``=``), then the value.
_FIELD_PATTERN = re.compile(
    r"(?i)((?:secret_?access_?key|session_?token|security_?token|web_?identity_?token"
    r"|access_?token|refresh_?token|client_?secret|bearer_?token|x-amz-security-token)"
    r"[\"']?\s*[:=>]\s*b?[\"']?)([A-Za-z0-9+/=_\-.%~]{4,})"
)
_BEARER_PATTERN = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9+/=_\-.%~]{4,})")
#: Shorter strings are not secrets worth masking everywhere they occur.
_MIN_SECRET_LENGTH = 4

_secrets: set[str] = set()
_secret_pattern: Optional[re.Pattern] = None
_lock = threading.Lock()
_installed = False


def register(*values: Optional[str]) -> None:
    """Remember secret values so that :func:`scrub` masks them from now on."""
    global _secret_pattern
    new: set[str] = set()
    for value in values:
        if isinstance(value, str) and len(value) >= _MIN_SECRET_LENGTH:
            new.update((value, quote(value, safe=""), quote_plus(value, safe="")))
    if new <= _secrets:
        return
    with _lock:
        _secrets.update(new)
        ordered = sorted(_secrets, key=len, reverse=True)  # longest first: no partial masks
        _secret_pattern = re.compile("|".join(map(re.escape, ordered)))


#: Every name the two patterns above look for contains one of these (lower case).
_FIELD_HINTS = ("secret", "session", "security", "identity", "access", "refresh", "bearer")


def _masked(match: re.Match) -> str:
    return match.group(1) + MASK


def scrub(text: str) -> str:
    """``text`` with every registered secret and every secret-looking field value masked.

    Linear in ``len(text)``. ASCII text holding none of :data:`_FIELD_HINTS` skips
    the field patterns (the common case: they cost far more per character than
    ``str.lower`` and ``in``); other text, whose case folding ``re`` may do
    differently, is always searched.
    """
    pattern = _secret_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if text.isascii():
        lowered = text.lower()
        if not any(hint in lowered for hint in _FIELD_HINTS):
            return text
    text = _FIELD_PATTERN.sub(_masked, text)
    return _BEARER_PATTERN.sub(_masked, text)


class SecretFilter(logging.Filter):
    """Rewrites a record's message (and traceback text) with secrets masked; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format: leave it to the handler
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_filter = SecretFilter()


def install() -> None:
    """Attach the filter to every logger in :data:`LOGGER_NAMES` (idempotent, thread-safe)."""
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        for name in LOGGER_NAMES:
            logger = logging.getLogger(name)
            if _filter not in logger.filters:
                logger.addFilter(_filter)
        _installed = True
