"""Errors, retries and broken streams, end to end through the emulator's faults."""

import pytest

import litebed
from litebed._transport import retry as retry_mod

MODEL = "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
MESSAGES = [{"role": "user", "content": "[[reply:ok then]]"}]


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(retry_mod, "backoff_delay", lambda attempt: 0.0)


def invocations(emu):
    return [r for r in emu.requests() if r["operation"].startswith("Invoke")]


@pytest.mark.parametrize(
    "fault,exc,code,status",
    [
        ("throttle", litebed.RateLimitError, "ThrottlingException", 429),
        ("error500", litebed.InternalServerError, "InternalServerException", 500),
        ("error503", litebed.ServiceUnavailableError, "ServiceUnavailableException", 503),
        ("timeout408", litebed.APITimeoutError, "ModelTimeoutException", 408),
    ],
)
def test_fault_maps_to_openai_class_after_retries(fault, exc, code, status, aws, emu):
    emu.configure(script=[fault] * 10)
    with pytest.raises(exc) as info:
        litebed.completion(model=MODEL, messages=MESSAGES, **aws)
    assert info.value.bedrock_code == code
    assert info.value.status_code == status
    # Default policy: 2 retries, 6 for throttling, none for a model timeout.
    attempts = {"throttle": 7, "timeout408": 1}.get(fault, 3)
    assert len(invocations(emu)) == attempts


def test_retries_are_visible_in_the_log_and_succeed(aws, emu):
    emu.configure(script=["throttle", "error503", "ok"])
    response = litebed.completion(model=MODEL, messages=MESSAGES, **aws)
    assert response.choices[0].message.content == "ok then"
    assert [r["status"] for r in invocations(emu)] == [429, 503, 200]


def test_explicit_num_retries_caps_throttling_too(aws, emu):
    emu.configure(script=["throttle"] * 10)
    with pytest.raises(litebed.RateLimitError):
        litebed.completion(model=MODEL, messages=MESSAGES, num_retries=3, **aws)
    assert len(invocations(emu)) == 4


async def test_async_retries_are_visible_in_the_log_and_succeed(aws, emu):
    emu.configure(script=["error500", "throttle", "ok"])
    response = await litebed.acompletion(model=MODEL, messages=MESSAGES, **aws)
    assert response.choices[0].message.content == "ok then"
    assert [r["status"] for r in invocations(emu)] == [500, 429, 200]


def test_num_retries_zero_fails_fast(aws, emu):
    emu.configure(script=["throttle", "ok"])
    with pytest.raises(litebed.RateLimitError):
        litebed.completion(model=MODEL, messages=MESSAGES, num_retries=0, **aws)
    assert len(invocations(emu)) == 1


def test_connection_reset_is_retried(aws, emu):
    emu.configure(script=["reset", "ok"])
    response = litebed.completion(model=MODEL, messages=MESSAGES, **aws)
    assert response.choices[0].message.content == "ok then"


def test_connection_reset_surfaces_as_api_connection_error(aws, emu):
    emu.configure(script=["reset"] * 3)
    with pytest.raises(litebed.APIConnectionError):
        litebed.completion(model=MODEL, messages=MESSAGES, **aws)


def test_validation_error_from_bedrock_is_bad_request(aws, emu):
    # A leaked native key the Messages API does not accept is rejected by the emulator as Bedrock would.
    with pytest.raises(litebed.BadRequestError) as info:
        litebed.completion(model=MODEL, messages=MESSAGES, extra_body={"top_k": "many"}, **aws)
    assert info.value.bedrock_code == "ValidationException"
    assert len(invocations(emu)) == 1


def test_in_stream_exception_frame_raises_from_iterator(aws, emu):
    emu.configure(script=["stream_exception"])
    stream = litebed.completion(model=MODEL, messages=[{"role": "user", "content": "[[words:20]]"}], stream=True, **aws)
    with pytest.raises(litebed.RateLimitError):
        for _ in stream:
            pass


def test_truncated_stream_never_ends_as_complete(aws, emu):
    emu.configure(script=["truncate"])
    stream = litebed.completion(model=MODEL, messages=[{"role": "user", "content": "[[words:20]]"}], stream=True, **aws)
    with pytest.raises(litebed.APIConnectionError):
        list(stream)


async def test_async_stream_exception_and_truncation(aws, emu):
    for fault, exc in (("stream_exception", litebed.RateLimitError), ("truncate", litebed.APIConnectionError)):
        emu.configure(script=[fault])
        stream = await litebed.acompletion(
            model=MODEL, messages=[{"role": "user", "content": "[[words:20]]"}], stream=True, **aws
        )
        with pytest.raises(exc):
            async for _ in stream:
                pass


def test_wrong_secret_is_permission_denied(emu):
    creds = dict(emu.credentials, aws_secret_access_key="not-the-secret")
    with pytest.raises(litebed.PermissionDeniedError) as info:
        litebed.completion(model=MODEL, messages=MESSAGES, api_base=emu.base_url, **creds)
    assert "not-the-secret" not in str(info.value)


def test_stream_closed_early_releases_connection(aws, emu):
    stream = litebed.completion(model=MODEL, messages=[{"role": "user", "content": "[[words:200]]"}], stream=True, **aws)
    with stream:
        next(stream)
        next(stream)
    # The pool is intact: the next call works on the same client.
    assert litebed.completion(model=MODEL, messages=MESSAGES, **aws).choices[0].message.content == "ok then"


@pytest.mark.parametrize(
    "model",
    ["gpt-4", "bedrock/", "bedrock/ not a model", "openai/anthropic.claude-v2", "bedrock/acme.unknown-model-v1"],
)
def test_bad_model_strings_fail_before_any_request(model, aws, emu):
    with pytest.raises(litebed.BadRequestError):
        litebed.completion(model=model, messages=MESSAGES, **aws)
    assert invocations(emu) == []


def test_unsupported_param_raises_unless_dropped(aws, emu):
    with pytest.raises(litebed.UnsupportedParamsError, match="presence_penalty") as info:
        litebed.completion(model="bedrock/meta.llama3-8b-instruct-v1:0", messages=MESSAGES, presence_penalty=0.5, **aws)
    assert "meta.llama3-8b-instruct-v1:0" in str(info.value)
    assert invocations(emu) == []
    response = litebed.completion(
        model="bedrock/meta.llama3-8b-instruct-v1:0", messages=MESSAGES, presence_penalty=0.5, drop_params=True, **aws
    )
    assert response.choices[0].message.content == "ok then"
    assert "presence_penalty" not in invocations(emu)[0]["body"]


def test_module_level_drop_params(aws, monkeypatch):
    monkeypatch.setattr(litebed, "drop_params", True)
    response = litebed.completion(model="bedrock/meta.llama3-8b-instruct-v1:0", messages=MESSAGES, seed=3, **aws)
    assert response.choices[0].message.content == "ok then"


def test_stream_options_never_leak_into_the_body(aws, emu):
    list(litebed.completion(model=MODEL, messages=MESSAGES, stream=True, stream_options={"include_usage": True}, **aws))
    assert "stream_options" not in invocations(emu)[0]["body"]


def test_bad_arguments_name_themselves(aws):
    with pytest.raises(litebed.BadRequestError, match="temperature"):
        litebed.completion(model=MODEL, messages=MESSAGES, temperature=7, **aws)
    with pytest.raises(litebed.BadRequestError, match="max_tokens"):
        litebed.completion(model=MODEL, messages=MESSAGES, max_tokens=0, **aws)
    with pytest.raises(litebed.BadRequestError, match="messages"):
        litebed.completion(model=MODEL, messages=[], **aws)
    with pytest.raises(litebed.BadRequestError, match="stop"):
        litebed.completion(model=MODEL, messages=MESSAGES, stop=[1, 2], **aws)


def test_proxy_environment_is_honoured(emu, monkeypatch):
    from litebed._auth.credentials import clear_cache

    aws = dict(api_base=emu.base_url, **emu.credentials)
    # Nothing listens on port 9: a proxy there makes every request fail...
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    clear_cache()
    with pytest.raises(litebed.APIConnectionError):
        litebed.completion(model=MODEL, messages=MESSAGES, num_retries=0, **aws)
    assert invocations(emu) == []
    # ...and NO_PROXY exempts the emulator's host again.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    clear_cache()
    assert litebed.completion(model=MODEL, messages=MESSAGES, **aws).choices[0].message.content == "ok then"


async def test_proxy_environment_is_honoured_by_async_calls(emu, monkeypatch):
    from litebed._auth.credentials import clear_cache

    aws = dict(api_base=emu.base_url, **emu.credentials)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    clear_cache()
    with pytest.raises(litebed.APIConnectionError):
        await litebed.acompletion(model=MODEL, messages=MESSAGES, num_retries=0, **aws)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    clear_cache()
    response = await litebed.acompletion(model=MODEL, messages=MESSAGES, **aws)
    assert response.choices[0].message.content == "ok then"
    stream = await litebed.acompletion(model=MODEL, messages=[{"role": "user", "content": "[[words:3]]"}], stream=True, **aws)
    assert "".join([c.choices[0].delta.content or "" async for c in stream if c.choices]) == "w1 w2 w3"
