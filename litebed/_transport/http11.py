"""The pure HTTP/1.1 half of litebed's two transports: no sockets, no event loop.

:mod:`.sync_http` and :mod:`.asyncio_http` do only I/O; everything that can be
got wrong about the wire format lives here once, so both transports reject a
hostile server's bytes the same way:

* :func:`encode_request` — the request head (the body is always sent whole,
  with ``Content-Length``).
* :class:`ResponseParser` — a sans-I/O response reader. The transport ``feed``\\ s
  it whatever the socket returned, asks for the ``head`` and then for ``body``
  pieces; ``None`` means "read more", ``b""`` means "the body is complete", and
  ``eof()`` reports the peer closing. Every malformed input raises
  ``httpx.RemoteProtocolError`` with a short reason, never ``ValueError`` &c.
  Nothing is held beyond one socket read plus an unfinished line: a chunk of any
  declared size comes out in pieces of at most :data:`READ_SIZE`.
* :func:`time_left` — the budget of one socket operation: the smaller of its
  per-operation timeout and what is left before the request's deadline.
* :func:`as_httpx_error` — socket errors as httpx's exception classes.
"""

from __future__ import annotations

from time import monotonic
from typing import Optional

import httpx

HEAD_LIMIT = 64 * 1024  # a response head larger than this is refused
READ_SIZE = 64 * 1024  # one socket read; also the largest body piece handed out
MAX_CHUNK_SIZE = 1 << 40  # a larger declared chunk is an attack or a bug, not data
_LINE_LIMIT = 1024  # a chunk-size or trailer line
# Idle connections older than this are closed, not reused: a connection silently dropped
# by a NAT or load balancer (no FIN to notice) would make the next request hang until its
# read timeout. Below common idle timeouts (load balancers: 60 s), so we close first.
IDLE_EXPIRY = 30.0
NO_LIMITS: dict = {}  # a request without httpx's "timeout" extension

CONNECT, WRITE, READ = 0, 1, 2  # request phases, for error mapping
_PHASES = (
    (httpx.ConnectTimeout, httpx.ConnectError, "connecting"),
    (httpx.WriteTimeout, httpx.WriteError, "sending the request"),
    (httpx.ReadTimeout, httpx.ReadError, "reading the response"),
)

_HEAD, _LENGTH, _CHUNKED, _UNTIL_EOF = range(4)  # where a response is: its head, or a body framing
_SIZE, _DATA, _CRLF, _TRAILER, _DONE = range(5)  # the chunked decoder's states
_FRAMING_NAME_LENGTHS = frozenset((14, 17))  # content-length, transfer-encoding
_HEX = b"0123456789abcdefABCDEF"
_METHODS: dict = {}  # "POST" -> b"POST"

Error = httpx.RemoteProtocolError


def time_left(limit: Optional[float], deadline: Optional[float], timeout_cls: type) -> Optional[float]:
    """Seconds one operation may take: ``min(limit, deadline - now)``; raises once the deadline has passed."""
    if deadline is None:
        return limit
    left = deadline - monotonic()
    if left <= 0:
        raise timeout_cls("the request's deadline has passed")
    return left if limit is None or left < limit else limit


def as_httpx_error(exc: BaseException, phase: int) -> BaseException:
    """``exc`` as httpx's exception for this phase; httpx errors and anything else pass through."""
    if isinstance(exc, OSError):  # socket.timeout, ssl.SSLError and asyncio's TimeoutError included
        timeout_cls, error_cls, doing = _PHASES[phase]
        if isinstance(exc, TimeoutError):
            return timeout_cls(f"timed out {doing}")
        return error_cls(f"{doing}: {str(exc) or type(exc).__name__}")
    return exc


def encode_request(request: httpx.Request, body: bytes) -> tuple:
    """The request as buffers to send in order: one for a small body, two for a large one."""
    method = request.method
    verb = _METHODS.get(method) or _METHODS.setdefault(method, method.encode("ascii"))
    parts = [verb, b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        if len(name) in _FRAMING_NAME_LENGTHS and name.lower() in (b"content-length", b"transfer-encoding"):
            continue  # replaced by our own Content-Length below
        parts += (name, b": ", value, b"\r\n")
    if body or method in ("POST", "PUT", "PATCH"):
        parts.append(b"Content-Length: %d\r\n" % len(body))
    parts.append(b"\r\n")
    head = b"".join(parts)
    # One scan instead of a check per header: CR or LF inside a name or value would
    # let a header value smuggle in headers (or a whole request) of its own.
    line_ends = (len(parts) + 2) // 4 + 1  # the request line, headers, Content-Length?, blank line
    if len(head) - len(head.translate(None, b"\r\n")) != 2 * line_ends:
        raise httpx.LocalProtocolError("CR or LF inside a request header")
    # One write (and with TCP_NODELAY one packet) for the usual small request; no copy of a large body.
    return (head + body,) if len(body) <= READ_SIZE else (head, body)


def parse_chunk_size(line: bytes) -> int:
    size = line.partition(b";")[0].strip(b" \t")  # chunk extensions are ignored
    if not size or size.translate(None, _HEX):
        raise Error(f"chunk-size line is not hex: {line[:40]!r}")
    if len(size) > 16 or int(size, 16) > MAX_CHUNK_SIZE:
        raise Error(f"absurd chunk size {size[:20]!r}")
    return int(size, 16)


def parse_content_length(value: bytes) -> int:
    """A Content-Length value; repeated headers arrive joined by commas and must all agree."""
    if value.isdigit() and len(value) <= 18:
        return int(value)
    lengths = set()
    for item in value.split(b","):
        item = item.strip(b" \t")
        if not item.isdigit() or len(item) > 18:  # also refuses "-1", "" and "1e3"
            raise Error(f"invalid Content-Length {value[:40]!r}")
        lengths.add(int(item))
    if len(lengths) > 1:
        raise Error(f"conflicting Content-Length values {value[:40]!r}")
    return lengths.pop()


def _field(raw: bytes, lowered: bytes, key: bytes) -> Optional[bytes]:
    """The values of the header ``key`` (b"\\r\\nname:"), joined by commas; ``None`` if absent."""
    start = lowered.find(key)
    if start < 0:
        return None
    values = []
    while start >= 0:
        start += len(key)
        end = raw.find(b"\r\n", start)
        end = len(raw) if end < 0 else end
        values.append(raw[start:end].strip(b" \t"))
        start = lowered.find(key, end)
    return b",".join(values)


def parse_head(raw: bytes, method: str) -> tuple:
    """``(status, reason, headers, framing, length, keep_alive)`` of one head (without its blank line)."""
    status_line, _, block = raw.partition(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code, _, reason = rest.partition(b" ")
    if (version != b"HTTP/1.1" and version != b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise Error(f"malformed status line {status_line[:60]!r}")
    status = int(code)
    if status < 100 or status > 599:
        raise Error(f"status code {status} out of range")
    if b"\r\n " in raw or b"\r\n\t" in raw:  # C scans, cheaper than a check per line
        raise Error("folded header line (starts with whitespace)")
    headers = []
    line = b""
    try:
        for line in block.split(b"\r\n") if block else ():
            name, value = line.split(b":", 1)  # ValueError without a colon
            if name[-1] in b" \t":  # IndexError if empty; "Name :" is refused (RFC 9112 5.1)
                raise ValueError
            headers.append((name, value.strip(b" \t")))
    except (ValueError, IndexError):
        raise Error(f"malformed header line {line[:60]!r}") from None
    # The three headers that frame the body, found by C-level scans of the lowered head
    # rather than by lowering every name (each line follows a CRLF: the status line's).
    lowered = raw.lower()
    lengths = _field(raw, lowered, b"\r\ncontent-length:")
    encoding = _field(lowered, lowered, b"\r\ntransfer-encoding:")
    connection = _field(lowered, lowered, b"\r\nconnection:")
    if status < 200:
        return status, reason, headers, None, None, False
    keep_alive = version == b"HTTP/1.1"
    if connection is not None:
        if b"close" in connection:
            keep_alive = False
        elif b"keep-alive" in connection:
            keep_alive = True
    # RFC 9112 section 6.3, in order.
    if method == "HEAD" or status == 204 or status == 304:
        return status, reason, headers, _LENGTH, 0, keep_alive
    if encoding is not None:
        if lengths is not None:
            raise Error("response has both Content-Length and Transfer-Encoding")
        if encoding.rpartition(b",")[2].strip(b" \t") == b"chunked":
            return status, reason, headers, _CHUNKED, None, keep_alive
        return status, reason, headers, _UNTIL_EOF, None, False
    if lengths is not None:
        return status, reason, headers, _LENGTH, parse_content_length(lengths), keep_alive
    return status, reason, headers, _UNTIL_EOF, None, False


class ResponseParser:
    """Sans-I/O reader of the responses on one connection (transports subclass it with their socket).

    ``data[pos:]`` is what was received and not yet consumed; feeding usually just
    keeps the received ``bytes`` object (no copy), and body pieces are slices of it.
    ``killed`` is set when the transport closed the connection under a request.
    """

    __slots__ = ("data", "pos", "mode", "state", "remaining", "keep_alive", "killed", "idle_since")

    def __init__(self) -> None:
        self.data, self.pos, self.mode, self.killed = b"", 0, _HEAD, False

    def feed(self, new: bytes) -> None:
        pos = self.pos
        self.data = new if pos >= len(self.data) else self.data[pos:] + new
        self.pos = 0

    def head(self, method: str) -> Optional[tuple]:
        """``(status, reason, headers)`` of the final response (1xx skipped), or ``None``: read more."""
        while True:
            data, pos = self.data, self.pos
            end = data.find(b"\r\n\r\n", pos)
            if end < 0 or end - pos > HEAD_LIMIT:
                if len(data) - pos > HEAD_LIMIT:
                    raise Error("response head larger than 64 KiB")
                return None
            self.pos = end + 4
            status, reason, headers, mode, length, keep_alive = parse_head(data[pos:end], method)
            if mode is not None:
                break  # not an informational (1xx) answer
        self.mode, self.remaining, self.keep_alive = mode, length, keep_alive
        self.state = _SIZE if mode == _CHUNKED else _DATA
        return status, reason, headers

    def body(self) -> Optional[bytes]:
        """The next body piece (at most READ_SIZE bytes), ``b""`` at its end, ``None``: read more."""
        data, pos = self.data, self.pos
        if self.mode == _LENGTH:
            remaining = self.remaining
            available = len(data) - pos
            if not remaining or not available:
                return b"" if not remaining else None
            take = min(available, remaining, READ_SIZE)
            self.pos, self.remaining = pos + take, remaining - take
            return data[pos : pos + take]
        if self.mode == _UNTIL_EOF:
            take = min(len(data) - pos, READ_SIZE)
            if not take:
                return b"" if self.state == _DONE else None
            self.pos = pos + take
            return data[pos : pos + take]
        return self._chunked()

    def _chunked(self) -> Optional[bytes]:
        data = self.data
        while True:
            state, pos = self.state, self.pos
            if state == _DATA:
                take = min(len(data) - pos, self.remaining, READ_SIZE)
                if not take:
                    return None
                self.pos = pos + take
                self.remaining -= take
                if not self.remaining:
                    self.state = _CRLF
                return data[pos : pos + take]
            if state == _CRLF:
                if len(data) - pos < 2:
                    return None
                if data[pos : pos + 2] != b"\r\n":
                    raise Error("chunk data not followed by CRLF")
                self.pos, self.state = pos + 2, _SIZE
                continue
            if state == _DONE:
                return b""
            end = data.find(b"\r\n", pos)  # a chunk-size line, or a trailer line
            if end < 0 or end - pos > _LINE_LIMIT:
                if len(data) - pos > _LINE_LIMIT:
                    raise Error("chunk-size or trailer line too long")
                return None
            self.pos = end + 2
            if state == _SIZE:
                self.remaining = parse_chunk_size(data[pos:end])
                self.state = _DATA if self.remaining else _TRAILER
            elif end == pos:
                self.state = _DONE  # the blank line after the trailers
            # (trailer fields are read and dropped; each is bounded by _LINE_LIMIT and by
            # the request's deadline)

    def eof(self) -> None:
        """The peer closed the connection: the end of an until-EOF body, else an error."""
        if self.killed:
            raise httpx.ReadError("the transport was closed")
        mode = self.mode
        if mode == _UNTIL_EOF:
            self.state = _DONE
        elif mode == _HEAD:
            where = "in the middle of" if self.pos < len(self.data) else "before"
            raise Error(f"connection closed {where} the response head")
        elif mode == _LENGTH:
            raise Error(f"connection closed {self.remaining} bytes before the end of the body")
        else:
            where = ("a chunk-size line", "a chunk", "the CRLF after a chunk", "the trailers", "nothing")[self.state]
            raise Error(f"connection closed in the middle of {where}")

    def reusable(self) -> bool:
        """After a complete body: may the connection serve another request? Resets it if so."""
        if not self.keep_alive or self.pos < len(self.data) or self.killed:
            return False  # bytes beyond the body mean the server and we disagree on framing
        self.data, self.pos, self.mode, self.idle_since = b"", 0, _HEAD, monotonic()
        return True

    def expired(self, now: float) -> bool:
        return now - self.idle_since > IDLE_EXPIRY


def prune_oldest(idle, now: float) -> None:
    """Close the oldest connection of an idle deque if it expired: one per release, so the
    pool sheds what a burst left behind without ever scanning it (pops are O(1))."""
    if idle and idle[0].expired(now):
        try:
            oldest = idle.popleft()
        except IndexError:  # another thread emptied it
            return
        if oldest.expired(now):
            oldest.close()
        else:  # another thread changed the deque meanwhile: this one is fresh
            idle.appendleft(oldest)
