"""Micro-benchmark: CPU per request of litebed's transports against httpx's own.

Run by hand (not a test)::

    .venv/bin/python bench/transport_micro.py [--requests 2000] [--rounds 5]

A tiny keep-alive HTTP/1.1 server runs in a child process on 127.0.0.1 (port 0),
so the CPU time measured here (``time.process_time``) is the client's alone. Each
round sends N sequential small POSTs (a Bedrock-sized signed request, a ~200-byte
JSON answer with Content-Length) through one transport and reads each body; the
best round is reported, in microseconds of CPU and of wall time per request.
Requests are built before timing: only the transport's work is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import httpx  # noqa: E402

from litebed._transport.asyncio_http import AsyncHTTP11Transport  # noqa: E402
from litebed._transport.sync_http import SyncHTTP11Transport  # noqa: E402

BODY = b'{"id":"msg_01","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}],' \
       b'"model":"claude","stop_reason":"end_turn","usage":{"input_tokens":12,"output_tokens":1}}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: keep-alive\r\nx-amzn-RequestId: 8f1c2d3e-0000-4000-8000-000000000000\r\n"
    b"X-Amzn-Bedrock-Invocation-Latency: 120\r\nX-Amzn-Bedrock-Output-Token-Count: 1\r\n"
    b"X-Amzn-Bedrock-Input-Token-Count: 12\r\n\r\n" % len(BODY)
) + BODY


def serve() -> None:  # the child process: answers every request on every connection, until stdin closes
    import selectors
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    buffers: dict = {}
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                selector.register(conn, selectors.EVENT_READ)
                buffers[conn] = b""
                continue
            data = sock.recv(65536)
            if not data:
                selector.unregister(sock)
                sock.close()
                del buffers[sock]
                continue
            buffer = buffers[sock] + data
            while True:  # one answer per complete request (head + Content-Length body)
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    break
                length = 0
                for line in buffer[:end].split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if len(buffer) < end + 4 + length:
                    break
                buffer = buffer[end + 4 + length :]
                sock.sendall(RESPONSE)
            buffers[sock] = buffer


def requests(url: str, n: int) -> list:
    body = b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}'
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-Amz-Date": "20240101T000000Z",
        "X-Amz-Security-Token": "x" * 300,
        "x-amz-content-sha256": "0" * 64,
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=accept;content-type;host;x-amz-date, Signature=" + "f" * 64,
    }
    parsed = httpx.URL(url)
    out = []
    for _ in range(n):
        timeouts = {"connect": 10.0, "read": 600.0, "write": 600.0, "pool": 600.0}
        extensions = {"timeout": timeouts, "litebed.deadline": time.monotonic() + 600.0}
        out.append(httpx.Request("POST", parsed, content=body, headers=headers, extensions=extensions))
    return out


def cpu_times() -> tuple[float, float]:
    times = os.times()
    return times.user, times.system


def run_sync(transport, batch) -> tuple:
    cpu, wall = cpu_times(), time.perf_counter()
    for request in batch:
        response = transport.handle_request(request)
        response.read()
        assert response.status_code == 200 and len(response.content) == len(BODY)
    end = cpu_times()
    return end[0] - cpu[0], end[1] - cpu[1], time.perf_counter() - wall


def run_async(transport, batch, loop) -> tuple:
    async def go():
        for request in batch:
            response = await transport.handle_async_request(request)
            await response.aread()
            assert response.status_code == 200 and len(response.content) == len(BODY)

    cpu, wall = cpu_times(), time.perf_counter()
    loop.run_until_complete(go())
    end = cpu_times()
    return end[0] - cpu[0], end[1] - cpu[1], time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve()
    child = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        url = "http://127.0.0.1:%d/model/anthropic.claude-3-haiku-20240307-v1%%3A0/invoke" % int(child.stdout.readline())
        loop = asyncio.new_event_loop()
        candidates = {
            "litebed SyncHTTP11Transport": ("sync", lambda: SyncHTTP11Transport(max_connections=1000)),
            "httpx.HTTPTransport": ("sync", lambda: httpx.HTTPTransport(limits=httpx.Limits(max_connections=1000))),
            "litebed AsyncHTTP11Transport": ("async", lambda: AsyncHTTP11Transport(max_connections=1000)),
            "httpx.AsyncHTTPTransport": ("async", lambda: httpx.AsyncHTTPTransport(limits=httpx.Limits(max_connections=1000))),
        }
        print(f"{args.requests} sequential POSTs per round, best of {args.rounds} rounds (us per request; os.times has 10 ms ticks)")
        for name, (kind, make) in candidates.items():
            transport = make()
            rounds = []
            for _ in range(args.rounds + 1):  # the first round warms up (connect, caches)
                batch = requests(url, args.requests)
                rounds.append(run_sync(transport, batch) if kind == "sync" else run_async(transport, batch, loop))
            transport.close() if kind == "sync" else loop.run_until_complete(transport.aclose())
            user, system, wall = min(rounds[1:], key=lambda r: r[0] + r[1])
            per = 1e6 / args.requests
            print(
                f"  {name:30} cpu {(user + system) * per:7.1f} (user {user * per:6.1f} + sys {system * per:6.1f})"
                f"   wall {wall * per:7.1f}"
            )
        loop.close()
    finally:
        child.stdin.close()
        child.wait(5)


if __name__ == "__main__":
    main()
