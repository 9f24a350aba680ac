"""gpt-oss's family module (litebed.providers.openai_chat), with plain data."""

import copy
import json

import pytest

from litebed.errors import APIError, BadRequestError
from litebed.providers import chat_family_for, chat_family_name, chat_family_or_converse
from litebed.providers import openai_chat as oc
from litebed.providers.base import ChatFamily, ChatParams, StreamState

MODEL = "openai.gpt-oss-120b-1:0"
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
         {"type": "function", "function": {"name": "noop"}}]


def test_the_module_is_a_chat_family_for_both_models():
    assert isinstance(oc, ChatFamily)
    assert (oc.FAMILY, oc.NATIVE_N, oc.NATIVE_STOP, oc.STREAMING) == ("openai-chat", False, True, True)
    assert oc.PROVIDER_PARAMS == frozenset() and oc.stream_tools_supported(MODEL)
    for model_id in ("openai.gpt-oss-20b-1:0", MODEL, "us.openai.gpt-oss-20b-1:0"):
        assert chat_family_name(model_id) == "openai_chat" and chat_family_for(model_id) is oc
        assert chat_family_or_converse(model_id) == (oc, "invoke")


def test_the_documented_body():
    body = oc.build_request(MODEL, [{"role": "system", "content": "You are a helpful assistant."},
                                    {"role": "user", "content": "Hello!"}],
                            ChatParams(max_tokens=150, temperature=0.7, top_p=0.9))
    assert body == {"messages": [{"role": "developer", "content": "You are a helpful assistant."},
                                 {"role": "user", "content": "Hello!"}],
                    "max_completion_tokens": 150, "temperature": 0.7, "top_p": 0.9}
    assert "model" not in body and "stream" not in body  # both may be omitted, and are


def test_openai_parameters_keep_their_ranges():
    body = oc.build_request(MODEL, [{"role": "user", "content": "q"}], ChatParams(
        temperature=1.8, stop=["END"], presence_penalty=-1.5, frequency_penalty=0.5,
        extra={"extra_body": {"reasoning_effort": "low"}}))
    assert {k: v for k, v in body.items() if k != "messages"} == {
        "max_completion_tokens": 1024, "temperature": 1.8, "stop": ["END"], "presence_penalty": -1.5,
        "frequency_penalty": 0.5, "reasoning_effort": "low"}
    try:
        body = oc.build_request(MODEL, [{"role": "user", "content": "q"}], ChatParams(stop=list("abcde")))
    except BadRequestError as exc:  # no stop limit known for the family: refused
        assert "at most 4" in str(exc)
    else:  # requests.NATIVE_STOP_LIMITS knows it: the first 4 are sent, the client trims with all
        assert body["stop"] == list("abcd")


@pytest.mark.parametrize("choice,native", [
    (None, None), ("auto", "auto"), ("required", "required"), ("none", "none"),
    ({"type": "function", "function": {"name": "noop"}}, {"type": "function", "function": {"name": "noop"}}),
])
def test_tools(choice, native):
    body = oc.build_request(MODEL, [{"role": "user", "content": "q"}], ChatParams(tools=TOOLS, tool_choice=choice))
    assert body["tools"] == [
        {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                                          "parameters": TOOLS[0]["function"]["parameters"]}},
        {"type": "function", "function": {"name": "noop", "parameters": {"type": "object", "properties": {}}}},
    ]
    assert body.get("tool_choice") == native


def test_a_named_tool_choice_must_name_a_tool():
    with pytest.raises(BadRequestError, match="not one of the tools"):
        oc.build_request(MODEL, [{"role": "user", "content": "q"}],
                         ChatParams(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "other"}}))


def test_tool_calls_and_results_keep_openais_shape():
    messages = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"id": "c2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "tool", "tool_call_id": "c2", "content": "25C"},
        {"role": "user", "content": "Thanks"},
    ]
    body = oc.build_request(MODEL, messages, ChatParams(tools=TOOLS))
    assert body["messages"] == [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"id": "c2", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Rome"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "18C"},
        {"role": "tool", "tool_call_id": "c2", "content": "25C"},
        {"role": "user", "content": "Thanks"},
    ]


@pytest.mark.parametrize("messages", [
    [{"role": "system", "content": "only"}],
    [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}],
    [{"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "c", "content": "r"}],
])
def test_inexpressible_conversations(messages):
    with pytest.raises(BadRequestError):
        oc.build_request(MODEL, messages, ChatParams())


# --- answers ---------------------------------------------------------------------------


def answer(content, finish="stop", **message):
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1754352000, "model": MODEL,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content, **message},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}}


@pytest.mark.parametrize("content,visible", [
    ("<reasoning>The user greets me.</reasoning>Hello! How can I help?", "Hello! How can I help?"),
    ("\n<reasoning>r</reasoning>\n\nHi", "\n\nHi"),
    ("Hello, no reasoning.", "Hello, no reasoning."),
    ("<reasoning>cut short by max_completion_tokens", ""),
    ("Hi <reasoning>x</reasoning>", "Hi <reasoning>x</reasoning>"),  # only a leading block is reasoning
])
def test_reasoning_is_kept_out_of_content(content, visible):
    completion = oc.parse_response(answer(content))
    assert completion.choices[0].content == visible == oc.strip_reasoning(content)
    assert (completion.prompt_tokens, completion.completion_tokens, completion.id) == (12, 30, "chatcmpl-1")


def test_tool_calls_are_parsed():
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    choice = oc.parse_response(answer("<reasoning>r</reasoning>", "tool_calls", tool_calls=[call])).choices[0]
    assert (choice.content, choice.tool_calls, choice.finish_reason) == (None, [call], "tool_calls")
    odd = {"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}  # an object, and no id
    choice = oc.parse_response(answer(None, "tool_calls", tool_calls=[odd])).choices[0]
    assert choice.tool_calls == [{"id": "call_0", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}]


@pytest.mark.parametrize("native,finish", [("stop", "stop"), ("length", "length"), ("tool_calls", "tool_calls"),
                                           ("content_filter", "content_filter"), (None, "stop")])
def test_finish_reasons(native, finish):
    assert oc.parse_response(answer("x", native)).choices[0].finish_reason == finish


def chunk(delta, finish=None, index=0, **extra):
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}], **extra}


def run_stream(events):
    state, pieces = StreamState(), []
    for event in events:
        pieces.extend(oc.parse_stream_event(event, state))
    return pieces


def content_chunks(parts, finish="stop"):
    return ([chunk({"role": "assistant", "content": ""})] + [chunk({"content": part}) for part in parts]
            + [chunk({}, finish)])


def test_stream_drops_the_reasoning_block_and_streams_the_rest():
    pieces = run_stream(content_chunks(["<reas", "oning>Think", "ing.</reason", "ing>Hel", "lo", "!"]))
    assert pieces[0].role == "assistant"
    assert [p.content for p in pieces if p.content] == ["Hel", "lo", "!"]
    assert [p.finish_reason for p in pieces if p.finish_reason] == ["stop"]


def test_stream_without_reasoning_is_not_held_back():
    pieces = run_stream(content_chunks(["Hel", "lo"]))
    assert [p.content for p in pieces if p.content] == ["Hel", "lo"]


@pytest.mark.parametrize("text", [
    "<reasoning>Let me see.</reasoning>The answer is 42.", "Plain", "<reasoning>cut short", "  <reasoning>r</reasoning>x",
    "<rea", "<reasoning>", "",
])
def test_stream_and_whole_answer_agree_however_the_text_is_split(text):
    whole = oc.parse_response(answer(text, "length")).choices[0].content
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1, 2):
            pieces = run_stream(content_chunks([text[:i], text[i:j], text[j:]], "length"))
            assert "".join(p.content or "" for p in pieces) == whole, (i, j)


def test_stream_tool_calls_and_usage():
    events = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "<reasoning>r</reasoning>"}),
        chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                               "function": {"name": "get_weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
        chunk({}, "tool_calls"),
        {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
         "usage": {"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14}},
    ]
    pieces = run_stream(events)
    calls = [call for p in pieces for call in p.tool_calls or []]
    assert calls[0] == {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"city": "Paris"}
    assert not any(p.content for p in pieces)
    assert [p.finish_reason for p in pieces if p.finish_reason] == ["tool_calls"]
    assert (pieces[-1].prompt_tokens, pieces[-1].completion_tokens) == (5, 9)


def test_unknown_stream_events_carry_nothing():
    assert run_stream([{"type": "ping"}, {"somethingNew": {"x": 1}}]) == []


# --- malformed answers -----------------------------------------------------------------

HOSTILE = [
    [], None, "x", {}, {"choices": []}, {"choices": "x"}, {"choices": [None]}, {"choices": [{}]},
    {"choices": [{"message": "x"}]}, {"choices": [{"message": {"content": 5}}]},
    {"choices": [{"message": {"content": "x"}, "finish_reason": 5}]},
    {"choices": [{"message": {"tool_calls": [{"function": {"arguments": "{}"}}]}}]},
    {"choices": [{"message": {"tool_calls": "x"}}]}, {"choices": [{"message": {}}], "usage": {"prompt_tokens": "3"}},
]


@pytest.mark.parametrize("body", HOSTILE)
def test_malformed_answers_name_the_family(body):
    with pytest.raises(APIError, match="malformed openai-chat response from Bedrock"):
        oc.parse_response(copy.deepcopy(body))


@pytest.mark.parametrize("event", [
    [], None, "x", {"choices": "x"}, {"choices": [None]}, {"choices": [{"delta": "x"}]},
    {"choices": [{"delta": {"content": 5}}]}, {"choices": [{"delta": {}, "finish_reason": 5}]},
    {"choices": [{"delta": {"tool_calls": [{"index": "0"}]}}]}, {"choices": [{"delta": {"tool_calls": [5]}}]},
    {"choices": [{"delta": {"tool_calls": [{"function": {"name": 5}}]}}]}, {"usage": {"completion_tokens": -1}},
])
def test_malformed_stream_events_name_the_family(event):
    with pytest.raises(APIError, match="malformed openai-chat response from Bedrock"):
        run_stream([copy.deepcopy(event)])


WRONG = [None, 0, 2.5, True, "", "x", [], [None], {}, {"a": None}, [{}]]


def paths(value, path=()):
    """Every (container path, key) of ``value``."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield path, key
        yield from paths(child, path + (key,))


def test_every_member_made_wrong_parses_or_names_the_family():
    call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    good_answer = answer("<reasoning>r</reasoning>Hi", "tool_calls", tool_calls=[call])
    good_events = [chunk({"role": "assistant", "content": "<reasoning>r</reasoning>Hi"}),
                   chunk({"tool_calls": [{"index": 0, **call}]}, "tool_calls",
                         usage={"prompt_tokens": 1, "completion_tokens": 2})]
    tried = 0
    for good, run in ((good_answer, lambda b: oc.parse_response(b).choices),
                      (good_events, lambda events: run_stream(events))):
        for path, key in list(paths(good)):
            for wrong in WRONG:
                bad = copy.deepcopy(good)
                node = bad
                for step in path:
                    node = node[step]
                node[key] = copy.deepcopy(wrong)
                tried += 1
                try:
                    result = run(bad)
                except APIError as exc:
                    assert "malformed openai-chat response" in str(exc)
                else:
                    assert all(p.content is None or isinstance(p.content, str) for p in result)
    assert tried > 200
