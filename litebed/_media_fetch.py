"""Downloading remote images without letting a URL reach where it should not.

A user-supplied URL is fetched by the process running litebed, often a server
inside a private network, so every hop of a download is checked *after* DNS:
if any address a host resolves to is loopback, private, link-local, multicast,
reserved, unspecified or shared (CGNAT), the URL is refused unless the
:class:`~litebed._media.MediaPolicy` permits it. The connection then goes to
the checked IP itself (with the original ``Host`` header and, for https, the
original name as SNI and certificate name), so a DNS answer that changes
between the check and the connect (DNS rebinding) changes nothing. Redirects
are followed here, one checked hop at a time, never by httpx.

Error messages name the URL without its query string, the host refused, an
HTTP status or an exception class: never anything from a response body.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from typing import Any, Optional

from . import _media as media
from .errors import BadRequestError

__all__ = ["afetch_image", "fetch_image", "is_public_address"]

_REDIRECTS = {301, 302, 303, 307, 308}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # CGNAT: not private to Python, still not the internet
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known NAT64 prefix: judge the IPv4 address inside
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use NAT64: can point anywhere inside


def is_public_address(address: str) -> bool:
    """True if ``address`` (an IP literal, IPv6 maybe with ``%scope``) is a public unicast address.

    Anything unparseable is not public (fail closed).
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return _public(ip)


def _public(ip: Any) -> bool:
    if ip.version == 6:
        # Addresses that carry an IPv4 address are judged by it: ::ffff:127.0.0.1 is loopback.
        if ip.ipv4_mapped is not None:
            return _public(ip.ipv4_mapped)
        if ip in _NAT64:
            return _public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _NAT64_LOCAL or ip.teredo is not None or ip.is_site_local:
            return False
        if ip.sixtofour is not None and not _public(ip.sixtofour):
            return False
    elif ip in _SHARED:
        return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


class _Download:
    """One image URL followed hop by hop; shared by the sync and async loops, which do the I/O."""

    def __init__(self, url: str, policy: Any, argument: str, limit: int, budget: Any) -> None:
        import httpx

        self.shown, self.policy, self.argument, self.limit, self.budget = media._shown(url), policy, argument, limit, budget
        self.redirects = 0
        self.deadline = time.monotonic() + policy.timeout
        if not (policy.fetch_remote and media.fetch_remote_media):
            raise BadRequestError(
                f"{argument}: fetching remote media is turned off (MediaPolicy.fetch_remote, "
                "litebed._media.fetch_remote_media or LITEBED_FETCH_REMOTE_MEDIA); pass the image as a base64 data: URL"
            )
        try:
            self.url = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise BadRequestError(f"{argument}: {self.shown} is not a valid URL") from None
        self._check_url()

    def _fail(self, why: str) -> BadRequestError:
        return BadRequestError(f"{self.argument}: {why}")

    def _check_url(self) -> None:
        url = self.url
        if url.scheme not in _DEFAULT_PORTS:
            hop = "redirects to a URL that is not" if self.redirects else "is not"
            raise self._fail(f"{self.shown} {hop} http or https; only those are fetched")
        if url.userinfo:
            # Credentials in a URL would be sent to whichever host it names; nobody needs them for an image.
            raise self._fail(f"{self.shown}: URLs with credentials (user:password@) are refused")
        if not url.host:
            raise self._fail(f"{self.shown} has no host")

    @property
    def host(self) -> str:
        """The host as DNS sees it (IDNA-encoded), without brackets."""
        return self.url.raw_host.decode("ascii").lower()

    @property
    def port(self) -> int:
        return self.url.port or _DEFAULT_PORTS[self.url.scheme]

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._fail(f"downloading {self.shown} took longer than {self.policy.timeout:g} s")
        return left

    def targets(self, infos: list) -> list[tuple[Any, dict, dict]]:
        """Check every resolved address; give (url with the IP as host, headers, extensions) per address."""
        addresses = list(dict.fromkeys(info[4][0] for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)))
        if not addresses:
            raise self._fail(f"could not resolve {self.host}")
        allowed = self.policy.allow_private or self.host in self.policy.allowed_hosts or (
            self.url.host.lower() in self.policy.allowed_hosts
        )
        if not allowed and not all(is_public_address(a) for a in addresses):
            raise self._fail(
                f"refused: {self.host} resolves to a private/loopback address; "
                "pass allow_private_media=True or add it to media_allowed_hosts to permit it"
            )
        headers = {"Host": self.url.netloc.decode("ascii"), "Accept": "image/*"}
        extensions = {"sni_hostname": self.host} if self.url.scheme == "https" else {}
        # The scope of a link-local IPv6 address cannot be written in a URL; such hosts only come this
        # far when allowed, and then fail to connect, which is reported as a ConnectError.
        return [(self.url.copy_with(host=a.split("%", 1)[0]), headers, extensions) for a in addresses]

    def timeout(self) -> Any:
        import httpx

        return httpx.Timeout(min(self.policy.timeout, self.remaining()))

    def redirect(self, status: int, headers: Any) -> bool:
        """Move to the next hop if this answer is a redirect; False if it is the final answer."""
        import httpx

        location = headers.get("location")
        if status not in _REDIRECTS or not location:
            return False
        self.redirects += 1
        if self.redirects > self.policy.max_redirects:
            raise self._fail(f"{self.shown} redirects more than {self.policy.max_redirects} times")
        try:
            self.url = self.url.join(location)
        except (httpx.InvalidURL, TypeError, ValueError):
            raise self._fail(f"{self.shown} redirects to an invalid URL") from None
        self._check_url()
        return True

    def accept(self, status: int, headers: Any) -> Optional[str]:
        """Check the final answer's status and headers; give its media type."""
        if status != 200:
            raise self._fail(f"downloading {self.shown} failed with HTTP {status}")
        value = headers.get("content-type")
        mime = (value.split(";", 1)[0].strip().lower() or None) if value else None
        if mime and not (mime.startswith("image/") or mime == "application/octet-stream"):
            # The type is echoed only when it looks like one, so a header cannot smuggle text out.
            named = repr(mime) if media._MIME.fullmatch(mime) and len(mime) <= 80 else "something else"
            raise self._fail(f"{self.shown} is {named}, not an image")
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.limit:
            raise self._fail(f"{self.shown} is {length} bytes, over Bedrock's limit of {self.limit}")
        return mime

    def take(self, data: bytearray, piece: bytes) -> None:
        data += piece
        if len(data) > self.limit:
            raise self._fail(f"{self.shown} is over Bedrock's limit of {self.limit} bytes")
        if self.budget is not None:
            self.budget.add_bytes(len(piece), self.argument)
        self.remaining()

    def connect_failed(self, exc: Exception) -> BadRequestError:
        return self._fail(f"could not download {self.shown}: {type(exc).__name__}")


def _client(download: _Download, asynchronous: bool) -> Any:
    import httpx

    # trust_env=False: a proxy from the environment would make the connection, not to the checked IP.
    # A client per hop and per address: a pooled https connection made for one name must not carry another.
    cls = httpx.AsyncClient if asynchronous else httpx.Client
    return cls(timeout=download.timeout(), follow_redirects=False, trust_env=False)


def fetch_image(url: str, policy: Any, *, argument: str, limit: int, budget: Any = None) -> tuple[Optional[str], bytes]:
    """Download one image URL under ``policy``: (media type or None, bytes). Raises BadRequestError."""
    import httpx

    download = _Download(url, policy, argument, limit, budget)
    while True:
        try:
            infos = socket.getaddrinfo(download.host, download.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise download._fail(f"could not resolve {download.host}") from None
        targets = download.targets(infos)
        for n, (target, headers, extensions) in enumerate(targets):
            try:
                with _client(download, False) as client:
                    request = client.build_request("GET", target, headers=headers, extensions=extensions)
                    response = client.send(request, stream=True)
                    try:
                        if download.redirect(response.status_code, response.headers):
                            break
                        mime = download.accept(response.status_code, response.headers)
                        data = bytearray()
                        for piece in response.iter_bytes():
                            download.take(data, piece)
                        return mime, bytes(data)
                    finally:
                        response.close()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if n == len(targets) - 1:  # the host's other addresses are tried first
                    raise download.connect_failed(exc) from None
            except httpx.HTTPError as exc:
                raise download.connect_failed(exc) from None


async def afetch_image(url: str, policy: Any, *, argument: str, limit: int, budget: Any = None) -> tuple[Optional[str], bytes]:
    """The async twin of :func:`fetch_image`: DNS through the loop, nothing blocks it."""
    download = _Download(url, policy, argument, limit, budget)
    try:
        return await asyncio.wait_for(_afetch(download), download.remaining())
    except asyncio.TimeoutError:
        raise download._fail(f"downloading {download.shown} took longer than {policy.timeout:g} s") from None


async def _afetch(download: _Download) -> tuple[Optional[str], bytes]:
    import httpx

    while True:
        try:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(download.host, download.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise download._fail(f"could not resolve {download.host}") from None
        targets = download.targets(infos)
        for n, (target, headers, extensions) in enumerate(targets):
            try:
                async with _client(download, True) as client:
                    request = client.build_request("GET", target, headers=headers, extensions=extensions)
                    response = await client.send(request, stream=True)
                    try:
                        if download.redirect(response.status_code, response.headers):
                            break
                        mime = download.accept(response.status_code, response.headers)
                        data = bytearray()
                        async for piece in response.aiter_bytes():
                            download.take(data, piece)
                        return mime, bytes(data)
                    finally:
                        await response.aclose()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if n == len(targets) - 1:
                    raise download.connect_failed(exc) from None
            except httpx.HTTPError as exc:
                raise download.connect_failed(exc) from None
