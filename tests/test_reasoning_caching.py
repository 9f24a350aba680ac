"""reasoning_effort / thinking and cache_control: the bodies litebed sends, the answers it reads,
and the rules checked before sending (a mock transport records each request; no emulator)."""

import json
import logging

import httpx
import pytest

from litebed import BadRequestError, Client, UnsupportedParamsError

KEYS = {"aws_access_key_id": "AKIAREASONTESTKEY001", "aws_secret_access_key": "reason-test-secret", "aws_region_name": "us-east-1"}
SONNET_37 = "bedrock/anthropic.claude-3-7-sonnet-20250219-v1:0"
OPUS_47 = "bedrock/anthropic.claude-opus-4-7"
HAIKU_3 = "bedrock/anthropic.claude-3-haiku-20240307-v1:0"
HAIKU_35 = "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0"
NOVA_PRO = "bedrock/amazon.nova-pro-v1:0"
R1 = "bedrock/deepseek.r1-v1:0"
GPT_OSS = "bedrock/openai.gpt-oss-120b-1:0"
ASK = [{"role": "user", "content": "What is 6 times 7?"}]
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
THINKING = {"type": "thinking", "thinking": "Six sevens are forty-two.", "signature": "c2lnbmF0dXJl"}
REDACTED = {"type": "redacted_thinking", "data": "b3BhcXVl"}


def claude_answer(content, usage=None):
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": content,
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": usage or {"input_tokens": 10, "output_tokens": 20}}


class Recorder:
    """A mock transport that records request bodies and answers with a fixed JSON body."""

    def __init__(self, answer, headers=None):
        self.answer, self.headers, self.bodies = answer, headers or {}, []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return httpx.Response(200, json=self.answer, headers=self.headers)


def call(model, answer=None, headers=None, messages=ASK, **kwargs):
    recorder = Recorder(answer or claude_answer([{"type": "text", "text": "42"}]), headers)
    with Client(transport=httpx.MockTransport(recorder), **KEYS) as client:
        response = client.completion(model=model, messages=messages, **kwargs)
    return response, recorder.bodies[0]


# --- reasoning: what is sent -------------------------------------------------------------


@pytest.mark.parametrize("effort, budget", [("minimal", 1024), ("low", 1024), ("medium", 2048), ("high", 4096)])
def test_reasoning_effort_becomes_a_thinking_budget_with_room_for_the_answer(effort, budget):
    _, body = call(SONNET_37, reasoning_effort=effort)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == budget + 1024  # the default answer room, above the budget


def test_a_max_tokens_under_the_budget_is_raised_by_the_budget_and_one_above_is_kept():
    assert call(SONNET_37, reasoning_effort="medium", max_tokens=500)[1]["max_tokens"] == 2048 + 500
    assert call(SONNET_37, reasoning_effort="medium", max_tokens=9000)[1]["max_tokens"] == 9000


def test_thinking_passes_through_as_anthropic_defines_it():
    _, body = call(SONNET_37, thinking={"type": "enabled", "budget_tokens": 3000}, max_tokens=8000)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 3000} and body["max_tokens"] == 8000


def test_adaptive_models_get_adaptive_thinking_and_an_effort():
    _, body = call(OPUS_47, reasoning_effort="minimal")
    assert body["thinking"] == {"type": "adaptive"} and body["output_config"] == {"effort": "low"}


def test_converse_carries_thinking_in_additional_model_request_fields():
    answer = {"output": {"message": {"role": "assistant", "content": [{"text": "42"}]}}, "stopReason": "end_turn",
              "usage": {"inputTokens": 5, "outputTokens": 6, "totalTokens": 11}}
    _, body = call("bedrock/converse/anthropic.claude-3-7-sonnet-20250219-v1:0", answer, reasoning_effort="high")
    assert body["additionalModelRequestFields"]["thinking"] == {"type": "enabled", "budget_tokens": 4096}
    assert body["inferenceConfig"]["maxTokens"] == 4096 + 1024


def test_gpt_oss_takes_its_native_reasoning_effort():
    answer = {"id": "c1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "42"},
                                       "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
    _, body = call(GPT_OSS, answer, reasoning_effort="high")
    assert body["reasoning_effort"] == "high"


def test_reasoning_effort_none_sends_no_thinking():
    assert "thinking" not in call(SONNET_37, reasoning_effort="none")[1]


def test_models_without_reasoning_refuse_it_unless_drop_params():
    with pytest.raises(UnsupportedParamsError, match="reasoning_effort"):
        call(HAIKU_3, reasoning_effort="low")
    with pytest.raises(UnsupportedParamsError, match="thinking"):
        call(HAIKU_3, thinking={"type": "enabled", "budget_tokens": 2000})
    assert "thinking" not in call(HAIKU_3, reasoning_effort="low", drop_params=True)[1]


def test_deepseek_r1_always_reasons_and_takes_no_effort():
    with pytest.raises(UnsupportedParamsError, match="always reasons"):
        call(R1, {"choices": [{"text": "x", "stop_reason": "stop"}]}, reasoning_effort="high")


@pytest.mark.parametrize("kwargs, name", [
    ({"temperature": 0.5}, "temperature"),
    ({"top_p": 0.5}, "top_p"),
    ({"top_k": 40}, "top_k"),
    ({"tools": [WEATHER], "tool_choice": "required"}, "tool_choice"),
])
def test_sampling_and_forced_tools_conflict_with_thinking(kwargs, name):
    with pytest.raises(UnsupportedParamsError, match=name):
        call(SONNET_37, reasoning_effort="low", **kwargs)
    _, body = call(SONNET_37, reasoning_effort="low", drop_params=True, **kwargs)
    assert {"temperature", "top_p", "top_k"}.isdisjoint(body) and body.get("tool_choice", {}).get("type", "auto") == "auto"


def test_temperature_one_and_high_top_p_are_allowed_with_thinking():
    _, body = call(SONNET_37, reasoning_effort="low", temperature=1, top_p=0.97)
    assert body["temperature"] == 1 and body["top_p"] == 0.97


@pytest.mark.parametrize("kwargs, message", [
    ({"reasoning_effort": "extreme"}, "reasoning_effort must be"),
    ({"thinking": {"type": "enabled", "budget_tokens": 100}}, "thinking.budget_tokens must be"),
    ({"thinking": {"type": "enabled"}}, "thinking.budget_tokens must be"),
    ({"thinking": "on"}, "thinking must be"),
    ({"thinking": {"type": "adaptive"}, "reasoning_effort": "low"}, "not both"),
    ({"reasoning_effort": "low", "response_format": {"type": "json_object"}}, "response_format cannot be combined"),
])
def test_malformed_reasoning_arguments_are_refused_before_sending(kwargs, message):
    with pytest.raises(BadRequestError, match=message):
        call(SONNET_37, **kwargs)


def test_a_budget_that_leaves_no_room_under_the_output_cap_is_refused():
    with pytest.raises(BadRequestError, match="leaves no room"):
        call(SONNET_37, thinking={"type": "enabled", "budget_tokens": 200_000})


def test_a_prefill_is_refused_while_claude_thinks():
    with pytest.raises(BadRequestError, match="pre-filled"):
        call(SONNET_37, messages=[*ASK, {"role": "assistant", "content": "The answer is"}], reasoning_effort="low")


# --- reasoning: what is read ----------------------------------------------------------


def test_thinking_blocks_and_reasoning_content_are_returned():
    answer = claude_answer([THINKING, REDACTED, {"type": "text", "text": "42"}])
    response, _ = call(SONNET_37, answer, reasoning_effort="low")
    message = response.choices[0].message
    assert message.content == "42"
    assert message.reasoning_content == "Six sevens are forty-two."
    assert message.thinking_blocks == [THINKING, REDACTED]
    details = response.usage.completion_tokens_details
    assert 0 < details.reasoning_tokens <= response.usage.completion_tokens


def test_the_returned_message_goes_back_with_its_thinking_blocks_first():
    tool_use = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}
    first, _ = call(SONNET_37, claude_answer([THINKING, tool_use]), tools=[WEATHER], reasoning_effort="low")
    assistant = first.choices[0].message.model_dump(exclude_none=True)
    follow_up = [*ASK, assistant, {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}]
    _, body = call(SONNET_37, messages=follow_up, tools=[WEATHER], reasoning_effort="low")
    replayed = body["messages"][1]["content"]
    assert replayed[0] == THINKING and replayed[1]["type"] == "tool_use"


def test_converse_gets_the_blocks_back_as_reasoning_content():
    tool_call = {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    history = [*ASK, {"role": "assistant", "content": None, "tool_calls": [tool_call], "thinking_blocks": [THINKING, REDACTED]},
               {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}]
    answer = {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}, "stopReason": "end_turn",
              "usage": {"inputTokens": 5, "outputTokens": 6, "totalTokens": 11}}
    _, body = call("bedrock/converse/anthropic.claude-3-7-sonnet-20250219-v1:0", answer, messages=history,
                   tools=[WEATHER], reasoning_effort="low")
    assistant = body["messages"][1]["content"]
    assert assistant[0] == {"reasoningContent": {"reasoningText": {"text": THINKING["thinking"], "signature": THINKING["signature"]}}}
    assert assistant[1] == {"reasoningContent": {"redactedContent": REDACTED["data"]}}
    assert "toolUse" in assistant[2]


def test_dropping_the_thinking_blocks_of_a_tool_turn_is_refused_before_sending():
    tool_call = {"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    history = [*ASK, {"role": "assistant", "content": None, "tool_calls": [tool_call]},
               {"role": "tool", "tool_call_id": "toolu_1", "content": "sunny"}]
    with pytest.raises(BadRequestError, match=r"messages\[1\].*thinking_blocks"):
        call(SONNET_37, messages=history, tools=[WEATHER], reasoning_effort="low")
    call(SONNET_37, messages=history, tools=[WEATHER])  # without thinking the history is fine


def test_malformed_thinking_blocks_are_refused():
    history = [*ASK, {"role": "assistant", "content": "x", "thinking_blocks": [{"type": "thinking", "thinking": "t"}]},
               {"role": "user", "content": "more"}]
    with pytest.raises(BadRequestError, match=r"thinking_blocks\[0\]\.signature"):
        call(SONNET_37, messages=history)


def test_deepseek_and_gpt_oss_reasoning_lands_in_reasoning_content():
    r1, _ = call(R1, {"choices": [{"text": "Let me think.\n</think>\n\n42", "stop_reason": "stop"}]})
    assert (r1.choices[0].message.reasoning_content, r1.choices[0].message.content) == ("Let me think.", "42")
    oss_answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "<reasoning>Think.</reasoning>42"},
                               "finish_reason": "stop"}], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
    oss, _ = call(GPT_OSS, oss_answer)
    assert (oss.choices[0].message.reasoning_content, oss.choices[0].message.content) == ("Think.", "42")


# --- prompt caching -----------------------------------------------------------------------

LONG = "All about the weather. " * 600  # ~3,000 tokens: over every minimum


def test_cache_control_goes_on_the_marked_blocks_and_tools_of_claude():
    messages = [
        {"role": "system", "content": [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]},
        {"role": "user", "content": [{"type": "text", "text": LONG}, {"type": "text", "text": "Now?"}],
         "cache_control": {"type": "ephemeral"}},
    ]
    tool = {**WEATHER, "cache_control": {"type": "ephemeral"}}
    _, body = call(SONNET_37, messages=messages, tools=[tool])
    assert body["system"] == [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]
    assert body["messages"][0]["content"][-1]["cache_control"] == {"type": "ephemeral"}
    assert "cache_control" not in body["messages"][0]["content"][0]
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral"}


def test_converse_and_nova_get_cache_points_after_what_is_marked():
    answer = {"output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}}, "stopReason": "end_turn",
              "usage": {"inputTokens": 5, "outputTokens": 6, "totalTokens": 11}}
    messages = [{"role": "system", "content": LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}},
                {"role": "user", "content": [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}},
                                             {"type": "text", "text": "Now?"}]}]
    _, body = call("bedrock/converse/anthropic.claude-sonnet-4-5-20250929-v1:0", answer, messages=messages,
                   tools=[{**WEATHER, "cache_control": {"type": "ephemeral"}}])
    assert body["system"] == [{"text": LONG}, {"cachePoint": {"type": "default", "ttl": "1h"}}]
    assert body["messages"][0]["content"] == [{"text": LONG}, {"cachePoint": {"type": "default"}}, {"text": "Now?"}]
    assert body["toolConfig"]["tools"][1] == {"cachePoint": {"type": "default"}}
    nova_messages = [{"role": "system", "content": LONG, "cache_control": {"type": "ephemeral"}},
                     {"role": "user", "content": "Now?", "cache_control": {"type": "ephemeral"}}]
    _, nova = call(NOVA_PRO, answer, messages=nova_messages)
    assert nova["system"] == [{"text": LONG}, {"cachePoint": {"type": "default"}}]
    assert nova["messages"][0]["content"] == [{"text": "Now?"}, {"cachePoint": {"type": "default"}}]


def test_cache_usage_is_reported_in_both_ecosystems_names():
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 200}
    response, _ = call(SONNET_37, claude_answer([{"type": "text", "text": "42"}], usage))
    assert response.usage.prompt_tokens == 3210 and response.usage.total_tokens == 3215
    assert response.usage.prompt_tokens_details.cached_tokens == 3000
    assert (response.usage.cache_read_input_tokens, response.usage.cache_creation_input_tokens) == (3000, 200)


def test_cache_headers_win_over_the_body():
    headers = {"x-amzn-bedrock-cache-read-input-token-count": "7", "x-amzn-bedrock-cache-write-input-token-count": "0"}
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 6, "cache_creation_input_tokens": 1}
    response, _ = call(SONNET_37, claude_answer([{"type": "text", "text": "42"}], usage), headers=headers)
    assert response.usage.cache_read_input_tokens == 7 and response.usage.cache_creation_input_tokens == 0


def test_a_model_without_caching_refuses_markers_unless_drop_params():
    marked = [{"role": "user", "content": "Hi", "cache_control": {"type": "ephemeral"}}]
    with pytest.raises(UnsupportedParamsError, match="cache_control"):
        call(HAIKU_3, messages=marked)
    _, body = call(HAIKU_3, messages=marked, drop_params=True)
    assert "cache_control" not in json.dumps(body)
    assert marked[0]["cache_control"] == {"type": "ephemeral"}  # the caller's message is untouched


def test_nova_takes_no_tools_checkpoint():
    with pytest.raises(UnsupportedParamsError, match="not tools"):
        call(NOVA_PRO, tools=[{**WEATHER, "cache_control": {"type": "ephemeral"}}])


def test_more_than_four_checkpoints_are_refused():
    marked = [{"role": "user" if i % 2 == 0 else "assistant", "content": LONG, "cache_control": {"type": "ephemeral"}}
              for i in range(5)]
    with pytest.raises(BadRequestError, match="5 cache checkpoints.*at most 4"):
        call(SONNET_37, messages=marked)


def test_a_lifetime_the_model_does_not_take_is_refused():
    marked = [{"role": "user", "content": LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    with pytest.raises(BadRequestError, match="ttl"):
        call(SONNET_37, messages=marked)
    with pytest.raises(BadRequestError, match="cache_control must be"):
        call(SONNET_37, messages=[{"role": "user", "content": "x", "cache_control": {"type": "persistent"}}])


def test_a_prefix_under_the_minimum_is_sent_with_a_warning(caplog):
    marked = [{"role": "system", "content": "Be brief.", "cache_control": {"type": "ephemeral"}}, *ASK]
    with caplog.at_level(logging.WARNING, logger="litebed"):
        _, body = call(HAIKU_35, messages=marked)
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "messages[0]" in caplog.text and "minimum of 2048" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="litebed"):
        call(HAIKU_35, messages=[{"role": "system", "content": LONG, "cache_control": {"type": "ephemeral"}}, *ASK])
    assert "minimum" not in caplog.text


# --- streams (native events through litebed's chunk builder) ------------------------------


def _chunks(family, events, include_usage=True):
    from litebed._streaming.stream import ChunkBuilder

    builder = ChunkBuilder(family, "bedrock/x", include_usage=include_usage, client_stops=[], estimate_prompt=lambda: 0)
    chunks = [chunk for event in events for chunk in builder.feed(event)]
    return chunks + builder.finish() + [builder.usage_chunk()]


def test_claude_stream_gives_reasoning_before_content_and_the_signed_block_at_its_end():
    from litebed.providers import anthropic_messages

    events = [
        {"type": "message_start", "message": {"usage": {"input_tokens": 9, "cache_read_input_tokens": 100,
                                                        "cache_creation_input_tokens": 0}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Six sevens "}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "are 42."}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "c2ln"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "redacted_thinking", "data": "b3Bh"}},
        {"type": "content_block_stop", "index": 1},
        {"type": "content_block_start", "index": 2, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 2, "delta": {"type": "text_delta", "text": "42"}},
        {"type": "content_block_stop", "index": 2},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 30}},
        {"type": "message_stop"},
    ]
    chunks = _chunks(anthropic_messages, events)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    reasoning = [d.reasoning_content for d in deltas if d.reasoning_content]
    blocks = [b for d in deltas for b in d.thinking_blocks or ()]
    assert reasoning == ["Six sevens ", "are 42."]
    assert blocks == [{"type": "thinking", "thinking": "Six sevens are 42.", "signature": "c2ln"},
                      {"type": "redacted_thinking", "data": "b3Bh"}]
    first_content = next(i for i, d in enumerate(deltas) if d.content)
    assert all(i < first_content for i, d in enumerate(deltas) if d.reasoning_content or d.thinking_blocks)
    usage = chunks[-1].usage
    assert usage.prompt_tokens == 109 and usage.cache_read_input_tokens == 100
    assert usage.completion_tokens_details.reasoning_tokens > 0


def test_converse_stream_reasoning_deltas_and_cache_metadata():
    from litebed.providers import converse

    events = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Think"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "c2ln"}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "42"}}},
        {"contentBlockStop": {"contentBlockIndex": 1}},
        {"messageStop": {"stopReason": "end_turn"}},
        {"metadata": {"usage": {"inputTokens": 4, "outputTokens": 8, "totalTokens": 1012,
                                "cacheReadInputTokens": 0, "cacheWriteInputTokens": 1000}, "metrics": {"latencyMs": 1}}},
    ]
    chunks = _chunks(converse, events)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert [d.reasoning_content for d in deltas if d.reasoning_content] == ["Think"]
    assert [b for d in deltas for b in d.thinking_blocks or ()] == [
        {"type": "thinking", "thinking": "Think", "signature": "c2ln"}]
    usage = chunks[-1].usage
    assert (usage.prompt_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens) == (1004, 1000, 0)


def test_gpt_oss_stream_reasoning_is_streamed_as_it_arrives():
    from litebed.providers import openai_chat

    pieces = ["<reason", "ing>Let me ", "think about it.</reas", "oning>The answer ", "is 42."]
    events = [{"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in pieces]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    deltas = [c.choices[0].delta for c in _chunks(openai_chat, events, include_usage=False)[:-1] if c.choices]
    reasoning = [d.reasoning_content for d in deltas if d.reasoning_content]
    assert len(reasoning) >= 2 and "".join(reasoning) == "Let me think about it."
    assert "".join(d.content or "" for d in deltas) == "The answer is 42."


def test_a_none_cache_control_marks_nothing():
    messages = [{"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": None}], "cache_control": None}]
    _, body = call(HAIKU_3, messages=messages)  # a model without caching: no marker, no refusal
    assert "cache_control" not in json.dumps(body)
