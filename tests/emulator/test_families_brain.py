"""The emulated model (brain.py) and token scheme (tokens.py): pure functions."""

import pytest

from litebed.emulator import brain
from litebed.emulator.tokens import count_tokens, truncate_to_tokens


@pytest.mark.parametrize("text, expected", [("", 0), ("a", 1), ("abc", 1), ("abcd", 2), ("é", 1), ("€€", 2),
                                            ("Echo: hi", 3)])
def test_token_scheme_is_ceil_of_utf8_bytes_over_three(text, expected):
    assert count_tokens(text) == expected


def test_truncate_to_tokens_keeps_the_longest_prefix_within_budget():
    assert truncate_to_tokens("abcdefgh", 2) == "abcdef"
    assert truncate_to_tokens("abc", 5) == "abc"
    assert truncate_to_tokens("€€€", 2) == "€€"  # never splits a character
    assert truncate_to_tokens("abc", 0) == ""


def test_default_reply_echoes_the_last_user_text_with_whitespace_collapsed():
    reply = brain.respond("  hello \n\n  world  ")
    assert reply == brain.Reply("Echo: hello world", "end", None, ())


def test_reply_directive_sets_the_exact_text():
    assert brain.respond("please [[reply:Exactly  this.]] thanks").text == "Exactly  this."


def test_words_directive_numbers_the_words():
    assert brain.respond("[[words:4]]").text == "w1 w2 w3 w4"


def test_stream_words_overrides_everything():
    assert brain.respond("[[reply:x]]", stream_words=3).text == "w1 w2 w3"


def test_tool_directives_are_parallel_calls_only_when_tools_are_allowed():
    text = 'go [[tool:get_weather {"city": "Paris"}]] and [[tool:now]]'
    reply = brain.respond(text, tools_allowed=True)
    assert reply.tool_calls == (brain.ToolCall("get_weather", {"city": "Paris"}), brain.ToolCall("now", {}))
    assert reply.text == ""
    assert reply.output_tokens == count_tokens('{"city": "Paris"}') + count_tokens("{}")
    assert brain.respond(text).tool_calls == ()
    assert brain.respond(text).text.startswith("Echo: go [[tool:")


def test_reply_is_cut_at_the_earliest_stop_sequence_and_reports_it():
    reply = brain.respond("[[reply:one two three four]]", stop_sequences=["four", "two"])
    assert (reply.text, reply.finish, reply.stop_sequence) == ("one ", "stop_sequence", "two")


def test_reply_is_cut_at_max_tokens_by_the_token_scheme():
    reply = brain.respond("[[words:10]]", max_tokens=3)
    assert (reply.text, reply.finish, reply.stop_sequence) == ("w1 w2 w3 ", "length", None)
    assert count_tokens(reply.text) == 3


def test_stop_sequence_beyond_the_length_limit_finishes_by_length():
    reply = brain.respond("[[reply:aaaaaaaaaaaa STOP]]", stop_sequences=["STOP"], max_tokens=2)
    assert reply.finish == "length"


def test_pieces_are_words_with_their_leading_whitespace_and_concatenate_back():
    assert brain.pieces("Echo: hi  there") == ["Echo:", " hi", "  there"]
    assert brain.pieces("") == []
    assert "".join(brain.pieces(" a b ")) == " a b "


def test_json_fragments_concatenate_to_the_arguments():
    parts = brain.json_fragments({"city": "Paris", "days": 3})
    assert len(parts) == 3 and "".join(parts) == '{"city": "Paris", "days": 3}'


def test_stable_id_is_deterministic_and_alphanumeric():
    assert brain.stable_id({"a": 1}) == brain.stable_id({"a": 1}) != brain.stable_id({"a": 2})
    assert brain.stable_id("x", length=9).isalnum() and len(brain.stable_id("x", length=9)) == 9


def test_tool_directive_arguments_may_nest():
    (call,) = brain.respond('[[tool:f {"a": {"b": [[1, 2]]}, "c": "x"}]] tail', tools_allowed=True).tool_calls
    assert call.arguments == {"a": {"b": [[1, 2]]}, "c": "x"}
