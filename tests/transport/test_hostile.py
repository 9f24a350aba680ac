"""Both transports against malformed responses: httpx's error with a short reason, the
connection dropped, its slot returned (max_connections=1 would expose a leak), and the
next request on the same transport served."""

import httpx
import pytest

from .conftest import CLOSE, ok

OK = b"HTTP/1.1 200 OK\r\n"
CHUNKED = OK + b"Transfer-Encoding: chunked\r\n\r\n"

HOSTILE = {
    "status line garbage": b"HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "status line without code": b"HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    "status code not numeric": b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
    "status code not ascii": b"HTTP/1.1 \xd9\xa2\xd9\xa0 OK\r\nContent-Length: 0\r\n\r\n",
    "status code too large": b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n",
    "status code too small": b"HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n",
    "status code too long": b"HTTP/1.1 2000 Odd\r\nContent-Length: 0\r\n\r\n",
    "empty head": b"\r\n\r\n",
    "header without colon": OK + b"Content-Length 2\r\n\r\nok",
    "header name with space": OK + b"Content-Length : 2\r\n\r\nok",
    "header folded": OK + b"X-A: 1\r\n  folded\r\nContent-Length: 2\r\n\r\nok",
    "content-length negative": OK + b"Content-Length: -1\r\n\r\n",
    "content-length not numeric": OK + b"Content-Length: 1e3\r\n\r\n",
    "content-length empty": OK + b"Content-Length:\r\n\r\n",
    "content-length huge number": OK + b"Content-Length: " + b"9" * 400 + b"\r\n\r\n",
    "content-length conflicting": OK + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\nok",
    "content-length conflicting list": OK + b"Content-Length: 2, 3\r\n\r\nok",
    "content-length and chunked": OK + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "chunk size not hex": CHUNKED + b"zz\r\nok\r\n0\r\n\r\n",
    "chunk size signed": CHUNKED + b"-2\r\nok\r\n0\r\n\r\n",
    "chunk size 0x prefix": CHUNKED + b"0x2\r\nok\r\n0\r\n\r\n",
    "chunk size empty": CHUNKED + b"\r\nok\r\n0\r\n\r\n",
    "chunk size absurd": CHUNKED + b"f" * 20 + b"\r\nok\r\n0\r\n\r\n",
    "chunk size line endless": [CHUNKED + b"1" * 5000, 5.0],
    "chunk without crlf": CHUNKED + b"2\r\nokX\r\n0\r\n\r\n",
    "chunk followed directly by the next": CHUNKED + b"2\r\nok2\r\nok\r\n0\r\n\r\n",
    "head over 64 KiB": OK + b"X-Pad: " + b"a" * (70 * 1024) + b"\r\n\r\n",
    "many headers over 64 KiB": OK + b"X-Pad: aaaaaaaaaaaaaaa\r\n" * 4000 + b"\r\n",
    "closed before the head": [CLOSE],
    "closed in the head": [OK + b"Content-Le", CLOSE],
    "closed in a chunk-size line": [CHUNKED + b"1", CLOSE],
    "closed in a chunk": [CHUNKED + b"10\r\nabc", CLOSE],
    "closed after a chunk": [CHUNKED + b"3\r\nabc", CLOSE],
    "closed in a huge declared chunk": [CHUNKED + b"7fffffff\r\n" + b"a" * 1000, CLOSE],
    "closed in the trailers": [CHUNKED + b"3\r\nabc\r\n0\r\nX-T: 1\r\n", CLOSE],
    "closed in a content-length body": [OK + b"Content-Length: 10\r\n\r\nabc", CLOSE],
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_response_raises_httpx_error_and_the_next_request_works(serve, make_driver, name):
    driver = make_driver(max_connections=1)
    server = serve(HOSTILE[name], ok(b"fine"))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)) as caught:
        driver.read(driver.send(server.url, pool=2, read=3))
    message = str(caught.value)
    assert message and len(message) < 120 and "\n" not in message
    assert driver.slots_free() == 1 and driver.idle() == 0
    assert driver.get(server.url, pool=2, read=3) == b"fine"
    assert driver.idle() == 1


def test_errors_name_what_was_wrong(serve, driver):
    server = serve(
        HOSTILE["content-length conflicting"], HOSTILE["chunk size absurd"], HOSTILE["closed in a chunk"]
    )
    expected = ["conflicting Content-Length", "absurd chunk size", "in the middle of a chunk"]
    for text in expected:
        with pytest.raises(httpx.RemoteProtocolError, match=text):
            driver.read(driver.send(server.url, read=3))
