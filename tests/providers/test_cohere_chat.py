import json

import pytest

from litebed.errors import BadRequestError, UnsupportedParamsError
from litebed.providers import cohere_chat as fam
from litebed.providers.base import ChatParams, StreamState

TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {
    "type": "object", "required": ["city"], "properties": {
        "city": {"type": "string", "description": "City"}, "days": {"type": "integer"}, "t": {"type": "number"},
        "ok": {"type": "boolean"}, "tags": {"type": "array"}, "opts": {"type": "object"}, "u": {"type": ["string", "null"]},
        "v": {}}}}}


def build(messages, **params):
    return fam.build_request("cohere.command-r-v1:0", messages, ChatParams(**params))


def test_message_history_preamble():
    body = build([
        {"role": "system", "content": "Tutor."},
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": "Capital?"},
    ], max_tokens=100)
    assert body == {
        "message": "Capital?", "max_tokens": 100, "preamble": "Tutor.",
        "chat_history": [{"role": "USER", "message": "Hi"}, {"role": "CHATBOT", "message": "Hello!"}],
    }


def test_params():
    body = build([{"role": "user", "content": "x"}], temperature=1.5, top_p=0.5, stop=["###"], seed=7,
                 presence_penalty=-1, frequency_penalty=1.5, extra={"k": 3, "prompt_truncation": "AUTO_PRESERVE_ORDER"})
    assert {k: body[k] for k in ("temperature", "p", "stop_sequences", "seed", "presence_penalty", "frequency_penalty", "k",
                                 "prompt_truncation")} == {
        "temperature": 1.0, "p": 0.5, "stop_sequences": ["###"], "seed": 7, "presence_penalty": 0.0,
        "frequency_penalty": 1.0, "k": 3, "prompt_truncation": "AUTO_PRESERVE_ORDER"}


def test_tools_become_parameter_definitions():
    body = build([{"role": "user", "content": "x"}], tools=[TOOL])
    assert body["tools"] == [{"name": "get_weather", "description": "Weather", "parameter_definitions": {
        "city": {"type": "str", "required": True, "description": "City"}, "days": {"type": "int", "required": False},
        "t": {"type": "float", "required": False}, "ok": {"type": "bool", "required": False},
        "tags": {"type": "list", "required": False}, "opts": {"type": "dict", "required": False},
        "u": {"type": "str", "required": False}, "v": {"type": "str", "required": False}}}]
    assert "tools" not in build([{"role": "user", "content": "x"}], tools=[TOOL], tool_choice="none")
    with pytest.raises(UnsupportedParamsError):
        build([{"role": "user", "content": "x"}], tools=[TOOL], tool_choice="required")


def test_malformed_schema_types_become_str():
    """A "type" that is not a JSON Schema type name (here unhashable) maps like an unknown one."""
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {
        "a": {"type": {"not": "a type"}}, "b": {"type": [{"x": 1}]}, "c": {"type": 5}}}}}
    body = build([{"role": "user", "content": "x"}], tools=[tool])
    assert body["tools"][0]["parameter_definitions"] == {
        "a": {"type": "str", "required": False}, "b": {"type": "str", "required": False}, "c": {"type": "str", "required": False}}


def test_trailing_tool_results_are_matched_to_their_calls():
    body = build([
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "a", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"id": "b", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}]},
        {"role": "tool", "tool_call_id": "b", "content": '{"temp": "21C"}'},
        {"role": "tool", "tool_call_id": "a", "content": "18C"},
    ], tools=[TOOL])
    assert body["message"] == ""
    assert body["tool_results"] == [
        {"call": {"name": "get_weather", "parameters": {"city": "Rome"}}, "outputs": [{"temp": "21C"}]},
        {"call": {"name": "get_weather", "parameters": {"city": "Paris"}}, "outputs": [{"text": "18C"}]},
    ]
    assert body["chat_history"] == [
        {"role": "USER", "message": "Weather?"},
        {"role": "CHATBOT", "message": "", "tool_calls": [
            {"name": "get_weather", "parameters": {"city": "Paris"}}, {"name": "get_weather", "parameters": {"city": "Rome"}}]},
    ]


def test_earlier_tool_round_stays_in_history():
    body = build([
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "tool_calls": [{"id": "a", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "a", "content": "18C"},
        {"role": "assistant", "content": "It is 18C"},
        {"role": "user", "content": "Thanks"},
    ])
    assert body["message"] == "Thanks"
    assert [e["role"] for e in body["chat_history"]] == ["USER", "CHATBOT", "TOOL", "CHATBOT"]
    assert body["chat_history"][2]["tool_results"][0]["outputs"] == [{"text": "18C"}]


@pytest.mark.parametrize("messages,needle", [
    ([{"role": "system", "content": "s"}], "no user message"),
    ([{"role": "user", "content": "x"}, {"role": "assistant", "content": "pre"}], r"messages\[1\]"),
    ([{"role": "user", "content": ""}], "non-empty"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}], r"messages\[0\]"),
])
def test_inexpressible(messages, needle):
    with pytest.raises(BadRequestError, match=needle):
        build(messages)


@pytest.mark.parametrize("native,expected", [
    ("COMPLETE", "stop"), ("STOP_SEQUENCE", "stop"), ("MAX_TOKENS", "length"), ("ERROR_TOXIC", "content_filter")])
def test_parse_text(native, expected):
    completion = fam.parse_response({"response_id": "r", "generation_id": "g", "text": "Paris.", "finish_reason": native,
                                     "meta": {"billed_units": {"input_tokens": 10, "output_tokens": 3}}})
    assert (completion.choices[0].content, completion.choices[0].finish_reason) == ("Paris.", expected)
    assert (completion.prompt_tokens, completion.completion_tokens) == (10, 3)


def test_parse_tool_calls_get_deterministic_ids():
    body = {"generation_id": "g", "text": "", "finish_reason": "COMPLETE",
            "tool_calls": [{"name": "get_weather", "parameters": {"city": "Paris"}}, {"name": "get_weather", "parameters": {}}]}
    first, again = fam.parse_response(body).choices[0], fam.parse_response(body).choices[0]
    assert first.finish_reason == "tool_calls" and first.content is None
    assert first.tool_calls == again.tool_calls
    ids = [c["id"] for c in first.tool_calls]
    assert len(set(ids)) == 2 and all(i.startswith("call_") for i in ids)
    assert json.loads(first.tool_calls[0]["function"]["arguments"]) == {"city": "Paris"}


def test_stream():
    state = StreamState()
    events = [
        {"event_type": "stream-start", "generation_id": "g", "is_finished": False},
        {"event_type": "text-generation", "text": "Par", "is_finished": False},
        {"event_type": "tool-calls-generation", "tool_calls": [{"name": "f", "parameters": {"a": 1}}]},
        {"event_type": "stream-end", "finish_reason": "COMPLETE", "is_finished": True,
         "response": {"meta": {"billed_units": {"input_tokens": 4, "output_tokens": 2}}}},
    ]
    deltas = [d for e in events for d in fam.parse_stream_event(e, state)]
    assert deltas[0].role == "assistant" and deltas[1].content == "Par"
    call = deltas[2].tool_calls[0]
    assert call["index"] == 0 and call["function"] == {"name": "f", "arguments": '{"a": 1}'}
    assert (deltas[3].finish_reason, deltas[3].prompt_tokens, deltas[3].completion_tokens) == ("tool_calls", 4, 2)
