import pytest

from litebed.errors import BadRequestError
from litebed.providers import nova as fam
from litebed.providers.base import ChatParams, StreamState

TOOL = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {}}}}


def build(messages, **params):
    return fam.build_request("amazon.nova-lite-v1:0", messages, ChatParams(**params))


def test_plain_body():
    assert build([{"role": "user", "content": "Hi"}], max_tokens=10) == {
        "schemaVersion": "messages-v1",
        "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
        "inferenceConfig": {"maxTokens": 10},
    }


def test_system_images_prefill_params():
    body = build(
        [
            {"role": "system", "content": "terse"},
            {"role": "user", "content": [{"type": "text", "text": "Describe"},
                                         {"type": "image_url", "image_url": {"url": "data:image/webp;base64,AAAA"}}]},
            {"role": "assistant", "content": "It shows "},
        ],
        temperature=0.3, top_p=0.9, stop=["END"], extra={"top_k": 50},
    )
    assert body["system"] == [{"text": "terse"}]
    assert body["messages"] == [
        {"role": "user", "content": [{"text": "Describe"}, {"image": {"format": "webp", "source": {"bytes": "AAAA"}}}]},
        {"role": "assistant", "content": [{"text": "It shows"}]},
    ]
    assert body["inferenceConfig"] == {"maxTokens": 1024, "temperature": 0.3, "topP": 0.9, "topK": 50, "stopSequences": ["END"]}


@pytest.mark.parametrize("choice,expected", [
    ("auto", {"auto": {}}), ("required", {"any": {}}), ({"type": "function", "function": {"name": "f"}}, {"tool": {"name": "f"}}),
])
def test_tools(choice, expected):
    body = build([{"role": "user", "content": "x"}], tools=[TOOL], tool_choice=choice)
    assert body["toolConfig"] == {
        "tools": [{"toolSpec": {"name": "f", "description": "d", "inputSchema": {"json": {"type": "object", "properties": {}}}}}],
        "toolChoice": expected,
    }
    assert "toolConfig" not in build([{"role": "user", "content": "x"}], tools=[TOOL], tool_choice="none")


def test_tool_messages():
    body = build([
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": "ok", "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": '{"a": 1}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "done"},
    ], tools=[TOOL])
    assert body["messages"][1:] == [
        {"role": "assistant", "content": [{"text": "ok"}, {"toolUse": {"toolUseId": "c1", "name": "f", "input": {"a": 1}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "c1", "content": [{"text": "done"}]}}]},
    ]


@pytest.mark.parametrize("messages", [
    [{"role": "system", "content": "s"}],
    [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}],
    [{"role": "user", "content": None}],
    [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}],
])
def test_inexpressible(messages):
    with pytest.raises(BadRequestError):
        build(messages)


@pytest.mark.parametrize("native,expected", [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
    ("content_filtered", "content_filter"),
])
def test_parse(native, expected):
    completion = fam.parse_response({
        "output": {"message": {"role": "assistant", "content": [
            {"text": "Hi"}, {"toolUse": {"toolUseId": "u1", "name": "f", "input": {"a": 1}}}]}},
        "stopReason": native, "usage": {"inputTokens": 5, "outputTokens": 2, "totalTokens": 7},
    })
    choice = completion.choices[0]
    assert (choice.content, choice.finish_reason) == ("Hi", expected)
    assert choice.tool_calls == [{"id": "u1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]
    assert (completion.prompt_tokens, completion.completion_tokens) == (5, 2)


def test_stream():
    state = StreamState()
    events = [
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"delta": {"text": "Hel"}, "contentBlockIndex": 0}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "u1", "name": "f"}}, "contentBlockIndex": 1}},
        {"contentBlockDelta": {"delta": {"toolUse": {"input": '{"a":1}'}}, "contentBlockIndex": 1}},
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 4, "outputTokens": 6}}},
    ]
    deltas = [d for e in events for d in fam.parse_stream_event(e, state)]
    assert deltas[0].role == "assistant"
    assert deltas[1].content == "Hel"
    assert deltas[2].tool_calls == [{"index": 0, "id": "u1", "type": "function", "function": {"name": "f", "arguments": ""}}]
    assert deltas[3].tool_calls == [{"index": 0, "function": {"arguments": '{"a":1}'}}]
    assert deltas[4].finish_reason == "tool_calls"
    assert (deltas[5].prompt_tokens, deltas[5].completion_tokens) == (4, 6)
