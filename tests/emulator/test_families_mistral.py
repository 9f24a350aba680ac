"""Mistral families: text completion (§5.10) and chat (§5.11)."""

import json

import pytest

from litebed.emulator.families import ValidationFailed, family_for
from litebed.emulator.tokens import count_tokens

M7B, MIXTRAL, LARGE, LARGE2 = ("mistral.mistral-7b-instruct-v0:2", "mistral.mixtral-8x7b-instruct-v0:1",
                               "mistral.mistral-large-2402-v1:0", "mistral.mistral-large-2407-v1:0")
TOOLS = [{"type": "function", "function": {"name": "top_song", "description": "d", "parameters": {"type": "object"}}}]


def generate(model_id, body, *, stream=False):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=stream)
    return family.generate(body, model_id=model_id, stream=stream)


def rejection(model_id, body):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=False)
    return info.value.message


def test_text_answer_stop_and_stream():
    prompt = "<s>[INST] first [/INST] ok</s> [INST] second [/INST]"
    generation = generate(M7B, {"prompt": prompt, "max_tokens": 50})
    assert generation.body == {"outputs": [{"text": "Echo: second", "stop_reason": "stop"}]}
    assert generation.input_tokens == count_tokens(prompt)
    body = {"prompt": "[INST] [[words:5]] [/INST]", "stop": ["w3"], "max_tokens": 50}
    assert generate(M7B, body).body["outputs"][0]["text"] == "w1 w2 "
    chunks = generate(M7B, body, stream=True).chunks
    assert [c["outputs"][0]["text"] for c in chunks] == ["w1", " w2", " ", ""]
    assert [c["outputs"][0]["stop_reason"] for c in chunks] == [None, None, None, "stop"]
    cut = generate(M7B, {"prompt": "[INST] [[words:9]] [/INST]", "max_tokens": 1}).body
    assert cut == {"outputs": [{"text": "w1 ", "stop_reason": "length"}]}


@pytest.mark.parametrize("model_id, limit", [(M7B, 8192), (MIXTRAL, 4096), (LARGE, 8192)])
def test_text_max_tokens_per_model(model_id, limit):
    generate(model_id, {"prompt": "x", "max_tokens": limit})
    assert "#/max_tokens" in rejection(model_id, {"prompt": "x", "max_tokens": limit + 1})


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [prompt]"),
    ({"prompt": "x", "stop": ["s"] * 11}, "#/stop: expected maximum item count: 10"),
    ({"prompt": "x", "top_k": 0}, "#/top_k"),
    ({"prompt": "x", "temperature": 1.5}, "#/temperature"),
    ({"prompt": "x", "stop_sequences": ["a"]}, "extraneous key [stop_sequences]"),
    ({"prompt": "x", "n": 1}, "extraneous key [n]"),
    ({"prompt": "x", "tools": TOOLS}, "extraneous key [tools]"),
])
def test_text_rejections(body, fragment):
    assert fragment in rejection(M7B, body)


def test_messages_body_is_rejected_by_text_only_models():
    assert "required key [prompt]" in rejection(M7B, {"messages": [{"role": "user", "content": "x"}]})


@pytest.mark.parametrize("model_id", [LARGE, LARGE2])
def test_large_serves_both_bodies(model_id):
    assert generate(model_id, {"prompt": "[INST] a [/INST]"}).body["outputs"][0]["text"] == "Echo: a"
    chat = generate(model_id, {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "b"}]}).body
    assert chat == {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Echo: b"}, "stop_reason": "stop"}]}


def test_chat_tool_calls_round_trip():
    body = {"messages": [{"role": "user", "content": '[[tool:top_song {"sign": "WZPZ"}]]'}], "tools": TOOLS, "tool_choice": "any"}
    choice = generate(LARGE2, body).body["choices"][0]
    (call,) = choice["message"]["tool_calls"]
    assert choice["stop_reason"] == "tool_calls" and len(call["id"]) == 9 and call["id"].isalnum()
    assert call["function"]["name"] == "top_song" and json.loads(call["function"]["arguments"]) == {"sign": "WZPZ"}
    follow_up = {"messages": [*body["messages"], {"role": "assistant", "content": "", "tool_calls": [call]},
                              {"role": "tool", "tool_call_id": call["id"], "content": "Elemental Hotel"}], "tools": TOOLS}
    assert generate(LARGE2, follow_up).body["choices"][0]["message"]["content"] == "Echo: Elemental Hotel"
    none = generate(LARGE2, {**body, "tool_choice": "none"}).body["choices"][0]
    assert none["stop_reason"] == "stop" and "tool_calls" not in none["message"]


def test_chat_stream_pieces_in_message():
    chunks = generate(LARGE2, {"messages": [{"role": "user", "content": "[[words:2]]"}]}, stream=True).chunks
    assert [c["choices"][0]["message"]["content"] for c in chunks] == ["w1", " w2", ""]
    assert chunks[-1]["choices"][0]["stop_reason"] == "stop"


@pytest.mark.parametrize("body, fragment", [
    ({"messages": [{"role": "user", "content": "x"}], "tool_choice": "required"}, "#/tool_choice"),
    ({"messages": [{"role": "user", "content": "x"}], "tool_choice": {"type": "function"}}, "#/tool_choice"),
    ({"messages": [{"role": "user", "content": "x"}], "stream_options": {}}, "extraneous key [stream_options]"),
    ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "extraneous key [n]"),
    ({"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 2}, "extraneous key [max_completion_tokens]"),
    ({"messages": [{"role": "developer", "content": "x"}]}, "#/messages/0/role"),
    ({"messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "abc", "content": "y"}]},
     "tool_call_id [abc] does not match"),
])
def test_chat_rejections(body, fragment):
    assert fragment in rejection(LARGE2, body)
