"""Both transports: per-operation timeouts, the request deadline (extension
"litebed.deadline") over every operation, and response.stream.set_deadline()."""

import socket
import time

import httpx
import pytest

from .conftest import ok

HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"


def elapsed_since(start: float) -> float:
    return time.monotonic() - start


def test_a_trickled_body_fails_at_the_deadline(serve, driver):
    server = serve(handler=lambda peer: peer.read_request() and (peer.send(HEAD), peer.drip(b"x" * 100, 0.3)))
    start = time.monotonic()
    response = driver.send(server.url, deadline=1.0, read=5)
    with pytest.raises(httpx.ReadTimeout):
        driver.read(response)
    assert 0.9 < elapsed_since(start) < 1.5
    assert driver.slots_free() == 1000 and driver.idle() == 0


def test_a_trickled_head_fails_at_the_deadline(serve, driver):
    server = serve(handler=lambda peer: peer.read_request() and peer.drip(HEAD, 0.1))
    start = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        driver.send(server.url, deadline=0.7, read=5)
    assert 0.6 < elapsed_since(start) < 1.2
    assert driver.slots_free() == 1000


def test_a_silent_server_fails_at_the_read_timeout(serve, driver):
    server = serve([3.0, ok()])
    start = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        driver.send(server.url, read=0.3)
    assert elapsed_since(start) < 0.8


def test_the_read_timeout_is_per_read_not_per_body(serve, driver):
    server = serve([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", 0.2, b"a", 0.2, b"b"])
    assert driver.get(server.url, read=0.35) == b"ab"


def pausing_events(*pause_before_each: float):
    """A chunked event stream pausing before each event."""
    steps = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"]
    for number, pause in enumerate(pause_before_each):
        steps += [pause, b"6\r\nevent%d\r\n" % number]
    return steps + [b"0\r\n\r\n"]


def test_set_deadline_governs_the_later_reads(serve, driver):
    server = serve(pausing_events(0.5, 0.5), pausing_events(0.5, 0.5))
    # The request's deadline (0.3 s) would end this at the first pause: per-event deadlines replace it.
    response = driver.send(server.url, deadline=0.3, read=10)
    next_piece, events = driver.iterate(response), []
    for _ in range(3):
        response.stream.set_deadline(time.monotonic() + 1.0)
        events.append(next_piece())
    assert events == [b"event0", b"event1", None]
    assert driver.idle() == 1

    response = driver.send(server.url, read=10)
    next_piece = driver.iterate(response)
    response.stream.set_deadline(time.monotonic() + 0.2)
    start = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        next_piece()
    assert 0.15 < elapsed_since(start) < 0.5
    assert driver.slots_free() == 1000 and driver.idle() == 0


def test_set_deadline_none_leaves_only_the_read_timeout(serve, driver):
    server = serve(pausing_events(0.3, 0.3))
    response = driver.send(server.url, deadline=0.2, read=1)
    response.stream.set_deadline(None)
    assert driver.read(response) == b"event0event1"


def test_a_full_pool_fails_at_the_deadline_then_recovers(serve, make_driver):
    driver = make_driver(max_connections=1)
    server = serve(ok(b"first"), ok(b"second"))
    held = driver.send(server.url)
    start = time.monotonic()
    with pytest.raises(httpx.PoolTimeout):
        driver.send(server.url, deadline=0.5, pool=5)
    assert 0.45 < elapsed_since(start) < 1.0
    start = time.monotonic()
    with pytest.raises(httpx.PoolTimeout):
        driver.send(server.url, pool=0.2)
    assert 0.15 < elapsed_since(start) < 0.7
    assert driver.read(held) == b"first"
    assert driver.get(server.url, pool=0.2) == b"second"


def test_a_deadline_already_past_fails_at_once(serve, driver):
    server = serve(ok())
    driver.get(server.url)  # an idle connection, so no wait is needed before the first socket operation
    start = time.monotonic()
    with pytest.raises(httpx.TimeoutException):
        driver.send(server.url, deadline=-1.0)
    assert elapsed_since(start) < 0.1
    assert driver.get(server.url) == b"ok"


def test_connection_refused_is_a_connect_error(driver):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens here once it is closed
    with pytest.raises(httpx.ConnectError):
        driver.send(f"http://127.0.0.1:{port}/", connect=1)
    assert driver.slots_free() == 1000


def test_connecting_to_a_full_backlog_fails_at_the_deadline(driver):
    # A listener that never accepts, its backlog filled: further SYNs go unanswered.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    try:
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            fillers.append(filler)
        time.sleep(0.05)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        start = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout):
            driver.send(url, deadline=0.4, connect=5)
        assert 0.35 < elapsed_since(start) < 0.9
        with pytest.raises(httpx.ConnectTimeout):
            driver.send(url, connect=0.2)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
    assert driver.slots_free() == 1000


def test_a_server_that_never_reads_fails_the_write_at_the_deadline(serve, driver):
    server = serve(handler=lambda peer: peer.sleep(5))
    body = b"x" * (64 * 1024 * 1024)  # more than loopback's socket buffers hold
    start = time.monotonic()
    with pytest.raises(httpx.WriteTimeout):
        driver.send(server.url, body=body, deadline=0.5, write=5)
    assert 0.45 < elapsed_since(start) < 1.2
    with pytest.raises(httpx.WriteTimeout):
        driver.send(server.url, body=body, write=0.2)
    assert driver.slots_free() == 1000
