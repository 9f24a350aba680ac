"""litebed's asyncio HTTP/1.1 transport (litebed._transport.asyncio_http) against the emulator:
keep-alive reuse, concurrency, streams holding and releasing connections, errors."""

import asyncio

import pytest

import litebed
from litebed._auth.credentials import AuthOptions
from litebed._transport.asyncio_http import AsyncHTTP11Transport
from litebed._transport.pools import MAX_CONNECTIONS
from litebed._transport.sender import get_client

MODEL = "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": "[[reply:ok]]"}]


@pytest.fixture
def kw(emu):
    return {"api_base": emu.base_url, **emu.credentials}


def transport(kw) -> AsyncHTTP11Transport:
    client = get_client(AuthOptions.from_kwargs(dict(kw)))
    send = client.transports._async[asyncio.get_running_loop()][0]
    return send.__self__


def idle(kw) -> int:
    return sum(len(connections) for connections in transport(kw)._idle.values())


def free_slots(kw) -> int:
    return transport(kw)._slots._value


async def test_sequential_calls_reuse_one_connection(emu, kw):
    for _ in range(3):
        response = await litebed.acompletion(model=MODEL, messages=MESSAGES, **kw)
        assert response.choices[0].message.content == "ok"
    assert idle(kw) == 1
    assert free_slots(kw) == MAX_CONNECTIONS


async def test_concurrent_calls_each_get_a_connection_and_give_it_back(emu, kw):
    emu.configure(latency_ms=50)
    responses = await asyncio.gather(*(litebed.acompletion(model=MODEL, messages=MESSAGES, **kw) for _ in range(40)))
    assert [r.choices[0].message.content for r in responses] == ["ok"] * 40
    assert idle(kw) == 40
    assert free_slots(kw) == MAX_CONNECTIONS


async def test_a_stream_holds_its_connection_until_exhausted(emu, kw):
    stream = await litebed.acompletion(model=MODEL, messages=[{"role": "user", "content": "[[words:5]]"}], stream=True, **kw)
    first = await stream.__anext__()
    assert free_slots(kw) == MAX_CONNECTIONS - 1
    chunks = [first] + [chunk async for chunk in stream]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert free_slots(kw) == MAX_CONNECTIONS and idle(kw) == 1


async def test_a_stream_closed_early_closes_its_connection(emu, kw):
    stream = await litebed.acompletion(model=MODEL, messages=[{"role": "user", "content": "[[words:500]]"}], stream=True, **kw)
    await stream.__anext__()
    await stream.aclose()
    assert free_slots(kw) == MAX_CONNECTIONS
    assert idle(kw) == 0  # half-read: never reused
    assert (await litebed.acompletion(model=MODEL, messages=MESSAGES, **kw)).choices[0].message.content == "ok"


async def test_a_dead_idle_connection_is_not_reused(emu, kw):
    await litebed.acompletion(model=MODEL, messages=MESSAGES, **kw)
    (connection,) = [c for cs in transport(kw)._idle.values() for c in cs]
    connection.writer.close()
    await asyncio.sleep(0)
    assert (await litebed.acompletion(model=MODEL, messages=MESSAGES, **kw)).choices[0].message.content == "ok"


async def test_read_timeout_maps_to_api_timeout_error(emu, kw):
    emu.configure(latency_ms=400)
    with pytest.raises(litebed.APITimeoutError):
        await litebed.acompletion(model=MODEL, messages=MESSAGES, timeout=0.1, num_retries=0, **kw)
    assert free_slots(kw) == MAX_CONNECTIONS


async def test_reset_and_truncation_map_to_connection_errors(emu, kw):
    emu.configure(script=["reset"])
    with pytest.raises(litebed.APIConnectionError):
        await litebed.acompletion(model=MODEL, messages=MESSAGES, num_retries=0, **kw)
    emu.configure(script=["truncate"])
    with pytest.raises(litebed.APIConnectionError):
        await litebed.acompletion(model=MODEL, messages=MESSAGES, num_retries=0, **kw)
    assert free_slots(kw) == MAX_CONNECTIONS


async def test_connection_refused_is_a_connection_error(kw):
    dead = dict(kw, api_base="http://127.0.0.1:9")
    with pytest.raises(litebed.APIConnectionError):
        await litebed.acompletion(model=MODEL, messages=MESSAGES, num_retries=0, **dead)


async def test_a_dropped_stream_gives_its_connection_back(emu, kw):
    import gc

    stream = await litebed.acompletion(model=MODEL, messages=[{"role": "user", "content": "[[words:500]]"}], stream=True, **kw)
    await stream.__anext__()
    assert free_slots(kw) == MAX_CONNECTIONS - 1
    del stream
    gc.collect()
    for _ in range(5):  # the loop finalises the abandoned async generators
        await asyncio.sleep(0)
    assert free_slots(kw) == MAX_CONNECTIONS


def test_a_dropped_sync_stream_closes_its_response(emu, kw):
    import gc

    stream = litebed.completion(model=MODEL, messages=[{"role": "user", "content": "[[words:500]]"}], stream=True, **kw)
    next(stream)
    parts = stream._close.__self__  # what the stream shares with its native event stream
    response = parts.events._response
    assert not response.is_closed
    del stream
    gc.collect()
    assert response.is_closed
