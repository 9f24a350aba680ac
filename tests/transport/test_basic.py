"""Both transports on well-formed responses: framing, keep-alive, streaming in bounded pieces."""

import asyncio
import threading

import httpx
import pytest

from litebed._transport.http11 import READ_SIZE

from .conftest import CLOSE, chunked, ok


def test_content_length_bodies_share_one_connection(serve, driver):
    server = serve(ok(b'{"a": 1}'), ok(b"second"))
    assert driver.get(server.url, body=b'{"q": 1}') == b'{"a": 1}'
    response = driver.send(server.url)
    assert response.status_code == 200 and response.reason_phrase == "OK"
    assert driver.read(response) == b"second"
    assert server.connections == 1 and len(server.requests) == 2
    assert server.requests[0].startswith(b"POST /model/x/invoke HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 8\r\n" in server.requests[0] and server.requests[0].endswith(b'\r\n\r\n{"q": 1}')
    assert driver.idle() == 1 and driver.slots_free() == 1000


def test_chunked_bodies_share_one_connection(serve, driver):
    server = serve(chunked(b"he", b"llo"), chunked(b"x" * 70000, b"y"))
    assert driver.get(server.url) == b"hello"
    assert driver.get(server.url) == b"x" * 70000 + b"y"
    assert server.connections == 1


def test_chunk_extensions_and_trailers_are_accepted(serve, driver):
    response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"
    server = serve(response, ok())
    assert driver.get(server.url) == b"abc"
    assert driver.get(server.url) == b"ok"
    assert server.connections == 1


def test_get_has_no_content_length_and_empty_post_has_zero(serve, driver):
    server = serve(ok())
    driver.get(server.url, method="GET", body=b"")
    driver.get(server.url, body=b"")
    assert b"content-length" not in server.requests[0].lower()
    assert b"\r\nContent-Length: 0\r\n" in server.requests[1]


def test_body_until_eof_and_connection_close_are_not_reused(serve, driver):
    server = serve([b"HTTP/1.1 200 OK\r\n\r\nto the end", CLOSE], [ok(b"bye", b"Connection: close\r\n"), CLOSE], ok())
    assert driver.get(server.url) == b"to the end"
    assert driver.get(server.url) == b"bye"
    assert driver.get(server.url) == b"ok"
    assert server.connections == 3 and driver.idle() == 1


def test_http10_closes_unless_keep_alive(serve, driver):
    server = serve(
        b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\na",
        [b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb", CLOSE],
        ok(),
    )
    assert [driver.get(server.url) for _ in range(3)] == [b"a", b"b", b"ok"]
    assert server.connections == 2


def test_bytes_beyond_the_body_retire_the_connection(serve, driver):
    server = serve(ok(b"ok") + b"EXTRA", ok(b"next"))
    assert driver.get(server.url) == b"ok"
    assert driver.get(server.url) == b"next"
    assert server.connections == 2


def test_informational_answers_are_skipped(serve, driver):
    server = serve(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n" + ok(b"final"))
    response = driver.send(server.url)
    assert response.status_code == 200 and driver.read(response) == b"final"


def test_head_and_204_have_no_body(serve, driver):
    server = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", b"HTTP/1.1 204 No Content\r\n\r\n", ok())
    assert driver.get(server.url, method="HEAD", body=b"") == b""
    assert driver.get(server.url) == b""
    assert driver.get(server.url) == b"ok"
    assert server.connections == 1


def test_odd_header_bytes_do_not_break_decoding(serve, driver):
    server = serve(b"HTTP/1.1 404 \xff\r\nX-\xe9: \x80\x81\r\nContent-Length: 2\r\n\r\nno")
    response = driver.send(server.url)
    assert response.status_code == 404 and driver.read(response) == b"no"
    assert response.headers["x-\xe9"] == "\x80\x81"


def test_header_injection_is_refused(serve, driver):
    server = serve(ok())
    with pytest.raises(httpx.LocalProtocolError):
        _send_with_header(driver, server.url, "a\r\nEvil: 1")
    assert driver.slots_free() == 1000
    assert driver.get(server.url) == b"ok"


def _send_with_header(driver, url, value):
    request = httpx.Request("POST", url, content=b"{}", headers={"X-A": value})
    if driver.loop is None:
        return driver.transport.handle_request(request)
    return driver.run(driver.transport.handle_async_request(request))


@pytest.mark.parametrize("framing", ["chunked", "length"])
def test_a_huge_body_comes_in_pieces_of_at_most_64_kib(serve, driver, framing):
    size = 3 * 1024 * 1024 + 17
    head = b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % size if framing == "chunked" else b"Content-Length: %d\r\n\r\n" % size
    tail = b"\r\n0\r\n\r\n" if framing == "chunked" else b""
    server = serve([b"HTTP/1.1 200 OK\r\n" + head, b"z" * size, tail])
    pieces = driver.pieces(driver.send(server.url))
    assert sum(map(len, pieces)) == size and max(map(len, pieces)) <= READ_SIZE
    assert driver.idle() == 1


def test_one_transport_is_shared_by_threads_or_tasks(serve, make_driver):
    driver = make_driver(max_connections=4)
    server = serve(ok(b"0123456789" * 100))
    if driver.loop is not None:
        async def many():
            responses = await asyncio.gather(*(one() for _ in range(100)))
            return responses

        async def one():
            request = httpx.Request("POST", server.url, content=b"{}", extensions={"timeout": {"pool": 5}})
            response = await driver.transport.handle_async_request(request)
            return await response.aread()

        bodies = driver.run(many())
    else:
        bodies, errors = [], []

        def work():
            try:
                for _ in range(12):
                    bodies.append(driver.get(server.url, pool=5))
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]  # 96 requests
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
    assert bodies == [b"0123456789" * 100] * len(bodies) and len(bodies) >= 96
    assert server.connections <= 4 and driver.slots_free() == 4
