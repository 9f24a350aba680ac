"""Property: whatever arguments a caller passes, completion() either answers (against
the emulator) or raises litebed's BadRequestError / UnsupportedParamsError naming an
argument, before anything is sent — never another exception, never a Bedrock 400.

Hypothesis draws OpenAI parameters of right and wrong types and values, unknown and
misspelt keywords, native fields, tools and conversations, for every family's model
ids on both routes, sync and async, streamed and not. ``derandomize=True`` keeps the
examples the same from run to run.
"""

from __future__ import annotations

import asyncio
import importlib.util
import pathlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import litebed
from litebed.errors import BadRequestError

_spec = importlib.util.spec_from_file_location("_completion_models", pathlib.Path(__file__).with_name("test_completion.py"))
assert _spec and _spec.loader
_models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_models)
MODELS: list[str] = _models.MODELS

SETTINGS = settings(
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- values ------------------------------------------------------------------------

WRONG = st.sampled_from([None, True, -1, 0, 3.5, float("nan"), float("inf"), "x", "", [], [1], {}, {"a": 1}, ("t",), b"b"])
SURROGATE = "bad \ud800 text"
NOT_A_DICT = st.sampled_from([None, True, 0, 1.5, "x", [], [1], ("t",), b"b"])


def sometimes_wrong(valid, *invalid):
    """Mostly ``valid`` values; one draw in five from ``invalid`` (and WRONG)."""
    bad = st.one_of(WRONG, *invalid)
    return st.integers(0, 4).flatmap(lambda i: bad if i == 3 else valid)  # Hypothesis favours 0 and the ends


def number(low, high):
    return sometimes_wrong(st.one_of(st.floats(low, high), st.integers(int(low), int(high))), st.floats(high + 0.01, high * 3 + 1))


TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
TOOLS = sometimes_wrong(
    st.sampled_from([[TOOL], [TOOL, {"type": "function", "function": {"name": "lookup-2", "parameters": {"type": "object"}}}]]),
    st.sampled_from([
        [{"type": "function", "function": {"name": "bad name!", "parameters": {"type": "object"}}}],
        [{"type": "function", "function": {"name": "x" * 65}}],
        [{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}],
        [{"type": "function", "function": {"name": "f", "parameters": "nope"}}],
        [{"type": "function", "function": {"name": "f", "description": SURROGATE}}],
        [TOOL, TOOL],
        [{"type": "code_interpreter"}],
        [],
    ]),
    st.lists(WRONG, max_size=2),
)
TOOL_CHOICE = sometimes_wrong(
    st.sampled_from(["auto", "none", "required", {"type": "function", "function": {"name": "get_weather"}}]),
    st.sampled_from(["any", "", {"type": "function", "function": {"name": "missing_tool"}},
                     {"type": "function", "function": {}}, {"type": "function"}]),
)
RESPONSE_FORMAT = sometimes_wrong(
    st.sampled_from([
        {"type": "text"},
        {"type": "json_object"},
        {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object", "properties": {}}}},
    ]),
    st.sampled_from([
        {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "array"}}},
        {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}},
        {"type": "json_schema", "json_schema": "nope"},
        {"type": "json_schema"},
        {"type": "yaml"},
    ]),
)
STOP = sometimes_wrong(
    st.one_of(st.text(min_size=0, max_size=4), st.lists(st.sampled_from(["END", "\n\n", "###", "STOP", "x", "", "Q:"]), max_size=7)),
    st.sampled_from([SURROGATE, ["ok", 3]]),
)

OPENAI = {
    "max_tokens": sometimes_wrong(st.integers(1, 3000), st.integers(-5, 0), st.integers(4000, 70000)),
    "max_completion_tokens": sometimes_wrong(st.integers(1, 3000)),
    "temperature": number(0, 2),
    "top_p": number(0, 1),
    "presence_penalty": number(-2, 2),
    "frequency_penalty": number(-2, 2),
    "n": sometimes_wrong(st.integers(1, 3), st.integers(-1, 0), st.integers(6, 20)),
    "seed": sometimes_wrong(st.integers(0, 2**31)),
    "user": sometimes_wrong(st.sampled_from(["alice", "user@example.com"]), st.sampled_from(["bob<script>", SURROGATE])),
    "stop": STOP,
    "tools": TOOLS,
    "tool_choice": TOOL_CHOICE,
    "response_format": RESPONSE_FORMAT,
    "logprobs": sometimes_wrong(st.booleans()),
    "top_logprobs": sometimes_wrong(st.integers(0, 5)),
    "parallel_tool_calls": sometimes_wrong(st.booleans()),
    "logit_bias": sometimes_wrong(st.sampled_from([{"50256": -100}, {}]), st.just({"x": 1})),
    "store": sometimes_wrong(st.booleans()),
    "metadata": sometimes_wrong(st.just({"k": "v"})),
    "reasoning_effort": st.sampled_from(["low", "high"]),
    "stream_options": st.sampled_from([{"include_usage": True}, {"include_usage": False}, {}, None]),
    "drop_params": st.booleans(),
    "modify_params": st.booleans(),
}
#: Native fields, valid values first, then wrong ones.
NATIVE = {
    "top_k": sometimes_wrong(st.integers(1, 100), st.integers(600, 700)),
    "k": sometimes_wrong(st.integers(0, 100), st.integers(600, 700)),
    "return_likelihoods": sometimes_wrong(st.sampled_from(["NONE", "ALL"]), st.just("MAYBE")),
    "truncate": sometimes_wrong(st.just("END"), st.just("MIDDLE")),
    "prompt_truncation": sometimes_wrong(st.just("OFF"), st.just("ON")),
    "search_queries_only": sometimes_wrong(st.booleans()),
    "raw_prompting": sometimes_wrong(st.booleans()),
    "countPenalty": sometimes_wrong(st.just({"scale": 0.5}), st.just({"scale": 3})),
    "documents": sometimes_wrong(st.just([{"title": "t", "snippet": "s"}])),
    "guardrailConfig": sometimes_wrong(st.just({"guardrailIdentifier": "gr1", "guardrailVersion": "1"})),
    "requestMetadata": sometimes_wrong(st.just({"team": "a"}), st.just({"team": "<b>"})),
    "performanceConfig": sometimes_wrong(st.just({"latency": "standard"}), st.just({"latency": "fast"})),
    "additionalModelRequestFields": sometimes_wrong(st.just({"top_k": 5})),
    "additionalModelResponseFieldPaths": sometimes_wrong(st.just(["/stop_sequence"]), st.just(["nope"])),
    "anthropic_beta": sometimes_wrong(st.just(["token-efficient-tools-2025-02-19"])),
}
#: Valid ``extra_body`` fields per family (what the emulator's bodies accept).
EXTRA_BODY = {
    "anthropic-text": {"top_k": 10}, "anthropic-messages": {"top_k": 10},
    "titan": {"textGenerationConfig": {"topP": 0.5}}, "nova": {"inferenceConfig": {"topK": 20}},
    "cohere-command": {"k": 5}, "cohere-chat": {"k": 5}, "ai21-j2": {"countPenalty": {"scale": 0.5}},
    "mistral-text": {"top_k": 10}, "converse": {"top_k": 5},
}
UNKNOWN = st.sampled_from(["temprature", "max_token", "topp", "stream_option", "foo", "aws_secret_acess_key",
                           "extra_headers", "inferenceConfig", "guardrail", "frequency"])


def family_of(model: str):
    from litebed._routing import strip_geo_prefix
    from litebed.providers import chat_family_for, converse_family

    return converse_family() if model.startswith("bedrock/converse/") else chat_family_for(strip_geo_prefix(model[8:]))

# --- conversations -----------------------------------------------------------------


def user(content):
    return {"role": "user", "content": content}


CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
GOOD_CONVERSATIONS = [
    [user("Hello [[reply:Hi]]")],
    [{"role": "system", "content": "Be terse."}, user("What is 2+2?")],
    [user("q1"), {"role": "assistant", "content": "a1"}, user("q2")],
    [user([{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Answer"}])],
    [{"role": "developer", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}, user("x")],
    [user("q"), {"role": "assistant", "content": "Answer: "}],
    [user("weather? [[tool:get_weather {\"city\": \"Paris\"}]]")],
    [user("w"), {"role": "assistant", "content": None, "tool_calls": [CALL]},
     {"role": "tool", "tool_call_id": "call_1", "content": "18C"}],
    [user(["plain string part", {"type": "text", "text": "and a part"}])],
    [user("[[words:12]]")],
]
BAD_CONVERSATIONS = [
    [user("w"), {"role": "assistant", "content": None, "tool_calls": [{**CALL, "id": 7}]},
     {"role": "tool", "tool_call_id": "call_1", "content": "18C"}],
    [user("w"), {"role": "assistant", "content": None, "tool_calls": [CALL]}],
    [user(SURROGATE)],
    [user([{"type": "text", "text": SURROGATE}])],
    [user([{"type": "text", "text": 5}])],
    [user([{"type": "audio", "data": "x"}])],
    [user([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}, {"type": "text", "text": "see"}])],
    [user(42)],
    [user(None)],
    [{"role": "wizard", "content": "x"}],
    [{"role": "assistant", "content": "first"}, user("x")],
    [{"role": "system", "content": "only system"}],
    [{"role": "tool", "tool_call_id": "nope", "content": "r"}],
    [user("x"), {"role": "assistant", "content": [{"type": "refusal", "refusal": "no"}]}, user("y")],
    ["not a dict"],
    [],
]
CONVERSATIONS = st.integers(0, 4).flatmap(
    lambda i: st.sampled_from(BAD_CONVERSATIONS if i == 3 else GOOD_CONVERSATIONS)
)


@st.composite
def calls(draw):
    model = draw(st.sampled_from(MODELS))
    route = draw(st.sampled_from(["bedrock/", "bedrock/converse/"]))
    family = family_of(route + model)
    kwargs = {}
    for name in draw(st.sets(st.sampled_from(sorted(OPENAI)), max_size=3)):
        kwargs[name] = draw(OPENAI[name])
    own = sorted(n for n in NATIVE if n in family.PROVIDER_PARAMS)
    pool = sorted(NATIVE) if draw(st.integers(0, 5)) == 3 else own  # mostly the family's own fields
    for name in draw(st.sets(st.sampled_from(pool), max_size=2)) if pool else ():
        kwargs[name] = draw(NATIVE[name])
    if draw(st.integers(0, 4)) == 3:
        kwargs["extra_body"] = draw(st.one_of(st.just(EXTRA_BODY.get(family.FAMILY, {})), NOT_A_DICT))
    if draw(st.integers(0, 14)) == 7:
        kwargs[draw(UNKNOWN)] = draw(st.sampled_from([1, "x", None]))
    stream = draw(st.booleans())
    if not stream:
        kwargs.pop("stream_options", None)
    return route + model, draw(CONVERSATIONS), stream, kwargs


def named_argument(message: str, kwargs: dict) -> bool:
    """Whether ``message`` names one of the call's arguments (as a whole word)."""
    names = [*kwargs, "messages", "stream", "model", "tools", "tool_choice", "response_format", "max_tokens"]
    return any(re.search(rf"(?<![A-Za-z_]){re.escape(name)}(?![A-Za-z_])", message) for name in names)


def check_refusal(exc: BadRequestError, model: str, kwargs: dict) -> None:
    assert exc.bedrock_code is None, f"sent and refused by Bedrock: {exc} ({model}, {kwargs})"
    assert named_argument(str(exc), kwargs), f"the message names no argument: {exc!r} ({model}, {kwargs})"


def run_sync(model, messages, stream, kwargs, aws):
    response = litebed.completion(model=model, messages=messages, stream=stream, **kwargs, **aws)
    if stream:
        for _ in response:
            pass


async def run_async(model, messages, stream, kwargs, aws):
    response = await litebed.acompletion(model=model, messages=messages, stream=stream, **kwargs, **aws)
    if stream:
        async for _ in response:
            pass


@pytest.fixture
def aws(emulator):
    return dict(api_base=emulator.base_url, **emulator.credentials, num_retries=0)


def _one(call, aws, emulator, runner):
    model, messages, stream, kwargs = call
    emulator.reset()
    try:
        runner(model, messages, stream, dict(kwargs), aws)
    except BadRequestError as exc:
        check_refusal(exc, model, kwargs)


@SETTINGS
@given(call=calls())
def test_sync_calls_answer_or_refuse_naming_an_argument(call, aws, emulator):
    _one(call, aws, emulator, run_sync)


@SETTINGS
@given(call=calls())
def test_async_calls_answer_or_refuse_naming_an_argument(call, aws, emulator):
    _one(call, aws, emulator, lambda *a: asyncio.run(run_async(*a)))
