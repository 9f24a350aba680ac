"""The real families behind the emulator's HTTP server, driven by the real boto3 client."""

import base64
import json
import struct

import pytest
from botocore.exceptions import ClientError

from litebed.emulator.tokens import count_tokens

LLAMA3_PROMPT = ("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello there<|eot_id|>"
                 "<|start_header_id|>assistant<|end_header_id|>\n\n")
CLAUDE_MESSAGES = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
                   "messages": [{"role": "user", "content": "hello there"}]}

# model id, body, a function of the parsed response giving the reply text
TEXT_CASES = [
    ("anthropic.claude-v2", {"prompt": "\n\nHuman: hello there\n\nAssistant:", "max_tokens_to_sample": 100},
     lambda r: r["completion"], lambda c: c["completion"]),
    ("anthropic.claude-3-haiku-20240307-v1:0", CLAUDE_MESSAGES, lambda r: r["content"][0]["text"],
     lambda c: c["delta"].get("text", "") if c["type"] == "content_block_delta" else ""),
    ("amazon.titan-text-express-v1", {"inputText": "User: hello there\nBot:"}, lambda r: r["results"][0]["outputText"],
     lambda c: c["outputText"]),
    ("amazon.nova-lite-v1:0", {"messages": [{"role": "user", "content": [{"text": "hello there"}]}]},
     lambda r: r["output"]["message"]["content"][0]["text"],
     lambda c: c["contentBlockDelta"]["delta"]["text"] if "contentBlockDelta" in c else ""),
    ("cohere.command-text-v14", {"prompt": "hello there", "max_tokens": 50}, lambda r: r["generations"][0]["text"],
     lambda c: c.get("text", "")),
    ("cohere.command-r-v1:0", {"message": "hello there"}, lambda r: r["text"],
     lambda c: c.get("text", "") if c["event_type"] == "text-generation" else ""),
    ("ai21.j2-mid-v1", {"prompt": "hello there"}, lambda r: r["completions"][0]["data"]["text"], None),
    ("ai21.jamba-1-5-mini-v1:0", {"messages": [{"role": "user", "content": "hello there"}]},
     lambda r: r["choices"][0]["message"]["content"], lambda c: c["choices"][0]["delta"].get("content", "")),
    ("meta.llama3-8b-instruct-v1:0", {"prompt": LLAMA3_PROMPT, "max_gen_len": 50}, lambda r: r["generation"],
     lambda c: c["generation"]),
    ("mistral.mistral-7b-instruct-v0:2", {"prompt": "<s>[INST] hello there [/INST]"}, lambda r: r["outputs"][0]["text"],
     lambda c: c["outputs"][0]["text"]),
    ("mistral.mistral-large-2407-v1:0", {"messages": [{"role": "user", "content": "hello there"}]},
     lambda r: r["choices"][0]["message"]["content"], lambda c: c["choices"][0]["message"]["content"]),
]


def invoke(client, model_id, body):
    response = client.invoke_model(modelId=model_id, body=json.dumps(body), contentType="application/json",
                                   accept="application/json")
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


@pytest.mark.parametrize("model_id, body, reply_of, _", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_invoke_model_for_every_text_family(boto3_runtime, model_id, body, reply_of, _):
    answer, headers = invoke(boto3_runtime, model_id, body)
    assert reply_of(answer) == "Echo: hello there"
    assert int(headers["x-amzn-bedrock-input-token-count"]) > 0
    assert headers["x-amzn-bedrock-output-token-count"] == str(count_tokens("Echo: hello there"))


STREAM_CASES = [c for c in TEXT_CASES if c[3] is not None]


@pytest.mark.parametrize("model_id, body, reply_of, piece_of", STREAM_CASES, ids=[c[0] for c in STREAM_CASES])
def test_invoke_stream_for_every_streaming_family(boto3_runtime, model_id, body, reply_of, piece_of):
    if model_id.startswith("cohere.command-text"):
        body = {**body, "stream": True}
    response = boto3_runtime.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert "".join(piece_of(chunk) for chunk in chunks) == "Echo: hello there"
    assert len(chunks) >= 3
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == count_tokens("Echo: hello there") and metrics["inputTokenCount"] > 0


def test_stream_on_a_non_streaming_family_is_rejected(boto3_runtime):
    with pytest.raises(ClientError) as info:
        boto3_runtime.invoke_model_with_response_stream(modelId="ai21.j2-mid-v1", body=json.dumps({"prompt": "x"}))
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_embeddings(boto3_runtime):
    titan, headers = invoke(boto3_runtime, "amazon.titan-embed-text-v2:0", {"inputText": "hello", "dimensions": 512})
    assert len(titan["embedding"]) == 512 and titan["inputTextTokenCount"] == 2
    assert headers["x-amzn-bedrock-input-token-count"] == "2"
    cohere, _ = invoke(boto3_runtime, "cohere.embed-english-v3", {"texts": ["a", "b"], "input_type": "search_query"})
    assert [len(v) for v in cohere["embeddings"]] == [1024, 1024]


@pytest.mark.parametrize("model_id, body, images_of, size", [
    ("stability.stable-diffusion-xl-v1", {"text_prompts": [{"text": "x"}], "width": 1344, "height": 768},
     lambda r: [a["base64"] for a in r["artifacts"]], (1344, 768)),
    ("stability.stable-image-core-v1:0", {"prompt": "x", "aspect_ratio": "2:3"}, lambda r: r["images"], (832, 1216)),
    ("amazon.titan-image-generator-v1", {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"},
                                         "imageGenerationConfig": {"width": 512, "height": 512}}, lambda r: r["images"],
     (512, 512)),
])
def test_images(boto3_runtime, model_id, body, images_of, size):
    answer, _ = invoke(boto3_runtime, model_id, body)
    png = base64.b64decode(images_of(answer)[0])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == size


TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "get_weather", "description": "weather",
                                       "inputSchema": {"json": {"type": "object"}}}}]}
TOOL_MESSAGES = [{"role": "user", "content": [{"text": '[[tool:get_weather {"city": "Paris"}]]'}]}]


def test_converse_with_a_tool_call(boto3_runtime):
    response = boto3_runtime.converse(modelId="anthropic.claude-3-haiku-20240307-v1:0", messages=TOOL_MESSAGES,
                                      toolConfig=TOOL_CONFIG, inferenceConfig={"maxTokens": 100})
    (block,) = response["output"]["message"]["content"]
    assert response["stopReason"] == "tool_use"
    assert block["toolUse"]["name"] == "get_weather" and block["toolUse"]["input"] == {"city": "Paris"}
    assert response["usage"]["outputTokens"] == count_tokens('{"city": "Paris"}')
    assert response["metrics"]["latencyMs"] >= 0


def test_converse_stream_with_a_tool_call(boto3_runtime):
    response = boto3_runtime.converse_stream(modelId="amazon.nova-pro-v1:0", messages=TOOL_MESSAGES, toolConfig=TOOL_CONFIG)
    events = list(response["stream"])
    kinds = [next(iter(event)) for event in events]
    assert kinds[0] == "messageStart" and kinds[-2:] == ["messageStop", "metadata"]
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "get_weather"
    fragments = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e]
    assert json.loads("".join(fragments)) == {"city": "Paris"}
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"
    assert events[-1]["metadata"]["usage"]["totalTokens"] > 0


def test_converse_stream_text(boto3_runtime):
    response = boto3_runtime.converse_stream(modelId="meta.llama3-8b-instruct-v1:0",
                                             messages=[{"role": "user", "content": [{"text": "[[words:4]]"}]}])
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in response["stream"] if "contentBlockDelta" in e)
    assert text == "w1 w2 w3 w4"


@pytest.mark.parametrize("model_id, body, key", [
    ("anthropic.claude-3-haiku-20240307-v1:0", {**CLAUDE_MESSAGES, "stream_options": {"include_usage": True}}, "stream_options"),
    ("meta.llama3-8b-instruct-v1:0", {"prompt": "x", "stop": ["y"]}, "stop"),
    ("amazon.titan-text-express-v1", {"inputText": "x", "textGenerationConfig": {"max_tokens": 5}}, "max_tokens"),
])
def test_leaked_openai_keys_are_validation_exceptions(boto3_runtime, model_id, body, key):
    with pytest.raises(ClientError) as info:
        invoke(boto3_runtime, model_id, body)
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException" and f"extraneous key [{key}]" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_converse_validation_exception(boto3_runtime):
    with pytest.raises(ClientError) as info:
        boto3_runtime.converse(modelId="amazon.titan-text-express-v1", messages=TOOL_MESSAGES, toolConfig=TOOL_CONFIG)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "doesn't support tool use" in info.value.response["Error"]["Message"]


def test_count_tokens(boto3_runtime):
    body = {"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 5}
    response = boto3_runtime.count_tokens(modelId="anthropic.claude-v2",
                                          input={"invokeModel": {"body": json.dumps(body).encode()}})
    assert response["inputTokens"] == count_tokens(body["prompt"])


def test_converse_image_bytes_travel_as_base64(boto3_runtime, emu):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    response = boto3_runtime.converse(modelId="amazon.nova-lite-v1:0", messages=[{"role": "user", "content": [
        {"image": {"format": "png", "source": {"bytes": png}}}, {"text": "what is it?"}]}])
    assert response["output"]["message"]["content"] == [{"text": "Echo: what is it?"}]
    (entry,) = emu.requests()
    assert entry["body"]["messages"][0]["content"][0]["image"]["source"]["bytes"] == base64.b64encode(png).decode()
