"""Deterministic embedding vectors shared by the Titan and Cohere embedding families."""

from __future__ import annotations

import hashlib
import math
import struct


def vector(text: str, dimensions: int, *, normalize: bool = True) -> list[float]:
    """A pseudo-random vector that depends only on ``text`` and ``dimensions``.

    Components come from a SHAKE-256 stream read as int16s and are truncated to
    7 decimals, whose short ``repr`` keeps JSON small: the emulator answers
    thousands of embedding requests per second in benchmarks, so this is hot.
    """
    digest = hashlib.shake_256(f"{dimensions}:{text}".encode()).digest(2 * dimensions)
    ints = struct.unpack(f">{dimensions}h", digest)
    norm = (math.sqrt(math.fsum(i * i for i in ints)) or 1.0) if normalize else 32768.0
    scale = 1e7 / norm
    return [int(i * scale) / 1e7 for i in ints]


def quantize(values: list[float], kind: str) -> list[int]:
    """Cohere/Titan quantized forms: ``int8``, ``uint8``, ``binary``, ``ubinary``."""
    scale = max((abs(v) for v in values), default=1.0) or 1.0
    if kind in ("int8", "uint8"):
        ints = [max(-128, min(127, round(v / scale * 127))) for v in values]
        return ints if kind == "int8" else [i + 128 for i in ints]
    # binary kinds pack 8 sign bits per byte (Titan's "binary" is one 0/1 per dimension, see titan_embed)
    packed = []
    for start in range(0, len(values), 8):
        byte = 0
        for v in values[start:start + 8]:
            byte = (byte << 1) | (v > 0)
        packed.append(byte)
    return packed if kind == "ubinary" else [b - 256 if b > 127 else b for b in packed]
