"""Both transports over TLS (a self-signed certificate for 127.0.0.1, made by openssl)."""

import gc
import time
import warnings

import httpx
import pytest

from .conftest import chunked, ok


def test_tls_keep_alive_chunked_and_deadline(serve, make_driver, certificate):
    server_context, client_context = certificate
    driver = make_driver(ssl_context=client_context)
    trickle = [b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"] + [0.2, b"x"] * 50
    server = serve(ok(b"one"), chunked(b"tw", b"o"), trickle, ok(b"after"), tls=server_context)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert driver.get(server.url) == b"one"
        assert driver.get(server.url) == b"two"
        assert server.connections == 1  # reused: nothing unread was left on the TLS connection
        start = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            driver.get(server.url, deadline=0.6, read=5)
        assert 0.5 < time.monotonic() - start < 1.1
        assert driver.get(server.url) == b"after"
        driver.close()
        gc.collect()
    assert not [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_an_unknown_certificate_is_a_connect_error(serve, driver, certificate):
    server_context, _ = certificate
    server = serve(ok(), tls=server_context)
    with pytest.raises(httpx.ConnectError, match="(?i)certificate"):
        driver.send(server.url, connect=2)
    assert driver.slots_free() == 1000


def test_a_silent_tls_server_fails_the_handshake_at_the_deadline(serve, make_driver, certificate):
    driver = make_driver(ssl_context=certificate[1])
    server = serve(handler=lambda peer: peer.sleep(5))  # plain TCP, never answers the ClientHello
    url = server.url.replace("http://", "https://")
    start = time.monotonic()
    with pytest.raises(httpx.ConnectTimeout):
        driver.send(url, deadline=0.4, connect=5)
    assert time.monotonic() - start < 0.9
    assert driver.slots_free() == 1000
