"""Transport edge cases with respx through the transport seam: encoding, signing, retries, error mapping.

A respx router serves as the Client's transport (``httpx.MockTransport(router.handler)``);
litebed's own transports are tested in tests/transport/ and against the emulator."""

import httpx
import pytest
import respx

import litebed
from litebed import Client
from litebed._auth.credentials import AuthOptions, clear_cache
from litebed._transport import retry as retry_mod

ORIGINAL_BACKOFF = retry_mod.backoff_delay
BASE = "https://bedrock-runtime.us-east-1.amazonaws.com"


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    monkeypatch.setattr(retry_mod, "backoff_delay", lambda attempt: 0.0)
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def router():
    return respx.Router(assert_all_mocked=True)


def make_client(router, **extra):
    options = AuthOptions(
        aws_access_key_id="AKIATESTTESTTESTTEST",
        aws_secret_access_key="test-secret-value",
        aws_region_name="us-east-1",
        **extra,
    )
    return Client(transport=httpx.MockTransport(router.handler)).bedrock(options)


def test_model_id_is_percent_encoded_once_and_signed(router):
    route = router.post(url__regex=r".*/model/.*").mock(return_value=httpx.Response(200, json={"ok": 1}))
    client = make_client(router)
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456"
    assert client.invoke(arn, {"a": 1}).body == {"ok": 1}
    request = route.calls.last.request
    assert request.url.raw_path == (
        b"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprovisioned-model%2Fabc123def456/invoke"
    )
    auth = request.headers["authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIATESTTESTTESTTEST/")
    assert "/us-east-1/bedrock/aws4_request" in auth
    assert request.headers["content-type"] == "application/json"


def test_retries_throttling_then_succeeds(router):
    route = router.post(f"{BASE}/model/anthropic.claude-v2/invoke").mock(
        side_effect=[
            httpx.Response(429, headers={"x-amzn-ErrorType": "ThrottlingException"}, json={"message": "slow"}),
            httpx.Response(503, headers={"x-amzn-ErrorType": "ServiceUnavailableException"}, json={"message": "x"}),
            httpx.Response(200, json={"completion": "hi"}),
        ]
    )
    assert make_client(router).invoke("anthropic.claude-v2", {}).body == {"completion": "hi"}
    assert route.call_count == 3


def test_retries_exhausted_raise_mapped_error(router):
    router.post(f"{BASE}/model/anthropic.claude-v2/invoke").mock(
        return_value=httpx.Response(429, headers={"x-amzn-ErrorType": "ThrottlingException"}, json={"message": "slow"})
    )
    with pytest.raises(litebed.RateLimitError) as info:
        make_client(router).invoke("anthropic.claude-v2", {}, num_retries=1)
    assert info.value.bedrock_code == "ThrottlingException"
    assert info.value.message == "slow"


def test_validation_error_is_not_retried(router):
    route = router.post(f"{BASE}/model/anthropic.claude-v2/invoke").mock(
        return_value=httpx.Response(
            400,
            headers={"x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/"},
            json={"message": "Malformed input request"},
        )
    )
    with pytest.raises(litebed.BadRequestError):
        make_client(router).invoke("anthropic.claude-v2", {})
    assert route.call_count == 1


def test_connection_errors_are_retried_then_mapped(router):
    route = router.post(f"{BASE}/model/m.x/invoke").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(litebed.APIConnectionError):
        make_client(router).invoke("m.x", {}, num_retries=2)
    assert route.call_count == 3


def test_timeouts_map_to_api_timeout_error(router):
    router.post(f"{BASE}/model/m.x/invoke").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(litebed.APITimeoutError):
        make_client(router).invoke("m.x", {}, num_retries=0)


def test_500_stays_500(router):
    router.post(f"{BASE}/model/m.x/invoke").mock(
        return_value=httpx.Response(500, headers={"x-amzn-ErrorType": "InternalServerException"}, json={"message": "oops"})
    )
    with pytest.raises(litebed.InternalServerError) as info:
        make_client(router).invoke("m.x", {}, num_retries=0)
    assert info.value.status_code == 500


def test_bearer_key_replaces_sigv4(router):
    route = router.post(f"{BASE}/model/m.x/invoke").mock(return_value=httpx.Response(200, json={}))
    client = Client(transport=httpx.MockTransport(router.handler)).bedrock(
        AuthOptions(api_key="bedrock-api-key-xyz", aws_region_name="us-east-1")
    )
    client.invoke("m.x", {})
    assert route.calls.last.request.headers["authorization"] == "Bearer bedrock-api-key-xyz"


def test_backoff_grows_and_is_capped(monkeypatch):
    monkeypatch.setattr(retry_mod.random, "uniform", lambda low, high: high)
    delays = [ORIGINAL_BACKOFF(attempt) for attempt in range(8)]
    assert delays[:3] == [0.5, 1.0, 2.0]
    assert max(delays) == retry_mod.MAX_BACKOFF
