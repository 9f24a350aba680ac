"""Embedding bodies, batching and parsing (pure, docs/bedrock.md §5.14)."""

import pytest

from litebed.errors import APIError, BadRequestError
from litebed.providers import embeddings as E


def opts(model, **kwargs):
    return E.EmbeddingOptions.build(model, **kwargs)


@pytest.mark.parametrize("model_id, kind", [
    ("amazon.titan-embed-text-v1", "titan-v1"),
    ("amazon.titan-embed-text-v1:2:8k", "titan-v1"),
    ("amazon.titan-embed-g1-text-02", "titan-v1"),
    ("amazon.titan-embed-text-v2:0", "titan-v2"),
    ("amazon.titan-embed-image-v1", "titan-multimodal"),
    ("cohere.embed-english-v3", "cohere"),
    ("cohere.embed-multilingual-v3", "cohere"),
])
def test_models(model_id, kind):
    assert E.embedding_model_for(model_id).kind == kind


def test_unknown_model_names_argument():
    with pytest.raises(BadRequestError, match="model: 'anthropic.claude-v2' is not an embedding model"):
        E.embedding_model_for("anthropic.claude-v2")


def test_titan_v2_body():
    model = E.embedding_model_for("amazon.titan-embed-text-v2:0")
    [request] = E.plan_requests(model, opts(model, dimensions=512, normalize=False), ["hi"])
    assert request.body == {"inputText": "hi", "dimensions": 512, "normalize": False}


def test_multimodal_dimensions_go_to_embedding_config():
    model = E.embedding_model_for("amazon.titan-embed-image-v1")
    [request] = E.plan_requests(model, opts(model, dimensions=384), ["red shoe"])
    assert request.body == {"inputText": "red shoe", "embeddingConfig": {"outputEmbeddingLength": 384}}


def test_titan_one_request_per_text():
    model = E.embedding_model_for("amazon.titan-embed-text-v1")
    requests = E.plan_requests(model, opts(model), ["a", "b", "c"])
    assert [r.indices for r in requests] == [(0,), (1,), (2,)]
    assert [r.body for r in requests] == [{"inputText": t} for t in "abc"]


def test_cohere_batches_of_96_with_defaults():
    model = E.embedding_model_for("cohere.embed-english-v3")
    texts = [f"t{i}" for i in range(200)]
    requests = E.plan_requests(model, opts(model), texts)
    assert [len(r.indices) for r in requests] == [96, 96, 8]
    assert requests[1].indices[0] == 96
    assert requests[0].body == {"texts": texts[:96], "input_type": "search_document"}
    [query] = E.plan_requests(model, opts(model, input_type="search_query", truncate="end"), ["q"])
    assert query.body == {"texts": ["q"], "input_type": "search_query", "truncate": "END"}


@pytest.mark.parametrize("model_id, kwargs, message", [
    ("amazon.titan-embed-text-v1", {"dimensions": 256}, "dimensions: .*fixed size"),
    ("amazon.titan-embed-text-v2:0", {"dimensions": 300}, "dimensions: must be one of 256, 512, 1024"),
    ("amazon.titan-embed-image-v1", {"dimensions": 512}, "dimensions: must be one of 256, 384, 1024"),
    ("cohere.embed-english-v3", {"dimensions": 1024}, "dimensions"),
    ("cohere.embed-english-v3", {"normalize": True}, "normalize"),
    ("amazon.titan-embed-text-v2:0", {"input_type": "search_query"}, "input_type: only Cohere"),
    ("cohere.embed-english-v3", {"input_type": "image"}, "input_type: must be one of"),
    ("cohere.embed-english-v3", {"truncate": "MIDDLE"}, "truncate: must be one of"),
    ("amazon.titan-embed-text-v2:0", {"truncate": "END"}, "truncate: only Cohere"),
])
def test_bad_options(model_id, kwargs, message):
    with pytest.raises(BadRequestError, match=message):
        opts(E.embedding_model_for(model_id), **kwargs)


def test_input_validation_names_index():
    model = E.embedding_model_for("cohere.embed-english-v3")
    assert E.validate_input(model, opts(model), "one") == ["one"]
    with pytest.raises(BadRequestError, match="input: the list is empty"):
        E.validate_input(model, opts(model), [])
    with pytest.raises(BadRequestError, match=r"input\[1\] must be a string, got int"):
        E.validate_input(model, opts(model), ["a", 7])
    with pytest.raises(BadRequestError, match=r"input\[0\] is an empty string"):
        E.validate_input(model, opts(model), [""])
    with pytest.raises(BadRequestError, match=r"input\[2\] is 2049 characters"):
        E.validate_input(model, opts(model), ["a", "b", "x" * 2049])
    assert E.validate_input(model, opts(model, truncate="END"), ["x" * 2049])
    titan = E.embedding_model_for("amazon.titan-embed-text-v2:0")
    assert E.validate_input(titan, opts(titan), ["x" * 5000])


def test_parse_titan_and_cohere():
    titan = E.embedding_model_for("amazon.titan-embed-text-v2:0")
    assert E.parse_response(titan, {"embedding": [0.5], "inputTextTokenCount": 3}, expected=1, header_tokens=9) == ([[0.5]], 3)
    assert E.parse_response(titan, {"embeddingsByType": {"float": [1.0]}}, expected=1, header_tokens=4) == ([[1.0]], 4)
    cohere = E.embedding_model_for("cohere.embed-english-v3")
    body = {"id": "x", "response_type": "embeddings_floats", "texts": ["a", "b"], "embeddings": [[1.0], [2.0]]}
    assert E.parse_response(cohere, body, expected=2, header_tokens=7) == ([[1.0], [2.0]], 7)
    by_type = {"response_type": "embeddings_by_type", "embeddings": {"float": [[3.0]]}}
    assert E.parse_response(cohere, by_type, expected=1, header_tokens=None) == ([[3.0]], 0)
    with pytest.raises(APIError, match="2 embeddings for 3 texts"):
        E.parse_response(cohere, body, expected=3, header_tokens=None)
    with pytest.raises(APIError, match="unexpected embedding response"):
        E.parse_response(titan, {"nothing": 1}, expected=1, header_tokens=None)


def test_base64_round_trip_is_little_endian_float32():
    encoded = E.encode_base64([1.0, -2.5])
    assert encoded == "AACAPwAAIMA="
    assert E.decode_base64(encoded) == [1.0, -2.5]
