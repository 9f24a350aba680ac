"""A Client's connections: one sync transport for every thread, one async transport per event loop.

Each loop's pool is closed when that loop shuts down: ``asyncio.run`` ends
every async generator, and a parked one holds each loop's pool, so a loop
never outlives its run and leaves no sockets behind. Any object with httpx's
transport interface can stand in (``transport=``); with a proxy configured in
the environment, an ``httpx.Client`` is used (it applies ``HTTP(S)_PROXY`` and
``NO_PROXY``).
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any, Optional

import httpx

from ..errors import APIConnectionError, BadRequestError

if TYPE_CHECKING:
    import ssl

MAX_CONNECTIONS = 1000


def _proxies_configured() -> bool:
    env = os.environ
    return any(env.get(name) for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"))


class Transports:
    """A Client's connections: one sync transport, one async transport per event loop."""

    def __init__(self, transport: Any = None, *, max_connections: int = MAX_CONNECTIONS) -> None:
        self._given = transport
        self._max_connections = max_connections
        self._sync: Optional[tuple[Any, Any]] = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._ssl_context: Optional[ssl.SSLContext] = None
        self.closed = False

    def _ssl(self) -> ssl.SSLContext:

        if self._ssl_context is None:
            # One context for every pool: building one loads the CA bundle (~15 ms).
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    def _make(self, asynchronous: bool) -> tuple[Any, Any]:
        """(send function, close function) for a new pool."""

        if self._given is not None:
            method = "handle_async_request" if asynchronous else "handle_request"
            send = getattr(self._given, method, None)
            if send is None:
                raise BadRequestError(
                    f"transport: {type(self._given).__name__} has no {method}(); pass an httpx transport "
                    "(httpx.MockTransport(handler) serves sync and async calls alike)"
                )
            return send, None  # closed by Client.close(), once
        if _proxies_configured():
            # httpx.Client applies HTTP(S)_PROXY and NO_PROXY; litebed's own transports do not.
            limits = httpx.Limits(max_connections=self._max_connections, max_keepalive_connections=self._max_connections)
            if asynchronous:
                aclient = httpx.AsyncClient(limits=limits, verify=self._ssl())
                return functools.partial(aclient.send, stream=True), aclient.aclose
            client = httpx.Client(limits=limits, verify=self._ssl())
            return functools.partial(client.send, stream=True), client.close
        if asynchronous:
            from .asyncio_http import AsyncHTTP11Transport

            transport = AsyncHTTP11Transport(ssl_context=self._ssl(), max_connections=self._max_connections)
            return transport.handle_async_request, transport.aclose
        transport = _sync_transport(self._ssl(), self._max_connections)
        return transport.handle_request, transport.close

    def sync(self):
        """The sync send function (created once, shared by every thread)."""
        pool = self._sync
        if pool is None:
            with self._lock:
                if self._sync is None:
                    self._check_open()
                    self._sync = self._make(asynchronous=False)
                pool = self._sync
        return pool[0]

    async def for_loop(self):
        """This event loop's async send function (created on first use in each loop)."""
        loop = asyncio.get_running_loop()
        pool = self._async.get(loop)
        if pool is None:
            self._check_open()
            send, close = self._make(asynchronous=True)
            guard = self._guard(loop, close)
            await guard.asend(None)  # parked: the loop's shutdown_asyncgens() closes the pool
            pool = self._async[loop] = (send, close, guard)
        return pool[0]

    async def _guard(self, loop, close):
        try:
            yield
        finally:
            self._async.pop(loop, None)
            if close is not None:
                await close()

    def _check_open(self) -> None:
        if self.closed:
            error = APIConnectionError("this litebed Client is closed; create a new one")
            error.retryable = False
            raise error

    def close(self) -> None:
        """Close the sync pool (async pools close with their loops, or in :meth:`aclose`)."""
        self.closed = True
        pool, self._sync = self._sync, None
        if pool is not None and pool[1] is not None:
            pool[1]()
        if self._given is not None and hasattr(self._given, "close"):
            self._given.close()

    async def aclose(self) -> None:
        """Close this loop's pool and the sync pool."""
        pool = self._async.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool[2].aclose()
        if self._given is not None and hasattr(self._given, "aclose"):
            await self._given.aclose()
        self.close()


def _sync_transport(ssl_context, max_connections: int):
    try:
        from .sync_http import SyncHTTP11Transport
    except ImportError:  # pragma: no cover - until the lean transport lands
        import httpx

        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        return httpx.HTTPTransport(limits=limits, verify=ssl_context)
    return SyncHTTP11Transport(ssl_context=ssl_context, max_connections=max_connections)
