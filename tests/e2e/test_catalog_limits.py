"""The catalog drives what is checked before sending: context windows, output caps, did-you-mean."""

import pytest

import litebed
from litebed import BadRequestError, ContextWindowExceededError

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"


@pytest.fixture
def aws(emu):
    return {"api_base": emu.base_url, **emu.credentials}


def runtime_requests(emu):
    return [r for r in emu.requests() if r["operation"].startswith(("Invoke", "Converse"))]


def test_a_prompt_over_the_context_window_is_refused_before_sending(aws, emu):
    window = litebed.get_model_info(f"bedrock/{HAIKU}")["max_input_tokens"]
    huge = "lorem ipsum dolor sit amet " * (window // 4)  # well over the window in any tokenizer
    with pytest.raises(ContextWindowExceededError, match="context window of 200000 tokens"):
        litebed.completion(model=f"bedrock/{HAIKU}", messages=[{"role": "user", "content": huge}], **aws)
    assert runtime_requests(emu) == []


async def test_async_context_window_check(aws, emu):
    huge = "word " * 300_000
    with pytest.raises(ContextWindowExceededError):
        await litebed.acompletion(model=f"bedrock/us.{HAIKU}", messages=[{"role": "user", "content": huge}], **aws)
    assert runtime_requests(emu) == []


@pytest.mark.parametrize("model,cap", [(HAIKU, 4096), ("anthropic.claude-3-7-sonnet-20250219-v1:0", 64000),
                                       ("qwen.qwen3-32b-v1:0", 16384)])
def test_max_tokens_over_the_models_cap_names_the_cap(aws, emu, model, cap):
    with pytest.raises(BadRequestError, match=f"max_tokens.*{cap}"):
        litebed.completion(model=f"bedrock/{model}", messages=[{"role": "user", "content": "hi"}], max_tokens=cap + 1, **aws)
    assert runtime_requests(emu) == []
    response = litebed.completion(model=f"bedrock/{model}", messages=[{"role": "user", "content": "hi"}], max_tokens=cap, **aws)
    assert response.choices[0].message.content


def test_bedrocks_invalid_identifier_answer_suggests_the_closest_ids(aws, emu):
    with pytest.raises(BadRequestError) as info:
        litebed.completion(model="bedrock/converse/anthropic.claude-3-haku-20240307-v1:0",
                           messages=[{"role": "user", "content": "hi"}], **aws)
    assert "model identifier is invalid" in str(info.value)
    assert f"did you mean '{HAIKU}'" in str(info.value)


def test_get_model_info_for_every_id_form():
    for model in (f"bedrock/{HAIKU}", f"bedrock/converse/us.{HAIKU}", f"bedrock/eu.{HAIKU}",
                  f"bedrock/arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"):
        info = litebed.get_model_info(model)
        assert info["input_cost_per_token"] == 0.25e-6 and info["output_cost_per_token"] == 1.25e-6
        assert info["mode"] == "chat" and info["supports_vision"] is True
    with pytest.raises(BadRequestError, match=HAIKU):
        litebed.get_model_info("bedrock/anthropic.claude-3-haku-20240307-v1:0")


def _catalog_chat_ids():
    from litebed._catalog import all_models

    return sorted(model_id for model_id, entry in all_models().items() if entry["mode"] == "chat")


def test_every_catalog_chat_model_works_offline(aws, emu):
    """Each chat model in the catalog answers through the emulator, on its native body or Converse."""
    failures = {}
    for model_id in _catalog_chat_ids():
        try:
            response = litebed.completion(model=f"bedrock/{model_id}", messages=[{"role": "user", "content": "[[reply:ok]]"}],
                                          max_tokens=20, **aws)
            if response.choices[0].message.content != "ok":
                failures[model_id] = repr(response.choices[0].message.content)
        except litebed.APIError as exc:
            failures[model_id] = str(exc)[:160]
    assert failures == {}


def test_catalog_models_are_listed_by_the_emulators_control_plane(boto3_control):
    listed = {m["modelId"] for m in boto3_control.list_foundation_models()["modelSummaries"]}
    assert set(_catalog_chat_ids()) <= listed


def test_anthropic_long_context_beta_leaves_the_window_to_bedrock(aws, emu):
    sonnet4 = "anthropic.claude-sonnet-4-20250514-v1:0"
    messages = [{"role": "user", "content": "word " * 300_000}]
    with pytest.raises(ContextWindowExceededError):
        litebed.completion(model=f"bedrock/{sonnet4}", messages=messages, **aws)
    assert runtime_requests(emu) == []
    # With the 1M-context beta the catalog's 200K window does not apply: the request is sent.
    try:
        litebed.completion(model=f"bedrock/{sonnet4}", messages=messages,
                           extra_body={"anthropic_beta": ["context-1m-2025-08-07"]}, **aws)
    except ContextWindowExceededError:
        pytest.fail("refused before sending despite the long-context beta")
    except litebed.APIError:
        pass  # whatever Bedrock (here, the emulator) says about the body
    assert len(runtime_requests(emu)) == 1
