"""litebed.Client: configuration, per-call overrides, the transport seam, lifecycle."""

import asyncio
import json

import httpx
import pytest

import litebed
from litebed import BadRequestError, Client, RateLimitError
from litebed._transport import retry as retry_mod

KEYS = {"aws_access_key_id": "AKIACLIENTTESTKEY001", "aws_secret_access_key": "client-test-secret-value", "aws_region_name": "us-east-1"}
CLAUDE_V2 = "bedrock/anthropic.claude-v2"
MESSAGES = [{"role": "user", "content": "Hi"}]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(retry_mod, "backoff_delay", lambda attempt: 0.0)


def claude_text_answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    assert body["prompt"].endswith("\n\nAssistant:")
    return httpx.Response(
        200,
        json={"completion": " Hello from the mock", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"},
        headers={"x-amzn-bedrock-input-token-count": "7", "x-amzn-bedrock-output-token-count": "4"},
    )


def test_mock_transport_serves_sync_calls():
    seen = []

    def handler(request):
        seen.append(request)
        return claude_text_answer(request)

    with Client(transport=httpx.MockTransport(handler), **KEYS) as client:
        response = client.completion(model=CLAUDE_V2, messages=MESSAGES)
    assert response.choices[0].message.content == " Hello from the mock"
    assert response.usage.prompt_tokens == 7 and response.usage.completion_tokens == 4
    assert seen[0].url == "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke"
    assert seen[0].headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIACLIENTTESTKEY001/")


async def test_mock_transport_serves_async_calls():
    async with Client(transport=httpx.MockTransport(claude_text_answer), **KEYS) as client:
        response = await client.acompletion(model=CLAUDE_V2, messages=MESSAGES)
    assert response.choices[0].message.content == " Hello from the mock"


def test_respx_router_as_transport():
    respx = pytest.importorskip("respx")
    router = respx.Router(assert_all_called=True)
    route = router.post(url__regex=r".*/model/anthropic\.claude-v2/invoke").mock(side_effect=claude_text_answer)
    client = Client(transport=httpx.MockTransport(router.handler), **KEYS)
    assert client.completion(model=CLAUDE_V2, messages=MESSAGES).choices[0].message.content == " Hello from the mock"
    assert route.call_count == 1


def test_per_call_keywords_override_the_clients():
    hosts = []

    def handler(request):
        hosts.append(request.url.host)
        return claude_text_answer(request)

    client = Client(transport=httpx.MockTransport(handler), **KEYS)
    client.completion(model=CLAUDE_V2, messages=MESSAGES)
    client.completion(model=CLAUDE_V2, messages=MESSAGES, aws_region_name="eu-west-1")
    assert hosts == ["bedrock-runtime.us-east-1.amazonaws.com", "bedrock-runtime.eu-west-1.amazonaws.com"]


def test_client_num_retries_applies_and_a_call_can_override_it():
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(429, headers={"x-amzn-ErrorType": "ThrottlingException"}, json={"message": "slow down"})

    client = Client(transport=httpx.MockTransport(handler), num_retries=1, **KEYS)
    with pytest.raises(RateLimitError):
        client.completion(model=CLAUDE_V2, messages=MESSAGES)
    assert len(calls) == 2
    calls.clear()
    with pytest.raises(RateLimitError):
        client.completion(model=CLAUDE_V2, messages=MESSAGES, num_retries=3)
    assert len(calls) == 4


def test_stream_errors_raise_from_the_call_not_the_first_iteration():
    def handler(request):
        return httpx.Response(429, headers={"x-amzn-ErrorType": "ThrottlingException"}, json={"message": "slow down"})

    client = Client(transport=httpx.MockTransport(handler), num_retries=0, **KEYS)
    with pytest.raises(RateLimitError):
        client.completion(model=CLAUDE_V2, messages=MESSAGES, stream=True)


async def test_async_stream_errors_raise_from_the_await():
    def handler(request):
        return httpx.Response(400, headers={"x-amzn-ErrorType": "ValidationException"}, json={"message": "bad body"})

    client = Client(transport=httpx.MockTransport(handler), **KEYS)
    with pytest.raises(BadRequestError, match="bad body"):
        await client.acompletion(model=CLAUDE_V2, messages=MESSAGES, stream=True)


def test_stream_request_is_sent_at_the_call():
    sent = []

    def handler(request):
        sent.append(request)
        return httpx.Response(200, content=b"", headers={"content-type": "application/vnd.amazon.eventstream"})

    client = Client(transport=httpx.MockTransport(handler), **KEYS)
    stream = client.completion(model=CLAUDE_V2, messages=MESSAGES, stream=True)
    assert len(sent) == 1 and sent[0].url.path.endswith("/invoke-with-response-stream")
    with pytest.raises(litebed.APIConnectionError, match="ended before the model finished"):
        list(stream)


def test_unknown_client_keyword_names_the_closest():
    with pytest.raises(BadRequestError, match=r"'aws_regoin_name' \(did you mean 'aws_region_name'\?\)"):
        Client(aws_regoin_name="us-east-1")


@pytest.mark.parametrize("bad", ["x", -1, 0, True])
def test_bad_timeout_is_refused_before_any_request(bad):
    def handler(request):  # pragma: no cover - must not be reached
        raise AssertionError("no request expected")

    with pytest.raises(BadRequestError, match="timeout: must be a positive number"):
        Client(timeout=bad)
    client = Client(transport=httpx.MockTransport(handler), **KEYS)
    with pytest.raises(BadRequestError, match="timeout: must be a positive number"):
        client.completion(model=CLAUDE_V2, messages=MESSAGES, timeout=bad)
    with pytest.raises(BadRequestError, match="timeout: must be a positive number"):
        client.embedding(model="bedrock/amazon.titan-embed-text-v2:0", input="x", timeout=bad)


@pytest.mark.parametrize("bad", ["x", -1, 1.5, True])
def test_bad_num_retries_is_refused(bad):
    client = Client(transport=httpx.MockTransport(claude_text_answer), **KEYS)
    with pytest.raises(BadRequestError, match="num_retries: must be a whole number"):
        client.completion(model=CLAUDE_V2, messages=MESSAGES, num_retries=bad)


def test_secrets_stay_out_of_the_clients_repr():
    client = Client(api_key="bedrock-api-key-SECRETVALUE", aws_session_token="SESSIONTOKENSECRET", **KEYS)
    shown = repr(client)
    assert "client-test-secret-value" not in shown and "SECRETVALUE" not in shown and "SESSIONTOKENSECRET" not in shown
    assert "us-east-1" in shown


def test_a_user_transport_exception_becomes_a_litebed_error_and_is_not_retried():
    calls = []

    def handler(request):
        calls.append(1)
        raise RuntimeError("boom")

    client = Client(transport=httpx.MockTransport(handler), **KEYS)
    with pytest.raises(litebed.APIConnectionError, match="the transport raised RuntimeError: boom"):
        client.completion(model=CLAUDE_V2, messages=MESSAGES)
    assert len(calls) == 1


def test_closed_client_refuses_new_calls_without_retrying(monkeypatch):
    waits = []
    monkeypatch.setattr(retry_mod, "backoff_delay", lambda attempt: waits.append(attempt) or 0.0)
    client = Client(**KEYS, api_base="http://127.0.0.1:9")
    client.close()
    with pytest.raises(litebed.APIConnectionError, match="closed"):
        client.completion(model=CLAUDE_V2, messages=MESSAGES)
    assert waits == []


def test_a_header_with_a_line_break_is_a_bad_request_not_a_retry(emu):
    client = Client(api_base=emu.base_url, api_key="bedrock-api-key\nInjected: yes", aws_region_name="us-east-1")
    with pytest.raises(BadRequestError, match="could not be sent"):
        client.completion(model=CLAUDE_V2, messages=MESSAGES)
    assert emu.requests() == []


def test_client_against_the_emulator(emu):
    with Client(api_base=emu.base_url, **emu.credentials) as client:
        response = client.completion(model=CLAUDE_V2, messages=[{"role": "user", "content": "[[reply:pong]]"}])
        vectors = client.embedding(model="bedrock/amazon.titan-embed-text-v2:0", input=["a", "b"])
        chunks = list(client.completion(model=CLAUDE_V2, messages=MESSAGES, stream=True))
    assert response.choices[0].message.content == "pong"
    assert len(vectors.data) == 2
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert client.token_counter(text="hello world") == 2


def test_module_functions_share_one_default_client(emu):
    from litebed._client import default_client

    assert default_client() is default_client()
    response = litebed.completion(model=CLAUDE_V2, messages=MESSAGES, api_base=emu.base_url, **emu.credentials)
    assert response.choices[0].message.content


async def test_async_credential_resolution_runs_off_the_event_loop(monkeypatch):
    """A slow first resolution (profile, credential_process, STS) must not stall the loop."""
    import time

    from litebed._auth import credentials

    original = credentials._resolve

    def slow_resolve(options):
        time.sleep(0.4)  # what a slow STS or credential_process does to the calling thread
        return original(options)

    # Warm up first: a fresh process imports pydantic, httpx and botocore once, on first use.
    await Client(transport=httpx.MockTransport(claude_text_answer), **KEYS).acompletion(model=CLAUDE_V2, messages=MESSAGES)
    monkeypatch.setattr(credentials, "_resolve", slow_resolve)
    client = Client(transport=httpx.MockTransport(claude_text_answer), **KEYS)
    gaps = []

    async def ticker():
        last = time.perf_counter()
        for _ in range(60):
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    tick = asyncio.ensure_future(ticker())
    results = await asyncio.gather(*(client.acompletion(model=CLAUDE_V2, messages=MESSAGES) for _ in range(20)))
    await tick
    assert len(results) == 20
    assert max(gaps) < 0.1, f"the event loop stalled for {max(gaps):.3f} s"
