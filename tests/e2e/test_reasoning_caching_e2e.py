"""Reasoning and prompt caching end to end: litebed against the emulator over loopback, on the
invoke (Messages, Nova) and Converse routes, streamed and not."""

import pytest

import litebed
from litebed import BadRequestError

SONNET_37 = "anthropic.claude-3-7-sonnet-20250219-v1:0"
ROUTES = [f"bedrock/{SONNET_37}", f"bedrock/converse/{SONNET_37}"]
WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
ASK_42 = [{"role": "user", "content": "What is 6 times 7? [[reply:42]]"}]
ASK_TOOL = [{"role": "user", "content": 'Weather in Paris? [[tool:get_weather {"city": "Paris"}]]'}]
LONG = "Refunds are accepted within 30 days of purchase with a receipt. " * 250


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


def model_requests(emu):
    return [r for r in emu.requests() if r["operation"].startswith(("Invoke", "Converse"))]


# --- thinking -------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ROUTES)
@pytest.mark.parametrize("how", [{"reasoning_effort": "low"}, {"thinking": {"type": "enabled", "budget_tokens": 1500}}])
def test_claude_thinks_and_says_so(model, how, aws):
    response = litebed.completion(model=model, messages=ASK_42, **how, **aws)
    message = response.choices[0].message
    assert message.content == "42"
    (block,) = message.thinking_blocks
    assert block["type"] == "thinking" and block["signature"] and block["thinking"] == message.reasoning_content
    assert 0 < response.usage.completion_tokens_details.reasoning_tokens <= response.usage.completion_tokens


@pytest.mark.parametrize("model", ROUTES)
async def test_claude_streams_its_reasoning_before_the_answer(model, aws):
    stream = await litebed.acompletion(model=model, messages=ASK_42, reasoning_effort="low", stream=True,
                                       stream_options={"include_usage": True}, **aws)
    kinds, reasoning, blocks, answer, usage = [], [], [], [], None
    async for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta.reasoning_content:
                kinds.append("reasoning")
                reasoning.append(delta.reasoning_content)
            if delta.thinking_blocks:
                blocks.extend(delta.thinking_blocks)
            if delta.content:
                kinds.append("content")
                answer.append(delta.content)
    assert "".join(answer) == "42"
    assert kinds.index("content") > max(i for i, k in enumerate(kinds) if k == "reasoning")
    assert len(reasoning) > 1  # streamed in pieces as they arrive, not at the end
    (block,) = blocks
    assert block["thinking"] == "".join(reasoning) and block["signature"]
    assert usage.completion_tokens_details.reasoning_tokens > 0


@pytest.mark.parametrize("model", ROUTES)
def test_a_three_turn_tool_conversation_replays_the_thinking_blocks(model, aws):
    messages = list(ASK_TOOL)
    follow_ups = ['And tomorrow? [[tool:get_weather {"city": "Paris"}]]', None]
    for follow_up in follow_ups:  # two rounds of tool calls, each answered with the blocks sent back
        response = litebed.completion(model=model, messages=messages, tools=[WEATHER], reasoning_effort="low", **aws)
        assistant = response.choices[0].message
        assert response.choices[0].finish_reason == "tool_calls" and assistant.thinking_blocks
        messages.append(assistant.model_dump(exclude_none=True))
        messages.append({"role": "tool", "tool_call_id": assistant.tool_calls[0].id, "content": "18C and sunny"})
        if follow_up:
            messages.append({"role": "user", "content": follow_up})
    final = litebed.completion(model=model, messages=messages, tools=[WEATHER], reasoning_effort="low", **aws)
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.thinking_blocks


@pytest.mark.parametrize("model", ROUTES)
def test_an_altered_signature_is_refused_by_bedrock(model, aws):
    first = litebed.completion(model=model, messages=ASK_TOOL, tools=[WEATHER], reasoning_effort="low", **aws)
    assistant = first.choices[0].message.model_dump(exclude_none=True)
    assistant["thinking_blocks"][0]["signature"] = "A" + assistant["thinking_blocks"][0]["signature"][1:]
    history = [*ASK_TOOL, assistant, {"role": "tool", "tool_call_id": assistant["tool_calls"][0]["id"], "content": "18C"}]
    with pytest.raises(BadRequestError) as caught:
        litebed.completion(model=model, messages=history, tools=[WEATHER], reasoning_effort="low", num_retries=0, **aws)
    assert caught.value.bedrock_code == "ValidationException" and "signature" in str(caught.value)


@pytest.mark.parametrize("model", ROUTES)
def test_dropped_thinking_blocks_are_refused_before_sending(model, aws, emu):
    first = litebed.completion(model=model, messages=ASK_TOOL, tools=[WEATHER], reasoning_effort="low", **aws)
    assistant = first.choices[0].message.model_dump(exclude_none=True)
    del assistant["thinking_blocks"]
    history = [*ASK_TOOL, assistant, {"role": "tool", "tool_call_id": assistant["tool_calls"][0]["id"], "content": "18C"}]
    sent = len(model_requests(emu))
    with pytest.raises(BadRequestError, match="thinking_blocks") as caught:
        litebed.completion(model=model, messages=history, tools=[WEATHER], reasoning_effort="low", **aws)
    assert caught.value.bedrock_code is None and len(model_requests(emu)) == sent


@pytest.mark.parametrize("model", ["bedrock/deepseek.r1-v1:0", "bedrock/converse/deepseek.r1-v1:0"])
@pytest.mark.parametrize("stream", [False, True])
def test_deepseek_r1_reasoning_lands_in_reasoning_content(model, stream, aws):
    if not stream:
        message = litebed.completion(model=model, messages=ASK_42, **aws).choices[0].message
        reasoning, content = message.reasoning_content, message.content
    else:
        deltas = [c.choices[0].delta for c in litebed.completion(model=model, messages=ASK_42, stream=True, **aws)]
        reasoning = "".join(d.reasoning_content or "" for d in deltas)
        content = "".join(d.content or "" for d in deltas)
    assert content == "42"
    assert reasoning and "42" not in reasoning.split()[-1:]  # reasoning, not the answer


# --- prompt caching -------------------------------------------------------------------------

CACHED = [
    {"role": "system", "content": [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]},
    {"role": "user", "content": [{"type": "text", "text": LONG + " (the customer's letter)"},
                                 {"type": "text", "text": "Summarise. [[reply:Done.]]"}],
     "cache_control": {"type": "ephemeral"}},
]
CACHING_MODELS = [f"bedrock/{SONNET_37}", f"bedrock/converse/{SONNET_37}", "bedrock/amazon.nova-pro-v1:0",
                  "bedrock/converse/amazon.nova-pro-v1:0"]


@pytest.mark.parametrize("model", CACHING_MODELS)
@pytest.mark.parametrize("stream", [False, True])
def test_checkpoints_write_then_read(model, stream, aws):
    def usage():
        if not stream:
            return litebed.completion(model=model, messages=CACHED, **aws).usage
        chunks = list(litebed.completion(model=model, messages=CACHED, stream=True,
                                         stream_options={"include_usage": True}, **aws))
        return chunks[-1].usage

    first, second = usage(), usage()
    assert first.cache_creation_input_tokens > 0 and first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens and second.cache_creation_input_tokens == 0
    assert second.prompt_tokens_details.cached_tokens == second.cache_read_input_tokens
    assert first.prompt_tokens == second.prompt_tokens >= first.cache_creation_input_tokens


@pytest.mark.parametrize("model", [f"bedrock/{SONNET_37}", f"bedrock/converse/{SONNET_37}"])
def test_a_tools_checkpoint_caches_the_tool_definitions(model, aws):
    tools = [{"type": "function", "function": {"name": f"tool_{i}", "description": LONG[:3000],
                                               "parameters": {"type": "object", "properties": {}}}} for i in range(3)]
    tools[-1]["cache_control"] = {"type": "ephemeral"}
    first = litebed.completion(model=model, messages=ASK_42, tools=tools, **aws).usage
    second = litebed.completion(model=model, messages=ASK_42, tools=tools, **aws).usage
    assert first.cache_creation_input_tokens > 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens


def test_too_many_checkpoints_are_refused_before_sending(aws, emu):
    marked = [{"role": ("user", "assistant")[i % 2], "content": LONG, "cache_control": {"type": "ephemeral"}}
              for i in range(5)]
    sent = len(model_requests(emu))
    with pytest.raises(BadRequestError, match="at most 4"):
        litebed.completion(model=f"bedrock/{SONNET_37}", messages=marked, **aws)
    assert len(model_requests(emu)) == sent


def test_without_markers_nothing_is_cached_and_the_usage_says_so(aws):
    plain = [{"role": "system", "content": LONG}, *ASK_42]
    usage = litebed.completion(model=f"bedrock/{SONNET_37}", messages=plain, **aws).usage
    assert (usage.cache_read_input_tokens or 0) == 0 and (usage.cache_creation_input_tokens or 0) == 0
