"""completion()/acompletion() against the emulator over loopback, for every InvokeModel chat family.

The emulated model replies deterministically (``[[reply:TEXT]]`` makes it say
TEXT), so each case compares exact content.
"""

import json

import pytest

import litebed
from litebed.emulator.tokens import count_tokens

MODELS = [
    "anthropic.claude-v2",
    "anthropic.claude-v2:1",
    "anthropic.claude-instant-v1",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "amazon.titan-text-express-v1",
    "amazon.titan-text-lite-v1",
    "amazon.titan-tg1-large",
    "amazon.titan-text-premier-v1:0",
    "amazon.nova-lite-v1:0",
    "cohere.command-text-v14",
    "cohere.command-light-text-v14",
    "cohere.command-r-v1:0",
    "cohere.command-r-plus-v1:0",
    "ai21.j2-mid-v1",
    "ai21.j2-ultra-v1",
    "ai21.jamba-instruct-v1:0",
    "ai21.jamba-1-5-mini-v1:0",
    "meta.llama2-13b-chat-v1",
    "meta.llama2-70b-chat-v1",
    "meta.llama3-8b-instruct-v1:0",
    "meta.llama3-1-70b-instruct-v1:0",
    "meta.llama3-2-3b-instruct-v1:0",
    "eu.meta.llama3-2-1b-instruct-v1:0",
    "meta.llama3-3-70b-instruct-v1:0",
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "mistral.mistral-large-2402-v1:0",
    "mistral.mistral-large-2407-v1:0",
]
NO_STREAM = {"ai21.j2-mid-v1", "ai21.j2-ultra-v1"}


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


def user(text):
    return {"role": "user", "content": text}


def runtime_requests(emu):
    return [r for r in emu.requests() if r["operation"].startswith("Invoke")]


@pytest.mark.parametrize("model", MODELS)
def test_plain(model, aws, emu):
    response = litebed.completion(model=f"bedrock/{model}", messages=[user("Say it [[reply:Hello there]]")], **aws)
    assert response.object == "chat.completion"
    assert response.model == f"bedrock/{model}"
    assert response.choices[0].message.content == "Hello there"
    assert response.choices[0].message.role == "assistant"
    assert response.choices[0].finish_reason == "stop"
    assert response.choices[0].native_finish_reason is not None
    usage = response.usage
    assert usage.estimated is False
    assert usage.completion_tokens == count_tokens("Hello there")
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    (logged,) = runtime_requests(emu)
    assert logged["status"] == 200 and logged["model_id"] == model


@pytest.mark.parametrize("model", MODELS)
def test_system_and_multi_turn(model, aws, emu):
    messages = [
        {"role": "system", "content": "You are terse."},
        user("first question"),
        {"role": "assistant", "content": "first answer"},
        user("second [[reply:final answer]]"),
    ]
    response = litebed.completion(model=f"bedrock/{model}", messages=messages, max_tokens=50, **aws)
    assert response.choices[0].message.content == "final answer"
    (logged,) = runtime_requests(emu)
    sent = json.dumps(logged["body"])
    for text in ("You are terse.", "first question", "first answer"):
        assert text in sent


# Command R's chat body has no place for a partial assistant answer (docs/bedrock.md §5.6).
NO_PREFILL = {"cohere.command-r-v1:0", "cohere.command-r-plus-v1:0"}


@pytest.mark.parametrize("model", MODELS)
def test_prefill(model, aws, emu):
    messages = [user("go on [[reply:the rest]]"), {"role": "assistant", "content": "Sure,"}]
    if model in NO_PREFILL:
        with pytest.raises(litebed.BadRequestError, match="messages\\[1\\]"):
            litebed.completion(model=f"bedrock/{model}", messages=messages, **aws)
        assert runtime_requests(emu) == []
        return
    response = litebed.completion(model=f"bedrock/{model}", messages=messages, **aws)
    # The answer continues the pre-fill and does not repeat it.
    assert response.choices[0].message.content == "the rest"
    (logged,) = runtime_requests(emu)
    sent = logged["body"].get("prompt") or logged["body"].get("inputText")
    if sent is not None:
        assert sent.rstrip().endswith("Sure,")
    else:
        assert "Sure," in json.dumps(logged["body"])


@pytest.mark.parametrize("model", MODELS)
def test_stop_sequences(model, aws):
    response = litebed.completion(
        model=f"bedrock/{model}", messages=[user("[[reply:alpha beta STOP gamma]]")], stop="STOP", **aws
    )
    assert response.choices[0].message.content.rstrip() == "alpha beta"
    assert response.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("model", MODELS)
def test_max_tokens_gives_length(model, aws, emu):
    response = litebed.completion(
        model=f"bedrock/{model}", messages=[user("[[words:60]]")], max_tokens=5, **aws
    )
    assert response.choices[0].finish_reason == "length"
    assert len(response.choices[0].message.content) < len(" ".join(f"w{i}" for i in range(1, 61)))


@pytest.mark.parametrize("model", MODELS)
def test_n_two(model, aws):
    response = litebed.completion(model=f"bedrock/{model}", messages=[user("[[reply:twice]]")], n=2, **aws)
    assert [c.index for c in response.choices] == [0, 1]
    assert all(c.message.content.startswith("twice") for c in response.choices)


@pytest.mark.parametrize("model", [m for m in MODELS if m not in NO_STREAM])
@pytest.mark.parametrize("include_usage", [False, True])
def test_stream(model, include_usage, aws):
    stream = litebed.completion(
        model=f"bedrock/{model}",
        messages=[user("[[reply:one two three four]]")],
        stream=True,
        stream_options={"include_usage": include_usage} if include_usage else None,
        **aws,
    )
    with stream:
        chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "one two three four"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    if include_usage:
        last = chunks[-1]
        assert last.choices == [] and last.usage is not None
        assert last.usage.estimated is False
        assert last.usage.completion_tokens == count_tokens("one two three four")
    else:
        assert all(c.usage is None for c in chunks)


@pytest.mark.parametrize("model", [m for m in MODELS if m not in NO_STREAM])
def test_stream_applies_stop(model, aws):
    stream = litebed.completion(
        model=f"bedrock/{model}", messages=[user("[[reply:red green STOP blue]]")], stream=True, stop=["STOP"], **aws
    )
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content.rstrip() == "red green" and "blue" not in content
    assert [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason] == ["stop"]


@pytest.mark.parametrize("model", MODELS)
async def test_async_plain(model, aws):
    response = await litebed.acompletion(model=f"bedrock/{model}", messages=[user("[[reply:async hello]]")], **aws)
    assert response.choices[0].message.content == "async hello"


@pytest.mark.parametrize("model", [m for m in MODELS if m not in NO_STREAM])
async def test_async_stream(model, aws):
    stream = await litebed.acompletion(
        model=f"bedrock/{model}",
        messages=[user("[[reply:a b c]]")],
        stream=True,
        stream_options={"include_usage": True},
        **aws,
    )
    chunks = [chunk async for chunk in stream]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "a b c"
    assert chunks[-1].usage.completion_tokens == count_tokens("a b c")


async def test_async_n_two_runs_concurrently(aws):
    response = await litebed.acompletion(
        model="bedrock/meta.llama3-8b-instruct-v1:0", messages=[user("[[reply:x]]")], n=3, **aws
    )
    assert [c.message.content for c in response.choices] == ["x", "x", "x"]
