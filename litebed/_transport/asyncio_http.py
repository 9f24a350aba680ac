"""A small asyncio HTTP/1.1 transport for httpx, for litebed's async calls.

httpcore's async pool re-scans every connection on every request start and
finish, and goes through anyio for each socket operation; at hundreds of
concurrent Bedrock calls that machinery costs more CPU than signing, JSON and
response objects together (docs/benchmark.md has the profile). Bedrock's
runtime needs little of HTTP: one request per connection at a time, bodies
with ``Content-Length`` or chunked (event streams), keep-alive. This transport
does exactly that on asyncio streams, with an O(1) idle-connection pool.

It is used only when no proxy is configured (``client.py`` decides); errors are
raised as httpx's own exception classes, so the retry layer sees no difference.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections import defaultdict
from typing import AsyncIterator, Optional

import httpx

_HEAD_LIMIT = 64 * 1024
_READ_SIZE = 64 * 1024

if sys.version_info >= (3, 11):
    _deadline = asyncio.timeout
else:  # pragma: no cover - Python 3.10

    class _deadline:  # a minimal asyncio.timeout for 3.10
        def __init__(self, delay):
            self._delay = delay

        async def __aenter__(self):
            task = asyncio.current_task()
            loop = asyncio.get_running_loop()
            self._handle = None if self._delay is None else loop.call_later(self._delay, task.cancel)
            self._expired = False
            return self

        async def __aexit__(self, exc_type, exc, tb):
            if self._handle is not None:
                self._handle.cancel()
            if exc_type is asyncio.CancelledError and self._handle is not None and self._handle.when() <= asyncio.get_running_loop().time():
                raise TimeoutError from exc
            return False


class _Connection:
    __slots__ = ("reader", "writer", "key")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, key: tuple) -> None:
        self.reader, self.writer, self.key = reader, writer, key

    @property
    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()


class AsyncHTTP11Transport(httpx.AsyncBaseTransport):
    """``httpx.AsyncBaseTransport`` over asyncio streams, with keep-alive pooling."""

    def __init__(self, *, ssl_context, max_connections: int) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[tuple, list[_Connection]] = defaultdict(list)
        self._slots = asyncio.Semaphore(max_connections)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        await self._slots.acquire()
        connection: Optional[_Connection] = None
        try:
            connection = await self._connection(request.url, timeouts)
            body = request.content if isinstance(request.stream, httpx.ByteStream) else await request.aread()
            connection.writer.write(_head(request, len(body)) + body)
            async with _deadline(timeouts.get("write")):
                await connection.writer.drain()
            async with _deadline(read_timeout):
                status, headers = await _read_head(connection.reader)
        except BaseException as exc:
            if connection is not None:
                connection.close()
            self._slots.release()
            raise _as_httpx_error(exc) from None
        stream = _ResponseStream(self, connection, headers, request.method, status, read_timeout)
        return httpx.Response(status, headers=headers, stream=stream, extensions={"http_version": b"HTTP/1.1"})

    async def _connection(self, url: httpx.URL, timeouts: dict) -> _Connection:
        key = (url.scheme, url.host, url.port)
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.usable:
                return connection
            connection.close()
        tls = url.scheme == "https"
        port = url.port or (443 if tls else 80)
        async with _deadline(timeouts.get("connect")):
            reader, writer = await asyncio.open_connection(
                url.host, port, ssl=self._ssl_context if tls else None, limit=_HEAD_LIMIT
            )
        return _Connection(reader, writer, key)

    def _release(self, connection: _Connection, reusable: bool) -> None:
        if reusable and connection.usable:
            self._idle[connection.key].append(connection)
        else:
            connection.close()
        self._slots.release()

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()


def _head(request: httpx.Request, body_length: int) -> bytes:
    url = request.url
    lines = [b"%s %s HTTP/1.1" % (request.method.encode(), url.raw_path)]
    has_length = False
    for name, value in request.headers.raw:
        lowered = name.lower()
        if lowered == b"content-length":
            has_length = True
        elif lowered == b"transfer-encoding":
            continue  # the body is sent whole, with its length
        lines.append(name + b": " + value)
    if not has_length and (body_length or request.method in ("POST", "PUT", "PATCH")):
        lines.append(b"Content-Length: %d" % body_length)
    return b"\r\n".join(lines) + b"\r\n\r\n"


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, list[tuple[bytes, bytes]]]:
    while True:
        raw = await reader.readuntil(b"\r\n\r\n")
        status_line, _, header_block = raw[:-4].partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise httpx.RemoteProtocolError(f"malformed HTTP status line: {status_line[:80]!r}")
        status = int(parts[1])
        if 100 <= status < 200:
            continue  # informational answers precede the real one
        headers = []
        for line in header_block.split(b"\r\n") if header_block else ():
            name, sep, value = line.partition(b":")
            if not sep:
                raise httpx.RemoteProtocolError(f"malformed HTTP header line: {line[:80]!r}")
            headers.append((name.strip(), value.strip()))
        return status, headers


class _ResponseStream(httpx.AsyncByteStream):
    """The body of one response; hands the connection back when fully read."""

    def __init__(self, transport, connection, headers, method, status, read_timeout) -> None:
        self._transport = transport
        self._connection: Optional[_Connection] = connection
        self._read_timeout = read_timeout
        lowered = {name.lower(): value for name, value in headers}
        self._keep_alive = lowered.get(b"connection", b"").lower() != b"close"
        if method == "HEAD" or status in (204, 304):
            self._mode, self._length = "length", 0
        elif b"chunked" in lowered.get(b"transfer-encoding", b"").lower():
            self._mode, self._length = "chunked", None
        elif b"content-length" in lowered:
            self._mode, self._length = "length", int(lowered[b"content-length"])
        else:
            self._mode, self._length, self._keep_alive = "eof", None, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None:
            raise httpx.StreamClosed()
        try:
            if self._mode == "chunked":
                pieces = self._chunks(connection.reader)
            else:
                pieces = self._until_end(connection.reader)
            async for data in pieces:
                yield data
        except BaseException as exc:
            self._finish(reusable=False)
            if isinstance(exc, (GeneratorExit, asyncio.CancelledError)):
                raise
            raise _as_httpx_error(exc) from None
        self._finish(reusable=self._keep_alive)

    async def _until_end(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        remaining = self._length
        while remaining is None or remaining > 0:
            async with _deadline(self._read_timeout):
                data = await reader.read(_READ_SIZE if remaining is None else min(remaining, _READ_SIZE))
            if not data:
                if remaining is None:
                    return  # the body ends with the connection
                raise httpx.RemoteProtocolError("connection closed before the response body ended")
            if remaining is not None:
                remaining -= len(data)
            yield data

    async def _chunks(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        # Event streams can pause between chunks for as long as the model thinks:
        # the read timeout applies to each read, not to the whole body.
        while True:
            async with _deadline(self._read_timeout):
                size_line = await reader.readuntil(b"\r\n")
                size = int(size_line.split(b";", 1)[0], 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass  # trailers
                    return
                data = await reader.readexactly(size + 2)
            yield data[:-2]

    def _finish(self, *, reusable: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._transport._release(connection, reusable)

    async def aclose(self) -> None:
        self._finish(reusable=False)


def _as_httpx_error(exc: BaseException) -> BaseException:
    if isinstance(exc, (httpx.TransportError, asyncio.CancelledError, GeneratorExit, KeyboardInterrupt)):
        return exc
    if isinstance(exc, TimeoutError):
        return httpx.ReadTimeout("timed out talking to Bedrock")
    if isinstance(exc, asyncio.IncompleteReadError):
        return httpx.RemoteProtocolError("connection closed in the middle of a response")
    if isinstance(exc, asyncio.LimitOverrunError):
        return httpx.RemoteProtocolError("response head too large")
    if isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
        return httpx.ConnectError(str(exc) or type(exc).__name__)
    if isinstance(exc, OSError):
        return httpx.ReadError(str(exc) or type(exc).__name__)
    if isinstance(exc, ValueError):
        return httpx.RemoteProtocolError(f"malformed HTTP response: {exc}")
    return exc
