"""The shared, pure HTTP/1.1 pieces (litebed._transport.http11), without sockets."""

import httpx
import pytest

from litebed._transport import http11
from litebed._transport.http11 import ResponseParser

CHUNKED = (
    b"HTTP/1.1 100 Continue\r\n\r\n"
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n"
    b"5;x=y\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: t\r\n\r\n"
)


def run(parser: ResponseParser, pieces, method="POST"):
    """Feed ``pieces`` one by one; (status, headers, body) once complete."""
    pieces = iter(pieces)
    head = parser.head(method)
    while head is None:
        parser.feed(next(pieces))
        head = parser.head(method)
    body = []
    while True:
        piece = parser.body()
        if piece is None:
            data = next(pieces, None)
            parser.eof() if data is None else parser.feed(data)
        elif piece:
            body.append(piece)
        else:
            return head[0], head[2], b"".join(body)


@pytest.mark.parametrize("split", ["whole", "bytes", "pairs"])
def test_any_split_of_the_stream_parses_the_same(split):
    step = {"whole": len(CHUNKED), "bytes": 1, "pairs": 2}[split]
    parser = ResponseParser()
    status, headers, body = run(parser, [CHUNKED[i : i + step] for i in range(0, len(CHUNKED), step)])
    assert (status, body) == (200, b"hello world")
    assert headers == [(b"Transfer-Encoding", b"chunked"), (b"X-A", b"b")]
    assert parser.reusable()
    assert run(parser, [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])[2] == b"ok"


def test_a_body_until_eof_ends_with_the_connection_and_is_not_reusable():
    parser = ResponseParser()
    assert run(parser, [b"HTTP/1.1 200 OK\r\n\r\nsome", b" more"])[2] == b"some more"
    assert not parser.reusable()


@pytest.mark.parametrize(
    "value, expected",
    [(b"0", 0), (b"12", 12), (b"007", 7), (b"5, 5", 5), (b"5,5 ,  5", 5)],
)
def test_content_length_values(value, expected):
    assert http11.parse_content_length(value) == expected


@pytest.mark.parametrize("value", [b"", b"-1", b"+1", b"1e3", b"0x10", b"5, 6", b"5,", b"\xd9\xa1", b"1" * 19])
def test_bad_content_length_values(value):
    with pytest.raises(httpx.RemoteProtocolError):
        http11.parse_content_length(value)


@pytest.mark.parametrize("line, size", [(b"0", 0), (b"fF", 255), (b"10 ;ext", 16), (b"10000000000", 1 << 40)])
def test_chunk_sizes(line, size):
    assert http11.parse_chunk_size(line) == size


@pytest.mark.parametrize("line", [b"", b"g", b"-1", b"0x1", b"1_0", b" ", b"10000000001", b"f" * 17, b"\xff"])
def test_bad_chunk_sizes(line):
    with pytest.raises(httpx.RemoteProtocolError):
        http11.parse_chunk_size(line)


def test_request_head_replaces_framing_headers():
    request = httpx.Request("PUT", "http://h:8/p?q=1", content=b"abc", headers={"Transfer-Encoding": "x"})
    (data,) = http11.encode_request(request, b"abc")
    assert data == b"PUT /p?q=1 HTTP/1.1\r\nHost: h:8\r\nContent-Length: 3\r\n\r\nabc"
    big = b"x" * (http11.READ_SIZE + 1)
    head, body = http11.encode_request(httpx.Request("POST", "http://h/", content=big), big)
    assert head.endswith(b"Content-Length: %d\r\n\r\n" % len(big)) and body is big


@pytest.mark.parametrize("value", ["a\r\nEvil: 1", "a\nEvil: 1", "a\rb"])
def test_request_head_refuses_line_breaks_in_values(value):
    request = httpx.Request("GET", "http://h/", headers={"X-A": value})
    with pytest.raises(httpx.LocalProtocolError):
        http11.encode_request(request, b"")


def test_time_left():
    import time

    assert http11.time_left(3.0, None, httpx.ReadTimeout) == 3.0
    assert http11.time_left(None, None, httpx.ReadTimeout) is None
    assert 0.9 < http11.time_left(None, time.monotonic() + 1, httpx.ReadTimeout) <= 1
    assert http11.time_left(0.5, time.monotonic() + 1, httpx.ReadTimeout) == 0.5
    with pytest.raises(httpx.PoolTimeout):
        http11.time_left(5, time.monotonic() - 0.001, httpx.PoolTimeout)
