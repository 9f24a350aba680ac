"""Images and documents for the Converse route: ``data:`` URLs and remote URLs.

Bedrock never fetches a URL itself (docs/bedrock.md §8.1), so an OpenAI
``image_url`` with an ``http(s)`` URL is downloaded by litebed, under a
:class:`MediaPolicy`: size- and count-limited per request, content-type
checked, and refused when the host resolves to a loopback, private, link-local
or otherwise internal address (see :mod:`litebed._media_fetch` and
docs/media.md). :func:`inline_remote_media` / :func:`ainline_remote_media`
replace remote URLs by ``data:`` URLs before the body is built. Turn remote
fetching off with ``litebed._media.fetch_remote_media = False`` or the
environment variable ``LITEBED_FETCH_REMOTE_MEDIA=0`` (read when this module is
imported, and again by :meth:`MediaPolicy.from_env`); remote URLs are then
refused with a ``BadRequestError`` whatever the policy says.

Every format is checked against the bytes' magic numbers, so a mislabelled
upload fails here with a clear message instead of deep inside the model.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Optional

from .errors import BadRequestError

__all__ = [
    "DOCUMENT_FORMATS",
    "FETCH_TIMEOUT",
    "IMAGE_FORMATS",
    "MAX_DOCUMENT_BYTES",
    "MAX_IMAGE_BYTES",
    "Media",
    "MediaPolicy",
    "ainline_remote_media",
    "document_name",
    "fetch_remote_media",
    "inline_remote_media",
    "load_document",
    "load_image",
    "sniff_image_format",
]

_OFF = ("0", "false", "no", "off")
_ON = ("1", "true", "yes", "on")

#: Whether ``http(s)`` image URLs may be downloaded at all. False is a kill switch:
#: it refuses remote URLs even under a policy with ``fetch_remote=True``.
fetch_remote_media: bool = os.environ.get("LITEBED_FETCH_REMOTE_MEDIA", "1").strip().lower() not in _OFF

#: Converse limits (docs/bedrock.md §6.1): images 3.75 MB, documents 4.5 MB each.
MAX_IMAGE_BYTES = 3_750_000
MAX_DOCUMENT_BYTES = 4_500_000
#: Seconds allowed for one remote download by default (DNS, connect, redirects, whole body).
FETCH_TIMEOUT = 10.0
#: Downloads of one request that run at once on the async path.
_CONCURRENCY = 4

IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp"}

DOCUMENT_FORMATS = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/html": "html",
    "text/plain": "txt",
    "text/markdown": "md",
}
_DOCUMENT_EXTENSIONS = set(DOCUMENT_FORMATS.values())
_TEXT_DOCUMENTS = {"csv", "html", "txt", "md"}
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCUMENT_MAGIC = {"pdf": (b"%PDF-",), "docx": (_ZIP,), "xlsx": (_ZIP,), "doc": (_OLE,), "xls": (_OLE,)}

_USERINFO = re.compile(r"//[^/@]*@")
_MIME = re.compile(r"[\w.+-]+/[\w.+-]+")
_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?)(?P<b64>;base64)?,(?P<data>.*)", re.S)


@dataclass(frozen=True)
class MediaPolicy:
    """Where remote media may be fetched from, and how much media one request may carry.

    ``allowed_hosts`` holds host names or IP literals (exact, case-insensitive
    matches of the URL's host, on every redirect hop) that may resolve to
    private addresses; any iterable (or a comma-separated string) is accepted.
    """

    allow_private: bool = False
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)
    fetch_remote: bool = True
    max_images: int = 20
    max_total_bytes: int = 25_000_000
    timeout: float = FETCH_TIMEOUT
    max_redirects: int = 3

    def __post_init__(self) -> None:
        hosts: Iterable[str] = self.allowed_hosts.split(",") if isinstance(self.allowed_hosts, str) else self.allowed_hosts
        # "[::1]" and "::1" name the same host; httpx reports the latter.
        normalised = frozenset(h.strip().lower().removeprefix("[").removesuffix("]") for h in hosts if h and h.strip())
        object.__setattr__(self, "allowed_hosts", normalised)
        for name in ("max_images", "max_total_bytes", "max_redirects"):
            if getattr(self, name) < 0:
                raise ValueError(f"MediaPolicy.{name} must not be negative")
        if not self.timeout > 0:
            raise ValueError("MediaPolicy.timeout must be positive")

    @classmethod
    def from_env(cls) -> MediaPolicy:
        """The default policy, from ``LITEBED_FETCH_REMOTE_MEDIA`` (0/false/no/off refuses remote URLs),
        ``LITEBED_MEDIA_ALLOW_PRIVATE`` (1/true/yes/on) and ``LITEBED_MEDIA_ALLOWED_HOSTS``
        (comma-separated), read now, and the module switch :data:`fetch_remote_media`."""
        env = os.environ
        return cls(
            allow_private=env.get("LITEBED_MEDIA_ALLOW_PRIVATE", "").strip().lower() in _ON,
            allowed_hosts=frozenset(env.get("LITEBED_MEDIA_ALLOWED_HOSTS", "").split(",")),
            fetch_remote=fetch_remote_media and env.get("LITEBED_FETCH_REMOTE_MEDIA", "1").strip().lower() not in _OFF,
        )


@dataclass(frozen=True)
class Media:
    """Decoded bytes ready for a Converse content block."""

    format: str  # Converse's format name: "png", "pdf", ...
    data: bytes

    @property
    def base64(self) -> str:
        """The bytes as the base64 text Converse carries on the wire (§6.1)."""
        return base64.b64encode(self.data).decode("ascii")


def sniff_image_format(data: bytes) -> Optional[str]:
    """The Converse image format the magic number of ``data`` names, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def load_image(url: Any, *, argument: str) -> Media:
    """An OpenAI ``image_url`` (``data:`` or ``http(s)`` URL) -> checked image bytes."""
    if not isinstance(url, str) or not url:
        raise BadRequestError(f"{argument}: image_url.url must be a non-empty string")
    if url.startswith("data:"):
        mime, data = _decode_data_url(url, argument=argument)
    elif url.startswith(("http://", "https://")):
        # Only reached when the caller did not inline remote media first; the environment's
        # policy (private addresses refused unless configured) still applies.
        from ._media_fetch import fetch_image

        mime, data = fetch_image(url, MediaPolicy.from_env(), argument=argument, limit=MAX_IMAGE_BYTES)
    else:
        raise BadRequestError(f"{argument}: image URL must be a data: URL or an http(s) URL, got {url[:40]!r}")
    sniffed = sniff_image_format(data)
    if sniffed is None:
        raise BadRequestError(f"{argument}: the image bytes are not png, jpeg, gif or webp")
    declared = IMAGE_FORMATS.get(mime) if mime else None
    if mime and declared is None and mime != "application/octet-stream":
        raise BadRequestError(f"{argument}: image type {mime!r} is not supported; use png, jpeg, gif or webp")
    if declared and declared != sniffed:
        raise BadRequestError(f"{argument}: declared as {mime!r} but the bytes are {sniffed}")
    _check_size(data, MAX_IMAGE_BYTES, argument)
    return Media(sniffed, data)


def load_document(file_data: Any, filename: Optional[str], *, argument: str) -> Media:
    """An OpenAI file part's ``file_data`` (a base64 ``data:`` URL) -> checked document bytes.

    The format comes from the media type, or from the file name's extension
    when the media type is missing or ``application/octet-stream``.
    """
    if not isinstance(file_data, str) or not file_data.startswith("data:"):
        raise BadRequestError(f"{argument}: file.file_data must be a data: URL (data:application/pdf;base64,...)")
    mime, data = _decode_data_url(file_data, argument=argument)
    doc_format = DOCUMENT_FORMATS.get(mime or "")
    if doc_format is None and mime not in (None, "application/octet-stream"):
        raise BadRequestError(
            f"{argument}: document type {mime!r} is not supported; use one of "
            + ", ".join(sorted(_DOCUMENT_EXTENSIONS))
        )
    if doc_format is None:
        extension = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
        if extension not in _DOCUMENT_EXTENSIONS:
            raise BadRequestError(f"{argument}: cannot tell the document's format; give a media type or a file name extension")
        doc_format = extension
    magic = _DOCUMENT_MAGIC.get(doc_format)
    if magic and not data.startswith(magic):
        raise BadRequestError(f"{argument}: the bytes are not a {doc_format} file")
    if doc_format in _TEXT_DOCUMENTS:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequestError(f"{argument}: a {doc_format} document must be UTF-8 text") from None
    _check_size(data, MAX_DOCUMENT_BYTES, argument)
    return Media(doc_format, data)


_NAME_FORBIDDEN = re.compile(r"[^A-Za-z0-9\s\-()\[\]]+")


def document_name(filename: Optional[str], *, taken: set[str], fallback: str = "document") -> str:
    """A Bedrock-valid, unique document name derived from ``filename``.

    Bedrock allows alphanumerics, single whitespace, hyphens, parentheses and
    square brackets, 1-200 characters (service model ``DocumentBlock.name``).
    The extension is dropped, other characters become hyphens, whitespace runs
    collapse to one space, and a repeated name gets `` (2)``, `` (3)``, ...
    ``taken`` is updated with the result.
    """
    stem = (filename or "").rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    name = " ".join(_NAME_FORBIDDEN.sub("-", stem).split()).strip("-").strip()[:190] or fallback
    unique, count = name, 1
    while unique in taken:
        count += 1
        unique = f"{name} ({count})"
    taken.add(unique)
    return unique


def _check_size(data: bytes, limit: int, argument: str) -> None:
    if len(data) > limit:
        raise BadRequestError(f"{argument}: {len(data)} bytes is over Bedrock's limit of {limit} bytes")
    if not data:
        raise BadRequestError(f"{argument}: the data is empty")


def _decode_data_url(url: str, *, argument: str) -> tuple[Optional[str], bytes]:
    match = _DATA_URL.fullmatch(url)
    if not match or not match["b64"]:
        raise BadRequestError(f"{argument}: expected a base64 data URL (data:<media type>;base64,<data>)")
    try:
        data = base64.b64decode("".join(match["data"].split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestError(f"{argument}: the data URL is not valid base64") from None
    return (match["mime"] or "").lower() or None, data




# --- remote URLs, inlined per request ------------------------------------------


def _shown(url: str) -> str:
    # The query string may carry a presigned URL's signature, and user:password@ a password: never echo them.
    return repr(_USERINFO.sub("//", url.split("?", 1)[0].split("#", 1)[0], count=1)[:120])


class _Budget:
    """One request's images and decoded media bytes, counted against its policy."""

    def __init__(self, policy: MediaPolicy) -> None:
        self.policy, self.images, self.bytes = policy, 0, 0

    def add_image(self, argument: str) -> None:
        self.images += 1
        if self.images > self.policy.max_images:
            raise BadRequestError(f"{argument}: more than {self.policy.max_images} images in one request (max_images)")

    def add_bytes(self, count: int, argument: str) -> None:
        self.bytes += count
        if self.bytes > self.policy.max_total_bytes:
            raise BadRequestError(
                f"{argument}: the request's media is over {self.policy.max_total_bytes} bytes in total (max_total_bytes)"
            )


def _data_size(url: str) -> int:
    """Decoded size of a base64 ``data:`` URL, from its length (no decoding)."""
    header, _, payload = url.partition(",")
    if ";base64" not in header:
        return len(payload)
    spaces = sum(payload.count(c) for c in " \t\r\n\f\v")  # base64 may be wrapped; str.count is cheap
    tail = payload.rstrip()[-2:]
    return (len(payload) - spaces) * 3 // 4 - (len(tail) - len(tail.rstrip("=")))


def _plan(messages: list[dict], policy: MediaPolicy) -> tuple[list[dict], list[tuple[int, int, str, str]], _Budget]:
    """Copy the messages, count every image and inline byte, and list the remote URLs to download.

    Counting happens before any download, so a request over ``max_images`` costs no traffic.
    """
    if not isinstance(messages, list):
        return messages, [], _Budget(policy)
    budget = _Budget(policy)
    result: list[dict] = []
    remote: list[tuple[int, int, str, str]] = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            result.append(message)
            continue
        for k, part in enumerate(content):
            argument = f"messages[{i}].content[{k}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "image_url":
                budget.add_image(argument)
                url = _image_url(part)
                if isinstance(url, str) and url.startswith(("http://", "https://")):
                    remote.append((i, k, url, argument))
                elif isinstance(url, str) and url.startswith("data:"):
                    budget.add_bytes(_data_size(url), argument)
            elif kind == "file" and isinstance(part.get("file"), dict):
                data = part["file"].get("file_data")
                if isinstance(data, str) and data.startswith("data:"):
                    budget.add_bytes(_data_size(data), argument)
        result.append({**message, "content": list(content)})
    return result, remote, budget


def _inline(result: list[dict], i: int, k: int, mime: Optional[str], data: bytes) -> None:
    part = result[i]["content"][k]
    url = f"data:{mime or 'application/octet-stream'};base64,{base64.b64encode(data).decode('ascii')}"
    image_url = part["image_url"]
    result[i]["content"][k] = {**part, "image_url": {**image_url, "url": url} if isinstance(image_url, dict) else url}


def inline_remote_media(messages: list[dict], policy: Optional[MediaPolicy] = None) -> list[dict]:
    """Download every ``http(s)`` image URL in ``messages`` under ``policy`` (default :meth:`MediaPolicy.from_env`).

    Returns new lists whose remote image URLs are ``data:`` URLs (the caller's
    messages are not modified). Images (``data:`` ones too) count against
    ``max_images`` and decoded bytes (documents too) against ``max_total_bytes``;
    a ``BadRequestError`` names the first part over a limit or refused.
    """
    from ._media_fetch import fetch_image

    policy = policy if policy is not None else MediaPolicy.from_env()
    result, remote, budget = _plan(messages, policy)
    for i, k, url, argument in remote:
        mime, data = fetch_image(url, policy, argument=argument, limit=MAX_IMAGE_BYTES, budget=budget)
        _inline(result, i, k, mime, data)
    return result


async def ainline_remote_media(messages: list[dict], policy: Optional[MediaPolicy] = None) -> list[dict]:
    """The async twin of :func:`inline_remote_media`: DNS and downloads never block the event loop.

    A request's downloads run concurrently, at most ``_CONCURRENCY`` at once;
    the first failure cancels the others.
    """
    from ._media_fetch import afetch_image

    policy = policy if policy is not None else MediaPolicy.from_env()
    result, remote, budget = _plan(messages, policy)
    if not remote:
        return result
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(i: int, k: int, url: str, argument: str) -> None:
        async with gate:
            mime, data = await afetch_image(url, policy, argument=argument, limit=MAX_IMAGE_BYTES, budget=budget)
        _inline(result, i, k, mime, data)

    tasks = [asyncio.ensure_future(one(*item)) for item in remote]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return result


def _image_url(part: Any) -> Any:
    url = part.get("image_url")
    return url.get("url") if isinstance(url, dict) else url
