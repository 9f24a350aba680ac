"""The emulator's HTTP/1.1 layer: reading requests and writing answers on asyncio streams.

Non-stream answers carry ``Content-Length``; event streams are sent with
``Transfer-Encoding: chunked`` (one HTTP chunk per frame), which botocore's
urllib3 and httpx both read and which keeps the connection reusable.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Optional
from urllib.parse import parse_qsl

MAX_HEAD = 64 * 1024
_REASONS = {status.value: status.phrase for status in HTTPStatus}


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


def error_answer(status: int, code: str, message: str) -> Answer:
    """Bedrock's rest-json error: ``x-amzn-ErrorType`` names the code (bedrock-reference §3.2)."""
    answer = json_answer(status, {"message": message}, [("x-amzn-ErrorType", code)])
    answer.error_code = code
    return answer



async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Optional[Request]:
    """Read one request; None when the client closed the connection or sent garbage."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
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
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await _read_chunked(reader)
        else:
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length > 0 else b""
    except ValueError:  # a length that is not a number: nothing sensible to answer
        return None
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    path, _, query = target.partition("?")
    return Request(method, target, path, dict(parse_qsl(query)), headers, body, keep_alive)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


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
