"""Hostile or broken native answers, for every family parser.

A body or stream event that is not what the family documents raises an
``APIError`` naming the family ("malformed <family> response from Bedrock: ...").
Never a bare ``KeyError`` / ``IndexError`` / ``TypeError`` / ``AttributeError`` /
``ValueError``, and never a success the rest of litebed would choke on (zero
choices, a non-string content, a tool call without a name, a token count that is
not an integer).

Besides a table of named hostile bodies, every member of a well-formed answer is
replaced by values of every JSON kind (and deleted), one at a time: each such
answer must either parse into a valid result or raise ``APIError``.
"""

from __future__ import annotations

import base64
import copy
import functools
import importlib
import json

import pytest

from litebed.errors import APIError
from litebed.providers import CHAT_FAMILIES
from litebed.providers import embeddings as E
from litebed.providers import images as I
from litebed.providers.base import Completion, StreamPiece, StreamState
from litebed.types import (
    ChatCompletionMessageToolCall,
    Choices,
    Delta,
    Message,
    StreamingChoices,
)

MODULES = sorted({name for _, name in CHAT_FAMILIES} | {"converse"})


def family(name):
    return importlib.import_module(f"litebed.providers.{name}")


NOVA_LIKE = {
    "output": {"message": {"role": "assistant", "content": [
        {"text": "Hi"}, {"toolUse": {"toolUseId": "t1", "name": "f", "input": {"a": 1}}}]}},
    "stopReason": "tool_use",
    "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5},
}

#: A well-formed answer per family (the shapes of tests/providers and the emulator).
GOOD_BODIES = {
    "anthropic_text": {"completion": " Hello", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"},
    "anthropic_messages": {
        "id": "msg_1", "type": "message", "role": "assistant",
        "content": [{"type": "text", "text": "Hi"},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
        "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 5},
    },
    "titan": {"inputTextTokenCount": 7, "results": [{"tokenCount": 3, "outputText": "Hi", "completionReason": "FINISH"}]},
    "nova": NOVA_LIKE,
    "converse": NOVA_LIKE,
    "cohere_chat": {
        "response_id": "r", "generation_id": "g", "text": "Paris.", "finish_reason": "COMPLETE",
        "tool_calls": [{"name": "f", "parameters": {"a": 1}}],
        "meta": {"billed_units": {"input_tokens": 3, "output_tokens": 2}},
    },
    "cohere_command": {"id": "g", "generations": [
        {"id": "a", "index": 0, "text": "Hi", "finish_reason": "COMPLETE"},
        {"id": "b", "index": 1, "text": "Yo", "finish_reason": "MAX_TOKENS"}]},
    "ai21_j2": {"id": 1234, "prompt": {"text": "p", "tokens": [{}, {}]},
                "completions": [{"data": {"text": "Hi", "tokens": [{}]}, "finishReason": {"reason": "endoftext"}}]},
    "ai21_jamba": {"id": "j", "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}},
    "llama2": {"generation": "Paris.", "prompt_token_count": 25, "generation_token_count": 3, "stop_reason": "stop"},
    "llama3": {"generation": "Paris.", "prompt_token_count": 25, "generation_token_count": 3, "stop_reason": "stop"},
    "mistral_text": {"outputs": [{"text": "hi", "stop_reason": "stop"}]},
    "deepseek": {"choices": [{"text": "The user greets me.\n</think>\n\nHi", "stop_reason": "stop"}]},
    "openai_chat": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "openai.gpt-oss-20b-1:0",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": "<reasoning>r</reasoning>Hi",
                                                         "tool_calls": [{"id": "c1", "type": "function",
                                                                         "function": {"name": "f", "arguments": "{}"}}]},
                                 "finish_reason": "tool_calls"}],
                    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}},
    "mistral_chat": {"id": "m", "choices": [{"index": 0, "message": {
        "role": "assistant", "content": "", "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{\"a\": 1}"}}]},
        "stop_reason": "tool_calls"}]},
}

NOVA_LIKE_EVENTS = [
    {"messageStart": {"role": "assistant"}},
    {"contentBlockDelta": {"delta": {"text": "Hi"}, "contentBlockIndex": 0}},
    {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "t", "name": "f"}}, "contentBlockIndex": 1}},
    {"contentBlockDelta": {"delta": {"toolUse": {"input": "{\"a\""}}, "contentBlockIndex": 1}},
    {"contentBlockStop": {"contentBlockIndex": 1}},
    {"messageStop": {"stopReason": "tool_use"}},
    {"metadata": {"usage": {"inputTokens": 3, "outputTokens": 2}, "metrics": {"latencyMs": 5}}},
]
LLAMA_EVENTS = [
    {"generation": "Hi", "prompt_token_count": 3, "generation_token_count": 1, "stop_reason": None},
    {"generation": "", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": "stop"},
]

#: Well-formed stream events per family (AI21 J2 does not stream).
GOOD_EVENTS = {
    "anthropic_text": [{"completion": " Hel", "stop_reason": None, "stop": None},
                       {"completion": "", "stop_reason": "max_tokens", "stop": None}],
    "anthropic_messages": [
        {"type": "message_start", "message": {"id": "m", "content": [], "usage": {"input_tokens": 3, "output_tokens": 0}}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {"type": "content_block_start", "index": 1, "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}},
        {"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"a\""}},
        {"type": "content_block_stop", "index": 1},
        {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 2}},
        {"type": "message_stop"},
    ],
    "titan": [{"outputText": "Hi", "index": 0, "totalOutputTextTokenCount": 1, "completionReason": None, "inputTextTokenCount": 3},
              {"outputText": "", "index": 0, "totalOutputTextTokenCount": 2, "completionReason": "FINISH"}],
    "nova": NOVA_LIKE_EVENTS,
    "converse": NOVA_LIKE_EVENTS,
    "cohere_chat": [
        {"event_type": "stream-start", "is_finished": False, "generation_id": "g"},
        {"event_type": "text-generation", "is_finished": False, "text": "Hi"},
        {"event_type": "tool-calls-generation", "is_finished": False, "text": "Hi",
         "tool_calls": [{"name": "f", "parameters": {"a": 1}}]},
        {"event_type": "stream-end", "is_finished": True, "finish_reason": "COMPLETE",
         "response": {"meta": {"billed_units": {"input_tokens": 3, "output_tokens": 2}}}},
    ],
    "cohere_command": [{"text": "Hi", "is_finished": False, "index": 0},
                       {"text": "Yo", "is_finished": False, "index": 1},
                       {"is_finished": True, "finish_reason": "COMPLETE", "response": {"id": "g"}}],
    "ai21_jamba": [
        {"id": "j", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
        {"id": "j", "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 3, "completion_tokens": 1}},
    ],
    "llama2": LLAMA_EVENTS,
    "llama3": LLAMA_EVENTS,
    "mistral_text": [{"outputs": [{"text": "h", "stop_reason": None}]}, {"outputs": [{"text": "", "stop_reason": "stop"}]}],
    "deepseek": [{"choices": [{"text": "r</think>H", "stop_reason": None}]}, {"choices": [{"text": "i", "stop_reason": "stop"}]}],
    "openai_chat": [
        {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                                                     "finish_reason": None}]},
        {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "<reasoning>r</reasoning>Hi"},
                                                                     "finish_reason": None}]},
        {"id": "c", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, "finish_reason": "tool_calls"}],
         "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}},
    ],
    "mistral_chat": [
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "h"}, "stop_reason": None}]},
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c", "function": {"name": "f", "arguments": "{}"}}]}, "stop_reason": "tool_calls"}]},
    ],
}

#: Not what any family documents, whatever the family.
NOT_AN_ANSWER = {"empty object": {}, "list": [], "list of object": [{}], "null": None, "string": "x",
                 "number": 5, "float": 2.5, "boolean": True}

#: Family-specific hostile bodies: required members missing, of the wrong type, or no choices.
HOSTILE = {
    "anthropic_text": [{"stop_reason": "max_tokens"}, {"completion": 5}, {"completion": ["a"]}, {"completion": None},
                       {"completion": "x", "stop_reason": {"a": 1}}],
    "anthropic_messages": [{"content": 5}, {"content": "text"}, {"content": [None]}, {"content": [5]},
                           {"content": {"type": "text"}}, {"stop_reason": "end_turn"},
                           {"content": [{"type": "text", "text": 5}]},
                           {"content": [{"type": "tool_use", "id": "t", "input": {}}]},
                           {"content": [{"type": "tool_use", "name": "f", "input": {}}]},
                           {"content": [{"type": "tool_use", "id": "t", "name": "f", "input": "x"}]},
                           {"content": [], "usage": {"input_tokens": "3"}},
                           {"content": [], "usage": {"output_tokens": -1}},
                           {"content": [], "usage": [1]}],
    "titan": [{"results": []}, {"results": "x"}, {"results": [None]}, {"results": [{}]},
              {"results": [{"outputText": 5}]}, {"inputTextTokenCount": 3},
              {"results": [{"outputText": "a", "tokenCount": "3"}]},
              {"results": [{"outputText": "a"}], "inputTextTokenCount": 1.5}],
    "nova": [{"output": None}, {"output": {}}, {"output": {"message": None}}, {"output": {"message": "x"}},
             {"output": {"message": {}}}, {"output": {"message": {"content": 5}}},
             {"output": {"message": {"content": [None]}}}, {"output": {"message": {"content": [{"text": 5}]}}},
             {"output": {"message": {"content": [{"toolUse": None}]}}},
             {"output": {"message": {"content": [{"toolUse": {"name": "f"}}]}}},
             {"output": {"message": {"content": [{"toolUse": {"toolUseId": "t", "name": 5}}]}}},
             {"output": {"message": {"content": []}}, "usage": {"inputTokens": True}}],
    "cohere_chat": [{"finish_reason": "COMPLETE"}, {"text": 5}, {"text": "x", "tool_calls": "x"},
                    {"text": "x", "tool_calls": [None]}, {"tool_calls": [{"parameters": {}}]},
                    {"text": "x", "tool_calls": [{"name": "f", "parameters": "x"}]},
                    {"text": "x", "meta": {"billed_units": {"input_tokens": "3"}}}, {"text": "x", "meta": 5}],
    "cohere_command": [{"generations": []}, {"generations": [None]}, {"generations": "x"}, {"generations": [{}]},
                       {"generations": [{"text": 5}]}, {"generations": [{"text": "a", "index": "0"}]},
                       {"generations": [{"text": "a", "index": -1}]}, {"generations": [{"text": "a"}], "id": 5},
                       {"id": "x"}],
    "ai21_j2": [{"completions": []}, {"completions": [None]}, {"completions": [{}]}, {"completions": [{"data": "x"}]},
                {"completions": [{"data": {"text": 5}}]}, {"completions": [{"data": {"text": "a", "tokens": 5}}]},
                {"completions": [{"data": {"text": "a"}, "finishReason": "x"}]},
                {"completions": [{"data": {"text": "a"}}], "prompt": {"tokens": "x"}},
                {"completions": [{"data": {"text": "a"}}], "id": {"a": 1}}],
    "ai21_jamba": [{"choices": []}, {"choices": "x"}, {"choices": [None]}, {"choices": [{}]},
                   {"choices": [{"message": "x"}]}, {"choices": [{"message": {"content": 5}}]},
                   {"choices": [{"message": {}, "index": "0"}]}, {"choices": [{"message": {}}], "usage": 5},
                   {"choices": [{"message": {}}], "usage": {"prompt_tokens": "3"}}],
    "llama2": [{"stop_reason": "stop"}, {"generation": 5}, {"generation": "x", "prompt_token_count": "25"},
               {"generation": "x", "generation_token_count": [3]}],
    "mistral_text": [{"outputs": []}, {"outputs": "x"}, {"outputs": [None]}, {"outputs": [{}]},
                     {"outputs": [{"text": 5}]}, {"outputs": [{"text": "a", "stop_reason": 5}]}],
    "mistral_chat": [{"choices": []}, {"choices": "x"}, {"choices": [None]}, {"choices": [{}]},
                     {"choices": [{"message": {"content": 5}}]},
                     {"choices": [{"message": {"tool_calls": "x"}}]},
                     {"choices": [{"message": {"tool_calls": [None]}}]},
                     {"choices": [{"message": {"tool_calls": [{"id": "c"}]}}]},
                     {"choices": [{"message": {"tool_calls": [{"id": "c", "function": {"name": 5}}]}}]},
                     {"choices": [{"message": {"tool_calls": [{"id": 5, "function": {"name": "f"}}]}}]},
                     {"choices": [{"message": {}, "stop_reason": ["x"]}]}],
}
HOSTILE["converse"] = HOSTILE["nova"]
HOSTILE["deepseek"] = [{"choices": []}, {"choices": "x"}, {"choices": [None]}, {"choices": [{}]},
                       {"choices": [{"text": 5}]}, {"choices": [{"text": "a", "stop_reason": 5}]},
                       {"choices": [{"text": "a", "index": "0"}]}]
HOSTILE["openai_chat"] = [{"choices": []}, {"choices": "x"}, {"choices": [None]}, {"choices": [{}]},
                          {"choices": [{"message": "x"}]}, {"choices": [{"message": {"content": 5}}]},
                          {"choices": [{"message": {"content": "x"}, "finish_reason": 5}]},
                          {"choices": [{"message": {"tool_calls": "x"}}]},
                          {"choices": [{"message": {"tool_calls": [{"id": "c"}]}}]},
                          {"choices": [{"message": {"tool_calls": [{"id": "c", "function": {"name": 5}}]}}]},
                          {"choices": [{"message": {}}], "usage": {"prompt_tokens": "3"}}]
HOSTILE["llama3"] = HOSTILE["llama2"]


def assert_family_error(exc_info, name):
    exc = exc_info.value
    assert isinstance(exc, APIError), type(exc)
    assert f"malformed {family(name).FAMILY} response from Bedrock" in str(exc), str(exc)


def check_completion(completion):
    """What _completion._to_response needs of a parsed answer."""
    assert isinstance(completion, Completion)
    assert completion.choices, "a Completion with no choices"
    for choice in completion.choices:
        assert choice.content is None or isinstance(choice.content, str)
        tool_calls = [ChatCompletionMessageToolCall(**call) for call in choice.tool_calls] if choice.tool_calls else None
        Choices(index=0, message=Message(content=choice.content, tool_calls=tool_calls),
                finish_reason=choice.finish_reason, native_finish_reason=choice.native_finish_reason)
    for count in (completion.prompt_tokens, completion.completion_tokens):
        assert count is None or (type(count) is int and count >= 0), count
    assert completion.id is None or isinstance(completion.id, str)


def check_pieces(pieces):
    """What _streaming.stream.ChunkBuilder needs of parsed stream pieces."""
    assert isinstance(pieces, list)
    for piece in pieces:
        assert isinstance(piece, StreamPiece)
        assert type(piece.index) is int and piece.index >= 0, piece.index
        assert piece.role is None or isinstance(piece.role, str)
        assert piece.content is None or isinstance(piece.content, str)
        delta = Delta(content=piece.content, tool_calls=piece.tool_calls)
        StreamingChoices(index=piece.index, delta=delta, finish_reason=piece.finish_reason,
                         native_finish_reason=piece.native_finish_reason)
        for count in (piece.prompt_tokens, piece.completion_tokens):
            assert count is None or (type(count) is int and count >= 0), count
        hash(piece.index)


def valid_or_family_error(name, where, run, check):
    """``run()`` raises the family's APIError, or returns a result ``check`` accepts."""
    try:
        result = run()
    except APIError as exc:
        assert f"malformed {family(name).FAMILY} response" in str(exc), (where, str(exc))
        return
    except Exception as exc:  # pragma: no cover - the failure these tests exist for
        pytest.fail(f"{name}: {where} raised {type(exc).__name__}: {exc}")
    try:
        check(result)
    except Exception as exc:  # pragma: no cover
        pytest.fail(f"{name}: {where} parsed into an invalid result: {exc!r}")


WRONG_VALUES = [None, 0, 5, -1, 2.5, True, False, "", "x", [], [None], [5], ["x"], {}, {"a": None}, [{}]]


def mutations(value, path=()):
    """Every way of making ``value`` wrong at one place: (path, mutated copy)."""
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    else:
        children = []
    for key, child in children:
        if isinstance(value, dict):
            deleted = copy.deepcopy(value)
            del deleted[key]
            yield path + (key, "<deleted>"), deleted
        for wrong in WRONG_VALUES:
            if wrong == child and type(wrong) is type(child):
                continue
            changed = copy.deepcopy(value)
            changed[key] = copy.deepcopy(wrong)
            yield path + (key,), changed
        for sub_path, sub_value in mutations(child, path + (key,)):
            changed = copy.deepcopy(value)
            changed[key] = sub_value
            yield sub_path, changed


# --- whole answers ------------------------------------------------------------------


@pytest.mark.parametrize("name", MODULES)
def test_good_body_parses(name):
    check_completion(family(name).parse_response(copy.deepcopy(GOOD_BODIES[name])))


@pytest.mark.parametrize("case", sorted(NOT_AN_ANSWER))
@pytest.mark.parametrize("name", MODULES)
def test_not_an_answer(name, case):
    with pytest.raises(APIError) as info:
        family(name).parse_response(copy.deepcopy(NOT_AN_ANSWER[case]))
    assert_family_error(info, name)


@pytest.mark.parametrize("name,index", [(name, i) for name in MODULES for i in range(len(HOSTILE[name]))])
def test_hostile_body(name, index):
    with pytest.raises(APIError) as info:
        family(name).parse_response(copy.deepcopy(HOSTILE[name][index]))
    assert_family_error(info, name)


@pytest.mark.parametrize("name", MODULES)
def test_every_member_made_wrong(name):
    """Each member of a good answer replaced (or deleted): a valid result or a family APIError."""
    parse = family(name).parse_response
    tried = 0
    for path, body in mutations(GOOD_BODIES[name]):
        tried += 1
        valid_or_family_error(name, path, functools.partial(parse, body), check_completion)
    assert tried > 20


def test_error_messages_do_not_echo_the_answer():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    for name in MODULES:
        for hostile in ({"completion": [secret]}, {"content": secret}, {"choices": secret}, {"results": [secret]},
                        {"output": secret}, {"generations": [secret]}, {"text": {"k": secret}}, {"outputs": secret}):
            try:
                family(name).parse_response(hostile)
            except APIError as exc:
                assert secret not in str(exc) and secret not in repr(exc)


# --- stream events --------------------------------------------------------------------

STREAMING = sorted(GOOD_EVENTS)


def run_events(name, events):
    state, pieces = StreamState(), []
    for event in events:
        pieces.extend(family(name).parse_stream_event(event, state))
    return pieces


@pytest.mark.parametrize("name", STREAMING)
def test_good_events_parse(name):
    pieces = run_events(name, copy.deepcopy(GOOD_EVENTS[name]))
    check_pieces(pieces)
    assert any(p.finish_reason for p in pieces)


@pytest.mark.parametrize("case", ["list", "null", "string", "number", "boolean", "list of object"])
@pytest.mark.parametrize("name", STREAMING)
def test_stream_event_not_an_object(name, case):
    with pytest.raises(APIError) as info:
        family(name).parse_stream_event(copy.deepcopy(NOT_AN_ANSWER[case]), StreamState())
    assert_family_error(info, name)


@pytest.mark.parametrize("name", STREAMING)
def test_unknown_stream_events_are_ignored(name):
    state = StreamState()
    fam = family(name)
    fam.parse_stream_event(copy.deepcopy(GOOD_EVENTS[name][0]), state)
    for event in ({"type": "ping"}, {"event_type": "citation-generation", "citations": []}, {"somethingNew": {"x": 1}}):
        pieces = fam.parse_stream_event(event, state)
        check_pieces(pieces)
        assert not any(p.content or p.tool_calls or p.finish_reason for p in pieces)


HOSTILE_EVENTS = {
    "anthropic_text": [{"completion": 5}, {"completion": "x", "stop_reason": 5}],
    "anthropic_messages": [
        {"type": "message_start", "message": "x"}, {"type": "message_start", "message": {"usage": {"input_tokens": "3"}}},
        {"type": "content_block_start", "index": 0, "content_block": 5},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": 5}},
        {"type": "content_block_start", "index": [0], "content_block": {"type": "tool_use", "id": "t", "name": "f"}},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t"}},
        {"type": "content_block_delta", "index": 0, "delta": "x"},
        {"type": "content_block_delta", "index": {}, "delta": {"type": "text_delta", "text": "x"}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": {}}},
        {"type": "message_delta", "delta": {"stop_reason": 5}},
        {"type": "message_delta", "delta": {}, "usage": {"output_tokens": "2"}},
    ],
    "titan": [{"outputText": 5}, {"outputText": "x", "completionReason": []}, {"inputTextTokenCount": "3"}],
    "nova": [
        {"messageStart": "x"}, {"contentBlockStart": 5}, {"contentBlockStart": {"start": "x"}},
        {"contentBlockStart": {"start": {"toolUse": "x"}}},
        {"contentBlockStart": {"start": {"toolUse": {"name": "f"}}, "contentBlockIndex": 0}},
        {"contentBlockStart": {"start": {"toolUse": {"toolUseId": "t", "name": "f"}}, "contentBlockIndex": "0"}},
        {"contentBlockDelta": {"delta": {"text": 5}}}, {"contentBlockDelta": {"delta": {"toolUse": {"input": {}}}}},
        {"contentBlockDelta": {"delta": "x"}}, {"messageStop": {"stopReason": 5}}, {"messageStop": []},
        {"metadata": {"usage": "x"}}, {"metadata": {"usage": {"inputTokens": "3"}}},
    ],
    "cohere_chat": [
        {"event_type": "stream-start", "generation_id": 5}, {"event_type": "text-generation", "text": 5},
        {"event_type": "tool-calls-generation", "tool_calls": "x"},
        {"event_type": "tool-calls-generation", "tool_calls": [{"parameters": {}}]},
        {"event_type": "stream-end", "finish_reason": 5},
        {"event_type": "stream-end", "finish_reason": "COMPLETE", "response": "x"},
        {"event_type": "stream-end", "finish_reason": "COMPLETE", "response": {"meta": {"billed_units": {"input_tokens": "3"}}}},
    ],
    "cohere_command": [{"text": 5}, {"text": "x", "index": "1"}, {"text": "x", "index": -3},
                       {"is_finished": True, "finish_reason": 5}],
    "ai21_jamba": [{"choices": "x"}, {"choices": [None]}, {"choices": [{"delta": "x"}]},
                   {"choices": [{"delta": {"content": 5}}]}, {"choices": [{"delta": {}, "index": "0"}]},
                   {"choices": [{"delta": {}, "finish_reason": 5}]}, {"usage": 5}, {"usage": {"prompt_tokens": "3"}}],
    "llama2": [{"generation": 5}, {"generation": "x", "stop_reason": 5}, {"generation_token_count": "3"}],
    "mistral_text": [{"outputs": "x"}, {"outputs": [None]}, {"outputs": [{"text": 5}]}],
    "mistral_chat": [{"choices": "x"}, {"choices": [None]}, {"choices": [{"message": "x"}]},
                     {"choices": [{"message": {"content": 5}}]},
                     {"choices": [{"message": {"tool_calls": [{"function": {"name": 5}}]}}]},
                     {"choices": [{"message": {}, "index": 1.5}]}],
}
HOSTILE_EVENTS["converse"] = HOSTILE_EVENTS["nova"]
HOSTILE_EVENTS["deepseek"] = [{"choices": "x"}, {"choices": [None]}, {"choices": [{"text": 5}]},
                              {"choices": [{"text": "x", "stop_reason": 5}]}, {"choices": [{"text": "x", "index": -1}]}]
HOSTILE_EVENTS["openai_chat"] = [{"choices": "x"}, {"choices": [None]}, {"choices": [{"delta": "x"}]},
                                 {"choices": [{"delta": {"content": 5}}]}, {"choices": [{"delta": {}, "finish_reason": 5}]},
                                 {"choices": [{"delta": {"tool_calls": [{"index": "0"}]}}]},
                                 {"choices": [{"delta": {"tool_calls": [{"function": {"name": 5}}]}}]},
                                 {"usage": {"prompt_tokens": "3"}}]
HOSTILE_EVENTS["llama3"] = HOSTILE_EVENTS["llama2"]


@pytest.mark.parametrize("name,index", [(name, i) for name in STREAMING for i in range(len(HOSTILE_EVENTS[name]))])
def test_hostile_stream_event(name, index):
    with pytest.raises(APIError) as info:
        run_events(name, [copy.deepcopy(GOOD_EVENTS[name][0]), copy.deepcopy(HOSTILE_EVENTS[name][index])])
    assert_family_error(info, name)


@pytest.mark.parametrize("name", STREAMING)
def test_every_event_member_made_wrong(name):
    """Each member of each good event replaced (or deleted), the rest of the stream intact."""
    events = GOOD_EVENTS[name]
    tried = 0
    for position, event in enumerate(events):
        for path, bad in mutations(event):
            tried += 1
            stream = copy.deepcopy(events)
            stream[position] = bad
            valid_or_family_error(name, f"event {position} {path}", functools.partial(run_events, name, stream), check_pieces)
    assert tried > 10


# --- embeddings and images -------------------------------------------------------------

TITAN_EMBED = E.embedding_model_for("amazon.titan-embed-text-v2:0")
COHERE_EMBED = E.embedding_model_for("cohere.embed-english-v3")

HOSTILE_EMBEDDINGS = [
    (TITAN_EMBED, {}), (TITAN_EMBED, []), (TITAN_EMBED, None), (TITAN_EMBED, "x"), (TITAN_EMBED, 5),
    (TITAN_EMBED, {"embedding": "x"}), (TITAN_EMBED, {"embedding": {"a": 1}}), (TITAN_EMBED, {"embedding": []}),
    (TITAN_EMBED, {"embedding": [None]}), (TITAN_EMBED, {"embedding": ["0.5"]}), (TITAN_EMBED, {"embedding": [[0.5]]}),
    (TITAN_EMBED, {"embedding": [1e39]}), (TITAN_EMBED, {"embedding": [10**400]}),
    (TITAN_EMBED, {"embeddingsByType": 5}), (TITAN_EMBED, {"embeddingsByType": {}}),
    (TITAN_EMBED, {"embeddingsByType": {"float": "x"}}),
    (TITAN_EMBED, {"embedding": [0.5], "inputTextTokenCount": "3"}),
    (TITAN_EMBED, {"embedding": [0.5], "inputTextTokenCount": -3}),
    (COHERE_EMBED, {}), (COHERE_EMBED, {"embeddings": "xy"}), (COHERE_EMBED, {"embeddings": 5}),
    (COHERE_EMBED, {"embeddings": [[1.0], None]}), (COHERE_EMBED, {"embeddings": [[1.0], [1.0, 2.0]]}),
    (COHERE_EMBED, {"embeddings": [[1.0], ["a"]]}), (COHERE_EMBED, {"embeddings": [[1.0]]}),
    (COHERE_EMBED, {"embeddings": [[1.0], [2.0], [3.0]]}), (COHERE_EMBED, {"embeddings": {"int8": [[1], [2]]}}),
    (COHERE_EMBED, {"embeddings": {"float": None}}), (COHERE_EMBED, {"embeddings": {"float": [[1.0], {}]}}),
]


@pytest.mark.parametrize("index", range(len(HOSTILE_EMBEDDINGS)))
def test_hostile_embedding_answer(index):
    model, body = HOSTILE_EMBEDDINGS[index]
    with pytest.raises(APIError) as info:
        E.parse_response(model, copy.deepcopy(body), expected=1 if model is TITAN_EMBED else 2, header_tokens=None)
    assert f"unexpected embedding response from Bedrock ({model.kind} model)" in str(info.value)


def test_embedding_vectors_survive_base64_encoding():
    vectors, tokens = E.parse_response(COHERE_EMBED, {"embeddings": [[1, -2.5], [0.0, 3]]}, expected=2, header_tokens=4)
    assert vectors == [[1, -2.5], [0.0, 3]] and tokens == 4
    assert [E.encode_base64(v) for v in vectors]


PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 20).decode()
SDXL = I.image_model_for("stability.stable-diffusion-xl-v1")
STABLE = I.image_model_for("stability.sd3-large-v1:0")
TITAN_IMAGE = I.image_model_for("amazon.titan-image-generator-v1")

HOSTILE_IMAGES = [
    (model, body) for model in (SDXL, STABLE, TITAN_IMAGE) for body in ({}, [], None, "x", 5)
] + [
    (SDXL, {"artifacts": None}), (SDXL, {"artifacts": "x"}), (SDXL, {"artifacts": []}), (SDXL, {"artifacts": [None]}),
    (SDXL, {"artifacts": [{}]}), (SDXL, {"artifacts": [{"base64": 5}]}), (SDXL, {"artifacts": [{"base64": "!!not base64"}]}),
    (SDXL, {"artifacts": [{"base64": ""}]}),
    (STABLE, {"images": "x"}), (STABLE, {"images": []}), (STABLE, {"images": [None]}), (STABLE, {"images": [PNG, 5]}),
    (STABLE, {"images": [PNG], "finish_reasons": "x"}), (STABLE, {"images": ["abc"]}),
    (TITAN_IMAGE, {"images": []}), (TITAN_IMAGE, {"images": None, "error": None}), (TITAN_IMAGE, {"images": {"a": PNG}}),
    (TITAN_IMAGE, {"images": ["%%%%"]}),
]


@pytest.mark.parametrize("index", range(len(HOSTILE_IMAGES)))
def test_hostile_image_answer(index):
    model, body = HOSTILE_IMAGES[index]
    with pytest.raises(APIError) as info:
        I.parse_response(model, copy.deepcopy(body))
    assert f"unexpected image response from Bedrock ({model.kind} model)" in str(info.value)


def test_parsed_images_are_safe_for_media_type():
    for model, body in ((SDXL, {"artifacts": [{"base64": PNG, "finishReason": "SUCCESS"}]}),
                        (STABLE, {"images": [PNG], "finish_reasons": [None]}), (TITAN_IMAGE, {"images": [PNG]})):
        assert [I.media_type(image) for image in I.parse_response(model, body)] == ["image/png"]


def test_image_failure_reason_is_shortened():
    with pytest.raises(APIError, match="image generation failed") as info:
        I.parse_response(TITAN_IMAGE, {"images": [], "error": "e" * 1_000_000})
    assert len(str(info.value)) < 1200
    with pytest.raises(APIError, match="content filter"):
        I.parse_response(SDXL, {"artifacts": [{"base64": PNG, "finishReason": ["CONTENT_FILTERED"]}]})


def test_json_round_trip_of_good_bodies_is_unchanged():
    # The table above is JSON (what json.loads hands the parsers), not Python-only values.
    assert json.loads(json.dumps(GOOD_BODIES)) == GOOD_BODIES
