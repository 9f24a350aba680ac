"""Claude extended thinking (InvokeModel and Converse) and Nova 2 reasoning, through the real boto3 client."""

import base64
import json

import pytest
from botocore.exceptions import ClientError

from litebed.emulator import thinking
from litebed.emulator.tokens import count_tokens

SONNET_37 = "anthropic.claude-3-7-sonnet-20250219-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
OPUS_46, OPUS_47, FABLE = "anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-7", "anthropic.claude-fable-5"
NOVA_2_LITE, NOVA_PRO = "amazon.nova-2-lite-v1:0", "amazon.nova-pro-v1:0"
THINK = {"type": "enabled", "budget_tokens": 1024}
ASK = "What is 6 times 7? [[reply:42]]"
ASK_TOOL = 'Weather in Paris? [[tool:get_weather {"city": "Paris"}]]'
TOOLS = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}]
TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "get_weather", "description": "weather",
                                       "inputSchema": {"json": {"type": "object"}}}}]}


def claude(*messages, **extra):
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 2048,
            "messages": [{"role": role, "content": content} for role, content in messages], **extra}


def invoke(client, body, model_id=SONNET_37):
    response = client.invoke_model(modelId=model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def stream_chunks(client, body, model_id=SONNET_37):
    response = client.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def refusal(call) -> str:
    with pytest.raises(ClientError) as info:
        call()
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return info.value.response["Error"]["Message"]


def converse(client, messages, model_id=SONNET_37, *, fields=None, stream=False, **kwargs):
    request = {"modelId": model_id, "messages": messages, "inferenceConfig": {"maxTokens": 2048}, **kwargs}
    if fields is not None:
        request["additionalModelRequestFields"] = fields
    if stream:
        return list(client.converse_stream(**request)["stream"])
    return client.converse(**request)


def user(*blocks):
    return {"role": "user", "content": [{"text": b} if isinstance(b, str) else b for b in blocks]}


# -- signatures (no server) -------------------------------------------------------------------


def test_signatures_verify_and_any_change_breaks_them():
    signature = thinking.sign("Six sevens.")
    assert len(signature) > 40 and base64.b64decode(signature, validate=True)
    assert thinking.verify_signature("Six sevens.", signature)
    assert not thinking.verify_signature("Six sevens!", signature)
    assert not thinking.verify_signature("Six sevens.", "A" + signature[1:])
    assert not thinking.verify_signature("Six sevens.", "not base64 at all")


def test_redacted_data_is_opaque_and_verifiable():
    data = thinking.redact("hidden reasoning")
    assert b"hidden" not in base64.b64decode(data)
    assert thinking.unredact(data) == "hidden reasoning"
    raw = bytearray(base64.b64decode(data))
    raw[-1] ^= 1
    assert thinking.unredact(base64.b64encode(bytes(raw)).decode()) is None
    assert thinking.unredact(thinking.sign("x")) is None


@pytest.mark.parametrize("model_id, style", [
    (SONNET_37, "budget"), ("anthropic.claude-sonnet-4-20250514-v1:0", "budget"),
    ("anthropic.claude-opus-4-1-20250805-v1:0", "budget"), ("anthropic.claude-haiku-4-5-20251001-v1:0", "budget"),
    ("anthropic.claude-opus-4-5-20251101-v1:0", "budget"), (OPUS_46, "adaptive+budget"),
    ("anthropic.claude-sonnet-4-6", "adaptive+budget"), (OPUS_47, "adaptive"), ("anthropic.claude-opus-4-8", "adaptive"),
    ("anthropic.claude-opus-5", "adaptive"), ("anthropic.claude-sonnet-5", "adaptive"), (FABLE, "always"),
    (HAIKU_3, None), ("anthropic.claude-3-5-sonnet-20241022-v2:0", None), ("anthropic.claude-3-5-haiku-20241022-v1:0", None),
    (NOVA_PRO, None),
])
def test_thinking_styles(model_id, style):
    assert thinking.thinking_style(model_id) == style


# -- InvokeModel ---------------------------------------------------------------------------------


def test_invoke_answers_with_a_signed_thinking_block_first(boto3_runtime):
    answer, headers = invoke(boto3_runtime, claude(("user", ASK), thinking=THINK))
    block, text = answer["content"]
    assert block["type"] == "thinking" and block["thinking"].startswith('The user asks: "What is 6 times 7?')
    assert "[[" not in block["thinking"]
    assert thinking.verify_signature(block["thinking"], block["signature"])
    assert text == {"type": "text", "text": "42"}
    output = count_tokens(block["thinking"]) + count_tokens("42")  # thinking is billed as output
    assert answer["usage"]["output_tokens"] == output and headers["x-amzn-bedrock-output-token-count"] == str(output)


def test_invoke_stream_sends_thinking_deltas_then_the_signature_then_the_text(boto3_runtime):
    body = claude(("user", ASK), thinking=THINK)
    answer, _ = invoke(boto3_runtime, body)
    chunks = stream_chunks(boto3_runtime, body)
    blocks = [c for c in chunks if c["type"].startswith("content_block")]
    assert blocks[0] == {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}
    deltas = [c["delta"] for c in blocks if c["type"] == "content_block_delta" and c["index"] == 0]
    assert [d["type"] for d in deltas] == ["thinking_delta"] * (len(deltas) - 1) + ["signature_delta"] and len(deltas) > 2
    assert "".join(d["thinking"] for d in deltas[:-1]) == answer["content"][0]["thinking"]
    assert deltas[-1]["signature"] == answer["content"][0]["signature"]
    stop = blocks.index({"type": "content_block_stop", "index": 0})
    assert blocks[stop + 1] == {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}
    assert all(c["index"] == 1 for c in blocks[stop + 1:])
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == answer["usage"]["output_tokens"]


def test_the_thought_fits_the_budget_and_the_answer_gets_the_rest(boto3_runtime):
    answer, _ = invoke(boto3_runtime, claude(("user", "[[words:3000]]"), thinking=THINK, max_tokens=1100))
    thought, text = answer["content"]
    assert count_tokens(thought["thinking"]) <= 1024
    assert count_tokens(text["text"]) == 1100 - count_tokens(thought["thinking"]) and answer["stop_reason"] == "max_tokens"


def tool_round(client, messages, **extra):
    answer, _ = invoke(client, claude(*messages, thinking=THINK, tools=TOOLS, **extra))
    return answer


def test_a_three_turn_tool_conversation_replays_the_thinking_blocks(boto3_runtime):
    messages = [("user", ASK_TOOL)]
    first = tool_round(boto3_runtime, messages)
    assert [b["type"] for b in first["content"]] == ["thinking", "tool_use"] and first["stop_reason"] == "tool_use"
    call = first["content"][1]
    messages += [("assistant", first["content"]),
                 ("user", [{"type": "tool_result", "tool_use_id": call["id"], "content": "18C"},
                           {"type": "text", "text": 'And tomorrow? [[tool:get_weather {"city": "Paris"}]]'}])]
    second = tool_round(boto3_runtime, messages)
    assert [b["type"] for b in second["content"]] == ["thinking", "tool_use"]
    messages += [("assistant", second["content"]),
                 ("user", [{"type": "tool_result", "tool_use_id": second["content"][1]["id"], "content": "20C"}])]
    final = tool_round(boto3_runtime, messages)
    assert final["stop_reason"] == "end_turn" and final["content"][1] == {"type": "text", "text": "Echo: 20C"}


def tool_history(client, change):
    first = tool_round(client, [("user", ASK_TOOL)])
    assistant = change([dict(block) for block in first["content"]])
    result = [{"type": "tool_result", "tool_use_id": first["content"][1]["id"], "content": "18C"}]
    return [("user", ASK_TOOL), ("assistant", assistant), ("user", result)]


@pytest.mark.parametrize("field", ["signature", "thinking"])
def test_an_altered_thinking_block_is_refused(boto3_runtime, field):
    def alter(blocks):
        blocks[0][field] = ("A" + blocks[0][field][1:]) if field == "signature" else blocks[0][field] + " Also..."
        return blocks

    history = tool_history(boto3_runtime, alter)
    message = refusal(lambda: tool_round(boto3_runtime, history))
    assert message == "messages.1.content.0: Invalid `signature` in `thinking` block"


def test_a_dropped_thinking_block_is_refused_with_anthropics_text(boto3_runtime):
    history = tool_history(boto3_runtime, lambda blocks: blocks[1:])
    message = refusal(lambda: tool_round(boto3_runtime, history))
    assert message.startswith("messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
                              "`tool_use`. When `thinking` is enabled, a final `assistant` message must start with a "
                              "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks).")
    # without thinking, the same history is fine
    assert invoke(boto3_runtime, claude(*history, tools=TOOLS))[0]["content"] == [{"type": "text", "text": "Echo: 18C"}]


def test_thinking_blocks_in_history_are_accepted_and_ignored_with_thinking_off(boto3_runtime):
    history = tool_history(boto3_runtime, lambda blocks: blocks)
    answer, headers = invoke(boto3_runtime, claude(*history, tools=TOOLS))
    assert answer["content"] == [{"type": "text", "text": "Echo: 18C"}]
    assert "thinking" not in json.dumps(answer["content"])
    tool_json = json.dumps(TOOLS[0], sort_keys=True)
    call_json = json.dumps(history[1][1][1]["input"])
    assert answer["usage"]["input_tokens"] == count_tokens("\n".join([tool_json, ASK_TOOL, call_json, "18C"]))


def test_thinking_blocks_belong_to_assistant_turns(boto3_runtime):
    block = {"type": "thinking", "thinking": "x", "signature": thinking.sign("x")}
    message = refusal(lambda: invoke(boto3_runtime, claude(("user", [block, {"type": "text", "text": "hi"}]))))
    assert "thinking blocks are only allowed in assistant messages" in message


@pytest.mark.parametrize("extra, fragment", [
    ({"max_tokens": 1024}, "`max_tokens` must be greater than `thinking.budget_tokens`"),
    ({"max_tokens": 1000}, "`max_tokens` must be greater than `thinking.budget_tokens`"),
    ({"temperature": 0.5}, "`temperature` may only be set to 1"),
    ({"top_k": 5}, "`top_k` must be unset"),
    ({"top_p": 0.5}, "`top_p` must be greater than or equal to 0.95"),
    ({"tools": TOOLS, "tool_choice": {"type": "any"}}, "Thinking may not be enabled when tool_choice forces tool use."),
    ({"tools": TOOLS, "tool_choice": {"type": "tool", "name": "get_weather"}},
     "Thinking may not be enabled when tool_choice forces tool use."),
    ({"thinking": {"type": "enabled", "budget_tokens": 500}}, "#/thinking/budget_tokens"),
    ({"thinking": {"type": "enabled"}}, "thinking.enabled.budget_tokens: Field required"),
    ({"thinking": {"type": "adaptive"}}, "Input tag 'adaptive'"),
    ({"output_config": {"effort": "high"}}, "output_config: Extra inputs are not permitted"),
])
def test_thinking_rules_on_invoke(boto3_runtime, extra, fragment):
    body = claude(("user", ASK), **{"thinking": THINK, **extra})
    assert fragment in refusal(lambda: invoke(boto3_runtime, body))


def test_thinking_allows_temperature_1_top_p_095_and_auto_tool_choice(boto3_runtime):
    body = claude(("user", ASK), thinking=THINK, temperature=1, top_p=0.95, tools=TOOLS, tool_choice={"type": "auto"})
    assert invoke(boto3_runtime, body)[0]["content"][0]["type"] == "thinking"


def test_a_prefill_is_refused_with_thinking(boto3_runtime):
    body = claude(("user", ASK), ("assistant", "The answer is"), thinking=THINK)
    assert "prefill is not supported" in refusal(lambda: invoke(boto3_runtime, body))
    assert invoke(boto3_runtime, {**body, "thinking": {"type": "disabled"}})[0]["content"][0]["type"] == "text"


@pytest.mark.parametrize("model_id, extra, fragment", [
    (HAIKU_3, {"thinking": THINK}, "thinking: Extra inputs are not permitted"),
    (HAIKU_3, {"thinking": {"type": "disabled"}}, "thinking: Extra inputs are not permitted"),
    (OPUS_47, {"thinking": THINK}, "thinking.type.enabled is not supported for this model"),
    (OPUS_47, {"thinking": {"type": "adaptive", "budget_tokens": 2000}}, "Extra inputs are not permitted"),
    (FABLE, {"thinking": {"type": "disabled"}}, "always thinks adaptively"),
    (FABLE, {"thinking": THINK}, "always thinks adaptively"),
    (OPUS_47, {"output_config": {"effort": "extreme"}}, "#/output_config/effort"),
])
def test_per_model_thinking_refusals(boto3_runtime, model_id, extra, fragment):
    assert fragment in refusal(lambda: invoke(boto3_runtime, claude(("user", ASK), **extra), model_id))


@pytest.mark.parametrize("model_id, extra", [
    (OPUS_46, {"thinking": THINK}), (OPUS_46, {"thinking": {"type": "adaptive"}}),
    (OPUS_47, {"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}),
    (FABLE, {}), (FABLE, {"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}}),
])
def test_adaptive_models_think(boto3_runtime, model_id, extra):
    answer, _ = invoke(boto3_runtime, claude(("user", ASK), **extra), model_id)
    assert answer["content"][0]["type"] == "thinking" and answer["content"][1]["text"] == "42"


def test_adaptive_thinking_leaves_room_for_the_answer(boto3_runtime):
    answer, _ = invoke(boto3_runtime, claude(("user", "[[reply:ok]]"), max_tokens=20), FABLE)
    assert count_tokens(answer["content"][0]["thinking"]) <= 10 and answer["content"][1]["text"] == "ok"


def test_adaptive_thinking_refuses_temperature_too(boto3_runtime):
    body = claude(("user", ASK), thinking={"type": "adaptive"}, temperature=0.2)
    assert "`temperature` may only be set to 1" in refusal(lambda: invoke(boto3_runtime, body, OPUS_47))


def test_the_trigger_string_redacts_the_thinking(boto3_runtime):
    ask = f"{thinking.REDACTED_TRIGGER} [[tool:get_weather {{}}]]"
    body = claude(("user", ask), thinking=THINK, tools=TOOLS)
    answer, _ = invoke(boto3_runtime, body)
    redacted, call = answer["content"]
    assert set(redacted) == {"type", "data"} and redacted["type"] == "redacted_thinking"
    assert thinking.unredact(redacted["data"]) is not None
    chunks = [c for c in stream_chunks(boto3_runtime, body) if c["type"].startswith("content_block") and c["index"] == 0]
    assert chunks == [{"type": "content_block_start", "index": 0, "content_block": redacted},
                      {"type": "content_block_stop", "index": 0}]
    result = [{"type": "tool_result", "tool_use_id": call["id"], "content": "done"}]
    replay = claude(("user", ask), ("assistant", answer["content"]), ("user", result), thinking=THINK, tools=TOOLS)
    assert invoke(boto3_runtime, replay)[0]["content"][-1] == {"type": "text", "text": "Echo: done"}
    tampered = claude(("user", ask), ("assistant", [{**redacted, "data": thinking.redact("mine")[:-4] + "AAA="}, call]),
                      ("user", result), thinking=THINK, tools=TOOLS)
    assert refusal(lambda: invoke(boto3_runtime, tampered)) == (
        "messages.1.content.0: Invalid `data` in `redacted_thinking` block")


# -- Converse / ConverseStream ---------------------------------------------------------------


def test_converse_answers_with_signed_reasoning_content(boto3_runtime):
    response = converse(boto3_runtime, [user(ASK)], fields={"thinking": THINK})
    reasoning, text = response["output"]["message"]["content"]
    signed = reasoning["reasoningContent"]["reasoningText"]
    assert thinking.verify_signature(signed["text"], signed["signature"]) and text == {"text": "42"}
    assert response["usage"]["outputTokens"] == count_tokens(signed["text"]) + count_tokens("42")


def test_converse_stream_sends_reasoning_then_signature_then_text(boto3_runtime):
    signed = converse(boto3_runtime, [user(ASK)], fields={"thinking": THINK})["output"]["message"]["content"][0]
    events = converse(boto3_runtime, [user(ASK)], fields={"thinking": THINK}, stream=True)
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"]
    first = [e["contentBlockDelta"]["delta"]["reasoningContent"] for e in events
             if "contentBlockDelta" in e and e["contentBlockDelta"]["contentBlockIndex"] == 0]
    assert len(first) > 2 and all(set(d) == {"text"} for d in first[:-1]) and set(first[-1]) == {"signature"}
    assert {"text": "".join(d["text"] for d in first[:-1]), "signature": first[-1]["signature"]} == (
        signed["reasoningContent"]["reasoningText"])
    stop = events.index({"contentBlockStop": {"contentBlockIndex": 0}})
    text = [e["contentBlockDelta"] for e in events[stop + 1:] if "contentBlockDelta" in e]
    assert "".join(d["delta"]["text"] for d in text) == "42" and {d["contentBlockIndex"] for d in text} == {1}


def converse_tool_turn(client, messages, **kwargs):
    return converse(client, messages, fields={"thinking": THINK}, toolConfig=TOOL_CONFIG, **kwargs)


def test_converse_three_turn_tool_conversation_replays_reasoning(boto3_runtime):
    messages = [user(ASK_TOOL)]
    for follow_up in ['And tomorrow? [[tool:get_weather {"city": "Paris"}]]', None]:
        message = converse_tool_turn(boto3_runtime, messages)["output"]["message"]
        assert list(message["content"][0]) == ["reasoningContent"] and "toolUse" in message["content"][1]
        result = {"toolResult": {"toolUseId": message["content"][1]["toolUse"]["toolUseId"], "content": [{"text": "18C"}]}}
        messages += [message, user(result, *([follow_up] if follow_up else []))]
    final = converse_tool_turn(boto3_runtime, messages)
    assert final["stopReason"] == "end_turn" and final["output"]["message"]["content"][1] == {"text": "Echo: 18C"}


def converse_history(client, change):
    message = converse_tool_turn(client, [user(ASK_TOOL)])["output"]["message"]
    result = {"toolResult": {"toolUseId": message["content"][1]["toolUse"]["toolUseId"], "content": [{"text": "18C"}]}}
    return [user(ASK_TOOL), {"role": "assistant", "content": change(message["content"])}, user(result)]


def test_converse_refuses_an_altered_signature(boto3_runtime):
    def alter(content):
        signed = content[0]["reasoningContent"]["reasoningText"]
        return [{"reasoningContent": {"reasoningText": {**signed, "signature": "A" + signed["signature"][1:]}}}, content[1]]

    message = refusal(lambda: converse_tool_turn(boto3_runtime, converse_history(boto3_runtime, alter)))
    assert message == "The model returned the following errors: messages.1.content.0: Invalid `signature` in `thinking` block"


def test_converse_refuses_dropped_reasoning(boto3_runtime):
    history = converse_history(boto3_runtime, lambda content: content[1:])
    message = refusal(lambda: converse_tool_turn(boto3_runtime, history))
    assert message.startswith("The model returned the following errors: messages.1.content.0.type: Expected "
                              "`thinking` or `redacted_thinking`, but found `tool_use`.")


@pytest.mark.parametrize("kwargs, fragment", [
    ({"inferenceConfig": {"maxTokens": 1024}}, "`max_tokens` must be greater than `thinking.budget_tokens`"),
    ({"inferenceConfig": {"maxTokens": 4000, "temperature": 0.5}}, "`temperature` may only be set to 1"),
    ({"inferenceConfig": {"maxTokens": 4000, "topP": 0.5}}, "`top_p` must be greater than or equal to 0.95"),
    ({"toolConfig": {**TOOL_CONFIG, "toolChoice": {"any": {}}}}, "tool_choice forces tool use"),
    ({"toolConfig": {**TOOL_CONFIG, "toolChoice": {"tool": {"name": "get_weather"}}}}, "tool_choice forces tool use"),
])
def test_thinking_rules_on_converse(boto3_runtime, kwargs, fragment):
    message = refusal(lambda: converse(boto3_runtime, [user(ASK)], fields={"thinking": THINK}, **kwargs))
    assert message.startswith("The model returned the following errors: ") and fragment in message


def test_converse_thinking_per_model(boto3_runtime):
    assert "thinking: Extra inputs are not permitted" in refusal(
        lambda: converse(boto3_runtime, [user(ASK)], HAIKU_3, fields={"thinking": THINK}))
    adaptive = converse(boto3_runtime, [user(ASK)], OPUS_47,
                        fields={"thinking": {"type": "adaptive"}, "output_config": {"effort": "low"}})
    assert "reasoningContent" in adaptive["output"]["message"]["content"][0]
    assert "output_config" in refusal(lambda: converse(boto3_runtime, [user(ASK)], fields={"output_config": {"effort": "low"}}))


def test_converse_redacted_reasoning_is_bytes_and_replays(boto3_runtime):
    ask = f"{thinking.REDACTED_TRIGGER} [[tool:get_weather {{}}]]"
    message = converse_tool_turn(boto3_runtime, [user(ask)])["output"]["message"]
    blob = message["content"][0]["reasoningContent"]["redactedContent"]
    assert isinstance(blob, bytes) and thinking.unredact(blob.decode()) is not None
    events = converse_tool_turn(boto3_runtime, [user(ask)], stream=True)
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    assert deltas[0] == {"reasoningContent": {"redactedContent": blob}}
    result = {"toolResult": {"toolUseId": message["content"][1]["toolUse"]["toolUseId"], "content": [{"text": "ok"}]}}
    final = converse_tool_turn(boto3_runtime, [user(ask), message, user(result)])
    assert final["output"]["message"]["content"][-1] == {"text": "Echo: ok"}
    forged = [{"reasoningContent": {"redactedContent": b"forged"}}, message["content"][1]]
    assert "Invalid `data` in `redacted_thinking` block" in refusal(lambda: converse_tool_turn(
        boto3_runtime, [user(ask), {"role": "assistant", "content": forged}, user(result)]))


def test_count_tokens_takes_a_thinking_request(boto3_runtime):
    messages = [user(ASK)]
    counted = boto3_runtime.count_tokens(modelId=SONNET_37, input={"converse": {
        "messages": messages, "additionalModelRequestFields": {"thinking": THINK}}})
    assert counted["inputTokens"] == count_tokens(ASK)


def test_reasoning_content_belongs_to_assistant_turns(boto3_runtime):
    block = {"reasoningContent": {"reasoningText": {"text": "x", "signature": thinking.sign("x")}}}
    assert "only allowed in assistant messages" in refusal(lambda: converse(boto3_runtime, [user(block, "hi")]))


# -- Nova 2 reasoning, and the reasoning models that always reason ----------------------------------------


def test_nova_2_lite_reasons_in_redacted_text(boto3_runtime):
    fields = {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "low"}}
    response = converse(boto3_runtime, [user(ASK)], NOVA_2_LITE, fields=fields)
    content = response["output"]["message"]["content"]
    assert content == [{"reasoningContent": {"reasoningText": {"text": "[REDACTED]"}}}, {"text": "42"}]
    hidden = thinking.reasoning_text(ASK, "low")  # hidden, but billed
    assert response["usage"]["outputTokens"] == count_tokens(hidden) + count_tokens("42")
    events = converse(boto3_runtime, [user(ASK)], NOVA_2_LITE, fields=fields, stream=True)
    assert {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "[REDACTED]"}}}} in events
    off = converse(boto3_runtime, [user(ASK)], NOVA_2_LITE, fields={"reasoningConfig": {"type": "disabled"}})
    assert off["output"]["message"]["content"] == [{"text": "42"}]


@pytest.mark.parametrize("model_id, config, fragment", [
    (NOVA_PRO, {"type": "enabled"}, "extraneous key [reasoningConfig]"),
    (SONNET_37, {"type": "enabled"}, "extraneous key [reasoningConfig]"),
    (NOVA_2_LITE, {"type": "on"}, "#/additionalModelRequestFields/reasoningConfig/type"),
    (NOVA_2_LITE, {"type": "enabled", "maxReasoningEffort": "max"}, "maxReasoningEffort"),
])
def test_reasoning_config_is_nova_2s(boto3_runtime, model_id, config, fragment):
    assert fragment in refusal(lambda: converse(boto3_runtime, [user(ASK)], model_id, fields={"reasoningConfig": config}))


def test_deepseek_r1_still_reasons_without_a_signature(boto3_runtime):
    content = converse(boto3_runtime, [user(ASK)], "deepseek.r1-v1:0")["output"]["message"]["content"]
    assert content[0] == {"reasoningContent": {"reasoningText": {"text": "Thinking about the request."}}}
    replay = [user(ASK), {"role": "assistant", "content": content}, user("again [[reply:ok]]")]
    assert converse(boto3_runtime, replay, "deepseek.r1-v1:0")["output"]["message"]["content"][-1] == {"text": "ok"}
