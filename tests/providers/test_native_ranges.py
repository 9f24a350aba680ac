"""OpenAI values mapped into each family's documented native ranges, the documented
output caps (one table in litebed._params), stop-sequence limits, and the ranges
of native keyword fields (docs/completion.md, "Native ranges")."""

from __future__ import annotations

import pytest

from litebed._params import MAX_OUTPUT_TOKENS, build_chat_params, client_stops, max_output_tokens
from litebed.errors import BadRequestError
from litebed.providers import chat_family_for, converse_family
from litebed.providers.base import DEFAULT_MAX_TOKENS, ChatParams
from litebed.providers.requests import NATIVE_STOP_LIMITS, native_stops, stop_limit

HI = [{"role": "user", "content": "Hi"}]


def params(model_id, route="invoke", *, drop_params=False, extra=None, **openai):
    family = converse_family() if route == "converse" else chat_family_for(model_id)
    return build_chat_params(family, model_id, openai_params=openai, extra=extra or {}, stream=False, drop_params=drop_params)


def body(model_id, route="invoke", **kwargs):
    family = converse_family() if route == "converse" else chat_family_for(model_id)
    return family.build_request(model_id, HI, params(model_id, route, **kwargs))


# --- max tokens: the documented caps -------------------------------------------------

CAPS = [
    ("anthropic.claude-v2", 4096),
    ("anthropic.claude-instant-v1", 4096),
    ("anthropic.claude-3-haiku-20240307-v1:0", 4096),
    ("anthropic.claude-3-5-sonnet-20240620-v1:0", 8192),
    ("amazon.titan-text-lite-v1", 4096),
    ("amazon.titan-text-express-v1", 8192),
    ("amazon.titan-tg1-large", 8192),
    ("amazon.titan-text-premier-v1:0", 3072),
    ("amazon.nova-lite-v1:0", 5000),
    ("amazon.nova-premier-v1:0", 32000),
    ("cohere.command-text-v14", 4096),
    ("cohere.command-r-plus-v1:0", 4000),
    ("ai21.j2-ultra-v1", 8191),
    ("ai21.jamba-1-5-large-v1:0", 4096),
    ("meta.llama2-70b-chat-v1", 2048),
    ("meta.llama3-1-70b-instruct-v1:0", 2048),
    ("mistral.mixtral-8x7b-instruct-v0:1", 4096),
    ("mistral.mistral-7b-instruct-v0:2", 8192),
    ("mistral.mistral-large-2407-v1:0", 8192),
]


@pytest.mark.parametrize("model_id,cap", CAPS)
@pytest.mark.parametrize("name", ["max_tokens", "max_completion_tokens"])
def test_max_tokens_up_to_the_documented_cap(model_id, cap, name):
    assert max_output_tokens(chat_family_for(model_id).FAMILY, model_id) == cap
    assert params(model_id, **{name: cap}).max_tokens == cap
    with pytest.raises(BadRequestError, match=f"{name} must be at most {cap} for model '{model_id}'") as info:
        params(model_id, **{name: cap + 1})
    assert info.value.bedrock_code is None
    assert params(model_id).max_tokens == DEFAULT_MAX_TOKENS <= cap  # the default always fits


@pytest.mark.parametrize("model_id,cap", [(m, c) for m, c in CAPS if not m.startswith("ai21.j2")])
def test_converse_applies_the_models_own_cap(model_id, cap):
    assert max_output_tokens("converse", model_id) == cap
    with pytest.raises(BadRequestError, match=f"at most {cap}"):
        params(model_id, "converse", max_tokens=cap + 1)


def test_models_without_a_documented_cap_are_not_capped():
    for model_id, route in [("anthropic.claude-3-7-sonnet-20250219-v1:0", "invoke"), ("writer.palmyra-x5-v1:0", "converse")]:
        assert params(model_id, route, max_tokens=100_000).max_tokens == 100_000
    with pytest.raises(BadRequestError, match="positive integer"):
        params("anthropic.claude-3-7-sonnet-20250219-v1:0", max_tokens=2**31)


def test_the_caps_table_is_keyed_by_every_native_family():
    from litebed.providers import CHAT_FAMILIES

    families = {chat_family_for(next_model).FAMILY for next_model in [m for m, _ in CAPS]}
    names = {name.replace("_", "-") for _, name in CHAT_FAMILIES}
    assert families <= set(MAX_OUTPUT_TOKENS) and set(MAX_OUTPUT_TOKENS) <= names


def test_a_geo_prefix_does_not_hide_the_cap():
    assert max_output_tokens("titan", "us.amazon.titan-text-premier-v1:0") == 3072


# --- temperature, top_p, penalties: mapped into the native range ----------------------


@pytest.mark.parametrize("model_id,path", [
    ("anthropic.claude-v2", ("temperature",)),
    ("anthropic.claude-3-haiku-20240307-v1:0", ("temperature",)),
    ("amazon.titan-text-express-v1", ("textGenerationConfig", "temperature")),
    ("amazon.nova-lite-v1:0", ("inferenceConfig", "temperature")),
    ("cohere.command-r-v1:0", ("temperature",)),
    ("ai21.j2-mid-v1", ("temperature",)),
    ("meta.llama3-8b-instruct-v1:0", ("temperature",)),
    ("mistral.mistral-7b-instruct-v0:2", ("temperature",)),
    ("mistral.mistral-large-2407-v1:0", ("temperature",)),
])
def test_temperature_above_one_is_clamped_for_families_that_take_zero_to_one(model_id, path):
    for route, where in (("invoke", path), ("converse", ("inferenceConfig", "temperature"))):
        built = body(model_id, route, temperature=1.7)
        for key in where:
            built = built[key]
        assert built == 1.0


@pytest.mark.parametrize("model_id,key", [("cohere.command-text-v14", "temperature"), ("ai21.jamba-1-5-mini-v1:0", "temperature")])
def test_temperature_passes_through_where_the_family_takes_more(model_id, key):
    assert body(model_id, temperature=2.0)[key] == 2.0


@pytest.mark.parametrize("top_p,native", [(1.0, 0.99), (0.0, 0.01), (0.5, 0.5), (0.99, 0.99)])
def test_command_r_top_p_is_mapped_into_its_range(top_p, native):
    assert body("cohere.command-r-v1:0", top_p=top_p)["p"] == native
    assert body("cohere.command-r-plus-v1:0", top_p=top_p)["p"] == native


def test_cohere_command_top_p_is_kept():
    assert body("cohere.command-text-v14", top_p=1.0)["p"] == 1.0


def test_penalties_are_mapped_into_native_scales():
    command_r = body("cohere.command-r-v1:0", presence_penalty=-1.5, frequency_penalty=2.0)
    assert (command_r["presence_penalty"], command_r["frequency_penalty"]) == (0.0, 1.0)
    j2 = body("ai21.j2-mid-v1", presence_penalty=2.0, frequency_penalty=-2.0)
    assert j2["presencePenalty"] == {"scale": 2.0} and j2["frequencyPenalty"] == {"scale": 0.0}


# --- stop sequences: the first N natively, all of them trimmed by the client -----------

STOPS = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11"]


@pytest.mark.parametrize("model_id,path,limit", [
    ("cohere.command-text-v14", ("stop_sequences",), 4),
    ("cohere.command-r-v1:0", ("stop_sequences",), 4),
    ("amazon.nova-lite-v1:0", ("inferenceConfig", "stopSequences"), 4),
    ("mistral.mistral-7b-instruct-v0:2", ("stop",), 10),
    ("anthropic.claude-3-haiku-20240307-v1:0", ("stop_sequences",), None),
    ("amazon.titan-text-express-v1", ("textGenerationConfig", "stopSequences"), None),
])
def test_more_stops_than_the_body_takes_are_sent_up_to_its_limit_and_trimmed_client_side(model_id, path, limit):
    family = chat_family_for(model_id)
    built = body(model_id, stop=STOPS)
    for key in path:
        built = built[key]
    assert built == STOPS[:limit]
    assert stop_limit(family.FAMILY) == limit
    assert client_stops(family, model_id, STOPS) == (STOPS if limit else [])
    assert client_stops(family, model_id, STOPS[:4]) == []


def test_converse_takes_2500_stops_but_the_models_own_limit_applies():
    converse = converse_family()
    assert NATIVE_STOP_LIMITS["converse"] == 2500
    assert body("cohere.command-r-v1:0", "converse", stop=STOPS)["inferenceConfig"]["stopSequences"] == STOPS[:4]
    assert client_stops(converse, "cohere.command-r-v1:0", STOPS) == STOPS
    assert body("anthropic.claude-3-haiku-20240307-v1:0", "converse", stop=STOPS)["inferenceConfig"]["stopSequences"] == STOPS
    assert client_stops(converse, "anthropic.claude-3-haiku-20240307-v1:0", STOPS) == []


def test_families_without_a_stop_field_trim_every_stop_client_side():
    for model_id in ("meta.llama3-8b-instruct-v1:0", "mistral.mistral-large-2407-v1:0"):
        family = chat_family_for(model_id)
        assert client_stops(family, model_id, ["a"]) == ["a"]
        assert body(model_id, stop=["END"]) == body(model_id)  # nothing in the body says stop


def test_native_stops_keeps_order_and_copies():
    stops = ["a", "b"]
    assert native_stops("nova", stops) == stops and native_stops("nova", stops) is not stops


# --- native keyword fields: their documented ranges -------------------------------------


@pytest.mark.parametrize("model_id,route,name,good,bad", [
    ("anthropic.claude-v2", "invoke", "top_k", 500, 501),
    ("anthropic.claude-3-haiku-20240307-v1:0", "invoke", "top_k", 0, -1),
    ("amazon.nova-lite-v1:0", "invoke", "top_k", 128, 129),
    ("mistral.mistral-7b-instruct-v0:2", "invoke", "top_k", 1, 0),
    ("mistral.mistral-7b-instruct-v0:2", "invoke", "top_k", 200, 201),
    ("cohere.command-text-v14", "invoke", "k", 500, 501),
    ("cohere.command-r-v1:0", "invoke", "k", 0, 1.5),
    ("cohere.command-text-v14", "invoke", "return_likelihoods", "ALL", "SOME"),
    ("cohere.command-text-v14", "invoke", "truncate", "START", "MIDDLE"),
    ("cohere.command-r-v1:0", "invoke", "prompt_truncation", "AUTO_PRESERVE_ORDER", "ON"),
    ("cohere.command-r-v1:0", "invoke", "search_queries_only", True, "yes"),
    ("cohere.command-r-v1:0", "invoke", "documents", [{"title": "t", "snippet": "s"}], ["t"]),
    ("ai21.j2-mid-v1", "invoke", "countPenalty", {"scale": 1}, {"scale": 2}),
    ("ai21.j2-mid-v1", "invoke", "countPenalty", {"scale": 0, "applyToNumbers": False}, {"scale": 0, "applyToNumbers": 1}),
    ("anthropic.claude-3-haiku-20240307-v1:0", "converse", "top_k", 250, -1),
])
def test_native_fields_are_checked_against_their_documented_range(model_id, route, name, good, bad):
    assert params(model_id, route, extra={name: good}).extra[name] == good
    with pytest.raises(BadRequestError, match=name) as info:
        params(model_id, route, extra={name: bad})
    assert info.value.bedrock_code is None


def test_native_fields_reach_the_body():
    assert body("amazon.nova-lite-v1:0", extra={"top_k": 20})["inferenceConfig"]["topK"] == 20
    assert body("cohere.command-text-v14", extra={"k": 3, "truncate": "START"})["truncate"] == "START"
    chat_params = ChatParams(extra={"top_k": 7})
    mistral = "mistral.mistral-7b-instruct-v0:2"
    assert chat_family_for(mistral).build_request(mistral, HI, chat_params)["top_k"] == 7
