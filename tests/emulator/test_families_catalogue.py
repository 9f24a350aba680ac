"""The families package contract: family_for, catalogue, count_tokens."""

import base64
import json

import pytest

from litebed.emulator.families import Family, ValidationFailed, catalogue, count_tokens, family_for
from litebed.emulator.tokens import count_tokens as tokens

CLAUDE2_BODY = {"prompt": "\n\nHuman: hello\n\nAssistant:", "max_tokens_to_sample": 10}


def test_every_catalogue_entry_is_served_and_well_formed():
    entries = catalogue()
    assert len({e["modelId"] for e in entries}) == len(entries) >= 60
    for entry in entries:
        family = family_for(entry["modelId"])
        assert isinstance(family, Family)
        assert entry["responseStreamingSupported"] is family.streaming
        assert entry["inferenceTypesSupported"] == ["ON_DEMAND"]
        assert set(entry["outputModalities"]) <= {"TEXT", "IMAGE", "EMBEDDING"} and entry["providerName"]


@pytest.mark.parametrize("model_id, family_name", [
    ("anthropic.claude-v2:1", "anthropic-text"), ("anthropic.claude-sonnet-4-20250514-v1:0", "anthropic-messages"),
    ("amazon.titan-tg1-large", "titan-text"), ("amazon.nova-premier-v1:0", "nova"),
    ("cohere.command-light-text-v14", "cohere-command"), ("cohere.command-r-plus-v1:0", "cohere-chat"),
    ("ai21.j2-mid-v1", "ai21-j2"), ("ai21.jamba-1-5-mini-v1:0", "ai21-jamba"),
    ("meta.llama3-3-70b-instruct-v1:0", "llama"), ("mistral.mixtral-8x7b-instruct-v0:1", "mistral-text"),
    ("mistral.mistral-large-2407-v1:0", "mistral-large"), ("amazon.titan-embed-g1-text-02", "titan-embed"),
    ("cohere.embed-multilingual-v3", "cohere-embed"), ("stability.stable-diffusion-xl-v0", "stability-sdxl"),
    ("stability.stable-image-ultra-v1:0", "stability-image"), ("amazon.nova-canvas-v1:0", "titan-image"),
])
def test_family_for(model_id, family_name):
    assert family_for(model_id).name == family_name


def test_unknown_models_have_no_family():
    assert family_for("anthropic.claude-9") is None and family_for("us.anthropic.claude-v2") is None


def test_streaming_flags():
    streaming = {e["modelId"]: e["responseStreamingSupported"] for e in catalogue()}
    assert streaming["ai21.j2-ultra-v1"] is False and streaming["cohere.embed-english-v3"] is False
    assert streaming["amazon.titan-image-generator-v1"] is False and streaming["meta.llama2-13b-chat-v1"] is True


def test_count_tokens_for_an_invoke_body():
    encoded = base64.b64encode(json.dumps(CLAUDE2_BODY).encode()).decode()
    assert count_tokens({"input": {"invokeModel": {"body": encoded}}}, model_id="anthropic.claude-v2") == \
        tokens(CLAUDE2_BODY["prompt"])


def test_count_tokens_for_a_converse_request():
    request = {"messages": [{"role": "user", "content": [{"text": "hello there"}]}], "system": [{"text": "sys"}]}
    assert count_tokens({"input": {"converse": request}}, model_id="anthropic.claude-3-haiku-20240307-v1:0") == \
        tokens("sys\nhello there")


@pytest.mark.parametrize("body", [
    {}, {"input": {}}, {"input": {"invokeModel": {"body": "not base64!"}}},
    {"input": {"invokeModel": {"body": base64.b64encode(b'{"prompt": "x"}').decode()}}},
])
def test_count_tokens_rejections(body):
    with pytest.raises(ValidationFailed):
        count_tokens(body, model_id="anthropic.claude-v2")
