"""Tools and JSON output on the InvokeModel route, for the native bodies that have tools
(Claude Messages, Cohere Command R, Mistral Large chat), against the emulator."""

import json

import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

import litebed

WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Current weather",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                           "required": ["city"]}}}
TIME = {"type": "function", "function": {"name": "get_time", "description": "Time now",
                                         "parameters": {"type": "object", "properties": {}}}}
TOOL_MODELS = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "cohere.command-r-plus-v1:0",
    "mistral.mistral-large-2407-v1:0",
]
STREAMED_TOOL_MODELS = ["anthropic.claude-3-haiku-20240307-v1:0"]


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


def ask(text='Weather in Paris? [[tool:get_weather {"city": "Paris"}]]'):
    return {"role": "user", "content": text}


@pytest.mark.parametrize("model", TOOL_MODELS)
def test_round_trip(model, aws, emu):
    first = litebed.completion(model=f"bedrock/{model}", messages=[ask()], tools=[WEATHER], **aws)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id
    messages = [
        ask(),
        {"role": "assistant", "content": choice.message.content, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"},
        {"role": "user", "content": "[[reply:It is 18C in Paris.]]"},
    ]
    second = litebed.completion(model=f"bedrock/{model}", messages=messages, tools=[WEATHER], **aws)
    assert second.choices[0].message.content == "It is 18C in Paris."
    assert second.choices[0].finish_reason == "stop"
    assert "18C and sunny" in json.dumps(emu.requests()[-1]["body"])


@pytest.mark.parametrize("model", TOOL_MODELS)
async def test_parallel_calls_keep_order_async(model, aws):
    response = await litebed.acompletion(
        model=f"bedrock/{model}",
        messages=[ask('[[tool:get_weather {"city": "Oslo"}]] [[tool:get_time {}]]')],
        tools=[WEATHER, TIME],
        **aws,
    )
    names = [c.function.name for c in response.choices[0].message.tool_calls]
    assert names == ["get_weather", "get_time"]
    assert len({c.id for c in response.choices[0].message.tool_calls}) == 2


@pytest.mark.parametrize("model", STREAMED_TOOL_MODELS)
def test_streamed_tool_deltas_rebuild_the_calls(model, aws):
    messages = [ask('[[tool:get_weather {"city": "Oslo"}]] [[tool:get_time {}]]')]
    whole = litebed.completion(model=f"bedrock/{model}", messages=messages, tools=[WEATHER, TIME], **aws)
    state = ChatCompletionStreamState()
    for chunk in litebed.completion(model=f"bedrock/{model}", messages=messages, tools=[WEATHER, TIME], stream=True, **aws):
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk.model_dump()))
    rebuilt = state.get_final_completion().choices[0]
    assert rebuilt.finish_reason == "tool_calls"
    expected = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in whole.choices[0].message.tool_calls]
    got = [(c.id, c.function.name, json.loads(c.function.arguments)) for c in rebuilt.message.tool_calls]
    assert got == expected


def test_claude_tool_choice_variants_reach_the_body(aws, emu):
    model = "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
    cases = [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
    ]
    for choice, expected in cases:
        litebed.completion(model=model, messages=[ask()], tools=[WEATHER], tool_choice=choice, **aws)
        assert emu.requests()[-1]["body"]["tool_choice"] == expected
    litebed.completion(model=model, messages=[ask("hi")], tools=[WEATHER], tool_choice="none", **aws)
    assert "tools" not in emu.requests()[-1]["body"]


@pytest.mark.parametrize("fmt", [
    {"type": "json_object"},
    {"type": "json_schema", "json_schema": {"name": "city", "schema": {"type": "object", "properties": {"city": {"type": "string"}}}}},
])
@pytest.mark.parametrize("stream", [False, True])
def test_claude_json_output(fmt, stream, aws):
    # The emulated model honours tool directives; steer it to fill the forced JSON tool.
    messages = [ask('Where? [[tool:json_response {"city": "Paris"}]]')]
    result = litebed.completion(model="bedrock/anthropic.claude-3-haiku-20240307-v1:0", messages=messages,
                                response_format=fmt, stream=stream, **aws)
    if stream:
        chunks = list(result)
        content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        assert not any(c.choices[0].delta.tool_calls for c in chunks if c.choices)
    else:
        content, finish = result.choices[0].message.content, [result.choices[0].finish_reason]
        assert result.choices[0].message.tool_calls is None
    assert json.loads(content) == {"city": "Paris"}
    assert finish == ["stop"]


@pytest.mark.parametrize("model", ["anthropic.claude-v2", "amazon.titan-text-express-v1", "meta.llama3-8b-instruct-v1:0"])
def test_family_without_tools_points_to_converse(model, aws, emu):
    with pytest.raises(litebed.UnsupportedParamsError, match="converse"):
        litebed.completion(model=f"bedrock/{model}", messages=[ask()], tools=[WEATHER], **aws)
    assert emu.requests() == []
