"""Signed requests to Bedrock through a Client's transports, retried by one policy.

:class:`~litebed._transport.pools.Transports` owns a Client's connections: one sync
transport shared by every thread, and one async transport per event loop,
closed when that loop shuts down (``asyncio.run`` ends every async generator,
and a parked one holds each loop's pool), so a loop never outlives its run.
Any object with httpx's transport interface can stand in (``transport=``):
``handle_request`` for sync calls, ``handle_async_request`` for async ones.

:class:`BedrockClient` is one identity (:class:`~litebed._auth.credentials.Auth`)
on those transports: it builds and signs each request, bounds each attempt by
``timeout`` (see :func:`attempt_extensions`), maps failures to litebed's
exceptions and retries them (:mod:`litebed._transport.retry`). The sync and
async methods share everything but the I/O.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

import httpx

from .._auth.credentials import Auth
from .._auth.sigv4 import url_parts
from .._streaming.iterators import AsyncEventIterator, EventIterator
from ..errors import APIConnectionError, APIError, APITimeoutError, BadRequestError
from . import retry
from .pools import Transports

if TYPE_CHECKING:
    pass

DEFAULT_TIMEOUT = 600.0  # long generations (Nova can run for minutes)
CONNECT_TIMEOUT = 10.0
#: The request extension litebed's transports read: an absolute time.monotonic() deadline.
DEADLINE_EXTENSION = "litebed.deadline"


@dataclass
class InvokeResult:
    body: Any
    headers: Mapping[str, str]


def check_timeout(timeout: Any) -> Optional[float]:
    """``timeout=`` validated: None, or a positive number of seconds."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise BadRequestError(f"timeout: must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def check_num_retries(num_retries: Any) -> Optional[int]:
    if num_retries is None:
        return None
    if isinstance(num_retries, bool) or not isinstance(num_retries, int) or num_retries < 0:
        raise BadRequestError(f"num_retries: must be a whole number >= 0, got {num_retries!r}")
    return num_retries


def attempt_extensions(timeout: Optional[float]) -> dict:
    """httpx's timeout extension plus litebed's deadline for one attempt.

    ``timeout`` bounds the whole attempt: waiting for a connection, connecting,
    sending and every read until the response is complete (for a stream: until
    its head has arrived; each later event then gets ``timeout`` of its own).
    """
    seconds = DEFAULT_TIMEOUT if timeout is None else timeout
    return {
        "timeout": {"connect": min(seconds, CONNECT_TIMEOUT), "read": seconds, "write": seconds, "pool": seconds},
        DEADLINE_EXTENSION: time.monotonic() + seconds,
    }


def transport_error(exc: BaseException, model: Optional[str]) -> APIError:
    """Whatever a transport raised, as a litebed exception (never a raw one)."""
    import httpx

    from .._auth.redact import scrub

    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request to Bedrock timed out ({type(exc).__name__})", model=model)
    if isinstance(exc, httpx.LocalProtocolError):
        # Raised before sending: a header value with a line break, say (an api_key pasted with its newline).
        return BadRequestError(f"the request could not be sent: {scrub(str(exc))}", model=model)
    if isinstance(exc, (httpx.TransportError, httpx.StreamError)):
        return APIConnectionError(f"connection to Bedrock failed: {type(exc).__name__}: {scrub(str(exc))}", model=model)
    # A user's transport raised something of its own: report it, don't retry it.
    error = APIConnectionError(f"the transport raised {type(exc).__name__}: {scrub(str(exc))}", model=model)
    error.retryable = False
    return error


def error_from_response(status: int, headers: Mapping[str, str], content: bytes, model: Optional[str]) -> APIError:
    from ..errors import error_from_bedrock, excerpt

    code = headers.get("x-amzn-errortype")
    message = ""
    try:
        payload = json.loads(content) if content else {}
    except (ValueError, RecursionError):
        payload = None
        message = excerpt(content[:64_000].decode("utf-8", "replace"), 500)
    if isinstance(payload, dict):
        message = str(payload.get("message") or payload.get("Message") or "")
        code = code or payload.get("code") or payload.get("__type")
    if isinstance(code, str):
        code = code.split(":", 1)[0] or None  # "ValidationException:http://internal..." -> the name
    else:
        code = None
    if model and "model identifier is invalid" in message:
        message += _did_you_mean(model)
    return error_from_bedrock(status, code, message or f"HTTP {status}", request_id=headers.get("x-amzn-requestid"), model=model)


def _did_you_mean(model_id: str) -> str:
    """Bedrock's bare "The provided model identifier is invalid", with the closest known ids."""
    try:
        from .._catalog import suggestions
    except ImportError:  # pragma: no cover - the catalog ships with the package
        return ""
    close = suggestions(model_id)
    if not close:
        return f" ({model_id!r} is not a model id litebed knows either)"
    return f" ({model_id!r}: did you mean {' or '.join(repr(c) for c in close)}?)"


def parse_json(content: bytes, model: Optional[str]) -> Any:
    try:
        return json.loads(content)
    except ValueError as exc:
        raise APIError(f"Bedrock answered with a body that is not JSON ({getattr(exc, 'msg', exc)})", model=model) from None
    except RecursionError:
        raise APIError("Bedrock answered with JSON nested too deeply to read", model=model) from None


def read_whole(response: Any) -> None:
    """``response.read()`` without httpx's decoder pipeline when there is nothing to decode.

    litebed sends no ``Accept-Encoding``, so Bedrock's bodies arrive as they are;
    joining the raw pieces costs half as much. The result lands where httpx keeps
    a read body (``response.content``).
    """
    if response.is_stream_consumed or response.headers.get("content-encoding"):
        response.read()
    else:
        response._content = b"".join(response.iter_raw())


async def aread_whole(response: Any) -> None:
    if response.is_stream_consumed or response.headers.get("content-encoding"):
        await response.aread()
    else:
        response._content = b"".join([piece async for piece in response.aiter_raw()])


class WithBedrock:
    """For a call's plan whose ``client`` field is set last (resolving credentials may call STS)."""

    client: Optional[BedrockClient]

    @property
    def bedrock(self) -> BedrockClient:
        """``client``, which is set before the first request is sent."""
        assert self.client is not None, "the Bedrock client is resolved before any request"
        return self.client


_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_STREAM_HEADERS = {"Content-Type": "application/json", "X-Amzn-Bedrock-Accept": "application/json"}


class BedrockClient:
    """One identity on a Client's transports: signed, bounded, retried requests."""

    def __init__(self, auth: Auth, transports: Transports, arn_cache: Any) -> None:
        self.auth = auth
        self.transports = transports
        self.arn_cache = arn_cache  # the owning Client's ArnCache (litebed._arn)
        # (model id, operation) -> url, and url -> parsed httpx.URL: quoting and parsing cost
        # as much as signing's hashing, and a process calls few distinct URLs.
        self._runtime_urls: dict[tuple[str, str], str] = {}
        self._urls: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"BedrockClient({self.auth!r})"

    def runtime_url(self, model_id: str, operation: str) -> str:
        url = self._runtime_urls.get((model_id, operation))
        if url is None:
            # botocore's label rule: only A-Z a-z 0-9 -._~ stay unescaped.
            url = f"{self.auth.runtime_url}/model/{quote(model_id, safe='-._~')}/{operation}"
            if len(self._runtime_urls) >= 1024:
                self._runtime_urls.clear()
            self._runtime_urls[(model_id, operation)] = url
        return url

    def _request(self, method: str, url: str, body: bytes, headers: dict, timeout: Optional[float]):
        signed = self.auth.sign(method, url, dict(headers), body)
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= 1024:
                self._urls.clear()
            parsed = self._urls[url] = httpx.URL(url)
        # Host and Content-Length given here, with the body as a ready stream: httpx then skips
        # its content encoding and header preparation (a third of the cost of building a request).
        signed["Host"] = url_parts(url)[0]
        signed["Content-Length"] = str(len(body))
        request = httpx.Request(method, parsed, headers=signed, stream=httpx.ByteStream(body),
                                extensions=attempt_extensions(timeout))
        request.read()  # marks the body as read: request.content works for every transport
        return request

    # --- sync ------------------------------------------------------------------

    def _attempt(self, method, url, body, headers, stream: bool, timeout, model):
        send = self.transports.sync()
        request = self._request(method, url, body, headers, timeout)
        try:
            response = send(request)
            if response.status_code != 200:
                content = response.read()
                response.close()
                raise error_from_response(response.status_code, response.headers, content, model)
            if not stream:
                read_whole(response)
        except APIError:
            raise
        except Exception as exc:
            raise transport_error(exc, model) from None
        return response

    def send(self, method, url, body, headers, *, stream=False, timeout=None, num_retries=None, model=None):
        """Send with retries; the response (read whole unless ``stream``)."""
        attempt = 0
        while True:
            try:
                return self._attempt(method, url, body, headers, stream, timeout, model)
            except APIError as error:
                delay = retry.next_delay(error, attempt, num_retries)
                if delay is None:
                    raise
            time.sleep(delay)
            attempt += 1

    def invoke(self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke") -> InvokeResult:
        """POST a native body to InvokeModel (or ``operation``); the parsed JSON answer."""
        response = self.send(
            "POST", self.runtime_url(model_id, operation), json.dumps(body).encode(), _JSON_HEADERS,
            timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return InvokeResult(parse_json(response.content, model_id), response.headers)

    def converse(self, model_id: str, body: dict, **kwargs) -> InvokeResult:
        return self.invoke(model_id, body, operation="converse", **kwargs)

    def invoke_stream(
        self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke-with-response-stream"
    ) -> EventIterator:
        """Open a response stream: the head is read (and retried) before this returns."""
        response = self.send(
            "POST", self.runtime_url(model_id, operation), json.dumps(body).encode(), _STREAM_HEADERS,
            stream=True, timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return EventIterator(response, model_id, chunk_payloads=operation.startswith("invoke"), timeout=timeout)

    def converse_stream(self, model_id: str, body: dict, **kwargs) -> EventIterator:
        return self.invoke_stream(model_id, body, operation="converse-stream", **kwargs)

    def control_get(self, path: str, *, timeout=None, num_retries=None) -> Any:
        """GET a control-plane path (``/foundation-models/...``) and parse the JSON."""
        response = self.send("GET", self.auth.control_url + path, b"", {}, timeout=timeout, num_retries=num_retries)
        return parse_json(response.content, None)

    # --- async -----------------------------------------------------------------

    async def _aattempt(self, method, url, body, headers, stream: bool, timeout, model):
        send = await self.transports.for_loop()
        if self.auth.refresh_due():
            # Signing will refresh first, calling STS or a credential_process: never on the event loop.
            request = await asyncio.to_thread(self._request, method, url, body, headers, timeout)
        else:
            request = self._request(method, url, body, headers, timeout)
        try:
            response = await send(request)
            if response.status_code != 200:
                content = await response.aread()
                await response.aclose()
                raise error_from_response(response.status_code, response.headers, content, model)
            if not stream:
                await aread_whole(response)
        except APIError:
            raise
        except Exception as exc:
            raise transport_error(exc, model) from None
        return response

    async def asend(self, method, url, body, headers, *, stream=False, timeout=None, num_retries=None, model=None):
        attempt = 0
        while True:
            try:
                return await self._aattempt(method, url, body, headers, stream, timeout, model)
            except APIError as error:
                delay = retry.next_delay(error, attempt, num_retries)
                if delay is None:
                    raise
            await asyncio.sleep(delay)
            attempt += 1

    async def ainvoke(self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke") -> InvokeResult:
        response = await self.asend(
            "POST", self.runtime_url(model_id, operation), json.dumps(body).encode(), _JSON_HEADERS,
            timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return InvokeResult(parse_json(response.content, model_id), response.headers)

    async def aconverse(self, model_id: str, body: dict, **kwargs) -> InvokeResult:
        return await self.ainvoke(model_id, body, operation="converse", **kwargs)

    async def ainvoke_stream(
        self, model_id: str, body: dict, *, timeout=None, num_retries=None, operation="invoke-with-response-stream"
    ) -> AsyncEventIterator:
        response = await self.asend(
            "POST", self.runtime_url(model_id, operation), json.dumps(body).encode(), _STREAM_HEADERS,
            stream=True, timeout=timeout, num_retries=num_retries, model=model_id,
        )
        return AsyncEventIterator(response, model_id, chunk_payloads=operation.startswith("invoke"), timeout=timeout)

    async def aconverse_stream(self, model_id: str, body: dict, **kwargs) -> AsyncEventIterator:
        return await self.ainvoke_stream(model_id, body, operation="converse-stream", **kwargs)

    async def acontrol_get(self, path: str, *, timeout=None, num_retries=None) -> Any:
        response = await self.asend("GET", self.auth.control_url + path, b"", {}, timeout=timeout, num_retries=num_retries)
        return parse_json(response.content, None)


def get_client(options: Any) -> BedrockClient:
    """The default Client's :class:`BedrockClient` for ``options`` (an ``AuthOptions``)."""
    from .._client import default_client

    return default_client().bedrock(options)
