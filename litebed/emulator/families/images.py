"""Tiny PNG and JPEG encoders for the image families: real, decodable solid-colour images."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def colour_for(*parts: object) -> tuple[int, int, int]:
    """A colour derived from ``parts`` (prompt, seed, index...)."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return digest[0], digest[1], digest[2]


def solid_png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` filled with ``colour``."""
    row = b"\x00" + bytes(colour) * width          # filter type 0 + pixels
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(row * height, 6)) + _chunk(b"IEND", b""))


def png_base64(width: int, height: int, *parts: object) -> str:
    """A base64 PNG whose colour is derived from ``parts``."""
    return base64.b64encode(solid_png(width, height, colour_for(*parts))).decode("ascii")


def image_base64(fmt: str, width: int, height: int, *parts: object) -> str:
    """A base64 ``png`` or ``jpeg`` image whose colour is derived from ``parts``."""
    encode = solid_jpeg if fmt == "jpeg" else solid_png
    return base64.b64encode(encode(width, height, colour_for(*parts))).decode("ascii")


# Baseline JPEG: 4:4:4, a quantisation table of ones, one DC Huffman table (Annex K
# luminance) and an AC table holding only end-of-block. A solid 8x8 block has only
# a DC coefficient (8 x the level-shifted sample), so every block is "DC diff, EOB".
_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)
_DC_VALUES = tuple(range(12))


def _huffman_codes(bits: tuple[int, ...], values: tuple[int, ...]) -> dict[int, tuple[int, int]]:
    codes, code, index = {}, 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[values[index]] = (code, length)
            code, index = code + 1, index + 1
        code <<= 1
    return codes


class _BitWriter:
    def __init__(self) -> None:
        self.out = bytearray()
        self.acc = 0
        self.count = 0

    def write(self, value: int, length: int) -> None:
        self.acc = (self.acc << length) | (value & ((1 << length) - 1))
        self.count += length
        while self.count >= 8:
            self.count -= 8
            byte = (self.acc >> self.count) & 0xFF
            self.out += b"\xff\x00" if byte == 0xFF else bytes((byte,))
        self.acc &= (1 << self.count) - 1

    def finish(self) -> bytes:
        if self.count:
            self.write((1 << (8 - self.count)) - 1, 8 - self.count)
        return bytes(self.out)


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload


def solid_jpeg(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    """A baseline (SOF0) 3-component JPEG of ``width`` x ``height`` filled with ``colour``."""
    r, g, b = colour
    levels = (0.299 * r + 0.587 * g + 0.114 * b,
              128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
              128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
    dcs = [round(8 * (level - 128)) for level in levels]
    dc_codes = _huffman_codes(_DC_BITS, _DC_VALUES)
    writer = _BitWriter()
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    for index in range(blocks):
        for dc in dcs:
            diff = dc if index == 0 else 0
            category = abs(diff).bit_length()
            code, length = dc_codes[category]
            writer.write(code, length)
            if category:
                writer.write(diff if diff > 0 else diff + (1 << category) - 1, category)
            writer.write(0, 1)                       # AC table: EOB is the one-bit code "0"
    components = b"".join(bytes((cid, 0x11, 0)) for cid in (1, 2, 3))
    dht = (bytes((0x00,)) + bytes(_DC_BITS) + bytes(_DC_VALUES)
           + bytes((0x10,)) + bytes((1,) + (0,) * 15) + b"\x00")
    return (b"\xff\xd8"
            + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
            + _segment(0xDB, b"\x00" + b"\x01" * 64)
            + _segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + components)
            + _segment(0xC4, dht)
            + _segment(0xDA, b"\x03" + b"".join(bytes((cid, 0x00)) for cid in (1, 2, 3)) + b"\x00\x3f\x00")
            + writer.finish() + b"\xff\xd9")
