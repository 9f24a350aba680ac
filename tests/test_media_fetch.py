"""Remote image URLs reach only where a MediaPolicy lets them (litebed._media, litebed._media_fetch).

A loopback HTTP server plays every "internal" host. DNS is faked: names the
test maps answer what it says, IP literals resolve numerically, and any other
name fails, so nothing here touches the network. Every scenario runs through
the sync path (in a worker thread) and the async one.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import socket
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from litebed import _media as media
from litebed import _media_fetch as fetching
from litebed._media import MediaPolicy
from litebed.errors import BadRequestError

SECRET = "TOP-SECRET-BODY"
PUBLIC = "93.184.216.34"  # a global address that is never connected to: connections are intercepted


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)  # 1x1, 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff")) + chunk(b"IEND", b"")


PNG = _png()
PNG_URL = "data:image/png;base64," + base64.b64encode(PNG).decode()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


# --- the loopback server -------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests: list[tuple[str, str]] = []
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()

    def verify_request(self, request, client_address) -> bool:
        with self.lock:
            self.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: _Server = self.server
        server.requests.append((self.path, self.headers.get("Host", "")))
        path, port = self.path.split("?", 1)[0], server.server_address[1]
        redirects = {
            "/to-loopback": f"http://127.0.0.1:{port}/x.png",
            "/to-localhost": f"http://localhost:{port}/x.png",
            "/relative": "/x.png",
            "/to-file": "file:///etc/passwd",
        }
        if path in redirects:
            return self._answer(302, "text/plain", SECRET.encode(), location=redirects[path])
        if path.startswith("/chain/"):
            left = int(path.rsplit("/", 1)[1])
            if left:
                return self._answer(302, "text/plain", b"", location=f"/chain/{left - 1}")
            return self._answer(200, "image/png", PNG)
        if path == "/slow.png":
            with server.lock:
                server.in_flight += 1
                server.most_in_flight = max(server.most_in_flight, server.in_flight)
            time.sleep(0.15)
            with server.lock:
                server.in_flight -= 1
            return self._answer(200, "image/png", PNG)
        if path == "/big.png":
            return self._answer(200, "image/png", PNG + b"\x00" * 5000)
        if path == "/html":
            return self._answer(200, "text/html", SECRET.encode())
        if path == "/secret":
            return self._answer(403, "text/plain", SECRET.encode())
        return self._answer(200, "image/png", PNG)

    def _answer(self, status: int, content_type: str, body: bytes, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location:
            self.send_header("Location", location)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    running = _Server()
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def port(server):
    return server.server_address[1]


# --- fake DNS and connection records -------------------------------------------


class FakeDNS:
    """``names[host]`` is a list of addresses, or a callable giving one per lookup."""

    def __init__(self) -> None:
        self.names: dict = {"localhost": ["::1", "127.0.0.1"]}
        self.lookups: list[tuple[str, str]] = []  # (host, "socket" or "loop")
        self.loop_threads: list[threading.Thread] = []
        self.socket_threads: list[threading.Thread] = []

    def answer(self, real, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name in self.names:
            entry = self.names[name]
            addresses = entry() if callable(entry) else entry
            return [_info(address, port) for address in addresses]
        # Anything else must be an IP literal (any form the C library reads): never a DNS query.
        return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)


def _info(address: str, port):
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port or 0), 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        fake.socket_threads.append(threading.current_thread())
        if host in fake.names:
            fake.lookups.append((host, "socket"))
        return fake.answer(real, host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    fake.monkeypatch = monkeypatch
    return fake


def _install_loop_dns(fake: FakeDNS, delay: float = 0.0) -> None:
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo

    async def getaddrinfo(host, port, *, family=0, type=0, proto=0, flags=0):
        fake.loop_threads.append(threading.current_thread())
        if host in fake.names:
            fake.lookups.append((host, "loop"))
            if delay:
                await asyncio.sleep(delay)
            return fake.answer(None, host, port)
        return await real(host, port, family=family, type=type, proto=proto, flags=flags | socket.AI_NUMERICHOST)

    fake.monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)


@pytest.fixture
def sent(monkeypatch):
    """Every request litebed hands to httpx (url, headers, extensions), sync or async."""
    records: list[httpx.Request] = []
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def send(self, request, **kwargs):
        records.append(request)
        return sync_send(self, request, **kwargs)

    async def asend(self, request, **kwargs):
        records.append(request)
        return await async_send(self, request, **kwargs)

    monkeypatch.setattr(httpx.Client, "send", send)
    monkeypatch.setattr(httpx.AsyncClient, "send", asend)
    return records


class _Attempts(list):
    monkeypatch: pytest.MonkeyPatch


@pytest.fixture
def connects(monkeypatch):
    """Every TCP connect attempted; only loopback ones go through (a public address is refused locally)."""
    attempts = _Attempts()
    real = socket.create_connection

    def create_connection(address, *args, **kwargs):
        attempts.append(address[0])
        if not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError("intercepted by the test")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    attempts.monkeypatch = monkeypatch
    return attempts


def _install_loop_connects(attempts) -> None:
    loop = asyncio.get_running_loop()
    real = loop.create_connection

    async def create_connection(factory, host=None, port=None, *args, **kwargs):
        attempts.append(host)
        if not ipaddress.ip_address(host).is_loopback:
            raise ConnectionRefusedError("intercepted by the test")
        return await real(factory, host, port, *args, **kwargs)

    attempts.monkeypatch.setattr(loop, "create_connection", create_connection)


# --- helpers -------------------------------------------------------------------


def image(url: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def one_image(url: str) -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "text": "look"}, image(url)]}]


async def inline(mode: str, messages, policy=None, dns: FakeDNS | None = None):
    if mode == "sync":
        return await asyncio.to_thread(media.inline_remote_media, messages, policy)
    if dns is not None:
        _install_loop_dns(dns)
    return await media.ainline_remote_media(messages, policy)


async def refused(mode, url, policy=None, dns=None, match="refused") -> str:
    with pytest.raises(BadRequestError, match=match) as caught:
        await inline(mode, one_image(url), policy, dns)
    message = str(caught.value)
    assert SECRET not in message and "s3cr3t" not in message
    return message


MODES = pytest.mark.parametrize("mode", ["sync", "async"])
ADVICE = "pass allow_private_media=True or add it to media_allowed_hosts to permit it"


# --- refused by default ----------------------------------------------------------


@MODES
@pytest.mark.parametrize("where", [
    "http://127.0.0.1:{port}/x.png",
    "http://localhost:{port}/x.png",
    "http://LocalHost:{port}/x.png?X-Amz-Signature=s3cr3t",
    "http://[::1]:{port}/x.png",
    "http://0.0.0.0:{port}/x.png",
    "http://[::ffff:127.0.0.1]:{port}/x.png",
    "http://[::ffff:7f00:1]:{port}/x.png",
    "http://2130706433:{port}/x.png",  # 127.0.0.1 in decimal: only the resolved address tells
    "http://127.1:{port}/x.png",
    "http://169.254.169.254/latest/meta-data",
    "http://[fd00:ec2::254]/latest/meta-data",
    "http://internal.example:{port}/x.png",
    "http://cgnat.example/x.png",
    "http://mixed.example:{port}/x.png",
    "https://internal.example/x.png",
])
async def test_private_addresses_refused_before_connecting(mode, where, server, port, dns, sent):
    if "::1]" in where and not _ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    dns.names.update({"internal.example": ["10.0.0.5"], "cgnat.example": ["100.64.1.2"], "mixed.example": [PUBLIC, "10.0.0.5"]})
    message = await refused(mode, where.format(port=port), dns=dns)
    assert ADVICE in message and message.startswith("messages[0].content[1]: refused: ")
    assert not sent and server.connections == 0


@MODES
async def test_async_resolves_through_the_loop(mode, dns):
    dns.names["internal.example"] = ["10.0.0.5"]
    await refused(mode, "http://internal.example/x.png", dns=dns)
    assert dns.lookups == [("internal.example", "socket" if mode == "sync" else "loop")]
    if mode == "async":
        assert threading.main_thread() not in dns.socket_threads  # never socket.getaddrinfo on the loop's thread


@MODES
async def test_redirect_to_loopback_refused(mode, server, port, dns, sent):
    # public.example is allowed (standing in for a public host); its redirect to 127.0.0.1 is not.
    dns.names["public.example"] = ["127.0.0.1"]
    policy = MediaPolicy(allowed_hosts={"public.example"})
    message = await refused(mode, f"http://public.example:{port}/to-loopback", policy, dns)
    assert "refused: 127.0.0.1 resolves to a private/loopback address" in message
    assert [path for path, _ in server.requests] == ["/to-loopback"]
    await refused(mode, f"http://public.example:{port}/to-localhost", policy, dns, match="refused: localhost")
    assert len(sent) == 2


@MODES
async def test_redirects_checked_and_bounded(mode, server, port, dns):
    dns.names["public.example"] = ["127.0.0.1"]
    policy = MediaPolicy(allowed_hosts={"public.example"}, max_redirects=3)
    fetched = await inline(mode, one_image(f"http://public.example:{port}/relative"), policy, dns)
    assert fetched[0]["content"][1]["image_url"]["url"] == PNG_URL  # a relative redirect stays on the allowed host
    assert server.requests[-1] == ("/x.png", f"public.example:{port}")
    assert (await inline(mode, one_image(f"http://public.example:{port}/chain/3"), policy, dns))[0]["content"][1] == image(PNG_URL)
    await refused(mode, f"http://public.example:{port}/chain/4", policy, dns, match="redirects more than 3 times")
    await refused(mode, f"http://public.example:{port}/to-file", policy, dns, match="redirects to a URL that is not http or https")


# --- permitted by the policy ----------------------------------------------------------


@MODES
@pytest.mark.parametrize("host,policy", [
    ("127.0.0.1", MediaPolicy(allow_private=True)),
    ("localhost", MediaPolicy(allow_private=True)),
    ("127.0.0.1", MediaPolicy(allowed_hosts={"127.0.0.1"})),
    ("localhost", MediaPolicy(allowed_hosts={"localhost"})),
    ("localhost", MediaPolicy(allowed_hosts=" LocalHost ,other.example")),
    ("LOCALHOST", MediaPolicy(allowed_hosts=frozenset({"localhost"}))),
])
async def test_permitted_loopback_is_inlined(mode, host, policy, server, port, dns):
    messages = one_image(f"http://{host}:{port}/x.png?sig=1")
    before = repr(messages)
    result = await inline(mode, messages, policy, dns)
    assert result[0]["content"] == [{"type": "text", "text": "look"}, image(PNG_URL)]
    assert repr(messages) == before and result[0] is not messages[0]  # the caller's messages are untouched
    assert server.requests == [("/x.png?sig=1", f"{host.lower()}:{port}")]  # the original Host header


@MODES
async def test_allowed_hosts_match_exactly(mode, port, dns, server):
    await refused(mode, f"http://127.0.0.1:{port}/x.png", MediaPolicy(allowed_hosts={"localhost"}), dns)
    await refused(mode, f"http://localhost:{port}/x.png", MediaPolicy(allowed_hosts={"127.0.0.1"}), dns)
    dns.names["sub.localhost"] = ["127.0.0.1"]
    await refused(mode, f"http://sub.localhost:{port}/x.png", MediaPolicy(allowed_hosts={"localhost"}), dns)
    assert server.connections == 0


@MODES
async def test_failures_never_echo_the_answer(mode, port, dns, sent):
    policy = MediaPolicy(allow_private=True)
    assert "HTTP 403" in await refused(mode, f"http://127.0.0.1:{port}/secret?X-Amz-Signature=s3cr3t", policy, dns, match="failed")
    assert "'text/html', not an image" in await refused(mode, f"http://127.0.0.1:{port}/html", policy, dns, match="not an image")
    message = await refused(mode, f"http://alice:s3cr3t@127.0.0.1:{port}/x.png", policy, dns, match="credentials")
    assert "alice" not in message
    assert len(sent) == 2  # the URL with credentials was never requested


# --- DNS rebinding ------------------------------------------------------------------


@MODES
@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_dns_rebinding_cannot_reach_loopback(mode, scheme, server, port, dns, sent, connects):
    answers = iter([[PUBLIC]])
    dns.names["rebind.example"] = lambda: next(answers, ["127.0.0.1"])  # public first, loopback ever after
    if mode == "async":
        _install_loop_connects(connects)
    await refused(mode, f"{scheme}://rebind.example:{port}/x.png", dns=dns, match="could not download .*ConnectError")
    assert connects == [PUBLIC] and server.connections == 0
    (request,) = sent
    assert request.url.host == PUBLIC and request.headers["host"] == f"rebind.example:{port}"
    assert request.extensions.get("sni_hostname") == ("rebind.example" if scheme == "https" else None)


# --- per-request caps -------------------------------------------------------------------


@MODES
async def test_image_count_capped_before_any_download(mode, port, dns, server):
    policy = MediaPolicy(allow_private=True)
    twenty = [{"role": "user", "content": [image(PNG_URL) for _ in range(20)]}]
    assert len((await inline(mode, twenty, policy, dns))[0]["content"]) == 20
    over = [{"role": "user", "content": [image(f"http://127.0.0.1:{port}/x.png")]}, twenty[0]]
    with pytest.raises(BadRequestError, match=r"messages\[1\]\.content\[19\]: more than 20 images in one request \(max_images\)"):
        await inline(mode, over, policy, dns)
    assert server.connections == 0


@MODES
async def test_total_bytes_capped(mode, port, dns):
    policy = MediaPolicy(allow_private=True, max_total_bytes=2 * len(PNG))
    two = [{"role": "user", "content": [image(PNG_URL), image(f"http://127.0.0.1:{port}/x.png")]}]
    await inline(mode, two, policy, dns)
    three = [{"role": "user", "content": [*two[0]["content"], image(f"http://127.0.0.1:{port}/x.png?n=2")]}]
    with pytest.raises(BadRequestError, match=rf"over {2 * len(PNG)} bytes in total \(max_total_bytes\)"):
        await inline(mode, three, policy, dns)
    data_only = [{"role": "user", "content": [image(PNG_URL)] * 3}]
    with pytest.raises(BadRequestError, match=r"messages\[0\]\.content\[2\]: .*max_total_bytes"):
        await inline(mode, data_only, policy, dns)


@MODES
async def test_per_image_limit_and_timeout(mode, port, dns, monkeypatch):
    monkeypatch.setattr(media, "MAX_IMAGE_BYTES", 1000)
    await refused(mode, f"http://127.0.0.1:{port}/big.png", MediaPolicy(allow_private=True), dns, match="over Bedrock's limit")
    await refused(mode, f"http://127.0.0.1:{port}/slow.png", MediaPolicy(allow_private=True, timeout=0.05), dns,
                  match="took longer than 0.05 s|ReadTimeout")


async def test_async_downloads_run_concurrently_but_bounded(server, port, dns):
    messages = [{"role": "user", "content": [image(f"http://127.0.0.1:{port}/slow.png?{n}") for n in range(10)]}]
    result = await inline("async", messages, MediaPolicy(allow_private=True), dns)
    assert all(part == image(PNG_URL) for part in result[0]["content"])
    assert 1 < server.most_in_flight <= media._CONCURRENCY


async def test_slow_dns_does_not_block_the_loop(server, port, dns):
    dns.names["slow.example"] = ["127.0.0.1"]
    _install_loop_dns(dns, delay=0.3)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.ensure_future(ticker())
    try:
        result = await media.ainline_remote_media(one_image(f"http://slow.example:{port}/x.png"),
                                                  MediaPolicy(allowed_hosts={"slow.example"}))
    finally:
        running.cancel()
    assert result[0]["content"][1] == image(PNG_URL)
    assert ticks >= 10 and ("slow.example", "loop") in dns.lookups


# --- turning it off, the environment, the body builder -----------------------------------


@MODES
async def test_fetching_turned_off(mode, port, dns, monkeypatch, server):
    url = f"http://127.0.0.1:{port}/x.png"
    await refused(mode, url, MediaPolicy(allow_private=True, fetch_remote=False), dns, match="turned off")
    monkeypatch.setattr(media, "fetch_remote_media", False)  # the module switch wins over any policy
    await refused(mode, url, MediaPolicy(allow_private=True), dns, match="turned off")
    assert server.connections == 0
    assert (await inline(mode, one_image(PNG_URL), MediaPolicy(fetch_remote=False)))[0]["content"][1] == image(PNG_URL)


def test_policy_from_env(monkeypatch):
    for name in ("LITEBED_MEDIA_ALLOW_PRIVATE", "LITEBED_MEDIA_ALLOWED_HOSTS", "LITEBED_FETCH_REMOTE_MEDIA"):
        monkeypatch.delenv(name, raising=False)
    assert MediaPolicy.from_env() == MediaPolicy()
    assert MediaPolicy() == MediaPolicy(False, frozenset(), True, 20, 25_000_000, 10.0, 3)
    monkeypatch.setenv("LITEBED_MEDIA_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("LITEBED_MEDIA_ALLOWED_HOSTS", " Images.Internal ,127.0.0.1,,[::1]")
    monkeypatch.setenv("LITEBED_FETCH_REMOTE_MEDIA", "off")
    policy = MediaPolicy.from_env()
    assert policy.allow_private is True and policy.fetch_remote is False
    assert policy.allowed_hosts == frozenset({"images.internal", "127.0.0.1", "::1"})
    monkeypatch.setenv("LITEBED_MEDIA_ALLOW_PRIVATE", "no")
    monkeypatch.setenv("LITEBED_FETCH_REMOTE_MEDIA", "yes")
    assert MediaPolicy.from_env().allow_private is False and MediaPolicy.from_env().fetch_remote is True
    monkeypatch.setattr(media, "fetch_remote_media", False)
    assert MediaPolicy.from_env().fetch_remote is False
    with pytest.raises(ValueError):
        MediaPolicy(max_images=-1)


@MODES
async def test_default_policy_comes_from_the_environment(mode, port, dns, monkeypatch):
    monkeypatch.delenv("LITEBED_MEDIA_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("LITEBED_MEDIA_ALLOW_PRIVATE", raising=False)
    await refused(mode, f"http://127.0.0.1:{port}/x.png", None, dns)
    monkeypatch.setenv("LITEBED_MEDIA_ALLOW_PRIVATE", "true")
    assert (await inline(mode, one_image(f"http://127.0.0.1:{port}/x.png"), None, dns))[0]["content"][1] == image(PNG_URL)


def test_body_builder_fetches_under_the_environment_policy(port, dns, monkeypatch, server):
    monkeypatch.delenv("LITEBED_MEDIA_ALLOWED_HOSTS", raising=False)
    monkeypatch.delenv("LITEBED_MEDIA_ALLOW_PRIVATE", raising=False)
    with pytest.raises(BadRequestError, match="refused: 127.0.0.1"):
        media.load_image(f"http://127.0.0.1:{port}/x.png", argument="x")
    assert server.connections == 0
    monkeypatch.setenv("LITEBED_MEDIA_ALLOWED_HOSTS", "127.0.0.1")
    loaded = media.load_image(f"http://127.0.0.1:{port}/x.png", argument="x")
    assert (loaded.format, loaded.data) == ("png", PNG)


# --- the address classifier ------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "0.1.2.3",
    "100.64.0.1", "100.127.255.254", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "198.18.0.1", "::", "::1", "fe80::1", "fe80::1%lo", "fc00::1", "fd00:ec2::254", "fec0::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe", "64:ff9b:1::1", "2002:7f00:1::1", "2002:a00:1::1", "2001::1", "2001:db8::1",
    "not an address", "",
])
def test_internal_addresses_are_not_public(address):
    assert not fetching.is_public_address(address)


@pytest.mark.parametrize("address", [
    "8.8.8.8", "1.1.1.1", PUBLIC, "100.63.255.255", "100.128.0.1", "2606:4700:4700::1111", "2a00:1450:4001::200e",
    "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1",
])
def test_public_addresses_are_public(address):
    assert fetching.is_public_address(address)
