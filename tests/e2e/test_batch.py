"""embed_batch() / aembed_batch() against the emulator, including under faults."""

import pytest

from litebed import BatchResult, aembed_batch, embed_batch, embedding

TITAN = "bedrock/amazon.titan-embed-text-v2:0"


@pytest.fixture
def kw(emu):
    return {"api_base": emu.base_url, **emu.credentials}


def test_every_record_exactly_once_under_throttling_and_resets(emu, kw, monkeypatch):
    # Correctness, not patience, is under test: shrink the transport's backoff.
    monkeypatch.setattr("litebed._transport.retry.INITIAL_BACKOFF", 0.01)
    monkeypatch.setattr("litebed._transport.retry.MAX_BACKOFF", 0.05)
    texts = [f"record {i}" for i in range(2000)]
    clean = embedding(TITAN, texts, dimensions=256, **kw)
    emu.reset()
    emu.configure(throttle=0.2, reset=0.02, seed=1)
    batch = embed_batch(enumerate(texts), TITAN, dimensions=256, concurrency=64, **kw)
    results = list(batch)
    assert sorted(r.id for r in results) == list(range(2000))
    assert all(r.ok for r in results)
    for result in results:
        assert result.embedding == clean.data[result.id].embedding
    assert sum(r.tokens for r in results) == clean.usage.prompt_tokens == batch.stats.tokens
    assert batch.stats.done == 2000 and batch.stats.failed == 0 and batch.stats.requests == 2000
    faults = [r["fault"] for r in emu.requests()]
    assert "throttle" in faults and "reset" in faults


def test_bad_records_and_failed_requests_become_results(emu, kw):
    emu.configure(script=["ok", "throttle", "throttle"])
    records = [("a", "fine"), ("b", "doomed"), ("c", ""), ("d", 7)]
    results = {r.id: r for r in embed_batch(records, TITAN, concurrency=1, num_retries=1, **kw)}
    assert results["a"].ok and len(results["a"].embedding) == 1024
    assert results["b"].error.startswith("RateLimitError")
    assert results["c"].error == "text is an empty string"
    assert results["d"].error == "text must be a string, got int"


def test_cohere_groups_96_and_shares_tokens(emu, kw):
    records = [{"id": f"r{i}", "text": f"doc {i}"} for i in range(200)]
    batch = embed_batch(records, "bedrock/cohere.embed-english-v3", input_type="search_query", **kw)
    results = list(batch)
    assert len(results) == 200 and batch.stats.requests == 3
    assert sorted(len(r["body"]["texts"]) for r in emu.requests()) == [8, 96, 96]
    assert {r["body"]["input_type"] for r in emu.requests()} == {"search_query"}
    assert sum(r.tokens for r in results) == sum((len(f"doc {i}") + 2) // 3 for i in range(200))


async def test_async_batch(emu, kw):
    results = [r async for r in aembed_batch(["x", "y", ""], TITAN, **kw)]
    assert sorted(r.id for r in results) == [0, 1, 2]
    assert isinstance(results[0], BatchResult)
    assert [r.ok for r in sorted(results, key=lambda r: r.id)] == [True, True, False]
