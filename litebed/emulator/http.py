"""The emulator's HTTP/1.1 layer: reading requests and writing answers on asyncio streams.

Non-stream answers carry ``Content-Length``; event streams are sent with
``Transfer-Encoding: chunked`` (one HTTP chunk per frame), which botocore's
urllib3 and httpx both read and which keeps the connection reusable.

A request head must arrive whole within the head timeout (idle keep-alive
connections included) and a body may not exceed the body limit: a client that
never finishes, or sends without end, cannot hold the server's memory or sockets.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Optional
from urllib.parse import parse_qsl

MAX_HEAD = 64 * 1024
_REASONS = {status.value: status.phrase for status in HTTPStatus}
#: How long the server keeps reading (and dropping) the rest of a refused body, so
#: the client gets to read the 413 instead of a connection reset.
_DRAIN_SECONDS = 2.0


class BodyTooLarge(Exception):
    """The request's body is over the limit (``size``: its Content-Length, None when chunked)."""

    def __init__(self, size: Optional[int], limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    @property
    def message(self) -> str:
        size = f"{self.size:,} bytes" if self.size is not None else "more bytes"
        return (f"The request body ({size}) exceeds the emulator's limit of {self.limit:,} bytes "
                "(Bedrock's own limit for a model payload is 25,000,000 bytes).")


@dataclass
class Request:
    method: str
    target: str                 # path and query exactly as received (what was signed)
    path: str
    query: dict
    headers: dict               # lower-cased names
    body: bytes
    keep_alive: bool
    started: float = field(default_factory=time.perf_counter)


@dataclass
class Answer:
    """What to send back. ``frames`` makes it an event stream."""

    status: int = 200
    headers: list = field(default_factory=list)
    body: bytes = b""
    frames: Optional[list] = None
    cut_after: Optional[int] = None     # truncate: bytes (non-stream) or frames (stream) sent before the cut
    reset: bool = False                 # close the connection without answering
    error_code: Optional[str] = None


def json_answer(status: int, payload, headers=()) -> Answer:
    return Answer(status, [("Content-Type", "application/json"), *headers], json.dumps(payload).encode("utf-8"))


def request_id_header() -> list:
    """A fresh ``x-amzn-RequestId``, as every Bedrock answer (errors included) carries one."""
    return [("x-amzn-RequestId", str(uuid.uuid4()))]


def error_answer(status: int, code: str, message: str) -> Answer:
    """Bedrock's rest-json error: ``x-amzn-ErrorType`` names the code (docs/bedrock.md §3.2),
    ``x-amzn-RequestId`` identifies the request (what clients report as the request id)."""
    answer = json_answer(status, {"message": message}, [("x-amzn-ErrorType", code), *request_id_header()])
    answer.error_code = code
    return answer


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                       head_timeout: Optional[float] = None, max_body: Optional[int] = None) -> Optional[Request]:
    """Read one request; None when the client closed the connection, sent garbage, or did not
    send a whole head within ``head_timeout`` seconds. ``BodyTooLarge`` past ``max_body`` bytes."""
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), head_timeout)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.TimeoutError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ", 2)
    except ValueError:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]},{value}" if name in headers else value
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    try:
        length = 0 if chunked else int(headers.get("content-length") or 0)
    except ValueError:  # a length that is not a number: nothing sensible to answer
        return None
    if max_body is not None and length > max_body:
        raise BodyTooLarge(length, max_body)  # before "100 Continue": the client need not send it
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        if chunked:
            body = await _read_chunked(reader, max_body)
        else:
            body = await reader.readexactly(length) if length > 0 else b""
    except ValueError:  # a chunk size that is not a number
        return None
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    path, _, query = target.partition("?")
    return Request(method, target, path, dict(parse_qsl(query)), headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader, max_body: Optional[int]) -> bytes:
    parts: list[bytes] = []
    received = 0
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        received += size
        if max_body is not None and received > max_body:
            raise BodyTooLarge(None, max_body)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def drain_refused_body(reader: asyncio.StreamReader) -> None:
    """Read and drop what the client still sends, for a short while, before the server closes:
    closing with unread bytes would reset the connection, and the client would not see the answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _DRAIN_SECONDS
    try:
        while (remaining := deadline - loop.time()) > 0:
            if not await asyncio.wait_for(reader.read(1 << 20), remaining):
                return
    except (asyncio.TimeoutError, ConnectionError):
        return


async def write_answer(writer: asyncio.StreamWriter, answer: Answer, keep_alive: bool) -> bool:
    """Send ``answer``; False when the connection must close afterwards."""
    cut_after = answer.cut_after
    cut = cut_after is not None
    keep_alive = keep_alive and not cut
    head = [f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Unknown')}"]
    head += [f"{name}: {value}" for name, value in answer.headers]
    if answer.frames is None:
        head.append(f"Content-Length: {len(answer.body)}")
    else:
        head.append("Transfer-Encoding: chunked")
    head.append("Connection: keep-alive" if keep_alive else "Connection: close")
    out = bytearray("\r\n".join(head).encode("latin-1") + b"\r\n\r\n")
    if answer.frames is None:
        out += answer.body[:cut_after] if cut else answer.body
    else:
        frames = answer.frames
        sent = frames[:cut_after] if cut else frames
        for frame in sent:
            out += b"%x\r\n%s\r\n" % (len(frame), frame)
        if cut_after is not None and cut_after < len(frames):
            partial = frames[cut_after][: len(frames[cut_after]) // 2]
            out += b"%x\r\n%s\r\n" % (len(partial), partial)
        elif not cut:
            out += b"0\r\n\r\n"
    writer.write(out)
    await writer.drain()
    return keep_alive  # after a cut the caller closes (FIN after the flushed bytes, not a reset)
