"""A small blocking-socket HTTP/1.1 transport for httpx, for litebed's sync calls.

The twin of :mod:`.asyncio_http` (see its docstring for why litebed has its own
transports): one request per connection at a time, keep-alive with an O(1) idle
pool keyed by (scheme, host, port), bodies sent whole with ``Content-Length``;
responses framed by Content-Length, chunked, or the connection's end. Parsing is
in :mod:`.http11`, shared with the async transport. Many threads may share one
transport: the pool uses only operations that are atomic in CPython (list
append/pop, set add/discard, ``queue.SimpleQueue``), so it takes no lock, and
releasing a connection is safe from a garbage collector's finaliser.

Deadlines (the contract callers rely on, the same in both transports):

* ``request.extensions["timeout"]`` is httpx's ``{"connect", "read", "write",
  "pool"}`` dict, in seconds or ``None``; each limits one operation of its kind
  (one ``connect``, one ``send``, one ``recv``), as in httpx. A missing key means
  no limit.
* ``request.extensions["litebed.deadline"]``, optional, is an absolute
  ``time.monotonic()`` value that no operation of the request may run past:
  waiting for a pool slot, connecting (and TLS), sending, reading the head, and
  every read of the body. Each operation gets ``min(its timeout, deadline -
  now)``, so a server trickling one byte a second fails at the deadline.
* ``response.stream.set_deadline(deadline)`` replaces that deadline for every
  later read of the body (``None``: per-read timeouts only); the event-stream
  reader sets "the next event must arrive within ``timeout``" before each event.

Errors are httpx's: ``PoolTimeout``, ``ConnectTimeout``, ``WriteTimeout``,
``ReadTimeout``; ``ConnectError``, ``WriteError``, ``ReadError`` for socket
failures; ``RemoteProtocolError`` for malformed responses. A failed or
half-read connection is closed and its pool slot returned.

``close()`` closes every idle connection and shuts down every one in use: a read
in progress or to come fails with ``ReadError`` ("the transport was closed"), and
the socket is closed when its response is closed or dropped (by the thread that
owns it). Later requests raise ``httpx.ConnectError`` ("the transport is
closed") rather than reopening, so a closed transport never leaks sockets.
Name resolution (``getaddrinfo``) cannot be interrupted and is not bounded by
the deadline; everything after it is.
"""

from __future__ import annotations

import queue
import select
import socket
from collections import defaultdict, deque
from collections.abc import Iterator
from time import monotonic
from typing import Optional

import httpx

from .http11 import CONNECT, NO_LIMITS, READ, READ_SIZE, WRITE, ResponseParser, as_httpx_error, encode_request, prune_oldest, time_left

_HAS_POLL = hasattr(select, "poll")  # not on Windows


class _Connection(ResponseParser):
    __slots__ = ("sock", "key", "poller")

    def __init__(self, sock: socket.socket, key: tuple) -> None:
        super().__init__()
        self.sock, self.key = sock, key
        if _HAS_POLL:
            self.poller = select.poll()
            self.poller.register(sock.fileno(), select.POLLIN)

    def idle_readable(self) -> bool:
        """Anything (usually the server's close) arrived while idle: the connection is not reusable."""
        if _HAS_POLL:
            return bool(self.poller.poll(0))
        return bool(select.select((self.sock,), (), (), 0)[0])

    def close(self) -> None:
        self.sock.close()

    def kill(self) -> None:
        """End a connection another thread is using: its blocked or next read sees the end,
        and that thread closes the socket (no close() under its feet, no fd-reuse race)."""
        self.killed = True
        try:
            # socket.socket's own shutdown: SSLSocket's would also drop its SSL object, which
            # a concurrent read may be about to use.
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)
        except OSError:
            pass


class SyncHTTP11Transport(httpx.BaseTransport):
    """``httpx.BaseTransport`` over blocking sockets, with keep-alive pooling; thread-safe."""

    def __init__(self, *, ssl_context=None, max_connections: int = 1000) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        self._ssl_context = ssl_context
        self._idle: defaultdict[tuple, deque[_Connection]] = defaultdict(deque)  # newest on the right
        self._active: set[_Connection] = set()  # in use, so close() can reach them
        self._slots: queue.SimpleQueue = queue.SimpleQueue()  # one token per free slot
        for _ in range(max_connections):
            self._slots.put(None)
        self._closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise httpx.ConnectError("the transport is closed")
        extensions = request.extensions
        timeouts = extensions.get("timeout") or NO_LIMITS
        deadline = extensions.get("litebed.deadline")
        try:
            self._slots.get(False)
        except queue.Empty:
            self._wait_for_slot(timeouts.get("pool"), deadline)
        connection: Optional[_Connection] = None
        phase = CONNECT
        try:
            body = request.content if isinstance(request.stream, httpx.ByteStream) else request.read()
            connection = self._checkout(request.url, timeouts.get("connect"), deadline)
            phase = WRITE
            for data in encode_request(request, body):
                _send(connection.sock, data, timeouts.get("write"), deadline)
            phase = READ
            read_timeout = timeouts.get("read")
            method = request.method
            head = connection.head(method)
            while head is None:
                _fill(connection, read_timeout, deadline)
                head = connection.head(method)
        except BaseException as exc:
            if connection is None:
                self._slots.put(None)
            else:
                self._release(connection, False)
            raise as_httpx_error(exc, phase) from None
        status, reason, headers = head
        stream = _ResponseStream(self, connection, read_timeout, deadline)
        return httpx.Response(
            status, headers=headers, stream=stream, extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason}
        )

    def _wait_for_slot(self, pool_timeout: Optional[float], deadline: Optional[float]) -> None:
        wait = time_left(pool_timeout, deadline, httpx.PoolTimeout)
        try:
            self._slots.get(True, wait)
        except queue.Empty:
            raise httpx.PoolTimeout("no connection became free in time") from None

    def _checkout(self, url: httpx.URL, connect_timeout, deadline) -> _Connection:
        key = (url.scheme, url.host, url.port)
        idle = self._idle.get(key)
        now = monotonic()
        while idle:
            try:
                connection = idle.pop()  # the most recently used: the least likely to be closed
            except IndexError:  # another thread took the last one
                break
            if connection.expired(now) or connection.idle_readable():
                connection.close()
                continue
            self._active.add(connection)
            return connection
        tls = key[0] == "https"
        sock = _open_socket(url.host, url.port or (443 if tls else 80), connect_timeout, deadline)
        if tls:
            try:
                sock.settimeout(time_left(connect_timeout, deadline, httpx.ConnectTimeout))
                sock = self._tls_context().wrap_socket(sock, server_hostname=url.host)  # handshakes
            except BaseException:
                sock.close()
                raise
        connection = _Connection(sock, key)
        self._active.add(connection)
        return connection

    def _tls_context(self):
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        return self._ssl_context

    def _release(self, connection: _Connection, reusable: bool) -> None:
        # Lock-free, so it may run in a finaliser (a response dropped unread).
        self._active.discard(connection)
        if reusable and not self._closed and connection.reusable():
            idle = self._idle[connection.key]
            idle.append(connection)
            prune_oldest(idle, connection.idle_since)
            if self._closed:  # close() ran between our check and the append
                try:
                    idle.remove(connection)
                except ValueError:
                    pass  # close() (or a checkout) already took it
                connection.close()
        else:
            connection.close()
        self._slots.put(None)

    def close(self) -> None:
        self._closed = True
        for connection in list(self._active):
            connection.kill()
        for idle in list(self._idle.values()):
            while idle:
                try:
                    idle.pop().close()
                except IndexError:
                    break

    def __del__(self) -> None:
        # Idle sockets of a transport nobody closed: close them rather than warn.
        for idle in list(getattr(self, "_idle", {}).values()):
            for connection in idle:
                connection.close()


def _open_socket(host: str, port: int, connect_timeout, deadline) -> socket.socket:
    """``socket.create_connection``, but with the deadline shared by every address tried."""
    error: Optional[BaseException] = None
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(time_left(connect_timeout, deadline, httpx.ConnectTimeout))
            sock.connect(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # requests go in one write
            return sock
        except OSError as exc:
            sock.close()
            error = exc
        except BaseException:
            sock.close()
            raise
    raise error or OSError(f"no address for {host!r}")


def _send(sock: socket.socket, data: bytes, write_timeout, deadline) -> None:
    # sendall() would bound each write by the timeout, but not all of them by the deadline.
    sock.settimeout(time_left(write_timeout, deadline, httpx.WriteTimeout))
    sent = sock.send(data)
    if sent < len(data):
        view = memoryview(data)
        while sent < len(data):
            sock.settimeout(time_left(write_timeout, deadline, httpx.WriteTimeout))
            sent += sock.send(view[sent:])


def _fill(connection: _Connection, read_timeout, deadline) -> None:
    """One read into the connection's parser (or its EOF); bounded by the timeout and deadline."""
    sock = connection.sock
    wait = time_left(read_timeout, deadline, httpx.ReadTimeout)
    try:
        sock.settimeout(wait)
        data = sock.recv(READ_SIZE)
    except (OSError, ValueError):  # (ssl raises ValueError on a socket closed meanwhile)
        if connection.killed:  # by close(), from another thread: say so, not "bad file descriptor"
            raise httpx.ReadError("the transport was closed") from None
        raise
    if data:
        connection.feed(data)
    else:
        connection.eof()


class _ResponseStream(httpx.SyncByteStream):
    """The body of one response; hands the connection back when fully read."""

    def __init__(self, transport: SyncHTTP11Transport, connection: _Connection, read_timeout, deadline) -> None:
        self._transport = transport
        self._connection: Optional[_Connection] = connection
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._complete = False

    def set_deadline(self, deadline: Optional[float]) -> None:
        """Bound every later read of this body by ``deadline`` (``time.monotonic()``; ``None``: no deadline)."""
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        connection = self._connection
        if connection is None:
            if self._complete:
                return
            raise httpx.StreamClosed()
        try:
            piece = connection.body()
            while True:
                if piece is None:
                    _fill(connection, self._read_timeout, self._deadline)
                elif piece:
                    yield piece
                else:
                    break
                piece = connection.body()
        except BaseException as exc:
            self._finish(False)
            if isinstance(exc, GeneratorExit):
                raise
            raise as_httpx_error(exc, READ) from None
        self._complete = True
        self._finish(True)

    def _finish(self, complete: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            self._transport._release(connection, complete)

    def close(self) -> None:
        self._finish(False)  # before the end: the rest of the body is still on the wire

    __del__ = close  # a response dropped unread gives its slot back
