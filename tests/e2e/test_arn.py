"""Opaque ARNs resolved to their base model through the emulator's control plane."""

from __future__ import annotations

import os

import pytest

import litebed
from litebed import arn
from litebed.client import get_client
from litebed.credentials import AuthOptions, clear_cache
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
