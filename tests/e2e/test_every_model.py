"""Every model id works: ids with no native body go through Converse, DeepSeek-R1 and
gpt-oss use their documented native bodies, and Jurassic-2 (which Bedrock cannot
stream) streams from one call replayed as chunks — sync and async, plain and
streamed, against the emulator, whose request log shows the operation used.
"""

import base64
import json

import pytest

import litebed
from litebed._completion import ChatArgs, _finish, _target
from litebed.emulator.families.converse import REASONING
from litebed.emulator.tokens import count_tokens

#: Models with no native body format in litebed: sent through Converse.
CONVERSE_IDS = [
    "deepseek.v3-v1:0", "meta.llama4-scout-17b-instruct-v1:0", "meta.llama4-maverick-17b-instruct-v1:0",
    "qwen.qwen3-32b-v1:0", "qwen.qwen3-coder-30b-a3b-v1:0", "mistral.pixtral-large-2502-v1:0", "writer.palmyra-x5-v1:0",
    # ids litebed has no rule of any kind for, which the emulator serves
    "writer.palmyra-x4-v1:0", "qwen.qwen3-235b-a22b-2507-v1:0", "qwen.qwen3-coder-480b-a35b-v1:0",
]
CONVERSE_IDS += [f"us.{model}" for model in CONVERSE_IDS[:7]]
NATIVE_IDS = ["deepseek.r1-v1:0", "us.deepseek.r1-v1:0", "openai.gpt-oss-20b-1:0", "openai.gpt-oss-120b-1:0"]
J2_IDS = ["ai21.j2-mid-v1", "ai21.j2-ultra-v1"]
ALL_IDS = CONVERSE_IDS + NATIVE_IDS + J2_IDS

#: What the emulated reasoning models write besides the reply (counted as output tokens).
R1_THINKING = "Thinking about the request.\n</think>\n\n"
OSS_REASONING = f"<reasoning>{REASONING}</reasoning>"


def user(text):
    return {"role": "user", "content": text}


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


def operations(emu):
    """(operation, model id) of every runtime request the emulator saw."""
    return [(r["operation"], r["model_id"]) for r in emu.requests() if r["operation"] in RUNTIME]


RUNTIME = {"Converse", "ConverseStream", "InvokeModel", "InvokeModelWithResponseStream"}


def expected_operation(model_id, stream):
    if model_id in J2_IDS:
        return "InvokeModel"  # never a stream: one whole answer, replayed
    if model_id in NATIVE_IDS:
        return "InvokeModelWithResponseStream" if stream else "InvokeModel"
    return "ConverseStream" if stream else "Converse"


def output_tokens(model_id, reply):
    base = model_id.removeprefix("us.")
    if base.startswith("deepseek.r1"):
        return count_tokens(R1_THINKING + reply)
    if base.startswith("openai.gpt-oss"):
        return count_tokens(OSS_REASONING + reply)
    return count_tokens(reply)


def check_response(response, model_id, reply="Hello there"):
    assert response.model == f"bedrock/{model_id}"  # the caller's string, whatever the route
    choice = response.choices[0]
    assert (choice.message.role, choice.message.content, choice.finish_reason) == ("assistant", reply, "stop")
    assert response.usage.estimated is False
    assert response.usage.completion_tokens == output_tokens(model_id, reply)


def check_chunks(chunks, model_id, reply="Hello there"):
    choices = [c.choices[0] for c in chunks if c.choices]
    assert choices[0].delta.role == "assistant"
    assert "".join(c.delta.content or "" for c in choices) == reply
    assert [c.finish_reason for c in choices if c.finish_reason] == ["stop"]
    usage = chunks[-1]
    assert usage.choices == [] and usage.usage.estimated is False
    assert usage.usage.completion_tokens == output_tokens(model_id, reply)
    assert {c.model for c in chunks} == {f"bedrock/{model_id}"}


STREAM_OPTIONS = {"include_usage": True}


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_plain(model_id, aws, emu):
    response = litebed.completion(model=f"bedrock/{model_id}", messages=[user("Say [[reply:Hello there]]")], **aws)
    check_response(response, model_id)
    assert operations(emu) == [(expected_operation(model_id, False), model_id)]


@pytest.mark.parametrize("model_id", ALL_IDS)
def test_streamed(model_id, aws, emu):
    stream = litebed.completion(model=f"bedrock/{model_id}", messages=[user("Say [[reply:Hello there]]")], stream=True,
                                stream_options=STREAM_OPTIONS, **aws)
    check_chunks(list(stream), model_id)
    assert operations(emu) == [(expected_operation(model_id, True), model_id)]


@pytest.mark.parametrize("model_id", ALL_IDS)
async def test_async_plain(model_id, aws, emu):
    response = await litebed.acompletion(model=f"bedrock/{model_id}", messages=[user("Say [[reply:Hello there]]")], **aws)
    check_response(response, model_id)
    assert operations(emu) == [(expected_operation(model_id, False), model_id)]


@pytest.mark.parametrize("model_id", ALL_IDS)
async def test_async_streamed(model_id, aws, emu):
    stream = await litebed.acompletion(model=f"bedrock/{model_id}", messages=[user("Say [[reply:Hello there]]")],
                                       stream=True, stream_options=STREAM_OPTIONS, **aws)
    check_chunks([chunk async for chunk in stream], model_id)
    assert operations(emu) == [(expected_operation(model_id, True), model_id)]


# --- how the route is decided (pure: nothing is sent) --------------------------------------


def decide(model, stream=False, **kwargs):
    messages = [user("hi")]
    kwargs["stream"] = stream
    args = ChatArgs.take(kwargs)
    call = _finish(_target(model, messages, args, kwargs), model, messages, args, kwargs)
    return call.api, call.family.FAMILY, call.target_id, call.synthesised_stream


ARN = "arn:aws:bedrock:us-west-2::foundation-model/qwen.qwen3-32b-v1:0"
APP_PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456"


@pytest.mark.parametrize("model, kwargs, expected", [
    ("bedrock/meta.llama4-scout-17b-instruct-v1:0", {}, ("converse", "converse", "meta.llama4-scout-17b-instruct-v1:0", False)),
    ("bedrock/us.writer.palmyra-x5-v1:0", {}, ("converse", "converse", "us.writer.palmyra-x5-v1:0", False)),
    ("bedrock/newco.brand-new-model-v1:0", {}, ("converse", "converse", "newco.brand-new-model-v1:0", False)),
    ("bedrock/converse/deepseek.r1-v1:0", {}, ("converse", "converse", "deepseek.r1-v1:0", False)),
    ("bedrock/deepseek.r1-v1:0", {}, ("invoke", "deepseek", "deepseek.r1-v1:0", False)),
    ("bedrock/invoke/openai.gpt-oss-20b-1:0", {}, ("invoke", "openai-chat", "openai.gpt-oss-20b-1:0", False)),
    ("bedrock/meta.llama3-8b-instruct-v1:0", {}, ("invoke", "llama3", "meta.llama3-8b-instruct-v1:0", False)),
    (f"bedrock/{ARN}", {}, ("converse", "converse", ARN, False)),
    (f"bedrock/{APP_PROFILE}", {"base_model": "writer.palmyra-x5-v1:0"}, ("converse", "converse", APP_PROFILE, False)),
    ("bedrock/ai21.j2-mid-v1", {}, ("invoke", "ai21-j2", "ai21.j2-mid-v1", False)),
])
def test_the_route_decision(model, kwargs, expected):
    assert decide(model, **kwargs) == expected


def test_streams_bedrock_cannot_send_are_synthesised():
    assert decide("bedrock/ai21.j2-ultra-v1", stream=True)[3] is True
    assert decide("bedrock/deepseek.r1-v1:0", stream=True)[3] is False
    assert decide("bedrock/qwen.qwen3-32b-v1:0", stream=True)[3] is False
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert decide("bedrock/converse/meta.llama3-1-8b-instruct-v1:0", stream=True, tools=tools)[3] is True


def test_an_explicit_invoke_route_needs_a_native_body(aws, emu):
    with pytest.raises(litebed.BadRequestError, match="no native chat format .* through Converse"):
        litebed.completion(model="bedrock/invoke/qwen.qwen3-32b-v1:0", messages=[user("hi")], **aws)
    assert operations(emu) == []


def test_an_unknown_id_is_sent_to_converse_and_bedrock_decides(aws, emu):
    with pytest.raises(litebed.BadRequestError, match="model identifier is invalid"):
        litebed.completion(model="bedrock/newco.brand-new-model-v1:0", messages=[user("hi")], **aws)
    assert operations(emu) == [("Converse", "newco.brand-new-model-v1:0")]


def test_explicit_converse_route_still_works_for_native_models(aws, emu):
    response = litebed.completion(model="bedrock/converse/deepseek.r1-v1:0", messages=[user("[[reply:Hi]]")], **aws)
    assert response.choices[0].message.content == "Hi"  # the reasoningContent block is not content
    assert response.usage.completion_tokens == count_tokens(REASONING + "Hi")
    chunks = list(litebed.completion(model="bedrock/converse/openai.gpt-oss-20b-1:0", messages=[user("[[reply:Hi]]")],
                                     stream=True, **aws))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hi"
    assert [op for op, _ in operations(emu)] == ["Converse", "ConverseStream"]


# --- what the fallback carries: system prompts, turns, tools, images -----------------------

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
                                                                                 "properties": {"city": {"type": "string"}}}}}]
ASK_TOOL = user('Weather? [[tool:get_weather {"city": "Paris"}]]')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def last_body(emu):
    return [r for r in emu.requests() if r["operation"] in RUNTIME][-1]["body"]


@pytest.mark.parametrize("model_id", ["deepseek.v3-v1:0", "us.qwen.qwen3-32b-v1:0", "writer.palmyra-x5-v1:0"])
def test_system_and_turns_through_the_fallback(model_id, aws, emu):
    messages = [{"role": "system", "content": "Be brief."}, user("Q1"), {"role": "assistant", "content": "A1"},
                user("[[reply:A2]]")]
    response = litebed.completion(model=f"bedrock/{model_id}", messages=messages, max_tokens=50, temperature=0.2, **aws)
    assert response.choices[0].message.content == "A2"
    body = last_body(emu)
    assert body["system"] == [{"text": "Be brief."}] and len(body["messages"]) == 3
    assert body["inferenceConfig"] == {"maxTokens": 50, "temperature": 0.2}


@pytest.mark.parametrize("model_id", ["meta.llama4-maverick-17b-instruct-v1:0", "mistral.pixtral-large-2502-v1:0",
                                      "deepseek.v3-v1:0", "qwen.qwen3-coder-30b-a3b-v1:0", "writer.palmyra-x5-v1:0"])
async def test_tools_through_the_fallback(model_id, aws, emu):
    response = await litebed.acompletion(model=f"bedrock/{model_id}", messages=[ASK_TOOL], tools=TOOLS, **aws)
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert (choice.message.tool_calls[0].function.name, json.loads(choice.message.tool_calls[0].function.arguments)) == (
        "get_weather", {"city": "Paris"})
    assert "toolConfig" in last_body(emu)


@pytest.mark.parametrize("model_id", ["deepseek.v3-v1:0", "qwen.qwen3-32b-v1:0", "writer.palmyra-x5-v1:0"])
def test_streamed_tools_through_the_fallback(model_id, aws, emu):
    chunks = list(litebed.completion(model=f"bedrock/{model_id}", messages=[ASK_TOOL], tools=TOOLS, stream=True, **aws))
    calls = [call for c in chunks if c.choices for call in c.choices[0].delta.tool_calls or []]
    assert calls[0].function.name == "get_weather"
    assert json.loads("".join(c.function.arguments or "" for c in calls)) == {"city": "Paris"}
    assert operations(emu) == [("ConverseStream", model_id)]


@pytest.mark.parametrize("model_id", ["meta.llama4-scout-17b-instruct-v1:0", "mistral.pixtral-large-2502-v1:0"])
def test_streamed_tools_on_models_without_stream_tool_use_are_synthesised(model_id, aws, emu):
    chunks = list(litebed.completion(model=f"bedrock/{model_id}", messages=[ASK_TOOL], tools=TOOLS, stream=True, **aws))
    calls = [call for c in chunks if c.choices for call in c.choices[0].delta.tool_calls or []]
    assert calls[0].function.name == "get_weather"
    assert operations(emu) == [("Converse", model_id)]


@pytest.mark.parametrize("model_id", ["meta.llama4-scout-17b-instruct-v1:0", "us.mistral.pixtral-large-2502-v1:0"])
def test_images_through_the_fallback(model_id, aws, emu):
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    content = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": url}}]
    response = litebed.completion(model=f"bedrock/{model_id}", messages=[user(content)], **aws)
    assert response.choices[0].message.content == "Echo: What is this?"
    image = last_body(emu)["messages"][0]["content"][1]["image"]
    assert image["format"] == "png" and base64.b64decode(image["source"]["bytes"]) == PNG


# --- the native bodies end to end --------------------------------------------------------


def test_deepseek_r1_body_and_parameters(aws, emu):
    messages = [{"role": "system", "content": "Be brief."}, user("[[reply:red green STOP blue]]")]
    response = litebed.completion(model="bedrock/us.deepseek.r1-v1:0", messages=messages, max_tokens=300,
                                  temperature=0.5, top_p=0.9, stop=["STOP"], **aws)
    assert response.choices[0].message.content == "red green "
    body = last_body(emu)
    assert body == {"prompt": "<\uff5cbegin\u2581of\u2581sentence\uff5c>Be brief.<\uff5cUser\uff5c>[[reply:red green STOP blue]]"
                              "<\uff5cAssistant\uff5c><think>\n",
                    "max_tokens": 300, "temperature": 0.5, "top_p": 0.9, "stop": ["STOP"]}


def test_deepseek_r1_cut_inside_its_reasoning(aws):
    response = litebed.completion(model="bedrock/deepseek.r1-v1:0", messages=[user("[[words:40]]")], max_tokens=4, **aws)
    assert response.choices[0].finish_reason == "length"
    assert response.choices[0].message.content == ""  # all of it was reasoning
    assert response.usage.completion_tokens == 4
    chunks = list(litebed.completion(model="bedrock/deepseek.r1-v1:0", messages=[user("[[words:40]]")], max_tokens=4,
                                     stream=True, **aws))
    assert not any(c.choices[0].delta.content for c in chunks)
    assert chunks[-1].choices[0].finish_reason == "length"


def test_deepseek_r1_prefill(aws, emu):
    messages = [user("[[reply:Paris]]"), {"role": "assistant", "content": "The capital is"}]
    response = litebed.completion(model="bedrock/deepseek.r1-v1:0", messages=messages, **aws)
    assert last_body(emu)["prompt"].endswith("<\uff5cAssistant\uff5c>The capital is")
    # the emulated model still writes its reasoning block; the continuation after it is the content
    assert response.choices[0].message.content == "Paris"


def test_deepseek_r1_n_fans_out(aws, emu):
    response = litebed.completion(model="bedrock/deepseek.r1-v1:0", messages=[user("[[reply:x]]")], n=2, **aws)
    assert [c.message.content for c in response.choices] == ["x", "x"]
    assert [op for op, _ in operations(emu)] == ["InvokeModel", "InvokeModel"]


def test_gpt_oss_body_tools_and_extra_body(aws, emu):
    messages = [{"role": "system", "content": "Be brief."}, ASK_TOOL]
    response = litebed.completion(model="bedrock/openai.gpt-oss-120b-1:0", messages=messages, tools=TOOLS,
                                  tool_choice="auto", max_tokens=200, extra_body={"reasoning_effort": "low"}, **aws)
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    body = last_body(emu)
    assert body["messages"] == [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": ASK_TOOL["content"]}]
    assert (body["max_completion_tokens"], body["reasoning_effort"], body["tool_choice"]) == (200, "low", "auto")
    followup = [*messages, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
                {"role": "tool", "tool_call_id": call.id, "content": "18C"}]
    answer = litebed.completion(model="bedrock/openai.gpt-oss-120b-1:0", messages=followup, tools=TOOLS, **aws)
    assert answer.choices[0].message.content == "Echo: 18C"


async def test_gpt_oss_streamed_tools(aws, emu):
    stream = await litebed.acompletion(model="bedrock/openai.gpt-oss-20b-1:0", messages=[ASK_TOOL], tools=TOOLS,
                                       stream=True, **aws)
    chunks = [chunk async for chunk in stream]
    calls = [call for c in chunks if c.choices for call in c.choices[0].delta.tool_calls or []]
    assert calls[0].id and calls[0].function.name == "get_weather"
    assert json.loads("".join(c.function.arguments or "" for c in calls)) == {"city": "Paris"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]
    assert not any(c.choices[0].delta.content for c in chunks if c.choices)  # the reasoning block is dropped
    assert operations(emu) == [("InvokeModelWithResponseStream", "openai.gpt-oss-20b-1:0")]


def test_gpt_oss_refuses_images_before_sending(aws, emu):
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    with pytest.raises(litebed.BadRequestError):
        litebed.completion(model="bedrock/openai.gpt-oss-20b-1:0",
                           messages=[user([{"type": "image_url", "image_url": {"url": url}}])], **aws)
    assert operations(emu) == []


# --- Jurassic-2: a stream made from one call -----------------------------------------------


@pytest.mark.parametrize("model_id", J2_IDS)
def test_j2_stream_is_one_call_replayed(model_id, aws, emu):
    chunks = list(litebed.completion(model=f"bedrock/{model_id}", messages=[user("[[reply:a b c]]")], stream=True, **aws))
    assert [c.choices[0].delta.model_dump(exclude_none=True) for c in chunks] == [
        {"role": "assistant", "content": ""}, {"content": "a b c"}, {}]
    assert chunks[-1].choices[0].finish_reason == "stop" and all(c.usage is None for c in chunks)
    assert len({c.id for c in chunks}) == 1
    (entry,) = [r for r in emu.requests() if r["operation"] in RUNTIME]
    assert entry["operation"] == "InvokeModel" and entry["status"] == 200


async def test_j2_stream_with_n_and_stop(aws, emu):
    stream = await litebed.acompletion(model="bedrock/ai21.j2-mid-v1", messages=[user("[[reply:one two STOP three]]")],
                                       stream=True, n=2, stop=["STOP"], stream_options=STREAM_OPTIONS, **aws)
    chunks = [chunk async for chunk in stream]
    for index in (0, 1):
        mine = [c.choices[0] for c in chunks if c.choices and c.choices[0].index == index]
        assert "".join(c.delta.content or "" for c in mine) == "one two "
        assert [c.finish_reason for c in mine if c.finish_reason] == ["stop"]
    assert chunks[-1].usage.completion_tokens == 2 * count_tokens("one two ")
    assert [op for op, _ in operations(emu)] == ["InvokeModel", "InvokeModel"]


def test_stream_options_still_need_a_stream(aws):
    with pytest.raises(litebed.BadRequestError, match="stream_options"):
        litebed.completion(model="bedrock/ai21.j2-mid-v1", messages=[user("hi")], stream_options=STREAM_OPTIONS, **aws)
