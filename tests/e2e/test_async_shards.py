"""Async requests spread over several small httpx pools per event loop (client._AsyncShards)."""

import asyncio

import pytest

import litebed
from litebed.client import ASYNC_SHARD_SIZE, get_client
from litebed.credentials import AuthOptions

MODEL = "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": "[[reply:ok]]"}]


@pytest.fixture
def kw(emu):
    return {"api_base": emu.base_url, **emu.credentials}


def _shards(kw):
    return get_client(AuthOptions.from_kwargs(dict(kw))).ahttp


async def test_sequential_calls_stay_on_one_pool(emu, kw):
    for _ in range(3):
        response = await litebed.acompletion(model=MODEL, messages=MESSAGES, **kw)
        assert response.choices[0].message.content == "ok"
    shards = _shards(kw)
    assert len(shards._clients) == 1
    assert shards._busy == [0]


async def test_concurrent_calls_open_more_pools_and_release_them(emu, kw):
    emu.configure(latency_ms=50)
    n = ASYNC_SHARD_SIZE * 3
    responses = await asyncio.gather(*(litebed.acompletion(model=MODEL, messages=MESSAGES, **kw) for _ in range(n)))
    assert [r.choices[0].message.content for r in responses] == ["ok"] * n
    shards = _shards(kw)
    assert len(shards._clients) >= 3
    assert sum(shards._busy) == 0


async def test_a_stream_holds_its_pool_until_closed(emu, kw):
    stream = await litebed.acompletion(model=MODEL, messages=[{"role": "user", "content": "[[words:5]]"}], stream=True, **kw)
    first = await stream.__anext__()  # the request is sent on first iteration
    shards = _shards(kw)
    assert sum(shards._busy) == 1
    chunks = [first] + [chunk async for chunk in stream]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert sum(shards._busy) == 0


async def test_a_stream_closed_early_releases_its_pool(emu, kw):
    stream = await litebed.acompletion(model=MODEL, messages=[{"role": "user", "content": "[[words:50]]"}], stream=True, **kw)
    await stream.__anext__()
    await stream.aclose()
    assert sum(_shards(kw)._busy) == 0
