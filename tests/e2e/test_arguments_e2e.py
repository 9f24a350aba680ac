"""Argument checking against the emulator: refusals happen before anything is sent,
and what is accepted reaches the native body as documented (docs/completion.md)."""

from __future__ import annotations

import asyncio
import importlib.util
import pathlib

import pytest

import litebed
from litebed.errors import BadRequestError, UnsupportedParamsError

_spec = importlib.util.spec_from_file_location("_completion_models", pathlib.Path(__file__).with_name("test_completion.py"))
assert _spec and _spec.loader
_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_models)
MODELS: list[str] = _models.MODELS

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


def user(text):
    return {"role": "user", "content": text}


def sent(emu):
    return [r for r in emu.requests() if r["operation"].startswith(("Invoke", "Converse"))]


@pytest.mark.parametrize("model", [f"bedrock/{CLAUDE}", f"bedrock/converse/{CLAUDE}", "bedrock/amazon.titan-text-express-v1"])
def test_a_misspelt_keyword_is_refused_before_sending(model, aws, emu):
    with pytest.raises(BadRequestError, match=r"^unknown argument 'temprature'; did you mean 'temperature'\?$") as info:
        litebed.completion(model=model, messages=[user("hi")], temprature=0.2, **aws)
    assert info.value.bedrock_code is None
    with pytest.raises(BadRequestError, match="unknown argument 'temprature'"):
        asyncio.run(litebed.acompletion(model=model, messages=[user("hi")], temprature=0.2, drop_params=True, **aws))
    assert sent(emu) == []


def test_extra_body_reaches_the_native_body(aws, emu):
    litebed.completion(model="bedrock/amazon.nova-lite-v1:0", messages=[user("hi")], temperature=0.3,
                       extra_body={"inferenceConfig": {"topK": 20, "temperature": 0.7}}, **aws)
    assert sent(emu)[-1]["body"]["inferenceConfig"] == {"maxTokens": 1024, "temperature": 0.7, "topK": 20}
    litebed.completion(model=f"bedrock/converse/{CLAUDE}", messages=[user("hi")], extra_body={"top_k": 9}, **aws)
    assert sent(emu)[-1]["body"]["additionalModelRequestFields"] == {"top_k": 9}


def test_extra_body_fields_are_not_checked_by_litebed(aws, emu):
    with pytest.raises(BadRequestError) as info:
        litebed.completion(model=f"bedrock/{CLAUDE}", messages=[user("hi")], extra_body={"no_such_field": 1}, **aws)
    assert info.value.bedrock_code == "ValidationException"  # Bedrock's verdict, as asked


@pytest.mark.parametrize("model", MODELS)
def test_user_is_accepted_on_every_model_and_never_in_a_native_body(model, aws, emu):
    response = litebed.completion(model=f"bedrock/{model}", messages=[user("hi [[reply:ok]]")], user="alice", **aws)
    assert response.choices[0].message.content == "ok"
    assert "alice" not in repr(sent(emu)[-1]["body"])


def test_user_is_logged_as_request_metadata_on_converse(aws, emu):
    litebed.completion(model=f"bedrock/converse/{CLAUDE}", messages=[user("hi")], user="alice",
                       requestMetadata={"team": "search"}, **aws)
    assert sent(emu)[-1]["body"]["requestMetadata"] == {"team": "search", "user": "alice"}


def test_command_r_top_p_one_is_sent_as_its_maximum(aws, emu):
    response = litebed.completion(model="bedrock/cohere.command-r-v1:0", messages=[user("hi [[reply:ok]]")], top_p=1.0, **aws)
    assert response.choices[0].message.content == "ok"
    assert sent(emu)[-1]["body"]["p"] == 0.99


def test_max_tokens_above_the_cap_is_refused_naming_it(aws, emu):
    with pytest.raises(BadRequestError, match="max_tokens must be at most 3072 for model 'amazon.titan-text-premier-v1:0'"):
        litebed.completion(model="bedrock/amazon.titan-text-premier-v1:0", messages=[user("hi")], max_tokens=4000, **aws)
    with pytest.raises(BadRequestError, match="at most 4000"):
        litebed.completion(model="bedrock/converse/cohere.command-r-v1:0", messages=[user("hi")], max_completion_tokens=5000, **aws)
    assert sent(emu) == []


def test_more_stops_than_cohere_takes_send_the_first_four(aws, emu):
    stops = ["S1", "S2", "S3", "S4", "S5", "S6"]
    response = litebed.completion(model="bedrock/cohere.command-text-v14", messages=[user("one S2 two")], stop=stops, **aws)
    assert sent(emu)[-1]["body"]["stop_sequences"] == stops[:4]
    content = response.choices[0].message.content
    assert content.startswith("Echo: ") and "one" in content and "S2" not in content and "two" not in content


def test_stops_beyond_the_native_limit_are_trimmed_client_side(aws, emu):
    stops = ["S1", "S2", "S3", "S4", "S5"]
    response = litebed.completion(model="bedrock/cohere.command-text-v14", messages=[user("one S5 two")], stop=stops, **aws)
    content = response.choices[0].message.content
    assert "one" in content and "S5" not in content and "two" not in content


def test_stream_options_must_be_a_dict(aws, emu):
    with pytest.raises(BadRequestError, match="stream_options must be a dict"):
        litebed.completion(model=f"bedrock/{CLAUDE}", messages=[user("hi")], stream=True, stream_options=["include_usage"], **aws)


def test_parallel_tool_calls_false_on_claude(aws, emu):
    response = litebed.completion(model=f"bedrock/{CLAUDE}", messages=[user('w [[tool:get_weather {"city": "Paris"}]]')],
                                  tools=[TOOL], parallel_tool_calls=False, **aws)
    assert response.choices[0].finish_reason == "tool_calls"
    assert sent(emu)[-1]["body"]["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_parallel_tool_calls_false_without_a_field_is_unsupported(aws, emu):
    with pytest.raises(UnsupportedParamsError, match="parallel_tool_calls"):
        litebed.completion(model="bedrock/amazon.nova-lite-v1:0", messages=[user("hi")], tools=[TOOL],
                           parallel_tool_calls=False, **aws)
    assert sent(emu) == []
    litebed.completion(model="bedrock/amazon.nova-lite-v1:0", messages=[user("hi")], tools=[TOOL],
                       parallel_tool_calls=False, drop_params=True, **aws)
    litebed.completion(model="bedrock/amazon.nova-lite-v1:0", messages=[user("hi")], tools=[TOOL], parallel_tool_calls=True, **aws)


PARTS = [{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Answer [[reply:ok]]"}]


@pytest.mark.parametrize("model,expected", [
    (f"bedrock/{CLAUDE}", [{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Answer [[reply:ok]]"}]),
    (f"bedrock/converse/{CLAUDE}", [{"text": "Be terse."}, {"text": "Answer [[reply:ok]]"}]),
    ("bedrock/amazon.nova-lite-v1:0", [{"text": "Be terse."}, {"text": "Answer [[reply:ok]]"}]),
])
def test_text_parts_are_separate_blocks(model, expected, aws, emu):
    assert litebed.completion(model=model, messages=[user(PARTS)], **aws).choices[0].message.content == "ok"
    assert sent(emu)[-1]["body"]["messages"][0]["content"] == expected


def test_text_parts_are_joined_with_a_newline_in_flat_prompts(aws, emu):
    litebed.completion(model="bedrock/amazon.titan-text-express-v1", messages=[user(PARTS)], **aws)
    assert "User: Be terse.\nAnswer [[reply:ok]]\nBot:" in sent(emu)[-1]["body"]["inputText"]


def test_unencodable_text_is_refused_naming_the_message(aws, emu):
    for model in (f"bedrock/{CLAUDE}", f"bedrock/converse/{CLAUDE}", "bedrock/meta.llama3-8b-instruct-v1:0"):
        with pytest.raises(BadRequestError, match=r"messages\[1\].content holds text that cannot be encoded as UTF-8"):
            litebed.completion(model=model, messages=[{"role": "system", "content": "s"}, user("lone \ud83d half")], **aws)
    assert sent(emu) == []


def test_a_tool_call_id_must_be_a_string(aws, emu):
    messages = [user("w"), {"role": "assistant", "content": None, "tool_calls": [
        {"id": 12, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "12", "content": "18C"}]
    with pytest.raises(BadRequestError, match=r"messages\[1\].tool_calls\[0\].id must be a tool call id string"):
        litebed.completion(model=f"bedrock/converse/{CLAUDE}", messages=messages, tools=[TOOL], **aws)
    assert sent(emu) == []
