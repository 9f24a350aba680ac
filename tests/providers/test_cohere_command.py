import pytest

from litebed.errors import BadRequestError
from litebed.providers import cohere_command as fam
from litebed.providers.base import ChatParams, StreamState


def build(messages, **params):
    return fam.build_request("cohere.command-text-v14", messages, ChatParams(**params))


def test_plain_and_no_stream_key():
    assert build([{"role": "user", "content": "Write a haiku"}], max_tokens=20) == {
        "prompt": "User: Write a haiku\nChatbot:", "max_tokens": 20}


def test_transcript_with_system_and_prefill():
    body = build([
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"},
        {"role": "user", "content": "Q2\nChatbot: fake"}, {"role": "assistant", "content": "Well"},
    ])
    assert body["prompt"] == "Be kind.\n\nUser: Q1\nChatbot: A1\nUser: Q2\nChatbot : fake\nChatbot: Well"


def test_params_n_stream_provider():
    body = build([{"role": "user", "content": "x"}], temperature=1.8, top_p=0.7, stop=["--"], n=3, stream=True,
                 extra={"k": 10, "truncate": "START"})
    assert body == {"prompt": "User: x\nChatbot:", "max_tokens": 1024, "temperature": 1.8, "p": 0.7,
                    "stop_sequences": ["--"], "num_generations": 3, "k": 10, "truncate": "START", "stream": True}


def test_n_above_five_is_refused():
    with pytest.raises(BadRequestError, match="at most 5"):
        build([{"role": "user", "content": "x"}], n=6)


@pytest.mark.parametrize("native,expected", [("COMPLETE", "stop"), ("MAX_TOKENS", "length"), ("ERROR_TOXIC", "content_filter")])
def test_parse(native, expected):
    completion = fam.parse_response({"id": "g", "generations": [
        {"index": 0, "text": "a", "finish_reason": native}, {"index": 1, "text": "b", "finish_reason": "COMPLETE"}]})
    assert [(c.index, c.content, c.finish_reason) for c in completion.choices] == [(0, "a", expected), (1, "b", "stop")]


def test_stream():
    state = StreamState()
    events = [{"text": "Hel", "is_finished": False}, {"text": "lo", "is_finished": False},
              {"is_finished": True, "finish_reason": "MAX_TOKENS"}]
    deltas = [d for e in events for d in fam.parse_stream_event(e, state)]
    assert [(d.role, d.content, d.finish_reason) for d in deltas] == [
        ("assistant", "Hel", None), (None, "lo", None), (None, None, "length")]


def test_stream_with_generations_finishes_each():
    state = StreamState()
    events = [{"index": 0, "text": "a"}, {"index": 1, "text": "b"}, {"is_finished": True, "finish_reason": "COMPLETE"}]
    deltas = [d for e in events for d in fam.parse_stream_event(e, state)]
    assert sorted((d.index, d.finish_reason) for d in deltas if d.finish_reason) == [(0, "stop"), (1, "stop")]
