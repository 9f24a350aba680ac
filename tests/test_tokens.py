"""Token counting works with the network cut (tiktoken's encodings are shipped, never fetched)."""

import socket

import pytest

import litebed


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "/nonexistent-cache-dir")


def test_text_count_offline(no_network):
    assert litebed.token_counter(text="hello world") == 2
    assert litebed.token_counter(text="") == 0


def test_messages_count_offline(no_network):
    n = litebed.token_counter(
        model="bedrock/anthropic.claude-v2",
        messages=[{"role": "user", "content": "hello world"}, {"role": "assistant", "content": None}],
    )
    assert n == 3 + 3 + 2 + 3


def test_content_lists_are_counted_as_text(no_network):
    parts = [{"type": "text", "text": "hello"}, {"type": "text", "text": " world"}]
    assert litebed.token_counter(messages=[{"role": "user", "content": parts}]) == litebed.token_counter(
        messages=[{"role": "user", "content": "hello world"}]
    )


def test_exactly_one_input():
    with pytest.raises(litebed.BadRequestError):
        litebed.token_counter(text="a", messages=[])
