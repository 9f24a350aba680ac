"""Opaque ARNs resolved to their base model through the emulator's control plane."""

from __future__ import annotations

import os

import pytest

import litebed
from litebed import _arn as arn
from litebed._auth.credentials import AuthOptions, clear_cache
from litebed._transport.sender import get_client
from litebed.errors import NotFoundError

ACCOUNT = "arn:aws:bedrock:us-east-1:123456789012"
CASES = [
    (ACCOUNT + ":provisioned-model/abc123def456", "GetProvisionedModelThroughput", "anthropic.claude-v2"),
    (ACCOUNT + ":custom-model/amazon.titan-text-express-v1/abcdef123456", "GetCustomModel", "amazon.titan-text-express-v1"),
    (ACCOUNT + ":imported-model/abc123def456", "GetImportedModel", "meta.llama3-8b-instruct-v1:0"),
    (ACCOUNT + ":application-inference-profile/abc123def456", "GetInferenceProfile",
     "anthropic.claude-3-haiku-20240307-v1:0"),
]
CONTROL_OPERATIONS = {operation for _, operation, _ in CASES}


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clear_cache()
    arn.clear_cache()
    yield
    arn.clear_cache()


@pytest.fixture
def client(emu):
    return get_client(AuthOptions(aws_bedrock_runtime_endpoint=emu.base_url, **emu.credentials))


def control_calls(emu):
    return [(r["operation"], r["model_id"]) for r in emu.requests() if r["operation"] in CONTROL_OPERATIONS]


@pytest.mark.parametrize("model_arn, operation, base", CASES)
def test_resolve_base_model_once(emu, client, model_arn, operation, base):
    assert arn.resolve_base_model(client, model_arn) == base
    assert arn.resolve_base_model(client, model_arn) == base
    assert control_calls(emu) == [(operation, model_arn)]


@pytest.mark.parametrize("model_arn, operation, base", CASES)
async def test_aresolve_base_model_once(emu, client, model_arn, operation, base):
    assert await arn.aresolve_base_model(client, model_arn) == base
    assert arn.resolve_base_model(client, model_arn) == base
    assert control_calls(emu) == [(operation, model_arn)]


def test_registered_model_and_completion_through_an_arn(emu):
    profile = ACCOUNT + ":application-inference-profile/zzz999yyy888"
    emu.register_model(profile, "anthropic.claude-v2")
    for _ in range(2):
        reply = litebed.completion(model="bedrock/" + profile, messages=[{"role": "user", "content": "hi"}],
                                   api_base=emu.base_url, **emu.credentials)
        assert reply.choices[0].message.content == "Echo: hi"
    assert control_calls(emu) == [("GetInferenceProfile", profile)]
    assert [r["model_id"] for r in emu.requests() if r["operation"] == "InvokeModel"] == [profile, profile]


def test_unknown_arn_says_how_to_name_the_base_model(emu, client):
    unknown = ACCOUNT + ":provisioned-model/zzzzzzzzzzzz"
    with pytest.raises(NotFoundError) as info:
        arn.resolve_base_model(client, unknown)
    assert "model_id=" in str(info.value) and "base_model=" in str(info.value)
    # a failure is not cached: registering the model makes the next call succeed
    emu.register_model(unknown, "anthropic.claude-v2")
    assert arn.resolve_base_model(client, unknown) == "anthropic.claude-v2"


@pytest.mark.parametrize("model_arn, operation, base", CASES)
def test_model_id_arn_for_completion_and_stream(emu, model_arn, operation, base):
    aws = dict(api_base=emu.base_url, **emu.credentials)
    messages = [{"role": "user", "content": "[[reply:via arn]]"}]
    reply = litebed.completion(model="bedrock/" + base, model_id=model_arn, messages=messages, **aws)
    assert reply.choices[0].message.content == "via arn"
    chunks = list(litebed.completion(model="bedrock/" + base, model_id=model_arn, messages=messages, stream=True, **aws))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "via arn"
    runtime = [r for r in emu.requests() if r["operation"].startswith("Invoke")]
    # The ARN reached the emulator decoded exactly once (percent-encoded once on the wire, signed as sent).
    assert [r["model_id"] for r in runtime] == [model_arn, model_arn]
    assert all(r["status"] == 200 for r in runtime)
    assert control_calls(emu) == []  # model= named the base model: no lookup needed


@pytest.mark.parametrize("model_arn, operation, base", CASES)
async def test_acompletion_resolves_an_arn_without_blocking(emu, model_arn, operation, base):
    aws = dict(api_base=emu.base_url, **emu.credentials)
    for _ in range(2):
        reply = await litebed.acompletion(model="bedrock/" + model_arn, messages=[{"role": "user", "content": "[[reply:ok]]"}], **aws)
        assert reply.choices[0].message.content == "ok"
    assert control_calls(emu) == [(operation, model_arn)]


def test_base_model_hint_skips_the_lookup(emu):
    aws = dict(api_base=emu.base_url, **emu.credentials)
    model_arn = CASES[0][0]
    reply = litebed.completion(model="bedrock/" + model_arn, base_model="anthropic.claude-v2",
                               messages=[{"role": "user", "content": "[[reply:hinted]]"}], **aws)
    assert reply.choices[0].message.content == "hinted"
    assert control_calls(emu) == []


def test_embedding_through_an_application_profile_arn(emu):
    profile = ACCOUNT + ":application-inference-profile/emb123emb456"
    emu.register_model(profile, "amazon.titan-embed-text-v2:0")
    aws = dict(api_base=emu.base_url, **emu.credentials)
    result = litebed.embedding(model="bedrock/amazon.titan-embed-text-v2:0", model_id=profile, input=["a", "b"],
                               dimensions=256, **aws)
    assert [len(d.embedding) for d in result.data] == [256, 256]
    assert [r["model_id"] for r in emu.requests()] == [profile, profile]


def test_cross_region_profile_for_embeddings(emu):
    aws = dict(api_base=emu.base_url, **emu.credentials)
    result = litebed.embedding(model="bedrock/us.cohere.embed-english-v3", input=["a"], **aws)
    assert len(result.data[0].embedding) == 1024
    assert emu.requests()[0]["model_id"] == "us.cohere.embed-english-v3"
