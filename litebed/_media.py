"""Images and documents for the Converse route: ``data:`` URLs and remote URLs.

Bedrock never fetches a URL itself (bedrock-reference §8.1), so an OpenAI
``image_url`` with an ``http(s)`` URL is downloaded here, with litebed's own
httpx client, size-limited and content-type checked. Turn remote fetching off
with ``litebed._media.fetch_remote_media = False`` or the environment variable
``LITEBED_FETCH_REMOTE_MEDIA=0`` (read when this module is imported); remote
URLs are then refused with a ``BadRequestError``.

Every format is checked against the bytes' magic numbers, so a mislabelled
upload fails here with a clear message instead of deep inside the model.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from typing import Any, Optional

from .errors import BadRequestError

__all__ = [
    "DOCUMENT_FORMATS",
    "FETCH_TIMEOUT",
    "IMAGE_FORMATS",
    "MAX_DOCUMENT_BYTES",
    "MAX_IMAGE_BYTES",
    "Media",
    "ainline_remote_media",
    "document_name",
    "fetch_remote_media",
    "load_document",
    "load_image",
    "sniff_image_format",
]

#: Whether ``http(s)`` image URLs are downloaded (True) or refused (False).
fetch_remote_media: bool = os.environ.get("LITEBED_FETCH_REMOTE_MEDIA", "1").strip().lower() not in ("0", "false", "no", "off")

#: Converse limits (bedrock-reference §6.1): images 3.75 MB, documents 4.5 MB each.
MAX_IMAGE_BYTES = 3_750_000
MAX_DOCUMENT_BYTES = 4_500_000
#: Seconds allowed for one remote download (connect, read, whole body).
FETCH_TIMEOUT = 10.0

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

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?)(?P<b64>;base64)?,(?P<data>.*)", re.S)


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
        mime, data = _fetch(url, MAX_IMAGE_BYTES, argument=argument)
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


# --- remote URLs -------------------------------------------------------------


def _refuse_if_disabled(url: str, argument: str) -> None:
    if not fetch_remote_media:
        raise BadRequestError(
            f"{argument}: fetching remote media is turned off (litebed._media.fetch_remote_media / "
            "LITEBED_FETCH_REMOTE_MEDIA); pass the image as a base64 data: URL"
        )


def _content_type(headers: Any) -> Optional[str]:
    value = headers.get("content-type")
    return value.split(";", 1)[0].strip().lower() or None if value else None


def _checked_download(url: str, status: int, headers: Any, argument: str) -> Optional[str]:
    if status != 200:
        raise BadRequestError(f"{argument}: downloading {_shown(url)} failed with HTTP {status}")
    mime = _content_type(headers)
    if mime and not (mime.startswith("image/") or mime == "application/octet-stream"):
        raise BadRequestError(f"{argument}: {_shown(url)} is {mime!r}, not an image")
    length = headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_IMAGE_BYTES:
        raise BadRequestError(f"{argument}: {_shown(url)} is {length} bytes, over Bedrock's limit of {MAX_IMAGE_BYTES}")
    return mime


def _shown(url: str) -> str:
    # The query string may carry a presigned URL's signature: never echo it.
    return repr(url.split("?", 1)[0][:120])


def _fetch(url: str, limit: int, *, argument: str) -> tuple[Optional[str], bytes]:
    import httpx

    _refuse_if_disabled(url, argument)
    try:
        with httpx.Client(timeout=FETCH_TIMEOUT, follow_redirects=True, max_redirects=3) as client:
            with client.stream("GET", url) as response:
                mime = _checked_download(url, response.status_code, response.headers, argument)
                data = bytearray()
                for piece in response.iter_bytes():
                    data += piece
                    if len(data) > limit:
                        raise BadRequestError(f"{argument}: {_shown(url)} is over Bedrock's limit of {limit} bytes")
    except httpx.HTTPError as exc:
        raise BadRequestError(f"{argument}: could not download {_shown(url)}: {type(exc).__name__}") from None
    return mime, bytes(data)


async def _afetch(url: str, limit: int, *, argument: str) -> tuple[Optional[str], bytes]:
    import httpx

    _refuse_if_disabled(url, argument)
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=True, max_redirects=3) as client:
            async with client.stream("GET", url) as response:
                mime = _checked_download(url, response.status_code, response.headers, argument)
                data = bytearray()
                async for piece in response.aiter_bytes():
                    data += piece
                    if len(data) > limit:
                        raise BadRequestError(f"{argument}: {_shown(url)} is over Bedrock's limit of {limit} bytes")
    except httpx.HTTPError as exc:
        raise BadRequestError(f"{argument}: could not download {_shown(url)}: {type(exc).__name__}") from None
    return mime, bytes(data)


async def ainline_remote_media(messages: list[dict]) -> list[dict]:
    """Download every ``http(s)`` image URL in ``messages`` without blocking the loop.

    Returns a copy of ``messages`` whose remote image URLs are replaced by
    ``data:`` URLs (the originals are not modified). ``acompletion`` calls this
    before building a Converse body, so the body builder never does I/O there.
    """
    result = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            result.append(message)
            continue
        parts = []
        for k, part in enumerate(content):
            url = _image_url(part)
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                mime, data = await _afetch(url, MAX_IMAGE_BYTES, argument=f"messages[{i}].content[{k}]")
                inline = f"data:{mime or 'application/octet-stream'};base64,{base64.b64encode(data).decode('ascii')}"
                part = {**part, "image_url": {**part["image_url"], "url": inline}} if isinstance(part["image_url"], dict) else {**part, "image_url": inline}
            parts.append(part)
        result.append({**message, "content": parts})
    return result


def _image_url(part: Any) -> Any:
    if not isinstance(part, dict) or part.get("type") != "image_url":
        return None
    url = part.get("image_url")
    return url.get("url") if isinstance(url, dict) else url
