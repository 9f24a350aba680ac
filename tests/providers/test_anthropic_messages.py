import json

import pytest

from litebed.errors import BadRequestError
from litebed.providers import anthropic_messages as fam
from litebed.providers.base import ChatParams, StreamState

PNG = "iVBORw0KGgo="
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def build(messages, **params):
    return fam.build_request("anthropic.claude-3-haiku-20240307-v1:0", messages, ChatParams(**params))


def test_plain_body():
    assert build([{"role": "user", "content": "Hi"}], max_tokens=20) == {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 20,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }


def test_system_merge_prefill_and_params():
    body = build(
        [
            {"role": "system", "content": "S1"},
            {"role": "developer", "content": [{"type": "text", "text": "S2"}]},
            {"role": "user", "content": "a"},
            {"role": "user", "content": [{"type": "text", "text": "b"}]},
            {"role": "assistant", "content": "A1"},
            {"role": "user", "content": "c"},
            {"role": "assistant", "content": "{ "},
        ],
        temperature=2, top_p=0.9, stop=["##"], extra={"top_k": 5},
    )
    assert body["system"] == "S1\n\nS2"
    assert body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A1"}]},
        {"role": "user", "content": [{"type": "text", "text": "c"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "{"}]},
    ]
    assert (body["temperature"], body["top_p"], body["stop_sequences"], body["top_k"]) == (1.0, 0.9, ["##"], 5)


def test_blank_prefill_and_empty_assistant_are_dropped():
    body = build([{"role": "user", "content": "a"}, {"role": "assistant", "content": "  "}])
    assert [m["role"] for m in body["messages"]] == ["user"]
    body = build([{"role": "user", "content": "a"}, {"role": "assistant", "content": None}, {"role": "user", "content": "b"}])
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]


def test_data_url_images():
    body = build([{"role": "user", "content": [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": {"url": f"data:image/jpg;base64,{PNG}"}},
    ]}])
    blocks = body["messages"][0]["content"]
    assert blocks[1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    assert blocks[2]["source"]["media_type"] == "image/jpeg"


@pytest.mark.parametrize("url,needle", [
    ("https://example.com/cat.png", "converse route"),
    ("data:image/bmp;base64,AAAA", "png, jpeg, gif or webp"),
    ("data:image/png;base64,@@@", "base64"),
    ("data:image/png,rawdata", "base64 data URL"),
])
def test_bad_images(url, needle):
    with pytest.raises(BadRequestError, match=needle):
        build([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}])


@pytest.mark.parametrize("choice,expected", [
    (None, {"type": "auto"}), ("auto", {"type": "auto"}), ("required", {"type": "any"}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
])
def test_tools_and_tool_choice(choice, expected):
    body = build([{"role": "user", "content": "weather?"}], tools=[WEATHER], tool_choice=choice)
    assert body["tools"] == [{"name": "get_weather", "description": "Weather",
                              "input_schema": WEATHER["function"]["parameters"]}]
    assert body["tool_choice"] == expected


def test_tool_choice_none_omits_tools():
    body = build([{"role": "user", "content": "x"}], tools=[WEATHER], tool_choice="none")
    assert "tools" not in body and "tool_choice" not in body


def test_tool_round_trip():
    messages = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"id": "t2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}},
        ]},
        {"role": "tool", "tool_call_id": "t1", "content": "18C"},
        {"role": "tool", "tool_call_id": "t2", "content": [{"type": "text", "text": "21C"}]},
        {"role": "user", "content": "Thanks"},
    ]
    body = build(messages, tools=[WEATHER])
    assert body["messages"][1] == {"role": "assistant", "content": [
        {"type": "tool_use", "id": "t1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "t2", "name": "get_weather", "input": {"city": "Rome"}},
    ]}
    assert body["messages"][2] == {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": "18C"},
        {"type": "tool_result", "tool_use_id": "t2", "content": "21C"},
        {"type": "text", "text": "Thanks"},
    ]}


@pytest.mark.parametrize("messages,needle", [
    ([{"role": "system", "content": "s"}], "no user message"),
    ([{"role": "assistant", "content": "hi"}, {"role": "user", "content": "x"}], r"messages\[0\]"),
    ([{"role": "user", "content": ""}], r"messages\[0\].*empty"),
    ([{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "zz", "content": "r"}], r"messages\[1\]"),
    ([{"role": "user", "content": "x"}, {"role": "tool", "content": "r"}], "tool_call_id"),
    ([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
        {"id": "a", "function": {"name": "f", "arguments": "{}"}}]}], "no tool message"),
    ([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
        {"id": "a", "function": {"name": "f", "arguments": "not json"}}]},
      {"role": "tool", "tool_call_id": "a", "content": "r"}], "JSON"),
    ([{"role": "user", "content": "x"}, {"role": "wizard", "content": "r"}], r"messages\[1\]\.role"),
    (["not a dict"], r"messages\[0\]"),
])
def test_inexpressible_conversations(messages, needle):
    with pytest.raises(BadRequestError, match=needle):
        build(messages)


@pytest.mark.parametrize("response_format,schema", [
    ({"type": "json_object"}, {"type": "object"}),
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {}}}}},
     {"type": "object", "properties": {"a": {}}}),
])
def test_response_format_forces_the_json_tool(response_format, schema):
    body = build([{"role": "user", "content": "x"}], response_format=response_format)
    assert body["tools"] == [{"name": "json_response", "description": "Respond with a JSON value.", "input_schema": schema}]
    assert body["tool_choice"] == {"type": "tool", "name": "json_response"}


def test_response_format_text_is_a_no_op_and_conflicts_are_refused():
    assert "tools" not in build([{"role": "user", "content": "x"}], response_format={"type": "text"})
    with pytest.raises(BadRequestError, match="cannot be combined"):
        build([{"role": "user", "content": "x"}], tools=[WEATHER], response_format={"type": "json_object"})
    reserved = {"type": "function", "function": {"name": "json_response"}}
    with pytest.raises(BadRequestError, match="reserved"):
        build([{"role": "user", "content": "x"}], tools=[reserved])


@pytest.mark.parametrize("native,expected", [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("refusal", "content_filter"),
])
def test_map_stop_reason(native, expected):
    assert fam.map_stop_reason(native) == expected


def test_parse_text_and_tool_calls():
    completion = fam.parse_response({
        "id": "msg_bdrk_1", "content": [
            {"type": "text", "text": "Let me check. "},
            {"type": "tool_use", "id": "toolu_bdrk_1", "name": "get_weather", "input": {"city": "Paris"}},
        ],
        "stop_reason": "tool_use", "usage": {"input_tokens": 30, "output_tokens": 12},
    })
    choice = completion.choices[0]
    assert choice.content == "Let me check. "
    assert choice.finish_reason == "tool_calls"
    assert choice.tool_calls == [{"id": "toolu_bdrk_1", "type": "function",
                                  "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]
    assert (completion.prompt_tokens, completion.completion_tokens, completion.id) == (30, 12, "msg_bdrk_1")


def test_parse_json_mode():
    completion = fam.parse_response({"content": [
        {"type": "tool_use", "id": "t", "name": "json_response", "input": {"a": 1}}], "stop_reason": "tool_use"})
    choice = completion.choices[0]
    assert (json.loads(choice.content), choice.finish_reason, choice.tool_calls) == ({"a": 1}, "stop", None)


def _run(events):
    state = StreamState()
    return [d for e in events for d in fam.parse_stream_event(e, state)]


def test_stream_text_and_two_tool_calls():
    deltas = _run([
        {"type": "message_start", "message": {"role": "assistant", "content": [], "usage": {"input_tokens": 9}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Checking"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "tu1", "name": "f", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": '{"a":'}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": " 1}"}},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "tu2", "name": "g", "input": {}}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{}"}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 20}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 9}},
    ])
    assert deltas[0].role == "assistant" and deltas[0].prompt_tokens == 9
    assert deltas[1].content == "Checking"
    assert deltas[2].tool_calls == [{"index": 0, "id": "tu1", "type": "function", "function": {"name": "f", "arguments": ""}}]
    assert deltas[3].tool_calls == [{"index": 0, "function": {"arguments": '{"a":'}}]
    assert deltas[4].tool_calls == [{"index": 0, "function": {"arguments": " 1}"}}]
    assert deltas[5].tool_calls[0]["index"] == 1 and deltas[5].tool_calls[0]["id"] == "tu2"
    assert deltas[6].tool_calls == [{"index": 1, "function": {"arguments": "{}"}}]
    assert (deltas[7].finish_reason, deltas[7].completion_tokens) == ("tool_calls", 20)
    assert len(deltas) == 8


def test_stream_json_mode_becomes_content():
    deltas = _run([
        {"type": "message_start", "message": {"usage": {"input_tokens": 3}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "x", "name": "json_response"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": '{"a"'}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": ": 1}"}},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 4}},
    ])
    assert "".join(d.content or "" for d in deltas) == '{"a": 1}'
    assert all(d.tool_calls is None for d in deltas)
    assert deltas[-1].finish_reason == "stop"


def test_tool_results_come_first_in_their_user_turn():
    body = build([
        {"role": "user", "content": "q"},
        {"role": "assistant", "tool_calls": [{"id": "t1", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "user", "content": "also this"},
        {"role": "tool", "tool_call_id": "t1", "content": "r"},
    ], tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}])
    assert [b["type"] for b in body["messages"][2]["content"]] == ["tool_result", "text"]
