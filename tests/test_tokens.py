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


def test_fresh_process_counts_tokens_with_the_network_cut(tmp_path):
    """No earlier test's cached encoding can help here: a new interpreter, sockets refused."""
    import subprocess
    import sys

    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network disabled')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import litebed\n"
        "print(litebed.token_counter(text='hello world'))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty-cache"), "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
