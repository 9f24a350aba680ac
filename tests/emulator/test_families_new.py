"""The emulator's newer models — DeepSeek-R1 and gpt-oss native bodies, Converse for every
new id, the control-plane listing — driven by the real boto3 clients.

The bodies sent here are AWS's own examples (the "DeepSeek models" and "OpenAI
models" pages of the Bedrock user guide), written without litebed.
"""

import json

import pytest
from botocore.exceptions import ClientError

from litebed.emulator.families import ConverseOnly, ValidationFailed, catalogue, converse, family_for
from litebed.emulator.families.converse import REASONING
from litebed.emulator.tokens import count_tokens

R1 = "deepseek.r1-v1:0"
GPT_OSS = ("openai.gpt-oss-20b-1:0", "openai.gpt-oss-120b-1:0")
DS_PROMPT = "<\uff5cbegin\u2581of\u2581sentence\uff5c><\uff5cUser\uff5c>{}<\uff5cAssistant\uff5c><think>\n"
THINKING = "Thinking about the request.\n</think>\n\n"  # what the emulated R1 writes before its answer
NEW_CHAT_MODELS = [
    "deepseek.r1-v1:0", "deepseek.v3-v1:0", "openai.gpt-oss-20b-1:0", "openai.gpt-oss-120b-1:0",
    "meta.llama4-scout-17b-instruct-v1:0", "meta.llama4-maverick-17b-instruct-v1:0", "mistral.pixtral-large-2502-v1:0",
    "qwen.qwen3-32b-v1:0", "qwen.qwen3-coder-30b-a3b-v1:0", "qwen.qwen3-235b-a22b-2507-v1:0",
    "qwen.qwen3-coder-480b-a35b-v1:0", "writer.palmyra-x4-v1:0", "writer.palmyra-x5-v1:0",
]
TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "get_weather", "description": "weather",
                                       "inputSchema": {"json": {"type": "object"}}}}]}


def invoke(client, model_id, body):
    response = client.invoke_model(modelId=model_id, body=json.dumps(body), contentType="application/json",
                                   accept="application/json")
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def stream_chunks(client, model_id, body):
    response = client.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def rejected(call):
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException" and info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error["Message"]


# --- DeepSeek-R1: the documented prompt body ----------------------------------------------


@pytest.mark.parametrize("model_id", [R1, "us.deepseek.r1-v1:0"])
def test_deepseek_r1_documented_example(boto3_runtime, model_id):
    prompt = DS_PROMPT.format("hello there")
    answer, headers = invoke(boto3_runtime, model_id, {"prompt": prompt, "max_tokens": 512, "temperature": 0.5,
                                                       "top_p": 0.9})
    text = THINKING + "Echo: hello there"
    assert answer == {"choices": [{"text": text, "stop_reason": "stop"}]}
    assert headers["x-amzn-bedrock-input-token-count"] == str(count_tokens(prompt))
    assert headers["x-amzn-bedrock-output-token-count"] == str(count_tokens(text))


def test_deepseek_r1_stream(boto3_runtime):
    chunks = stream_chunks(boto3_runtime, R1, {"prompt": DS_PROMPT.format("hello there")})
    assert "".join(c["choices"][0]["text"] for c in chunks) == THINKING + "Echo: hello there"
    assert [c["choices"][0]["stop_reason"] for c in chunks][-2:] == [None, "stop"]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == count_tokens(THINKING + "Echo: hello there")


def test_deepseek_r1_stop_and_max_tokens_apply_to_the_whole_text(boto3_runtime):
    stopped, _ = invoke(boto3_runtime, R1, {"prompt": DS_PROMPT.format("[[reply:red STOP blue]]"), "stop": ["STOP"]})
    assert stopped == {"choices": [{"text": THINKING + "red ", "stop_reason": "stop"}]}
    cut, headers = invoke(boto3_runtime, R1, {"prompt": DS_PROMPT.format("[[words:50]]"), "max_tokens": 5})
    assert cut["choices"][0]["stop_reason"] == "length" and cut["choices"][0]["text"] == THINKING[:15]
    assert headers["x-amzn-bedrock-output-token-count"] == "5"


def test_deepseek_r1_without_the_template_answers_the_whole_prompt(boto3_runtime):
    answer, _ = invoke(boto3_runtime, R1, {"prompt": "hello"})
    assert answer["choices"][0]["text"] == THINKING + "Echo: hello"


@pytest.mark.parametrize("body, detail", [
    ({}, "required key [prompt]"),
    ({"prompt": "x", "messages": []}, "extraneous key [messages]"),
    ({"prompt": "x", "max_completion_tokens": 5}, "extraneous key [max_completion_tokens]"),
    ({"prompt": "x", "temperature": 1.5}, "#/temperature"),
    ({"prompt": "x", "top_p": 1.01}, "#/top_p"),
    ({"prompt": "x", "max_tokens": 0}, "#/max_tokens"),
    ({"prompt": "x", "max_tokens": 32769}, "#/max_tokens"),
    ({"prompt": "x", "stop": [str(i) for i in range(11)]}, "maximum item count: 10"),
    ({"prompt": "x", "stop": "END"}, "#/stop"),
])
def test_deepseek_r1_validation(boto3_runtime, body, detail):
    assert detail in rejected(lambda: invoke(boto3_runtime, R1, body))


# --- gpt-oss: the documented chat-completions body ---------------------------------------


def oss_body(**extra):
    return {"messages": [{"role": "developer", "content": "You are a helpful assistant."},
                         {"role": "user", "content": "hello there"}],
            "max_completion_tokens": 150, "temperature": 0.7, "top_p": 0.9, **extra}


@pytest.mark.parametrize("model_id", GPT_OSS)
def test_gpt_oss_documented_example(boto3_runtime, model_id):
    answer, headers = invoke(boto3_runtime, model_id, oss_body(model=model_id, stream=False))
    content = f"<reasoning>{REASONING}</reasoning>Echo: hello there"
    assert answer["object"] == "chat.completion" and answer["model"] == model_id and answer["id"].startswith("chatcmpl-")
    assert answer["choices"] == [{"index": 0, "message": {"role": "assistant", "content": content},
                                  "finish_reason": "stop"}]
    prompt_tokens = count_tokens("You are a helpful assistant.\nhello there")
    assert answer["usage"] == {"prompt_tokens": prompt_tokens, "completion_tokens": count_tokens(content),
                               "total_tokens": prompt_tokens + count_tokens(content)}
    assert headers["x-amzn-bedrock-output-token-count"] == str(count_tokens(content))


@pytest.mark.parametrize("extra", [{}, {"stream": True}, {"stream": True, "stream_options": {"include_usage": True}}])
def test_gpt_oss_stream(boto3_runtime, extra):
    chunks = stream_chunks(boto3_runtime, GPT_OSS[0], oss_body(**extra))
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    choices = [c["choices"][0] for c in chunks if c["choices"]]
    assert choices[0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["delta"].get("content", "") for c in choices) == f"<reasoning>{REASONING}</reasoning>Echo: hello there"
    assert [c["finish_reason"] for c in choices][-2:] == [None, "stop"]
    assert ("usage" in chunks[-1]) == bool(extra.get("stream_options"))
    assert chunks[-1]["amazon-bedrock-invocationMetrics"]["inputTokenCount"] > 0


def test_gpt_oss_tools(boto3_runtime):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    ask = {"messages": [{"role": "user", "content": '[[tool:get_weather {"city": "Paris"}]]'}], "tools": tools}
    answer, _ = invoke(boto3_runtime, GPT_OSS[1], ask)
    choice = answer["choices"][0]
    (call,) = choice["message"]["tool_calls"]
    assert choice["finish_reason"] == "tool_calls" and call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    followup = {"messages": [*ask["messages"], {"role": "assistant", "content": None, "tool_calls": [call]},
                             {"role": "tool", "tool_call_id": call["id"], "content": "18C"}], "tools": tools}
    answer, _ = invoke(boto3_runtime, GPT_OSS[1], followup)
    assert answer["choices"][0]["message"]["content"].endswith("Echo: 18C")
    chunks = stream_chunks(boto3_runtime, GPT_OSS[1], ask)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    calls = [call for d in deltas for call in d.get("tool_calls", [])]
    assert calls[0]["id"] and calls[0]["function"]["name"] == "get_weather"
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"city": "Paris"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    none, _ = invoke(boto3_runtime, GPT_OSS[1], {**ask, "tool_choice": "none"})
    assert "tool_calls" not in none["choices"][0]["message"]


def test_gpt_oss_limits(boto3_runtime):
    stopped, _ = invoke(boto3_runtime, GPT_OSS[0], {"messages": [{"role": "user", "content": "[[reply:a b STOP c]]"}],
                                                    "stop": "STOP"})
    assert stopped["choices"][0]["message"]["content"].endswith("</reasoning>a b ")
    cut, _ = invoke(boto3_runtime, GPT_OSS[0], {"messages": [{"role": "user", "content": "[[words:40]]"}],
                                                "max_completion_tokens": 15})
    assert cut["choices"][0]["finish_reason"] == "length" and cut["usage"]["completion_tokens"] <= 15
    tiny, _ = invoke(boto3_runtime, GPT_OSS[0], {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
    assert tiny["choices"][0]["message"]["content"] == "<reasoning"[:6] and tiny["choices"][0]["finish_reason"] == "length"


@pytest.mark.parametrize("body, detail", [
    ({"messages": []}, "minimum item count: 1"),
    ({"messages": [{"role": "user", "content": "x"}], "stream": True}, "stream must be false"),
    ({"messages": [{"role": "user", "content": "x"}], "model": "openai.gpt-oss-120b-1:0"}, "does not match"),
    ({"messages": [{"role": "user", "content": "x"}], "prompt": "x"}, "extraneous key [prompt]"),
    ({"messages": [{"role": "user", "content": "x"}], "temperature": 2.5}, "#/temperature"),
    ({"messages": [{"role": "user", "content": "x"}], "stop": ["a", "b", "c", "d", "e"]}, "maximum item count: 4"),
    ({"messages": [{"role": "wizard", "content": "x"}]}, "#/messages/0/role"),
    ({"messages": [{"role": "user"}]}, "content is required"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:x"}}]}]},
     "only text input"),
    ({"messages": [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "c1", "content": "r"}]},
     "does not answer a tool call"),
    ({"messages": [{"role": "user", "content": "x"}], "tool_choice": "auto"}, "only allowed when tools"),
    ({"messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": True}}, "stream_options"),
    ({"messages": [{"role": "user", "content": "x"}], "reasoning_effort": "max"}, "#/reasoning_effort"),
])
def test_gpt_oss_validation(boto3_runtime, body, detail):
    assert detail in rejected(lambda: invoke(boto3_runtime, GPT_OSS[0], body))


def test_gpt_oss_stream_flag_must_match_the_operation(boto3_runtime):
    message = rejected(lambda: stream_chunks(boto3_runtime, GPT_OSS[0], oss_body(stream=False)))
    assert "stream must be true" in message


# --- the other new models: native where documented, Converse for all ----------------------


def test_llama4_and_pixtral_native_bodies(boto3_runtime):
    prompt = ("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello there<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n")
    llama, _ = invoke(boto3_runtime, "meta.llama4-scout-17b-instruct-v1:0", {"prompt": prompt, "max_gen_len": 50})
    assert llama["generation"] == "Echo: hello there"
    pixtral, _ = invoke(boto3_runtime, "mistral.pixtral-large-2502-v1:0",
                        {"messages": [{"role": "user", "content": "hello there"}]})
    assert pixtral["choices"][0]["message"]["content"] == "Echo: hello there"


@pytest.mark.parametrize("model_id", [m for m in NEW_CHAT_MODELS if isinstance(family_for(m), ConverseOnly)])
def test_converse_only_models_refuse_invoke_model(boto3_runtime, model_id):
    assert "Converse" in rejected(lambda: invoke(boto3_runtime, model_id, {"messages": []}))


@pytest.mark.parametrize("model_id", NEW_CHAT_MODELS + [f"us.{m}" for m in NEW_CHAT_MODELS[:8:2]])
def test_converse_and_converse_stream_for_every_new_model(boto3_runtime, model_id):
    messages = [{"role": "user", "content": [{"text": "hello there"}]}]
    response = boto3_runtime.converse(modelId=model_id, messages=messages, system=[{"text": "Be brief."}],
                                      inferenceConfig={"maxTokens": 100})
    content = response["output"]["message"]["content"]
    reasoning = model_id.removeprefix("us.").startswith(("deepseek.r1", "openai.gpt-oss"))
    assert content[-1] == {"text": "Echo: hello there"}
    assert (content[0] == {"reasoningContent": {"reasoningText": {"text": REASONING}}}) is reasoning
    expected = count_tokens("Echo: hello there") + (count_tokens(REASONING) if reasoning else 0)
    assert response["usage"]["outputTokens"] == expected and response["stopReason"] == "end_turn"
    events = list(boto3_runtime.converse_stream(modelId=model_id, messages=messages)["stream"])
    deltas = [e["contentBlockDelta"]["delta"] for e in events if "contentBlockDelta" in e]
    assert "".join(d.get("text", "") for d in deltas) == "Echo: hello there"
    assert "".join(d["reasoningContent"]["text"] for d in deltas if "reasoningContent" in d) == (REASONING if reasoning else "")
    assert events[-2] == {"messageStop": {"stopReason": "end_turn"}}


# (model, tool use, tool use in streams, images) — the emulated rows for the newer models
FEATURES = [
    ("deepseek.r1-v1:0", False, False, False), ("deepseek.v3-v1:0", True, True, False),
    ("openai.gpt-oss-120b-1:0", True, True, False), ("meta.llama4-maverick-17b-instruct-v1:0", True, False, True),
    ("mistral.pixtral-large-2502-v1:0", True, False, True), ("qwen.qwen3-32b-v1:0", True, True, False),
    ("writer.palmyra-x5-v1:0", True, True, False),
]


@pytest.mark.parametrize("model_id, tools, stream_tools, vision", FEATURES)
def test_converse_features_of_the_new_models(boto3_runtime, model_id, tools, stream_tools, vision):
    ask = [{"role": "user", "content": [{"text": '[[tool:get_weather {"city": "Paris"}]]'}]}]
    if tools:
        response = boto3_runtime.converse(modelId=model_id, messages=ask, toolConfig=TOOL_CONFIG)
        assert response["stopReason"] == "tool_use"
        assert response["output"]["message"]["content"][-1]["toolUse"]["input"] == {"city": "Paris"}
    else:
        assert "tool use" in rejected(lambda: boto3_runtime.converse(modelId=model_id, messages=ask, toolConfig=TOOL_CONFIG))
    if stream_tools:
        events = list(boto3_runtime.converse_stream(modelId=model_id, messages=ask, toolConfig=TOOL_CONFIG)["stream"])
        assert events[-2] == {"messageStop": {"stopReason": "tool_use"}}
    else:
        assert "tool use" in rejected(
            lambda: boto3_runtime.converse_stream(modelId=model_id, messages=ask, toolConfig=TOOL_CONFIG))
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    look = [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": png}}}, {"text": "what?"}]}]
    if vision:
        assert boto3_runtime.converse(modelId=model_id, messages=look)["output"]["message"]["content"] == [{"text": "Echo: what?"}]
    else:
        assert "image" in rejected(lambda: boto3_runtime.converse(modelId=model_id, messages=look))


def test_reasoning_counts_against_max_tokens_on_converse():
    result = converse({"messages": [{"role": "user", "content": [{"text": "[[words:30]]"}]}],
                       "inferenceConfig": {"maxTokens": count_tokens(REASONING) + 2}}, model_id=R1, stream=False)
    assert result.body["stopReason"] == "max_tokens" and result.body["usage"]["outputTokens"] <= count_tokens(REASONING) + 2
    assert result.body["output"]["message"]["content"][1] == {"text": "w1 w2 "}


def test_unknown_model_ids_are_still_invalid(boto3_runtime):
    message = rejected(lambda: boto3_runtime.converse(modelId="newco.model-x-v1:0",
                                                      messages=[{"role": "user", "content": [{"text": "x"}]}]))
    assert message == "The provided model identifier is invalid."
    with pytest.raises(ValidationFailed):
        converse({"messages": [{"role": "user", "content": [{"text": "x"}]}]}, model_id="newco.model-x-v1:0", stream=False)


# --- the control plane lists them ---------------------------------------------------------


def test_the_new_models_are_foundation_models(boto3_control):
    summaries = {s["modelId"]: s for s in boto3_control.list_foundation_models()["modelSummaries"]}
    assert set(NEW_CHAT_MODELS) <= set(summaries)
    for model_id in NEW_CHAT_MODELS:
        summary = summaries[model_id]
        assert summary["outputModalities"] == ["TEXT"] and summary["responseStreamingSupported"] is True
        details = boto3_control.get_foundation_model(modelIdentifier=model_id)["modelDetails"]
        assert details["modelArn"].endswith(f"foundation-model/{model_id}")
    assert summaries["meta.llama4-scout-17b-instruct-v1:0"]["inputModalities"] == ["TEXT", "IMAGE"]
    assert summaries["deepseek.r1-v1:0"]["providerName"] == "DeepSeek"
    by_provider = boto3_control.list_foundation_models(byProvider="qwen")["modelSummaries"]
    assert {s["modelId"] for s in by_provider} >= {m for m in NEW_CHAT_MODELS if m.startswith("qwen.")}
    profile = boto3_control.get_inference_profile(inferenceProfileIdentifier="us.deepseek.r1-v1:0")
    assert profile["models"][0]["modelArn"].endswith("foundation-model/deepseek.r1-v1:0")


def test_catalogue_families():
    names = {entry["modelId"]: family_for(entry["modelId"]).name for entry in catalogue()}
    assert names[R1] == "deepseek-r1" and {names[m] for m in GPT_OSS} == {"openai-chat"}
    assert names["meta.llama4-scout-17b-instruct-v1:0"] == "llama"
    assert names["mistral.pixtral-large-2502-v1:0"] == "mistral-chat"
    assert names["writer.palmyra-x5-v1:0"] == names["qwen.qwen3-32b-v1:0"] == "converse-only"
