"""litebed's exceptions, named and shaped like the ``openai`` package's.

The hierarchy::

    LitebedError
    └── APIError                          message, bedrock_code, request_id
        ├── APIConnectionError            no HTTP answer (refused, reset, cut stream)
        │   └── APITimeoutError           timed out (client side, or Bedrock 408)
        └── APIStatusError                status_code
            ├── BadRequestError           400
            │   ├── ContextWindowExceededError
            │   └── UnsupportedParamsError
            ├── AuthenticationError       401 (and missing credentials)
            ├── PermissionDeniedError     403
            ├── NotFoundError             404
            ├── UnprocessableEntityError  422
            ├── RateLimitError            429 (throttling, model not ready)
            ├── InternalServerError       >= 500 and 424 model errors
            │   └── ServiceUnavailableError 503

Every Bedrock error code in the runtime service model maps to one class through
:data:`BEDROCK_CODE_TO_CLASS`; codes not listed fall back to the HTTP status.
This module imports nothing heavy: it is loaded by ``import litebed``.

Every exception's message, code and request id pass through
:func:`litebed._auth.redact.scrub` when it is made, so a server that echoes a
credential back (a session token in a validation message, say) cannot put it
into ``str(exc)``, ``repr(exc)``, ``exc.message`` or ``exc.args``.
"""

from __future__ import annotations

from typing import Any, Optional

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ContextWindowExceededError",
    "InternalServerError",
    "LitebedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServiceUnavailableError",
    "UnprocessableEntityError",
    "UnsupportedParamsError",
    "error_from_bedrock",
]


class LitebedError(Exception):
    """Base class of everything litebed raises on purpose."""


class APIError(LitebedError):
    """An error talking to Bedrock, or a request litebed refused to send."""

    status_code: Optional[int] = None

    def __init__(
        self,
        message: str,
        *,
        bedrock_code: Optional[str] = None,
        request_id: Optional[str] = None,
        model: Optional[str] = None,
    ) -> None:
        message = _scrub(message)
        super().__init__(message)
        self.message = message
        self.bedrock_code = _scrub(bedrock_code)
        self.request_id = _scrub(request_id)
        self.model = model

    @property
    def code(self) -> Optional[str]:
        """The Bedrock error code (``ThrottlingException``, ...), as openai's ``code``."""
        return self.bedrock_code

    def __str__(self) -> str:
        prefix = f"{self.bedrock_code}: " if self.bedrock_code else ""
        return f"{prefix}{self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, message={self.message!r})"


class APIConnectionError(APIError):
    """No complete HTTP answer: connection refused or reset, or a stream cut short."""

    #: Whether trying again may help (False for a closed client or a failing user transport).
    retryable: bool = True


class APITimeoutError(APIConnectionError):
    """The request timed out, on the client or as Bedrock's ``ModelTimeoutException``."""

    status_code = 408


class APIStatusError(APIError):
    """Bedrock answered with an error status."""

    def __init__(self, message: str, *, status_code: Optional[int] = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        if status_code is not None:
            self.status_code = status_code


class BadRequestError(APIStatusError):
    status_code = 400


class ContextWindowExceededError(BadRequestError):
    """The prompt (plus max_tokens) does not fit the model's context window."""


class UnsupportedParamsError(BadRequestError):
    """An OpenAI parameter the chosen model family cannot honour."""


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    status_code = 429


class InternalServerError(APIStatusError):
    status_code = 500


class ServiceUnavailableError(InternalServerError):
    status_code = 503


#: Bedrock error code -> litebed class. Covers every error shape of the
#: bedrock-runtime service model plus the front-door codes AWS documents.
BEDROCK_CODE_TO_CLASS: dict[str, type[APIError]] = {
    "ValidationException": BadRequestError,
    "ServiceQuotaExceededException": BadRequestError,
    "ConflictException": BadRequestError,
    "IncompleteSignature": BadRequestError,
    "ValidationError": BadRequestError,
    "AccessDeniedException": PermissionDeniedError,
    "UnrecognizedClientException": PermissionDeniedError,
    "InvalidSignatureException": PermissionDeniedError,
    "MissingAuthenticationTokenException": PermissionDeniedError,
    "MissingAuthenticationToken": PermissionDeniedError,
    "InvalidClientTokenId": PermissionDeniedError,
    "ExpiredTokenException": PermissionDeniedError,
    "RequestExpired": PermissionDeniedError,
    "OptInRequired": PermissionDeniedError,
    "ResourceNotFoundException": NotFoundError,
    "FTUFormNotFilled": NotFoundError,
    "ThrottlingException": RateLimitError,
    "ModelNotReadyException": RateLimitError,
    "TooManyRequestsException": RateLimitError,
    "ModelTimeoutException": APITimeoutError,
    "ModelErrorException": InternalServerError,
    "ModelStreamErrorException": InternalServerError,
    "InternalServerException": InternalServerError,
    "InternalFailure": InternalServerError,
    "ServiceUnavailableException": ServiceUnavailableError,
    "ServiceUnavailable": ServiceUnavailableError,
}

_STATUS_TO_CLASS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: APITimeoutError,
    422: UnprocessableEntityError,
    424: InternalServerError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}

# Bedrock words a too-long prompt in several ways; any of these in a 400 means
# the context window, not a malformed body.
_CONTEXT_WINDOW_HINTS = (
    "too many input tokens",
    "input is too long",
    "prompt is too long",
    "context window",
    "maximum context length",
    "too many tokens",
)


def _scrub(text: Any) -> Any:
    """``text`` with secrets masked (non-strings are returned as they are)."""
    if not isinstance(text, str) or not text:
        return text
    from ._auth.redact import scrub  # imported on the first error: redact loads logging

    return scrub(text)


def excerpt(text: str, limit: int = 1000) -> str:
    """A scrubbed piece of server text short enough for an exception message.

    Scrubbed before it is cut, so a secret is never cut in half (and half shown).
    """
    cleaned = _scrub(text[: limit * 64])
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."


def normalize_code(raw: Optional[str]) -> Optional[str]:
    """Cut a Bedrock error type the way botocore does (``a#Code:uri`` -> ``Code``)."""
    if not raw or not isinstance(raw, str):
        return None
    code = raw.split(":", 1)[0]
    return code.rsplit("#", 1)[-1] or None


def error_from_bedrock(
    status_code: Optional[int],
    code: Optional[str],
    message: str,
    *,
    request_id: Optional[str] = None,
    model: Optional[str] = None,
) -> APIError:
    """Build the litebed exception for a Bedrock error answer or stream exception frame.

    ``message`` is the server's text: the exception holds it scrubbed of secrets.
    """
    code = normalize_code(code)
    if not isinstance(message, str):
        message = "" if message is None else str(message)
    if isinstance(status_code, bool) or not isinstance(status_code, int):
        status_code = None
    cls = BEDROCK_CODE_TO_CLASS.get(code or "")
    if cls is None:
        if status_code is not None and status_code >= 500:
            cls = _STATUS_TO_CLASS.get(status_code, InternalServerError)
        else:
            cls = _STATUS_TO_CLASS.get(status_code or 0, APIStatusError)
    if cls is BadRequestError and code == "ValidationException":
        lowered = message.lower()
        if any(hint in lowered for hint in _CONTEXT_WINDOW_HINTS):
            cls = ContextWindowExceededError
    if issubclass(cls, APIStatusError):
        # A 500 stays a 500: keep the status Bedrock sent rather than the class default.
        return cls(
            message,
            status_code=status_code or cls.status_code,
            bedrock_code=code,
            request_id=request_id,
            model=model,
        )
    err = cls(message, bedrock_code=code, request_id=request_id, model=model)
    return err
