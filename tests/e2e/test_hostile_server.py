"""litebed against a hostile Bedrock on loopback: slow, broken and echoing servers.

Every call must end within its timeout with a litebed exception that says what
was wrong (never a raw Python exception, never an empty success), and the
client must stay usable afterwards.
"""

import asyncio
import json
import socket
import threading
import time

import pytest

import litebed
from litebed import APIConnectionError, APIError, APITimeoutError, BadRequestError, Client

GOOD_BODY = json.dumps({"completion": " fine", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"}).encode()
SECRET = "hostile-test-secret-key-0123456789"
TOKEN = "HOSTILESESSIONTOKEN0123456789abcdef"
KEYS = {"aws_access_key_id": "AKIAHOSTILETEST00001", "aws_secret_access_key": SECRET, "aws_session_token": TOKEN,
        "aws_region_name": "us-east-1"}
MESSAGES = [{"role": "user", "content": "Hi"}]
MODEL = "bedrock/anthropic.claude-v2"


def http(status: int, body: bytes, headers: dict | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class HostileServer:
    """Answers each request with ``script(request_bytes)``: a list of (bytes, pause seconds)."""

    def __init__(self, script):
        self.script = script
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(10)
        buffer = b""
        try:
            while not self.stopped.is_set():
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buffer += data
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = int([line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")][0])
                while len(rest) < length:
                    rest += conn.recv(65536)
                buffer = rest[length:]
                for data, pause in self.script(head + b"\r\n\r\n" + rest[:length]):
                    if self.stopped.is_set():
                        return
                    if data is None:
                        conn.close()
                        return
                    conn.sendall(data)
                    if pause:
                        time.sleep(pause)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def serve():
    servers = []

    def start(script):
        server = HostileServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def trickle(data: bytes, pause: float):
    return [(data[i : i + 1], pause) for i in range(len(data))]


def good(request):
    return [(http(200, GOOD_BODY), 0)]


def test_trickled_body_ends_at_the_timeout_and_the_client_recovers(serve):
    state = {"calls": 0}

    def script(request):
        state["calls"] += 1
        return good(request) if state["calls"] > 1 else trickle(http(200, GOOD_BODY), 0.1)

    server = serve(script)
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.completion(model=MODEL, messages=MESSAGES, timeout=1)
    assert time.monotonic() - started < 2.0
    assert client.completion(model=MODEL, messages=MESSAGES, timeout=5).choices[0].message.content == " fine"


async def test_async_trickled_body_ends_at_the_timeout(serve):
    server = serve(lambda request: trickle(http(200, GOOD_BODY), 0.1))
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await client.acompletion(model=MODEL, messages=MESSAGES, timeout=1)
    assert time.monotonic() - started < 2.0


def _event_frame(payload: dict) -> bytes:
    from litebed.emulator.eventstream import chunk_frame

    return chunk_frame(payload)


def _stream_head() -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n\r\n"


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n" % len(data) + data + b"\r\n"


def test_a_stream_whose_next_event_trickles_ends_at_the_timeout(serve):
    first = _event_frame({"completion": "a", "stop_reason": None})
    second = _event_frame({"completion": "b", "stop_reason": None})

    def script(request):
        # One whole event, then the next frame a byte at a time: each event must come within timeout.
        return [(_stream_head() + _chunk(first), 0)] + [(_chunk(second[i : i + 1]), 0.1) for i in range(len(second))]

    server = serve(script)
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    stream = client.completion(model=MODEL, messages=MESSAGES, stream=True, timeout=1)
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="no event within 1 s"):
        for _ in stream:
            pass
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("body", [b"{}", b"[]", b"null", b"hello", b'{"completion": 5}', b'{"completion": null}'])
def test_a_body_that_is_not_the_familys_json_is_an_api_error(serve, body):
    server = serve(lambda request: [(http(200, body), 0)])
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    with pytest.raises(APIError) as info:
        client.completion(model=MODEL, messages=MESSAGES)
    assert "malformed" in str(info.value) or "not JSON" in str(info.value)


async def test_async_malformed_body_is_an_api_error(serve):
    server = serve(lambda request: [(http(200, b"[]"), 0)])
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    with pytest.raises(APIError, match="malformed"):
        await client.acompletion(model=MODEL, messages=MESSAGES)


@pytest.mark.parametrize("head", [
    b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
    b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}",
    b"NOT HTTP AT ALL\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nbroken header line\r\n\r\n",
])
@pytest.mark.parametrize("asynchronous", [False, True])
def test_malformed_http_is_a_connection_error_and_the_slot_comes_back(serve, head, asynchronous):
    state = {"calls": 0}

    def script(request):
        state["calls"] += 1
        return [(head, 0), (None, 0)] if state["calls"] == 1 else good(request)

    server = serve(script)
    client = Client(api_base=server.url, num_retries=0, max_connections=1, **KEYS)

    async def both():
        with pytest.raises(APIConnectionError):
            await client.acompletion(model=MODEL, messages=MESSAGES, timeout=5)
        return await client.acompletion(model=MODEL, messages=MESSAGES, timeout=5)

    if asynchronous:
        response = asyncio.run(both())
    else:
        with pytest.raises(APIConnectionError):
            client.completion(model=MODEL, messages=MESSAGES, timeout=5)
        response = client.completion(model=MODEL, messages=MESSAGES, timeout=5)
    assert response.choices[0].message.content == " fine"


def test_non_numeric_token_count_header_is_an_api_error(serve):
    server = serve(lambda request: [(http(200, GOOD_BODY, {"x-amzn-bedrock-input-token-count": "lots"}), 0)])
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    with pytest.raises(APIError, match="x-amzn-bedrock-input-token-count header that is not a whole number"):
        client.completion(model=MODEL, messages=MESSAGES)


def test_a_server_echoing_secrets_never_gets_them_into_an_exception(serve):
    def script(request):
        echo = request.decode("latin-1")
        body = json.dumps({"message": f"bad request {echo} secret={SECRET} token {TOKEN}"}).encode()
        return [(http(400, body, {"x-amzn-ErrorType": "ValidationException"}), 0)]

    server = serve(script)
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    with pytest.raises(BadRequestError) as info:
        client.completion(model=MODEL, messages=MESSAGES)
    shown = " ".join([str(info.value), repr(info.value), info.value.message, repr(info.value.args)])
    assert SECRET not in shown and TOKEN not in shown


def test_a_bearer_token_echoed_by_the_server_is_scrubbed(serve):
    bearer = "bedrock-api-key-ECHOED-0123456789"
    server = serve(lambda request: [(http(403, json.dumps({"message": request.decode("latin-1")}).encode(),
                                            {"x-amzn-ErrorType": "AccessDeniedException"}), 0)])
    client = Client(api_base=server.url, api_key=bearer, aws_region_name="us-east-1", num_retries=0)
    with pytest.raises(litebed.PermissionDeniedError) as info:
        client.completion(model=MODEL, messages=MESSAGES)
    assert bearer not in str(info.value) and bearer not in repr(info.value.args)


def test_a_pool_slot_wait_has_a_deadline(serve):
    slow = serve(lambda request: [(b"", 3.0)] + good(request))  # holds the only connection for 3 s
    client = Client(api_base=slow.url, num_retries=0, max_connections=1, **KEYS)
    outcomes = []

    def occupy():
        try:
            outcomes.append(client.completion(model=MODEL, messages=MESSAGES, timeout=5))
        except APIError as exc:  # pragma: no cover - reported below
            outcomes.append(exc)

    blocker = threading.Thread(target=occupy)
    blocker.start()
    time.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.completion(model=MODEL, messages=MESSAGES, timeout=0.5)
    assert time.monotonic() - started < 1.5
    blocker.join()
    assert outcomes[0].choices[0].message.content == " fine"


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"message": ' + b"[" * 100_000])
def test_json_nested_too_deeply_is_an_api_error(serve, body):
    server = serve(lambda request: [(http(200, body), 0)])
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    with pytest.raises(APIError):
        client.completion(model=MODEL, messages=MESSAGES)
    server_400 = serve(lambda request: [(http(400, body, {"x-amzn-ErrorType": "ValidationException"}), 0)])
    with pytest.raises(BadRequestError):
        Client(api_base=server_400.url, num_retries=0, **KEYS).completion(model=MODEL, messages=MESSAGES)


@pytest.mark.parametrize("metrics", ['"x"', '{"inputTokenCount": "many", "outputTokenCount": 1}',
                                     '{"inputTokenCount": -1, "outputTokenCount": 1}'])
def test_malformed_invocation_metrics_in_a_stream_is_an_api_error(serve, metrics):
    last = _event_frame({"completion": "a", "stop_reason": "stop_sequence", "amazon-bedrock-invocationMetrics": json.loads(metrics)})
    server = serve(lambda request: [(_stream_head() + _chunk(last) + b"0\r\n\r\n", 0)])
    client = Client(api_base=server.url, num_retries=0, **KEYS)
    with pytest.raises(APIError, match="invocationMetrics"):
        list(client.completion(model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
