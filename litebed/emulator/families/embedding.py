"""Deterministic embedding vectors shared by the Titan and Cohere embedding families."""

from __future__ import annotations

import hashlib
import math
import random


def vector(text: str, dimensions: int, *, normalize: bool = True) -> list[float]:
    """A pseudo-random vector that depends only on ``text`` and ``dimensions``."""
    seed = int.from_bytes(hashlib.sha256(f"{dimensions}:{text}".encode()).digest()[:8], "big")
    rng = random.Random(seed)
    values = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    if normalize:
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        values = [v / norm for v in values]
    return [round(v, 8) for v in values]


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
