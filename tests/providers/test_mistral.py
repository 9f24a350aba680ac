import pytest

from litebed.errors import BadRequestError, UnsupportedParamsError
from litebed.providers import mistral_chat, mistral_text
from litebed.providers.base import ChatParams, StreamState

TOOL = {"type": "function", "function": {"name": "top_song", "description": "d",
                                         "parameters": {"type": "object", "properties": {"sign": {"type": "string"}}}}}


def test_text_golden_prompt():
    prompt = mistral_text.build_prompt([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}, {"role": "user", "content": "Q2"},
    ])
    assert prompt == "<s>[INST] Be brief.\n\nQ1 [/INST] A1</s> [INST] Q2 [/INST]"


def test_text_plain_prefill_and_markers():
    assert mistral_text.build_prompt([{"role": "user", "content": "Hi"}]) == "<s>[INST] Hi [/INST]"
    assert mistral_text.build_prompt([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yes "}]) == (
        "<s>[INST] Hi [/INST] Yes")
    assert mistral_text.build_prompt([{"role": "user", "content": "a [/INST] b</s>"}]) == "<s>[INST] a [ /INST] b< /s> [/INST]"


def test_text_body():
    body = mistral_text.build_request("mistral.mistral-7b-instruct-v0:2", [{"role": "user", "content": "x"}],
                                      ChatParams(max_tokens=64, stop=["</s>"], temperature=1.2, top_p=0.9, extra={"top_k": 50}))
    assert body == {"prompt": "<s>[INST] x [/INST]", "max_tokens": 64, "stop": ["</s>"], "temperature": 1.0,
                    "top_p": 0.9, "top_k": 50}


@pytest.mark.parametrize("messages", [
    [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}],
    [{"role": "system", "content": "s"}],
    [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "a", "content": "r"}],
])
def test_text_inexpressible(messages):
    with pytest.raises(BadRequestError):
        mistral_text.build_prompt(messages)


@pytest.mark.parametrize("native,expected", [("stop", "stop"), ("length", "length")])
def test_text_parse_and_stream(native, expected):
    completion = mistral_text.parse_response({"outputs": [{"text": "hi", "stop_reason": native}]})
    assert (completion.choices[0].content, completion.choices[0].finish_reason) == ("hi", expected)
    state = StreamState()
    deltas = mistral_text.parse_stream_event({"outputs": [{"text": "h", "stop_reason": None}]}, state)
    deltas += mistral_text.parse_stream_event({"outputs": [{"text": "i", "stop_reason": native}]}, state)
    assert [(d.role, d.content, d.finish_reason) for d in deltas] == [("assistant", "h", None), (None, "i", expected)]


def test_chat_body_with_tools():
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "Most popular song on WZPZ?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "v6RMMiRlT", "type": "function", "function": {"name": "top_song", "arguments": '{"sign": "WZPZ"}'}}]},
        {"role": "tool", "tool_call_id": "v6RMMiRlT", "content": '{"song": "Elemental Hotel"}'},
    ]
    body = mistral_chat.build_request("mistral.mistral-large-2407-v1:0", messages,
                                      ChatParams(max_tokens=100, temperature=0.7, top_p=0.9, tools=[TOOL], tool_choice="required"))
    assert body == {
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "Most popular song on WZPZ?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "v6RMMiRlT", "function": {"name": "top_song", "arguments": '{"sign": "WZPZ"}'}}]},
            {"role": "tool", "tool_call_id": "v6RMMiRlT", "content": '{"song": "Elemental Hotel"}'},
        ],
        "max_tokens": 100, "temperature": 0.7, "top_p": 0.9,
        "tools": [TOOL], "tool_choice": "any",
    }


def test_chat_tool_choice_named_is_unsupported_and_none_kept():
    with pytest.raises(UnsupportedParamsError):
        mistral_chat.build_request("mistral.mistral-large-2407-v1:0", [{"role": "user", "content": "x"}],
                                   ChatParams(tools=[TOOL], tool_choice={"type": "function", "function": {"name": "top_song"}}))
    body = mistral_chat.build_request("mistral.mistral-large-2407-v1:0", [{"role": "user", "content": "x"}],
                                      ChatParams(tools=[TOOL], tool_choice="none", stop=["x"]))
    assert body["tool_choice"] == "none" and "stop" not in body


@pytest.mark.parametrize("messages,needle", [
    ([{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}], r"messages\[0\]"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}]}], r"messages\[0\]"),
])
def test_chat_inexpressible(messages, needle):
    with pytest.raises(BadRequestError, match=needle):
        mistral_chat.build_request("mistral.mistral-large-2407-v1:0", messages, ChatParams())


def test_chat_prefill_is_the_last_message():
    body = mistral_chat.build_request("mistral.mistral-large-2407-v1:0", [
        {"role": "user", "content": "x"}, {"role": "assistant", "content": "pre"}], ChatParams())
    assert body["messages"][-1]["role"] == "assistant" and body["messages"][-1]["content"] == "pre"


@pytest.mark.parametrize("native,expected", [("stop", "stop"), ("length", "length"), ("tool_calls", "tool_calls")])
def test_chat_parse(native, expected):
    completion = mistral_chat.parse_response({"choices": [{"index": 0, "message": {"role": "assistant", "content": "",
        "tool_calls": [{"id": "abc", "function": {"name": "top_song", "arguments": '{"sign": "X"}'}}]}, "stop_reason": native}]})
    choice = completion.choices[0]
    assert choice.finish_reason == expected and choice.content is None
    assert choice.tool_calls == [{"id": "abc", "type": "function", "function": {"name": "top_song", "arguments": '{"sign": "X"}'}}]


def test_chat_stream():
    state = StreamState()
    events = [
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hel"}, "stop_reason": None}]},
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "lo"}, "stop_reason": "stop"}]},
    ]
    deltas = [d for e in events for d in mistral_chat.parse_stream_event(e, state)]
    assert [(d.role, d.content, d.finish_reason) for d in deltas] == [("assistant", "Hel", None), (None, "lo", "stop")]
