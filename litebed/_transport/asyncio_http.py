"""A small asyncio HTTP/1.1 transport for httpx, for litebed's async calls.

httpcore's async pool re-scans every connection on every request start and
finish, and goes through anyio for each socket operation; at hundreds of
concurrent Bedrock calls that machinery costs more CPU than signing, JSON and
response objects together (docs/benchmark.md has the profile). Bedrock's
runtime needs little of HTTP: one request per connection at a time, bodies
with ``Content-Length`` or chunked (event streams), keep-alive. This transport
does exactly that on asyncio streams, with an O(1) idle-connection pool; the
wire format is parsed by :mod:`.http11`, shared with the sync twin
(:mod:`.sync_http`).

It is used only when no proxy is configured (``sender.py`` decides); errors are
raised as httpx's own exception classes, so the retry layer sees no difference.

Deadlines (the contract callers rely on, the same in both transports):

* ``request.extensions["timeout"]`` is httpx's ``{"connect", "read", "write",
  "pool"}`` dict, in seconds or ``None``; each limits one operation of its kind
  (waiting for a slot, connecting with TLS, draining the write buffer, one
  read), as in httpx. A missing key means no limit.
* ``request.extensions["litebed.deadline"]``, optional, is an absolute
  ``time.monotonic()`` value that no operation of the request may run past:
  waiting for a pool slot, connecting, sending, reading the head, and every read
  of the body. Each operation gets ``min(its timeout, deadline - now)``, so a
  server trickling one byte a second fails at the deadline. (asyncio's loop clock
  is ``time.monotonic`` too.)
* ``response.stream.set_deadline(deadline)`` replaces that deadline for every
  later read of the body (``None``: per-read timeouts only); the event-stream
  reader sets "the next event must arrive within ``timeout``" before each event.

Errors are httpx's: ``PoolTimeout``, ``ConnectTimeout``, ``WriteTimeout``,
``ReadTimeout``; ``ConnectError``, ``WriteError``, ``ReadError`` for socket
failures; ``RemoteProtocolError`` for malformed responses. A failed or
half-read connection is aborted and its pool slot returned.

``aclose()`` aborts every connection, idle or in use (a read in progress fails
with ``ReadError``); later requests raise ``httpx.ConnectError`` ("the transport
is closed") rather than reopening, so a closed transport never leaks sockets.
"""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from time import monotonic
from typing import Optional

import httpx

from .http11 import CONNECT, NO_LIMITS, READ, READ_SIZE, WRITE, ResponseParser, as_httpx_error, encode_request, prune_oldest, time_left

if sys.version_info >= (3, 11):
    _timeout = asyncio.timeout
else:  # pragma: no cover - Python 3.10

    class _timeout:  # a minimal asyncio.timeout for 3.10
        def __init__(self, delay):
            self._delay = delay

        async def __aenter__(self):
            task = asyncio.current_task()
            assert task is not None  # always, inside a coroutine
            self._handle = asyncio.get_running_loop().call_later(self._delay, task.cancel)
            return self

        async def __aexit__(self, exc_type, exc, tb):
            self._handle.cancel()
            if exc_type is asyncio.CancelledError and self._handle.when() <= asyncio.get_running_loop().time():
                raise TimeoutError from exc
            return False


async def _timed(awaitable, delay: Optional[float]):
    """``await awaitable`` within ``delay`` seconds (TimeoutError after); compute ``delay`` first."""
    if delay is None:
        return await awaitable
    async with _timeout(delay):
        return await awaitable


class _Connection(ResponseParser):
    __slots__ = ("reader", "writer", "key")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, key: tuple) -> None:
        super().__init__()
        self.reader, self.writer, self.key = reader, writer, key

    @property
    def usable(self) -> bool:
        reader = self.reader
        return not reader.at_eof() and reader.exception() is None and not self.writer.is_closing()

    def close(self) -> None:
        # abort(), not close(): nothing is worth flushing on a connection we drop, and
        # a TLS close() would wait (up to 30 s) for the server's close_notify.
        self.writer.transport.abort()


class AsyncHTTP11Transport(httpx.AsyncBaseTransport):
    """``httpx.AsyncBaseTransport`` over asyncio streams, with keep-alive pooling."""

    def __init__(self, *, ssl_context=None, max_connections: int = 1000) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._ssl_context = ssl_context
        self._idle: defaultdict[tuple, deque[_Connection]] = defaultdict(deque)  # newest on the right
        self._active: set[_Connection] = set()  # in use, so aclose() can reach them
        self._slots = asyncio.Semaphore(max_connections)
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise httpx.ConnectError("the transport is closed")
        extensions = request.extensions
        timeouts = extensions.get("timeout") or NO_LIMITS
        deadline = extensions.get("litebed.deadline")
        slots = self._slots
        if slots.locked():
            wait = time_left(timeouts.get("pool"), deadline, httpx.PoolTimeout)
            try:
                await _timed(slots.acquire(), wait)
            except TimeoutError:
                raise httpx.PoolTimeout("no connection became free in time") from None
        else:
            await slots.acquire()  # returns at once
        connection: Optional[_Connection] = None
        phase = CONNECT
        try:
            body = request.content if isinstance(request.stream, httpx.ByteStream) else await request.aread()
            connection = self._reuse(request.url) or await self._connect(request.url, timeouts.get("connect"), deadline)
            self._active.add(connection)
            phase = WRITE
            writer = connection.writer
            writer.writelines(encode_request(request, body))
            if writer.transport.get_write_buffer_size():  # else all of it is with the kernel already
                wait = time_left(timeouts.get("write"), deadline, httpx.WriteTimeout)
                await _timed(writer.drain(), wait)
            phase = READ
            read_timeout = timeouts.get("read")
            method = request.method
            head = connection.head(method)
            while head is None:
                await _fill(connection, read_timeout, deadline)
                head = connection.head(method)
        except BaseException as exc:
            if connection is None:
                slots.release()
            else:
                self._release(connection, False)
            raise as_httpx_error(exc, phase) from None
        status, reason, headers = head
        stream = _ResponseStream(self, connection, read_timeout, deadline)
        return httpx.Response(
            status, headers=headers, stream=stream, extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason}
        )

    def _reuse(self, url: httpx.URL) -> Optional[_Connection]:
        idle = self._idle.get((url.scheme, url.host, url.port))
        now = monotonic()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to be closed
            if connection.usable and not connection.expired(now):
                return connection
            connection.close()
        return None

    async def _connect(self, url: httpx.URL, connect_timeout, deadline) -> _Connection:
        tls = url.scheme == "https"
        if tls and self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        wait = time_left(connect_timeout, deadline, httpx.ConnectTimeout)
        # TCP_NODELAY is asyncio's default. The reader's limit only sets when it stops
        # reading from the socket (at twice the limit): the parser bounds the rest.
        opening = asyncio.open_connection(
            url.host, url.port or (443 if tls else 80), ssl=self._ssl_context if tls else None, limit=READ_SIZE
        )
        reader, writer = await _timed(opening, wait)
        return _Connection(reader, writer, (url.scheme, url.host, url.port))

    def _release(self, connection: _Connection, reusable: bool) -> None:
        self._active.discard(connection)
        if reusable and not self._closed and connection.usable and connection.reusable():
            idle = self._idle[connection.key]
            idle.append(connection)
            prune_oldest(idle, connection.idle_since)
        else:
            connection.close()
        self._slots.release()

    async def aclose(self) -> None:
        self._closed = True
        for connection in list(self._active):
            connection.killed = True
            connection.close()
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
        # Aborted transports close their sockets in a callback on the next loop turn; let
        # it run, so that a loop closed right after this leaves no socket open.
        await asyncio.sleep(0)


async def _fill(connection: _Connection, read_timeout, deadline) -> None:
    """One read into the connection's parser (or its EOF); bounded by the timeout and deadline."""
    wait = time_left(read_timeout, deadline, httpx.ReadTimeout)
    if wait is None:
        data = await connection.reader.read(READ_SIZE)
    else:
        async with _timeout(wait):
            data = await connection.reader.read(READ_SIZE)
    if data:
        connection.feed(data)
    else:
        connection.eof()


class _ResponseStream(httpx.AsyncByteStream):
    """The body of one response; hands the connection back when fully read."""

    def __init__(self, transport: AsyncHTTP11Transport, connection: _Connection, read_timeout, deadline) -> None:
        self._transport = transport
        self._connection: Optional[_Connection] = connection
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._complete = False

    def set_deadline(self, deadline: Optional[float]) -> None:
        """Bound every later read of this body by ``deadline`` (``time.monotonic()``; ``None``: no deadline)."""
        self._deadline = deadline

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            if self._complete:
                return
            raise httpx.StreamClosed()
        try:
            piece = connection.body()
            while True:
                if piece is None:
                    await _fill(connection, self._read_timeout, self._deadline)
                elif piece:
                    yield piece
                else:
                    break
                piece = connection.body()
        except BaseException as exc:
            self._finish(False)
            if isinstance(exc, (GeneratorExit, asyncio.CancelledError)):
                raise
            raise as_httpx_error(exc, READ) from None
        self._complete = True
        self._finish(True)

    def _finish(self, complete: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._transport._release(connection, complete)

    async def aclose(self) -> None:
        self._finish(False)  # before the end: the rest of the body is still on the wire

    def __del__(self) -> None:
        # A response dropped before its body was iterated: give the slot back. (Once
        # iteration started, the loop's async-generator finaliser does it.)
        if self._connection is not None:
            try:
                self._finish(False)
            except RuntimeError:  # the loop is already closed
                pass
