"""Tool calling on the Converse route against the emulator: round trips (sync,
async, streamed), parallel calls, each tool_choice, streamed deltas accumulated
the way the ``openai`` package accumulates them."""

import json
import runpy
from pathlib import Path

import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

import litebed
from litebed.errors import UnsupportedParamsError

MODEL = "bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0"
WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Current weather",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}
ASK = {"role": "user", "content": 'Weather? [[tool:get_weather {"city": "Paris"}]]'}
ASK_BOTH = {"role": "user", "content": '[[tool:get_weather {"city": "Paris"}]] [[tool:get_time {}]]'}


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


def converse_bodies(emu):
    return [r["body"] for r in emu.requests() if r["operation"].startswith("Converse")]


def follow_up(response, result):
    """The conversation after answering the (single) tool call of ``response`` with the text ``result``."""
    message = response.choices[0].message
    call = message.tool_calls[0]
    assistant = {"role": "assistant", "content": message.content,
                 "tool_calls": [{"id": call.id, "type": "function",
                                 "function": {"name": call.function.name, "arguments": call.function.arguments}}]}
    return [ASK, assistant, {"role": "tool", "tool_call_id": call.id, "content": result}]


def accumulate(chunks):
    """Feed litebed chunks to openai's own stream accumulator; returns the final completion."""
    state = ChatCompletionStreamState()
    for chunk in chunks:
        state.handle_chunk(ChatCompletionChunk.model_validate(chunk.model_dump(exclude_none=True)))
    return state.get_final_completion()


def test_round_trip_sync(emu, aws):
    first = litebed.completion(model=MODEL, messages=[ASK], tools=[WEATHER], **aws)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert (call.type, call.function.name, json.loads(call.function.arguments)) == ("function", "get_weather", {"city": "Paris"})
    assert call.id.startswith("tooluse_")

    second = litebed.completion(model=MODEL, messages=follow_up(first, '{"temp": 18}'), tools=[WEATHER], **aws)
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == 'Echo: {"temp": 18}'
    body = converse_bodies(emu)[-1]
    assert body["messages"][1]["content"][-1]["toolUse"]["toolUseId"] == call.id
    assert body["messages"][2]["content"] == [{"toolResult": {"toolUseId": call.id, "content": [{"json": {"temp": 18}}]}}]


async def test_round_trip_async(emu, aws):
    first = await litebed.acompletion(model=MODEL, messages=[ASK], tools=[WEATHER], **aws)
    assert first.choices[0].message.tool_calls[0].function.name == "get_weather"
    second = await litebed.acompletion(model=MODEL, messages=follow_up(first, "sunny"), tools=[WEATHER], **aws)
    assert second.choices[0].message.content == "Echo: sunny"


def test_streamed_tool_calls_accumulate_like_openai(emu, aws):
    plain = litebed.completion(model=MODEL, messages=[ASK_BOTH], tools=[WEATHER, TIME], **aws)
    chunks = list(litebed.completion(model=MODEL, messages=[ASK_BOTH], tools=[WEATHER, TIME], stream=True,
                                     stream_options={"include_usage": True}, **aws))
    final = accumulate(chunks)
    streamed = [(c.id, c.type, c.function.name, c.function.arguments) for c in final.choices[0].message.tool_calls]
    expected = [(c.id, c.type, c.function.name, c.function.arguments) for c in plain.choices[0].message.tool_calls]
    assert streamed == expected
    assert [name for _, _, name, _ in streamed] == ["get_weather", "get_time"]
    assert final.choices[0].finish_reason == "tool_calls"
    # Usage comes from Converse's metadata event, after messageStop: not an estimate.
    assert chunks[-1].usage.prompt_tokens == plain.usage.prompt_tokens
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    assert chunks[-1].usage.estimated is False


async def test_streamed_round_trip_async(emu, aws):
    stream = await litebed.acompletion(model=MODEL, messages=[ASK], tools=[WEATHER], stream=True, **aws)
    chunks = [chunk async for chunk in stream]
    tool_deltas = [tc for c in chunks for ch in c.choices for tc in (ch.delta.tool_calls or [])]
    assert tool_deltas[0].id and tool_deltas[0].function.name == "get_weather"
    assert all(d.index == 0 and d.id is None and d.function.name is None for d in tool_deltas[1:])
    final = accumulate(chunks)
    call = final.choices[0].message.tool_calls[0]
    messages = [ASK, {"role": "assistant", "content": None, "tool_calls": [
        {"id": call.id, "type": "function", "function": {"name": call.function.name, "arguments": call.function.arguments}}]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C"}]
    stream = await litebed.acompletion(model=MODEL, messages=messages, tools=[WEATHER], stream=True, **aws)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text == "Echo: 18C"


def test_parallel_tool_calls_keep_their_order(emu, aws):
    response = litebed.completion(model=MODEL, messages=[ASK_BOTH], tools=[WEATHER, TIME], **aws)
    calls = response.choices[0].message.tool_calls
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [("get_weather", {"city": "Paris"}), ("get_time", {})]
    assert len({c.id for c in calls}) == 2


@pytest.mark.parametrize("choice,expected", [
    ("auto", {"auto": {}}),
    ("required", {"any": {}}),
    ({"type": "function", "function": {"name": "get_time"}}, {"tool": {"name": "get_time"}}),
])
def test_tool_choice_reaches_bedrock(emu, aws, choice, expected):
    litebed.completion(model=MODEL, messages=[ASK], tools=[WEATHER, TIME], tool_choice=choice, **aws)
    tool_config = converse_bodies(emu)[-1]["toolConfig"]
    assert tool_config["toolChoice"] == expected
    assert [t["toolSpec"]["name"] for t in tool_config["tools"]] == ["get_weather", "get_time"]


def test_tool_choice_none_sends_no_tool_config(emu, aws):
    response = litebed.completion(model=MODEL, messages=[{"role": "user", "content": "hi"}], tools=[WEATHER], tool_choice="none", **aws)
    assert "toolConfig" not in converse_bodies(emu)[-1]
    assert response.choices[0].message.content == "Echo: hi"


def test_tool_choice_none_with_tool_history_keeps_tools(emu, aws):
    first = litebed.completion(model=MODEL, messages=[ASK], tools=[WEATHER], **aws)
    litebed.completion(model=MODEL, messages=follow_up(first, "ok"), tools=[WEATHER], tool_choice="none", **aws)
    assert converse_bodies(emu)[-1]["toolConfig"] == {"tools": [{"toolSpec": {
        "name": "get_weather", "description": "Current weather", "inputSchema": {"json": WEATHER["function"]["parameters"]}}}]}


def test_named_choice_without_native_support_narrows_the_tools(emu, aws):
    litebed.completion(model="bedrock/converse/meta.llama3-1-70b-instruct-v1:0", messages=[ASK], tools=[WEATHER, TIME],
                       tool_choice={"type": "function", "function": {"name": "get_weather"}}, **aws)
    tool_config = converse_bodies(emu)[-1]["toolConfig"]
    assert tool_config["toolChoice"] == {"any": {}}
    assert [t["toolSpec"]["name"] for t in tool_config["tools"]] == ["get_weather"]


def test_model_without_tool_use_is_refused_before_sending(emu, aws):
    with pytest.raises(UnsupportedParamsError, match="meta.llama3-8b-instruct-v1:0"):
        litebed.completion(model="bedrock/converse/meta.llama3-8b-instruct-v1:0", messages=[ASK], tools=[WEATHER], **aws)
    assert converse_bodies(emu) == []


def test_cookbook_example_runs(emu, aws):
    example = runpy.run_path(str(Path(__file__).parents[2] / "cookbook" / "tool_calling.py"))
    answer = example["run"](aws)
    assert json.loads(answer.removeprefix("Echo: ")) == {"city": "Paris", "temperature_c": 18, "sky": "clear"}


LLAMA_31 = "bedrock/converse/meta.llama3-1-70b-instruct-v1:0"
OSLO_TOOLS = [{"type": "function", "function": {"name": "get_weather",
                                                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
OSLO = [{"role": "user", "content": 'weather? [[tool:get_weather {"city": "Oslo"}]]'}]


def assert_replayed_tool_call(emu, chunks):
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [(tc.function.name, tc.function.arguments) for tc in calls] == [("get_weather", '{"city": "Oslo"}')]
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]
    assert chunks[-1].usage.estimated is False
    assert [r["operation"] for r in emu.requests()] == ["Converse"]


def test_streamed_tools_on_model_without_stream_tool_use_are_replayed(emu, aws):
    """Llama 3.1 has tool use on Converse but not on ConverseStream (reference §6.4)."""
    chunks = list(litebed.completion(model=LLAMA_31, messages=OSLO, tools=OSLO_TOOLS, stream=True,
                                     stream_options={"include_usage": True}, **aws))
    assert_replayed_tool_call(emu, chunks)


async def test_async_streamed_tools_on_model_without_stream_tool_use_are_replayed(emu, aws):
    stream = await litebed.acompletion(model=LLAMA_31, messages=OSLO, tools=OSLO_TOOLS, stream=True,
                                       stream_options={"include_usage": True}, **aws)
    async with stream:
        chunks = [chunk async for chunk in stream]
    assert_replayed_tool_call(emu, chunks)
