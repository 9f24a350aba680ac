"""embedding() / aembedding() against the emulator over loopback."""

import base64
import struct

import pytest

from litebed import aembedding, embedding
from litebed.errors import BadRequestError, RateLimitError


@pytest.fixture
def kw(emu):
    return {"api_base": emu.base_url, **emu.credentials}


def invocations(emu):
    return [r for r in emu.requests() if r["operation"] == "InvokeModel"]


@pytest.mark.parametrize("model, kwargs, size, body", [
    ("amazon.titan-embed-text-v1", {}, 1536, {"inputText": "hello"}),
    ("amazon.titan-embed-g1-text-02", {}, 1536, {"inputText": "hello"}),
    ("amazon.titan-embed-text-v2:0", {"dimensions": 256, "normalize": False}, 256,
     {"inputText": "hello", "dimensions": 256, "normalize": False}),
    ("amazon.titan-embed-image-v1", {"dimensions": 384}, 384,
     {"inputText": "hello", "embeddingConfig": {"outputEmbeddingLength": 384}}),
    ("cohere.embed-english-v3", {}, 1024, {"texts": ["hello"], "input_type": "search_document"}),
    ("us.cohere.embed-multilingual-v3", {"input_type": "clustering", "truncate": "START"}, 1024,
     {"texts": ["hello"], "input_type": "clustering", "truncate": "START"}),
])
def test_models_and_parameters(emu, kw, model, kwargs, size, body):
    response = embedding(f"bedrock/{model}", "hello", **kwargs, **kw)
    assert response.model == f"bedrock/{model}"
    assert len(response.data) == 1 and len(response.data[0].embedding) == size
    assert response.usage.prompt_tokens == response.usage.total_tokens == 2  # emulator: (5 + 2) // 3
    [logged] = invocations(emu)
    assert logged["model_id"] == model and logged["body"] == body


@pytest.mark.parametrize("model", ["amazon.titan-embed-text-v2:0", "cohere.embed-english-v3"])
def test_list_keeps_order_and_sums_usage(emu, kw, model):
    texts = [f"text number {i}" for i in range(150)]
    response = embedding(f"bedrock/{model}", texts, **kw)
    singles = {i: embedding(f"bedrock/{model}", texts[i], **kw).data[0].embedding for i in (0, 97, 149)}
    assert [d.index for d in response.data] == list(range(150))
    for i, vector in singles.items():
        assert response.data[i].embedding == vector
    assert response.data[0].embedding != response.data[1].embedding
    assert response.usage.prompt_tokens == sum((len(t) + 2) // 3 for t in texts)


async def test_async_matches_sync(emu, kw):
    texts = ["alpha", "beta", "gamma"]
    sync = embedding("bedrock/amazon.titan-embed-text-v2:0", texts, **kw)
    asynchronous = await aembedding("bedrock/amazon.titan-embed-text-v2:0", texts, concurrency=2, **kw)
    assert asynchronous.model_dump() == sync.model_dump()


def test_base64_decodes_to_the_same_floats(kw):
    floats = embedding("bedrock/amazon.titan-embed-text-v2:0", ["a", "b"], dimensions=256, **kw)
    encoded = embedding("bedrock/amazon.titan-embed-text-v2:0", ["a", "b"], dimensions=256,
                        encoding_format="base64", **kw)
    for plain, packed in zip(floats.data, encoded.data, strict=True):
        raw = base64.b64decode(packed.embedding)
        assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == pytest.approx(plain.embedding, rel=1e-6)


def test_cohere_2000_texts_take_21_requests(emu, kw):
    texts = [f"document {i}" for i in range(2000)]
    response = embedding("bedrock/cohere.embed-english-v3", texts, **kw)
    assert len(response.data) == 2000
    assert [len(r["body"]["texts"]) for r in invocations(emu)].count(96) == 20
    assert len(invocations(emu)) == 21


def test_arn_through_model_id(emu, kw):
    arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/emb123"
    emu.register_model(arn, "amazon.titan-embed-text-v2:0")
    response = embedding("bedrock/amazon.titan-embed-text-v2:0", "hi", model_id=arn, dimensions=512, **kw)
    assert len(response.data[0].embedding) == 512
    assert invocations(emu)[0]["model_id"] == arn


@pytest.mark.parametrize("input, kwargs, message", [
    ("x", {"model": "bedrock/anthropic.claude-v2"}, "model: 'anthropic.claude-v2' is not an embedding model"),
    ([], {}, "input: the list is empty"),
    (["a", None], {}, r"input\[1\] must be a string"),
    ("x", {"dimensions": 100}, "dimensions: must be one of 256, 512, 1024"),
    ("x", {"encoding_format": "int8"}, "encoding_format"),
    ("x", {"concurrency": 0}, "concurrency"),
    ("x", {"bogus": 1}, "unsupported argument.*bogus"),
    (["ok", "y" * 2049], {"model": "bedrock/cohere.embed-english-v3"}, r"input\[1\] is 2049 characters"),
])
def test_bad_input_fails_before_any_request(emu, kw, input, kwargs, message):
    kwargs = {"model": "bedrock/amazon.titan-embed-text-v2:0", **kwargs}
    with pytest.raises(BadRequestError, match=message):
        embedding(input=input, **kwargs, **kw)
    assert emu.requests() == []


def test_failure_after_retries_names_the_index(emu, kw, monkeypatch):
    monkeypatch.setattr("litebed._transport.retry.INITIAL_BACKOFF", 0.01)
    emu.configure(script=["ok", "throttle", "throttle"])
    with pytest.raises(RateLimitError, match=r"input\[1\] failed"):
        embedding("bedrock/amazon.titan-embed-text-v2:0", ["a", "b"], concurrency=1, num_retries=1, **kw)


def test_transient_errors_are_retried(emu, kw, monkeypatch):
    monkeypatch.setattr("litebed._transport.retry.INITIAL_BACKOFF", 0.01)
    emu.configure(script=["throttle", "reset", "error503"])
    response = embedding("bedrock/amazon.titan-embed-text-v2:0", ["a", "b"], concurrency=1, num_retries=3, **kw)
    assert len(response.data) == 2
