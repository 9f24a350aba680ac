"""Converse / ConverseStream (§6): validation, the §6.4 feature matrix, answers and events."""

import json

import pytest

from litebed.emulator.families import ValidationFailed, converse
from litebed.emulator.tokens import count_tokens

HAIKU, TITAN, LLAMA31, MISTRAL7B = ("anthropic.claude-3-haiku-20240307-v1:0", "amazon.titan-text-express-v1",
                                    "meta.llama3-1-8b-instruct-v1:0", "mistral.mistral-7b-instruct-v0:2")
TOOL_CONFIG = {"tools": [{"toolSpec": {"name": "get_weather", "description": "w",
                                       "inputSchema": {"json": {"type": "object"}}}}]}


def user(*blocks):
    return {"role": "user", "content": [{"text": b} if isinstance(b, str) else b for b in blocks]}


def assistant(*blocks):
    return {"role": "assistant", "content": [{"text": b} if isinstance(b, str) else b for b in blocks]}


def rejection(body, model_id=HAIKU, stream=False):
    with pytest.raises(ValidationFailed) as info:
        converse(body, model_id=model_id, stream=stream)
    return info.value.message


def test_text_answer():
    body = {"messages": [user("hi   there")], "system": [{"text": "Be brief."}],
            "inferenceConfig": {"maxTokens": 50, "temperature": 0.2, "topP": 0.9}}
    result = converse(body, model_id=HAIKU, stream=False)
    inputs, outputs = count_tokens("Be brief.\nhi   there"), count_tokens("Echo: hi there")
    assert result.body == {
        "output": {"message": {"role": "assistant", "content": [{"text": "Echo: hi there"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": inputs, "outputTokens": outputs, "totalTokens": inputs + outputs},
        "metrics": {"latencyMs": result.body["metrics"]["latencyMs"]}}
    assert (result.input_tokens, result.output_tokens, result.events) == (inputs, outputs, [])


def test_stop_sequence_and_max_tokens():
    stopped = converse({"messages": [user("[[reply:a b STOP c]]")], "inferenceConfig": {"stopSequences": ["STOP"]},
                        "additionalModelResponseFieldPaths": ["/stop_sequence"]}, model_id=HAIKU, stream=False).body
    assert stopped["stopReason"] == "stop_sequence" and stopped["output"]["message"]["content"] == [{"text": "a b "}]
    assert stopped["additionalModelResponseFields"] == {"stop_sequence": "STOP"}
    cut = converse({"messages": [user("[[words:9]]")], "inferenceConfig": {"maxTokens": 2}}, model_id=TITAN, stream=False).body
    assert cut["stopReason"] == "max_tokens" and cut["output"]["message"]["content"] == [{"text": "w1 w2 "}]


def test_stream_events_for_text():
    result = converse({"messages": [user("[[words:3]]")]}, model_id=HAIKU, stream=True)
    kinds = [kind for kind, _ in result.events]
    assert kinds == ["messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockStop",
                     "messageStop", "metadata"]
    assert "".join(p["delta"]["text"] for k, p in result.events if k == "contentBlockDelta") == "w1 w2 w3"
    assert result.events[-2] == ("messageStop", {"stopReason": "end_turn"})
    assert result.events[-1][1]["usage"] == result.body["usage"] and "latencyMs" in result.events[-1][1]["metrics"]


def test_tool_use_answer_and_stream():
    body = {"messages": [user('call [[tool:get_weather {"city": "Paris"}]] [[tool:get_weather {"city": "Rome"}]]')],
            "toolConfig": {**TOOL_CONFIG, "toolChoice": {"auto": {}}}}
    answer = converse(body, model_id=HAIKU, stream=False).body
    blocks = answer["output"]["message"]["content"]
    assert answer["stopReason"] == "tool_use" and [b["toolUse"]["input"] for b in blocks] == [{"city": "Paris"}, {"city": "Rome"}]
    assert all(b["toolUse"]["toolUseId"].startswith("tooluse_") for b in blocks)
    assert blocks[0]["toolUse"]["toolUseId"] != blocks[1]["toolUse"]["toolUseId"]
    events = converse(body, model_id=HAIKU, stream=True).events
    starts = [p for k, p in events if k == "contentBlockStart"]
    assert starts[0] == {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": blocks[0]["toolUse"]["toolUseId"],
                                                                       "name": "get_weather"}}}
    fragments = [p["delta"]["toolUse"]["input"] for k, p in events if k == "contentBlockDelta" and p["contentBlockIndex"] == 1]
    assert len(fragments) > 1 and json.loads("".join(fragments)) == {"city": "Rome"}


def test_tool_result_round_trip():
    body = {"messages": [user("weather?"),
                         assistant({"toolUse": {"toolUseId": "tooluse_1", "name": "get_weather", "input": {}}}),
                         user({"toolResult": {"toolUseId": "tooluse_1", "content": [{"json": {"temp": 18}}], "status": "success"}})],
            "toolConfig": TOOL_CONFIG}
    assert converse(body, model_id=HAIKU, stream=False).body["output"]["message"]["content"] == [{"text": 'Echo: {"temp": 18}'}]


def test_documents_and_images_where_supported():
    document = {"document": {"format": "txt", "name": "Report (v2) [final]", "source": {"bytes": "aGk="}}}
    image = {"image": {"format": "png", "source": {"bytes": "aGk="}}}
    converse({"messages": [user("read", document, image)]}, model_id=HAIKU, stream=False)


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [messages]"),
    ({"messages": [user("x")], "stream_options": {}}, "extraneous key [stream_options]"),
    ({"messages": [user("x")], "temperature": 0.5}, "extraneous key [temperature]"),
    ({"messages": [user("x")], "inferenceConfig": {"maxTokens": 0}}, "#/inferenceConfig/maxTokens"),
    ({"messages": [user("x")], "inferenceConfig": {"temperature": 1.5}}, "#/inferenceConfig/temperature"),
    ({"messages": [user("x")], "inferenceConfig": {"max_tokens": 5}}, "extraneous key [max_tokens]"),
    ({"messages": [user("x")], "inferenceConfig": {"topP": 2}}, "#/inferenceConfig/topP"),
    ({"messages": [{"role": "system", "content": [{"text": "x"}]}]}, "#/messages/0/role"),
    ({"messages": [assistant("x")]}, "must start with a user message"),
    ({"messages": [user("a"), user("b")]}, "must alternate between user and assistant"),
    ({"messages": [{"role": "user", "content": "x"}]}, "#/messages/0/content: expected type: JSONArray"),
    ({"messages": [user({"text": "a", "image": {}})]}, "expected exactly one of"),
    ({"messages": [user({"type": "text", "text": "a"})]}, "extraneous key [type]"),
    ({"messages": [user({"image": {"format": "bmp", "source": {"bytes": "aGk="}}})]}, "#/messages/0/content/0/image/format"),
    ({"messages": [user("x", {"document": {"format": "txt", "name": "a__b!", "source": {"bytes": "aGk="}}})]},
     "/document/name"),
    ({"messages": [user("x", {"document": {"format": "txt", "name": "a  b", "source": {"bytes": "aGk="}}})]},
     "/document/name"),
    ({"messages": [user({"document": {"format": "txt", "name": "doc", "source": {"bytes": "aGk="}}})]},
     "must also contain a text block"),
    ({"messages": [user("x")], "toolConfig": {"tools": [{"toolSpec": {"name": "bad name", "inputSchema": {"json": {}}}}]}},
     "tool name pattern"),
    ({"messages": [user("x")], "toolConfig": {"tools": [{"toolSpec": {"name": "a" * 65, "inputSchema": {"json": {}}}}]}},
     "tool name pattern"),
    ({"messages": [user("x")], "toolConfig": {"tools": []}}, "#/toolConfig/tools: expected minimum item count: 1"),
    ({"messages": [user("x")], "toolConfig": {**TOOL_CONFIG, "toolChoice": {"required": {}}}}, "extraneous key [required]"),
    ({"messages": [user("x")], "toolConfig": {**TOOL_CONFIG, "toolChoice": "auto"}}, "#/toolConfig/toolChoice"),
    ({"messages": [user({"toolResult": {"toolUseId": "t1", "content": [{"text": "x"}]}})], "toolConfig": TOOL_CONFIG},
     "unknown toolUseId [t1]"),
    ({"messages": [user("x"), assistant({"toolUse": {"toolUseId": "t1", "name": "f", "input": {}}}),
                   user({"toolResult": {"toolUseId": "t1", "content": [{"text": "x"}]}})]},
     "toolConfig field must be defined"),
    ({"messages": [user("x")], "guardrailConfig": {"guardrailIdentifier": "g"}}, "required key [guardrailVersion]"),
    ({"messages": [user("x")], "system": [{"text": ""}]}, "#/system/0/text: expected minLength: 1"),
])
def test_rejections(body, fragment):
    assert fragment in rejection(body)


@pytest.mark.parametrize("model_id, body, stream, fragment", [
    (TITAN, {"messages": [user("x")], "system": [{"text": "s"}]}, False, "doesn't support system messages"),
    (TITAN, {"messages": [user("x")], "toolConfig": TOOL_CONFIG}, False, "doesn't support tool use"),
    (LLAMA31, {"messages": [user("x")], "toolConfig": TOOL_CONFIG}, True, "doesn't support tool use in streaming mode"),
    (LLAMA31, {"messages": [user("x")], "toolConfig": {**TOOL_CONFIG, "toolChoice": {"tool": {"name": "get_weather"}}}},
     False, "toolChoice.tool"),
    (MISTRAL7B, {"messages": [user({"image": {"format": "png", "source": {"bytes": "aGk="}}})]}, False, "image content block"),
    ("ai21.j2-mid-v1", {"messages": [user("x"), assistant("y"), user("z")]}, False, "conversation history"),
    ("ai21.j2-mid-v1", {"messages": [user("x")]}, True, "unsupported for streaming"),
    ("amazon.titan-embed-text-v2:0", {"messages": [user("x")]}, False, "doesn't support the model"),
    ("stability.stable-image-core-v1:0", {"messages": [user("x")]}, False, "doesn't support the model"),
])
def test_feature_matrix(model_id, body, stream, fragment):
    assert fragment in rejection(body, model_id=model_id, stream=stream)


def test_feature_matrix_allows_what_the_table_allows():
    converse({"messages": [user("x")], "toolConfig": TOOL_CONFIG}, model_id=LLAMA31, stream=False)
    converse({"messages": [user("x")], "toolConfig": {**TOOL_CONFIG, "toolChoice": {"tool": {"name": "get_weather"}}}},
             model_id="amazon.nova-pro-v1:0", stream=True)
    converse({"messages": [user("x")], "system": [{"text": "s"}]}, model_id="mistral.mistral-large-2407-v1:0", stream=False)
