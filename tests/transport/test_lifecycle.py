"""Both transports: connections and slots come back on every path, close() reaches idle
and in-use connections, and nothing leaks a socket (file descriptors, ResourceWarning)."""

import gc
import os
import warnings

import httpx
import pytest

from .conftest import CLOSE, Driver, chunked, ok

FDS = "/proc/self/fd"


def open_fds() -> int:
    return len(os.listdir(FDS))


@pytest.mark.skipif(not os.path.isdir(FDS), reason="needs /proc")
def test_file_descriptors_do_not_grow_across_200_requests(serve, driver):
    server = serve(
        ok(b"keep"),
        chunked(b"a", b"b"),
        [ok(b"bye", b"Connection: close\r\n"), CLOSE],
        b"HTTP/1.1 200 OK\r\nContent-Length: zz\r\n\r\n",  # malformed: the connection is dropped
        [b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", b"x" * 100000],  # closed half-read
        ok(b"last"),
    )
    driver.get(server.url)  # warm up (the async loop's own descriptors, imports)
    before = open_fds()
    for number in range(200):
        kind = number % 5
        try:
            response = driver.send(server.url)
            if kind == 4:
                driver.iterate(response)()
                driver.close_response(response)
            else:
                driver.read(response)
        except httpx.RemoteProtocolError:
            pass
    driver.close()
    server.close()
    assert open_fds() <= before + 2  # the transport's last connection may have been open before


def test_a_stream_closed_early_gives_back_its_slot_and_is_not_reused(serve, make_driver):
    driver = make_driver(max_connections=1)
    server = serve([b"HTTP/1.1 200 OK\r\nContent-Length: 300000\r\n\r\n", b"x" * 300000], ok())
    response = driver.send(server.url)
    next_piece = driver.iterate(response)
    assert len(next_piece()) <= 64 * 1024
    assert driver.slots_free() == 0
    driver.close_response(response)
    assert driver.slots_free() == 1 and driver.idle() == 0
    assert driver.get(server.url, pool=1) == b"ok"
    assert server.connections == 2


def test_a_response_dropped_unread_gives_back_its_slot(serve, make_driver):
    driver = make_driver(max_connections=1)
    server = serve(ok(b"dropped"), ok())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = driver.send(server.url)
        del response
        gc.collect()
        assert driver.slots_free() == 1
        assert driver.get(server.url, pool=1) == b"ok"
        driver.close()
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_close_reaches_idle_and_in_use_connections(serve, driver):
    server = serve(ok(b"idle"), [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", 5.0, b"cdefghij"])
    driver.get(server.url)
    assert driver.idle() == 1
    response = driver.send(server.url)
    assert len(driver.transport._active) == 1
    driver.close()
    assert driver.idle() == 0
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        driver.read(response)
    assert not driver.transport._active and driver.slots_free() == 1000
    with pytest.raises(httpx.ConnectError, match="closed"):
        driver.send(server.url)


def test_close_fails_a_read_of_a_body_ending_at_eof(serve, driver):
    # Without "killed", the end of the connection would look like the end of the body.
    server = serve([b"HTTP/1.1 200 OK\r\n\r\nsome", 5.0, b"more"])
    response = driver.send(server.url)
    next_piece = driver.iterate(response)
    assert next_piece() == b"some"
    driver.close()
    with pytest.raises(httpx.ReadError, match="transport was closed"):
        next_piece()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_no_resource_warning_on_any_path(serve, kind):
    server = serve(ok(b"full"), [b"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n", b"x" * 200000], ok(b"held"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        driver = Driver(kind)
        assert driver.get(server.url) == b"full"  # read fully: kept idle
        early = driver.send(server.url)
        driver.iterate(early)()
        driver.close_response(early)  # closed early
        held = driver.send(server.url)  # in use when the transport closes
        driver.shutdown()
        del driver, early, held
        gc.collect()
    assert not [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_an_idle_connection_closed_by_the_server_is_not_reused(serve, driver):
    def handler(peer):  # answers one request per connection, then closes
        if peer.read_request() is not None:
            peer.send(ok(b"served"))

    server = serve(handler=handler)
    assert driver.get(server.url) == b"served"
    server.settle()  # the server has closed its side
    driver.pause(0.01)  # (an async transport learns of it when its loop runs)
    assert driver.get(server.url) == b"served"
    assert server.connections == 2


def test_idle_connections_expire(serve, make_driver, monkeypatch):
    monkeypatch.setattr("litebed._transport.http11.IDLE_EXPIRY", 0.1)
    driver = make_driver()
    server = serve(ok())
    first, second = driver.send(server.url), driver.send(server.url)  # two connections
    driver.read(first)
    driver.pause(0.2)
    driver.read(second)  # its release retires the expired oldest one
    assert driver.idle() == 1 and server.connections == 2
    driver.pause(0.2)
    assert driver.get(server.url) == b"ok"  # the idle one expired meanwhile: a new connection
    assert driver.idle() == 1 and server.connections == 3
    assert driver.get(server.url) == b"ok"
    assert server.connections == 3
