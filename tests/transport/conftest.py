"""Helpers for the transport tests: a scripted fake HTTP server, and one driver API
over both transports so every test runs against sync and async alike.

* ``FakeServer(handler)`` — raw sockets on 127.0.0.1, port 0, in daemon threads;
  ``handler(peer)`` owns each accepted connection (see :class:`Peer`). It stops
  when the test ends, and by itself after ``lifetime`` seconds in any case.
* ``FakeServer.scripted(*responses)`` — answers request number i with
  ``responses[i]`` (the last one repeats), keeping the connection open unless the
  script says ``CLOSE``. A response is bytes, or a list of steps: bytes are sent,
  a float is a pause in seconds, ``CLOSE`` closes the connection.
* ``serve`` fixture — makes servers that are closed at teardown.
* ``driver`` fixture — parametrized ``sync`` / ``async``: a :class:`Driver`.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Optional

import httpx
import pytest

from litebed._transport.asyncio_http import AsyncHTTP11Transport
from litebed._transport.sync_http import SyncHTTP11Transport

CLOSE = object()


class Peer:
    """The server's side of one connection."""

    def __init__(self, sock: socket.socket, server: FakeServer) -> None:
        self.sock, self.server, self._buffer = sock, server, b""

    def read_request(self) -> Optional[bytes]:
        """The next raw request (head and Content-Length body), or None once the client closed."""
        while b"\r\n\r\n" not in self._buffer:
            data = self._recv()
            if not data:
                return None
            self._buffer += data
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            data = self._recv()
            if not data:
                return None
            rest += data
        self._buffer = rest[length:]
        with self.server.lock:
            self.server.requests.append(head + b"\r\n\r\n" + rest[:length])
        return head + b"\r\n\r\n" + rest[:length]

    def _recv(self) -> bytes:
        try:
            return self.sock.recv(65536)
        except OSError:
            return b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def sleep(self, seconds: float) -> None:
        if self.server.stopping.wait(seconds):
            raise OSError("server stopping")

    def drip(self, data: bytes, interval: float) -> None:
        """Send one byte every ``interval`` seconds."""
        for i in range(len(data)):
            self.sleep(interval)
            self.send(data[i : i + 1])

    def play(self, steps) -> bool:
        """Send a scripted response; False if it closed the connection."""
        for step in [steps] if isinstance(steps, bytes) else steps:
            if step is CLOSE:
                return False
            if isinstance(step, (int, float)):
                self.sleep(step)
            else:
                self.send(step)
        return True


class FakeServer:
    def __init__(
        self, handler: Callable[[Peer], None], *, lifetime: float = 30.0, backlog: int = 64, tls: Optional[ssl.SSLContext] = None
    ) -> None:
        self.handler, self.tls = handler, tls
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.connections = 0
        self.requests: list[bytes] = []
        self._peers: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(backlog)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/model/x/invoke"
        self._deadline = time.monotonic() + lifetime
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @classmethod
    def scripted(cls, *responses, **kwargs) -> FakeServer:
        counter = iter(range(1 << 30))

        def handler(peer: Peer) -> None:
            while peer.read_request() is not None:
                with peer.server.lock:
                    number = next(counter)
                if not peer.play(responses[min(number, len(responses) - 1)]):
                    return

        return cls(handler, **kwargs)

    def _accept(self) -> None:
        while not self.stopping.is_set() and time.monotonic() < self._deadline:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            sock.settimeout(None)
            with self.lock:
                self.connections += 1
                self._peers.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()
        self.stopping.set()
        self._listener.close()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock.settimeout(5)  # the handshake
                sock = self.tls.wrap_socket(sock, server_side=True)
                sock.settimeout(None)
            self.handler(Peer(sock, self))
        except OSError:
            pass  # the client went away mid-script: expected in these tests
        finally:
            sock.close()

    def settle(self, timeout: float = 2.0) -> None:
        """Wait for the connection handlers to finish (their sockets closed)."""
        end = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, end - time.monotonic()))

    def close(self) -> None:
        self.stopping.set()
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept() at once (Linux)
        except OSError:
            pass
        with self.lock:
            peers = list(self._peers)
        for sock in peers:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the handler; it closes its socket
            except OSError:
                pass
        self._accepting.join(2)
        self.settle()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """(server context, client context) for a self-signed 127.0.0.1 certificate (made by openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return server, ssl.create_default_context(cafile=str(cert))


@pytest.fixture
def serve():
    servers: list[FakeServer] = []

    def make(*responses, handler=None, **kwargs) -> FakeServer:
        server = FakeServer(handler, **kwargs) if handler else FakeServer.scripted(*responses, **kwargs)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def ok(body: bytes = b"ok", *extra: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), b"".join(extra), body)


def chunked(*pieces: bytes) -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces)
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n"


class Driver:
    """Both transports behind one blocking API (the async one runs on its own loop)."""

    def __init__(self, kind: str, **kwargs) -> None:
        self.kind = kind
        if kind == "sync":
            self.transport = SyncHTTP11Transport(**kwargs)
            self.loop = None
        else:
            self.loop = asyncio.new_event_loop()
            self.transport = AsyncHTTP11Transport(**kwargs)

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    def send(self, url: str, body: bytes = b"{}", *, method: str = "POST", deadline=None, **timeouts) -> httpx.Response:
        extensions = {"timeout": timeouts}
        if deadline is not None:
            extensions["litebed.deadline"] = time.monotonic() + deadline
        request = httpx.Request(method, url, content=body, extensions=extensions)
        if self.loop is None:
            return self.transport.handle_request(request)
        return self.run(self.transport.handle_async_request(request))

    def read(self, response: httpx.Response) -> bytes:
        return response.read() if self.loop is None else self.run(response.aread())

    def get(self, url: str, **kwargs) -> bytes:
        return self.read(self.send(url, **kwargs))

    def pieces(self, response: httpx.Response) -> list:
        """The raw pieces the transport's stream yields."""
        if self.loop is None:
            return list(response.stream)

        async def collect():
            return [piece async for piece in response.stream]

        return self.run(collect())

    def iterate(self, response: httpx.Response):
        """A ``next()``-style function over the raw pieces (None at the end)."""
        if self.loop is None:
            iterator = iter(response.stream)
            return lambda: next(iterator, None)
        iterator = response.stream.__aiter__()

        async def step():
            try:
                return await iterator.__anext__()
            except StopAsyncIteration:
                return None

        return lambda: self.run(step())

    def pause(self, seconds: float) -> None:
        time.sleep(seconds) if self.loop is None else self.run(asyncio.sleep(seconds))

    def close_response(self, response: httpx.Response) -> None:
        response.close() if self.loop is None else self.run(response.aclose())

    def close(self) -> None:
        if self.loop is None:
            self.transport.close()
        else:
            self.run(self.transport.aclose())

    def shutdown(self) -> None:
        self.close()
        if self.loop is not None:
            self.run(self.loop.shutdown_asyncgens())
            self.loop.close()

    def slots_free(self) -> int:
        slots = self.transport._slots
        return slots.qsize() if self.loop is None else slots._value

    def idle(self) -> int:
        return sum(len(connections) for connections in self.transport._idle.values())


@pytest.fixture(params=["sync", "async"])
def make_driver(request):
    drivers: list[Driver] = []

    def make(**kwargs) -> Driver:
        driver = Driver(request.param, **kwargs)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.shutdown()


@pytest.fixture
def driver(make_driver) -> Driver:
    return make_driver()
