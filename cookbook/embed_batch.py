"""Embed a small file with litebed's batch API, against the in-process Bedrock emulator.

    python cookbook/embed_batch.py
"""

import tempfile
from pathlib import Path

from litebed import embed_batch
from litebed.emulator import Emulator

TEXTS = ["The lighthouse keeper lit the lamp.", "Waves broke on the rocks.", "", "A ship passed at dawn."]

with Emulator(latency_ms=5) as emu, tempfile.TemporaryDirectory() as folder:
    source = Path(folder) / "texts.txt"
    source.write_text("\n".join(TEXTS) + "\n")
    records = ((number, line.rstrip("\n")) for number, line in enumerate(source.open(), start=1))
    batch = embed_batch(records, "bedrock/amazon.titan-embed-text-v2:0", dimensions=256,
                        api_base=emu.base_url, **emu.credentials)
    for result in batch:
        if result.ok:
            print(f"line {result.id}: {len(result.embedding)} floats, {result.tokens} tokens")
        else:
            print(f"line {result.id}: failed ({result.error})")
    stats = batch.stats
    print(f"done {stats.done}, failed {stats.failed}, requests {stats.requests}, tokens {stats.tokens}")
