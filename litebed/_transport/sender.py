"""The transport: signed requests to Bedrock on pooled connections, with retries.

One :class:`BedrockClient` exists per resolved :class:`~litebed._auth.credentials.Auth`
(so per distinct configuration); it owns one sync connection pool (httpx's
transport, safe to share across threads) and one async pool per event loop
(:mod:`litebed._transport.asyncio_http`). This is the only layer that retries (policy in the
constants below).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterator, Mapping, Optional
from urllib.parse import quote

from .._auth.credentials import Auth, AuthOptions, resolve_auth
from ..errors import APIConnectionError, APIError, APITimeoutError, RateLimitError, error_from_bedrock
from .._streaming.eventstream import EventStreamDecoder
from .._streaming.events import decode_event as _decode_event

DEFAULT_NUM_RETRIES = 2
#: Under the default policy throttling gets a longer budget than other errors:
#: Bedrock throttles by tokens per minute, and a short wait nearly always clears
#: it (at a 20 % throttle rate, 3 attempts fail 1 call in 125; 7 fail 1 in 78,000).
#: An explicit ``num_retries`` applies to every retryable error alike.
DEFAULT_THROTTLE_RETRIES = 6
INITIAL_BACKOFF = 0.5  # seconds, doubled per attempt, full jitter
MAX_BACKOFF = 8.0
DEFAULT_TIMEOUT = 600.0  # long generations (Nova can run for minutes)
CONNECT_TIMEOUT = 10.0
MAX_CONNECTIONS = 1000

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


@dataclass
class InvokeResult:
    body: Any
    headers: Mapping[str, str]


def backoff_delay(attempt: int) -> float:
    """Full-jitter exponential backoff before retry number ``attempt`` (0-based)."""
    return random.uniform(0, min(MAX_BACKOFF, INITIAL_BACKOFF * (2**attempt)))


def _retry_budget(error: APIError, num_retries: Optional[int]) -> int:
    if num_retries is not None:
        return num_retries
    return DEFAULT_THROTTLE_RETRIES if isinstance(error, RateLimitError) else DEFAULT_NUM_RETRIES


def _is_retryable(error: APIError) -> bool:
    if isinstance(error, APIConnectionError) and not isinstance(error, APITimeoutError):
        return True
    if error.bedrock_code in _RETRYABLE_CODES:
        return True
    return error.bedrock_code is None and getattr(error, "status_code", None) in _RETRYABLE_STATUS


def _error_from_response(status: int, headers: Mapping[str, str], content: bytes, model: Optional[str]) -> APIError:
    code = headers.get("x-amzn-errortype")
    message = ""
    try:
        payload = json.loads(content) if content else {}
        if isinstance(payload, dict):
            message = payload.get("message") or payload.get("Message") or ""
            code = code or payload.get("code") or payload.get("__type")
    except ValueError:
        message = content[:500].decode("utf-8", "replace")
    return error_from_bedrock(
        status, code, message or f"HTTP {status}", request_id=headers.get("x-amzn-requestid"), model=model
    )


def _connection_error(exc: Exception, model: Optional[str]) -> APIError:
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request to Bedrock timed out ({type(exc).__name__})", model=model)
    return APIConnectionError(f"connection to Bedrock failed: {type(exc).__name__}: {exc}", model=model)


def _parse_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError as exc:
        raise APIError(f"Bedrock answered with a body that is not JSON: {exc}") from None


class BedrockClient:
    """Signed, pooled, retrying access to bedrock-runtime and the control plane."""

    def __init__(self, auth: Auth) -> None:
        self.auth = auth
        self._sync = None
        self._async: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any]" = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._ssl_context = None
        self._urls: dict[str, Any] = {}  # url -> parsed httpx.URL (parsing costs as much as signing's hashing)

    def __repr__(self) -> str:
        return f"BedrockClient({self.auth!r})"

    # --- httpx clients, created once -----------------------------------------

    def _sender(self, asynchronous: bool):
        """A callable sending one request and returning the response unread.

        Requests go straight to an httpx transport: ``httpx.Client.send`` adds
        cookie handling, redirects and auth flows litebed never uses (about 45 us a
        request). With a proxy configured in the environment, an ``httpx.Client``
        is used instead, because it applies ``HTTP(S)_PROXY`` and ``NO_PROXY``.
        """
        import httpx

        if self._ssl_context is None:
            # One context for every pool: building one loads the CA bundle (~15 ms).
            self._ssl_context = httpx.create_ssl_context()
        limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
        if _proxies_configured():
            timeout = httpx.Timeout(DEFAULT_TIMEOUT, connect=CONNECT_TIMEOUT)
            cls = httpx.AsyncClient if asynchronous else httpx.Client
            client = cls(limits=limits, timeout=timeout, verify=self._ssl_context)
            return functools.partial(client.send, stream=True), (client.aclose if asynchronous else client.close)
        if asynchronous:
            from .asyncio_http import AsyncHTTP11Transport

            transport = AsyncHTTP11Transport(ssl_context=self._ssl_context, max_connections=MAX_CONNECTIONS)
            return transport.handle_async_request, transport.aclose
        transport = httpx.HTTPTransport(limits=limits, verify=self._ssl_context)
        return transport.handle_request, transport.close

    @property
    def http(self):
        """The sync sender (created once, shared by every thread)."""
        if self._sync is None:
            with self._lock:
                if self._sync is None:
                    self._sync = self._sender(asynchronous=False)
        return self._sync[0]

    @property
    def ahttp(self):
        """This event loop's async sender (created on first use in each loop)."""
        loop = asyncio.get_running_loop()
        sender = self._async.get(loop)
        if sender is None:
            sender = self._async[loop] = self._sender(asynchronous=True)
        return sender[0]

    def close(self) -> None:
        if self._sync is not None:
            self._sync[1]()
            self._sync = None

    # --- request building ----------------------------------------------------

    def runtime_url(self, model_id: str, operation: str) -> str:
        # botocore's label rule: only A-Z a-z 0-9 -._~ stay unescaped (reference §1.4).
        return f"{self.auth.runtime_url}/model/{quote(model_id, safe='-._~')}/{operation}"

    def _build(self, method: str, url: str, body: bytes, headers: dict, timeout: Optional[float]):
        import httpx

        signed = self.auth.sign(method, url, headers, body)
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= 1024:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        return httpx.Request(method, parsed, content=body, headers=signed, extensions=_timeout_ext(timeout))

    @staticmethod
    def _json_headers(stream: bool) -> dict:
        if stream:
            return {"Content-Type": "application/json", "X-Amzn-Bedrock-Accept": "application/json"}
        return {"Content-Type": "application/json", "Accept": "application/json"}

    # --- sync ----------------------------------------------------------------

    def _send(self, method, url, body, headers, *, stream, timeout, num_retries, model):
        attempt = 0
        while True:
            request = self._build(method, url, body, dict(headers), timeout)
            try:
                response = self.http(request)
                if response.status_code == 200 and not stream:
                    response.read()
            except Exception as exc:
                if not _is_httpx_error(exc):
                    raise
                error = _connection_error(exc, model)
            else:
                if response.status_code == 200:
                    return response
                content = response.read()
                response.close()
                error = _error_from_response(response.status_code, response.headers, content, model)
            if attempt >= _retry_budget(error, num_retries) or not _is_retryable(error):
                raise error
            time.sleep(backoff_delay(attempt))
            attempt += 1

    def invoke(self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke") -> InvokeResult:
        """POST a native body to InvokeModel (or ``operation``); the parsed JSON answer."""
        data = json.dumps(body).encode()
        url = self.runtime_url(model_id, operation)
        response = self._send(
            "POST", url, data, self._json_headers(False),
            stream=False, timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return InvokeResult(_parse_json(response.content), response.headers)

    def converse(self, model_id: str, body: dict, **kwargs) -> InvokeResult:
        return self.invoke(model_id, body, operation="converse", **kwargs)

    def invoke_stream(self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke-with-response-stream") -> "EventIterator":
        data = json.dumps(body).encode()
        url = self.runtime_url(model_id, operation)
        response = self._send(
            "POST", url, data, self._json_headers(True),
            stream=True, timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return EventIterator(response, model_id, chunk_payloads=operation.startswith("invoke"))

    def converse_stream(self, model_id: str, body: dict, **kwargs) -> "EventIterator":
        return self.invoke_stream(model_id, body, operation="converse-stream", **kwargs)

    def control_get(self, path: str, *, timeout=None, num_retries=None) -> Any:
        """GET a control-plane path (``/foundation-models/...``) and parse the JSON."""
        url = self.auth.control_url + path
        response = self._send(
            "GET", url, b"", {}, stream=False, timeout=timeout, num_retries=num_retries, model=None
        )
        return _parse_json(response.content)

    # --- async ---------------------------------------------------------------

    async def _asend(self, method, url, body, headers, *, stream, timeout, num_retries, model):
        attempt = 0
        while True:
            request = self._build(method, url, body, dict(headers), timeout)
            try:
                response = await self.ahttp(request)
                if response.status_code == 200 and not stream:
                    await response.aread()
            except Exception as exc:
                if not _is_httpx_error(exc):
                    raise
                error = _connection_error(exc, model)
            else:
                if response.status_code == 200:
                    return response
                content = await response.aread()
                await response.aclose()
                error = _error_from_response(response.status_code, response.headers, content, model)
            if attempt >= _retry_budget(error, num_retries) or not _is_retryable(error):
                raise error
            await asyncio.sleep(backoff_delay(attempt))
            attempt += 1

    async def ainvoke(self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke") -> InvokeResult:
        data = json.dumps(body).encode()
        url = self.runtime_url(model_id, operation)
        response = await self._asend(
            "POST", url, data, self._json_headers(False),
            stream=False, timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return InvokeResult(_parse_json(response.content), response.headers)

    async def aconverse(self, model_id: str, body: dict, **kwargs) -> InvokeResult:
        return await self.ainvoke(model_id, body, operation="converse", **kwargs)

    async def ainvoke_stream(self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke-with-response-stream") -> "AsyncEventIterator":
        data = json.dumps(body).encode()
        url = self.runtime_url(model_id, operation)
        response = await self._asend(
            "POST", url, data, self._json_headers(True),
            stream=True, timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return AsyncEventIterator(response, model_id, chunk_payloads=operation.startswith("invoke"))

    async def aconverse_stream(self, model_id: str, body: dict, **kwargs) -> "AsyncEventIterator":
        return await self.ainvoke_stream(model_id, body, operation="converse-stream", **kwargs)

    async def acontrol_get(self, path: str, *, timeout=None, num_retries=None) -> Any:
        url = self.auth.control_url + path
        response = await self._asend(
            "GET", url, b"", {}, stream=False, timeout=timeout, num_retries=num_retries, model=None
        )
        return _parse_json(response.content)


_DEFAULT_TIMEOUT_EXT = {
    "timeout": {"connect": CONNECT_TIMEOUT, "read": DEFAULT_TIMEOUT, "write": DEFAULT_TIMEOUT, "pool": DEFAULT_TIMEOUT}
}


def _timeout_ext(timeout: Optional[float]) -> dict:
    """httpx's per-request timeout extension (transports have no default of their own)."""
    if timeout is None:
        return _DEFAULT_TIMEOUT_EXT
    t = float(timeout)
    return {"timeout": {"connect": min(t, CONNECT_TIMEOUT), "read": t, "write": t, "pool": t}}


def _proxies_configured() -> bool:
    env = os.environ
    return any(env.get(name) for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"))


def _is_httpx_error(exc: Exception) -> bool:
    import httpx

    return isinstance(exc, (httpx.TransportError, httpx.StreamError))


class EventIterator:
    """Iterates ``(event_type, payload)`` of a Bedrock event stream; closes its connection.

    For InvokeModelWithResponseStream, the payload is the model's native chunk
    (already base64-decoded and parsed). A stream that ends inside a frame, or
    whose connection drops, raises :class:`~litebed.errors.APIConnectionError`.
    """

    def __init__(self, response, model_id: str, *, chunk_payloads: bool) -> None:
        self._response = response
        self._model_id = model_id
        self._chunk_payloads = chunk_payloads
        self._iter = self._events()

    def _events(self) -> Iterator[tuple[str, Any]]:
        decoder = EventStreamDecoder()
        try:
            for data in self._response.iter_raw():
                for message in decoder.feed(data):
                    event = _decode_event(message, self._model_id, self._chunk_payloads)
                    if event is not None:
                        yield event
            decoder.close()
        except Exception as exc:
            if _is_httpx_error(exc):
                raise APIConnectionError(
                    f"Bedrock event stream was cut short: {type(exc).__name__}", model=self._model_id
                ) from None
            raise
        finally:
            self._response.close()

    def __iter__(self) -> "EventIterator":
        return self

    def __next__(self) -> tuple[str, Any]:
        return next(self._iter)

    def close(self) -> None:
        self._iter.close()
        self._response.close()


class AsyncEventIterator:
    """The async twin of :class:`EventIterator`."""

    def __init__(self, response, model_id: str, *, chunk_payloads: bool) -> None:
        self._response = response
        self._model_id = model_id
        self._chunk_payloads = chunk_payloads
        self._iter = self._events()

    async def _events(self) -> AsyncIterator[tuple[str, Any]]:
        decoder = EventStreamDecoder()
        try:
            async for data in self._response.aiter_raw():
                for message in decoder.feed(data):
                    event = _decode_event(message, self._model_id, self._chunk_payloads)
                    if event is not None:
                        yield event
            decoder.close()
        except Exception as exc:
            if _is_httpx_error(exc):
                raise APIConnectionError(
                    f"Bedrock event stream was cut short: {type(exc).__name__}", model=self._model_id
                ) from None
            raise
        finally:
            await self._response.aclose()

    def __aiter__(self) -> "AsyncEventIterator":
        return self

    async def __anext__(self) -> tuple[str, Any]:
        return await self._iter.__anext__()

    async def aclose(self) -> None:
        await self._iter.aclose()
        await self._response.aclose()


_clients: dict[int, BedrockClient] = {}
_clients_lock = threading.Lock()


def get_client(options: AuthOptions) -> BedrockClient:
    """The cached client for these auth options (one per distinct resolved configuration)."""
    auth = resolve_auth(options)
    client = _clients.get(id(auth))
    if client is None or client.auth is not auth:
        with _clients_lock:
            client = _clients.get(id(auth))
            if client is None or client.auth is not auth:
                client = BedrockClient(auth)
                _clients[id(auth)] = client
    return client
