"""Amazon Nova native messages-v1 bodies (§5.4)."""

import pytest

from litebed.emulator.families import ValidationFailed, family_for
from litebed.emulator.tokens import count_tokens

LITE, MICRO = "amazon.nova-lite-v1:0", "amazon.nova-micro-v1:0"
TOOLS = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]}


def generate(model_id, body, *, stream=False):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=stream)
    return family.generate(body, model_id=model_id, stream=stream)


def rejection(model_id, body):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=False)
    return info.value.message


def user(text):
    return {"role": "user", "content": [{"text": text}]}


def test_answer_and_usage():
    body = {"schemaVersion": "messages-v1", "system": [{"text": "Be brief."}], "messages": [user("hi  there")],
            "inferenceConfig": {"maxTokens": 50, "temperature": 0.5, "topP": 0.9, "topK": 20}}
    generation = generate(LITE, body)
    inputs, outputs = count_tokens("Be brief.\nhi  there"), count_tokens("Echo: hi there")
    assert generation.body == {
        "output": {"message": {"role": "assistant", "content": [{"text": "Echo: hi there"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": inputs, "outputTokens": outputs, "totalTokens": inputs + outputs,
                  "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 0}}


def test_stream_chunks_are_converse_events_keyed_by_name():
    body = {"messages": [user("[[words:2]]")], "inferenceConfig": {"stopSequences": ["w2"]}}
    chunks = generate(LITE, body, stream=True).chunks
    assert chunks[0] == {"messageStart": {"role": "assistant"}}
    assert [c["contentBlockDelta"]["delta"]["text"] for c in chunks if "contentBlockDelta" in c] == ["w1", " "]
    assert {"messageStop": {"stopReason": "stop_sequence"}} in chunks
    assert chunks[-1]["metadata"]["usage"]["outputTokens"] == count_tokens("w1 ")


def test_tool_use():
    answer = generate(LITE, {"messages": [user('[[tool:get_weather {"city": "Oslo"}]]')], "toolConfig": TOOLS}).body
    (block,) = answer["output"]["message"]["content"]
    assert block["toolUse"]["name"] == "get_weather" and block["toolUse"]["input"] == {"city": "Oslo"}
    assert block["toolUse"]["toolUseId"].startswith("tooluse_") and answer["stopReason"] == "tool_use"


@pytest.mark.parametrize("model_id, body, fragment", [
    (LITE, {}, "required key [messages]"),
    (LITE, {"messages": [user("x")], "schemaVersion": "messages-v2"}, "#/schemaVersion"),
    (LITE, {"messages": [user("x")], "inferenceConfig": {"max_tokens": 5}}, "extraneous key [max_tokens]"),
    (LITE, {"messages": [user("x")], "inferenceConfig": {"maxTokens": 0}}, "#/inferenceConfig/maxTokens"),
    (LITE, {"messages": [user("x")], "inferenceConfig": {"temperature": 1.5}}, "#/inferenceConfig/temperature"),
    (LITE, {"messages": [user("x")], "stream_options": {}}, "extraneous key [stream_options]"),
    (LITE, {"messages": [user("x")], "tool_choice": "auto"}, "extraneous key [tool_choice]"),
    (LITE, {"messages": [{"role": "user", "content": "x"}]}, "#/messages/0/content: expected type: JSONArray"),
    (LITE, {"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}, "must start with a user message"),
    (MICRO, {"messages": [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": "aGk="}}}]}]},
     "doesn't support the image content block"),
])
def test_rejections(model_id, body, fragment):
    assert fragment in rejection(model_id, body)
