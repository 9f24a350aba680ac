"""Cohere families: Command (§5.5), Command R/R+ (§5.6), Embed v3 (§5.14)."""

import math

import pytest

from litebed.emulator.families import ValidationFailed, family_for
from litebed.emulator.tokens import count_tokens

COMMAND, R, EMBED = "cohere.command-text-v14", "cohere.command-r-v1:0", "cohere.embed-english-v3"


def generate(model_id, body, *, stream=False):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=stream)
    return family.generate(body, model_id=model_id, stream=stream)


def rejection(model_id, body, *, stream=False):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=stream)
    return info.value.message


# -- Command ------------------------------------------------------------------------

def test_command_generations():
    body = generate(COMMAND, {"prompt": "hi", "num_generations": 2, "max_tokens": 50}).body
    assert body["prompt"] == "hi" and body["id"]
    assert [(g["index"], g["text"], g["finish_reason"]) for g in body["generations"]] == [
        (0, "Echo: hi", "COMPLETE"), (1, "Echo: hi (2)", "COMPLETE")]
    assert body["generations"][0]["id"] != body["generations"][1]["id"]


def test_command_default_max_tokens_is_20_and_cuts():
    generation = generate(COMMAND, {"prompt": "[[words:40]]"})
    assert generation.body["generations"][0]["finish_reason"] == "MAX_TOKENS"
    assert generation.output_tokens == 20


def test_command_stream_requires_the_stream_flag():
    chunks = generate(COMMAND, {"prompt": "[[words:2]]", "stream": True}, stream=True).chunks
    assert chunks[:2] == [{"text": "w1", "is_finished": False}, {"text": " w2", "is_finished": False}]
    assert chunks[-1]["is_finished"] is True and chunks[-1]["finish_reason"] == "COMPLETE"
    assert "requires \"stream\": true" in rejection(COMMAND, {"prompt": "x"}, stream=True)
    assert "#/stream" in rejection(COMMAND, {"prompt": "x", "stream": True})


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [prompt]"),
    ({"prompt": "x", "num_generations": 6}, "#/num_generations"),
    ({"prompt": "x", "temperature": 5.5}, "#/temperature"),
    ({"prompt": "x", "p": 1.5}, "#/p"),
    ({"prompt": "x", "k": 501}, "#/k"),
    ({"prompt": "x", "return_likelihoods": "SOME"}, "#/return_likelihoods"),
    ({"prompt": "x", "truncate": "MIDDLE"}, "#/truncate"),
    ({"prompt": "x", "stop_sequences": ["a", "b", "c", "d", "e"]}, "#/stop_sequences"),
    ({"prompt": "x", "logit_bias": {"11": 20}}, "#/logit_bias/11"),
    ({"prompt": "x", "n": 2}, "extraneous key [n]"),
    ({"prompt": "x", "top_p": 0.5}, "extraneous key [top_p]"),
    ({"prompt": "x", "message": "y"}, "extraneous key [message]"),
])
def test_command_rejections(body, fragment):
    assert fragment in rejection(COMMAND, body)


# -- Command R ----------------------------------------------------------------------

def test_command_r_answer():
    body = {"message": "hi", "chat_history": [{"role": "USER", "message": "a"}, {"role": "CHATBOT", "message": "b"}],
            "preamble": "p", "seed": 3, "max_tokens": 50}
    answer = generate(R, body)
    assert answer.body["text"] == "Echo: hi" and answer.body["finish_reason"] == "COMPLETE"
    assert answer.body["meta"]["billed_units"] == {"input_tokens": count_tokens("p\na\nb\nhi"),
                                                   "output_tokens": count_tokens("Echo: hi")}
    assert "tool_calls" not in answer.body


def test_command_r_tool_calls_and_stream():
    body = {"message": '[[tool:get_weather {"city": "Rome"}]]',
            "tools": [{"name": "get_weather", "description": "w",
                       "parameter_definitions": {"city": {"type": "str", "required": True}}}]}
    answer = generate(R, body).body
    assert answer["tool_calls"] == [{"name": "get_weather", "parameters": {"city": "Rome"}}]
    chunks = generate(R, body, stream=True).chunks
    assert [c["event_type"] for c in chunks] == ["stream-start", "tool-calls-generation", "stream-end"]
    assert chunks[-1]["is_finished"] is True and chunks[-1]["response"]["tool_calls"] == answer["tool_calls"]


def test_command_r_stream_text_and_stop_sequence():
    chunks = generate(R, {"message": "[[words:4]]", "stop_sequences": ["w3"]}, stream=True).chunks
    assert "".join(c.get("text", "") for c in chunks if c["event_type"] == "text-generation") == "w1 w2 "
    assert chunks[-1]["finish_reason"] == "STOP_SEQUENCE"


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [message]"),
    ({"message": "x", "chat_history": [{"role": "ASSISTANT", "message": "y"}]}, "#/chat_history/0/role"),
    ({"message": "x", "prompt_truncation": "ON"}, "#/prompt_truncation"),
    ({"message": "x", "temperature": 1.5}, "#/temperature"),
    ({"message": "x", "tools": [{"name": "f"}]}, "required key [description]"),
    ({"message": "x", "tools": [{"name": "f", "description": "d", "parameter_definitions": {"a": {"required": True}}}]},
     "#/tools/0/parameter_definitions/a: required key [type]"),
    ({"message": "x", "messages": []}, "extraneous key [messages]"),
    ({"message": "x", "tool_choice": "auto"}, "extraneous key [tool_choice]"),
    ({"message": "x", "stream_options": {}}, "extraneous key [stream_options]"),
])
def test_command_r_rejections(body, fragment):
    assert fragment in rejection(R, body)


# -- Embed --------------------------------------------------------------------------

def test_embed_floats():
    body = generate(EMBED, {"texts": ["hello", "world"], "input_type": "search_document"}).body
    assert body["response_type"] == "embeddings_floats" and body["texts"] == ["hello", "world"]
    assert [len(v) for v in body["embeddings"]] == [1024, 1024]
    assert math.isclose(sum(v * v for v in body["embeddings"][0]), 1.0, rel_tol=1e-5)


def test_embed_by_type():
    body = generate(EMBED, {"texts": ["a"], "input_type": "search_query", "embedding_types": ["float", "int8", "ubinary"]}).body
    assert body["response_type"] == "embeddings_by_type"
    floats, int8, ubinary = (body["embeddings"][k][0] for k in ("float", "int8", "ubinary"))
    assert len(int8) == 1024 and all(-128 <= v <= 127 for v in int8)
    assert len(ubinary) == 128 and all(0 <= v <= 255 for v in ubinary)
    assert [v > 0 for v in int8 if v] == [f > 0 for f, i in zip(floats, int8, strict=True) if i]


@pytest.mark.parametrize("body, fragment", [
    ({"texts": ["a"]}, "required key [input_type]"),
    ({"texts": ["a"], "input_type": "query"}, "#/input_type"),
    ({"texts": [], "input_type": "search_query"}, "#/texts: expected minimum item count: 1"),
    ({"texts": ["a"] * 97, "input_type": "search_query"}, "#/texts: expected maximum item count: 96"),
    ({"texts": ["a" * 2049], "input_type": "search_query"}, "#/texts/0: expected maxLength: 2048"),
    ({"texts": ["a"], "input_type": "search_query", "truncate": "MIDDLE"}, "#/truncate"),
    ({"texts": ["a"], "input_type": "search_query", "embedding_types": ["fp16"]}, "#/embedding_types/0"),
    ({"texts": ["a"], "input_type": "search_query", "dimensions": 256}, "extraneous key [dimensions]"),
    ({"input_type": "image"}, "exactly one of [texts, images]"),
])
def test_embed_rejections(body, fragment):
    assert fragment in rejection(EMBED, body)
