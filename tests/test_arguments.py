"""Every argument of completion() is checked before anything is sent (docs/completion.md,
"Arguments"): unknown keywords, extra_body, the types and values of OpenAI's
parameters and messages, user and parallel_tool_calls, and text parts kept apart."""

from __future__ import annotations

import pytest

from litebed._completion import ChatArgs
from litebed._params import OPENAI_PARAMS, build_chat_params, check_stream_options
from litebed.errors import BadRequestError, UnsupportedParamsError
from litebed.providers import chat_family_for, converse_family
from litebed.providers.requests import EXTRA_BODY, NO_PARALLEL_TOOL_CALLS, content_text

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
#: One model per native family.
FAMILY_MODELS = [
    "anthropic.claude-v2", CLAUDE, "amazon.titan-text-express-v1", "amazon.nova-lite-v1:0",
    "cohere.command-text-v14", "cohere.command-r-v1:0", "ai21.j2-mid-v1", "ai21.jamba-1-5-mini-v1:0",
    "meta.llama2-13b-chat-v1", "meta.llama3-8b-instruct-v1:0", "mistral.mistral-7b-instruct-v0:2",
    "mistral.mistral-large-2407-v1:0",
]
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
HI = [{"role": "user", "content": "Hi"}]


def family(model_id, route="invoke"):
    return converse_family() if route == "converse" else chat_family_for(model_id)


def params(model_id=CLAUDE, route="invoke", **kwargs):
    """What completion() does with its keywords (credentials aside)."""
    args = ChatArgs.take(kwargs)
    return build_chat_params(family(model_id, route), model_id, openai_params=args.openai, extra=kwargs,
                             stream=args.stream, drop_params=bool(args.drop_params))


def body(model_id=CLAUDE, route="invoke", messages=HI, **kwargs):
    return family(model_id, route).build_request(model_id, messages, params(model_id, route, **kwargs))


# --- 1. unknown keywords -------------------------------------------------------------


@pytest.mark.parametrize("route", ["invoke", "converse"])
@pytest.mark.parametrize("typo,meant", [
    ("temprature", "temperature"), ("max_token", "max_tokens"), ("stream_option", "stream_options"),
    ("aws_secret_acess_key", "aws_secret_access_key"), ("extrabody", "extra_body"), ("top_pp", "top_p"),
])
def test_a_misspelt_keyword_is_refused_with_the_closest_name(route, typo, meant):
    with pytest.raises(BadRequestError) as info:
        params(CLAUDE, route, **{typo: 1})
    assert str(info.value) == f"unknown argument {typo!r}; did you mean {meant!r}?"
    assert not isinstance(info.value, UnsupportedParamsError)


def test_drop_params_never_drops_an_unknown_keyword():
    with pytest.raises(BadRequestError, match="unknown argument 'temprature'"):
        params(CLAUDE, temprature=0.5, drop_params=True)


def test_another_familys_native_field_is_unknown_and_names_the_fields_and_extra_body():
    with pytest.raises(BadRequestError, match=r"unknown argument 'top_k'.*native fields: none.*extra_body"):
        params("amazon.titan-text-express-v1", top_k=5)
    with pytest.raises(BadRequestError, match=r"unknown argument 'top_k'.*documents, k,"):
        params("cohere.command-r-v1:0", top_k=5)


def test_converse_accepts_its_request_members_and_documented_native_fields_only():
    built = body(CLAUDE, "converse", top_k=5, requestMetadata={"team": "a"}, performance_config={"latency": "optimized"},
                 additional_model_request_fields={"x": 1}, user="bob")
    assert built["additionalModelRequestFields"] == {"top_k": 5, "x": 1}
    assert built["requestMetadata"] == {"team": "a", "user": "bob"}
    assert built["performanceConfig"] == {"latency": "optimized"}
    for name in ("inferenceConfig", "topK", "foo", "aws_secret_acess_key", "api_bse"):
        with pytest.raises(BadRequestError, match=f"unknown argument '{name}'"):
            params(CLAUDE, "converse", **{name: 1})


@pytest.mark.parametrize("member,value,fragment", [
    ("guardrailConfig", {"guardrailIdentifier": "gr1"}, "guardrailVersion"),
    ("guardrailConfig", {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "loud"}, "guardrailConfig.trace"),
    ("performanceConfig", {"latency": "fast"}, "performanceConfig"),
    ("serviceTier", {"type": "gold"}, "serviceTier"),
    ("requestMetadata", {"team": "<b>"}, "requestMetadata.team"),
    ("requestMetadata", {}, "requestMetadata"),
    ("additionalModelResponseFieldPaths", ["stop_sequence"], "additionalModelResponseFieldPaths"),
    ("additionalModelRequestFields", [1], "additionalModelRequestFields"),
])
def test_converse_members_are_checked(member, value, fragment):
    with pytest.raises(BadRequestError, match=fragment):
        body(CLAUDE, "converse", **{member: value})


def test_every_openai_chat_parameter_is_known():
    from openai.types.chat import completion_create_params

    names = set(completion_create_params.CompletionCreateParamsBase.__annotations__)
    assert names - {"model", "messages", "stream_options"} <= set(OPENAI_PARAMS)


@pytest.mark.parametrize("name,value", [
    ("logprobs", True), ("top_logprobs", 2), ("logit_bias", {"50256": -100}), ("reasoning_effort", "low"),
    ("functions", [{"name": "f"}]), ("modalities", ["text"]), ("extra_headers", {"x": "y"}),
])
def test_known_parameters_a_family_cannot_honour_are_unsupported_or_dropped(name, value):
    with pytest.raises(UnsupportedParamsError, match=name):
        params(CLAUDE, **{name: value})
    assert params(CLAUDE, drop_params=True, **{name: value}).extra == {}


@pytest.mark.parametrize("name,value", [("logprobs", False), ("parallel_tool_calls", True), ("logit_bias", {}),
                                        ("store", True), ("metadata", {"k": "v"}), ("service_tier", "auto")])
def test_values_that_ask_for_nothing_are_accepted_everywhere(name, value):
    for model_id in FAMILY_MODELS:
        params(model_id, **{name: value})


# --- 2. extra_body ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [[1], "x", 3, ("a",)])
def test_extra_body_must_be_a_dict(value):
    with pytest.raises(BadRequestError, match="extra_body must be a dict"):
        params(CLAUDE, extra_body=value)


@pytest.mark.parametrize("value,fragment", [({"a": {1, 2}}, "extra_body.a"), ({"a": float("nan")}, "extra_body.a"),
                                            ({"a": "\ud800"}, "extra_body.a"), ({1: 2}, "extra_body keys")])
def test_extra_body_must_be_json(value, fragment):
    with pytest.raises(BadRequestError, match=fragment):
        params(CLAUDE, extra_body=value)


def test_extra_body_is_merged_into_the_native_body_and_wins():
    assert params(CLAUDE, extra_body={"top_k": 3}).extra[EXTRA_BODY] == {"top_k": 3}
    built = body(CLAUDE, temperature=0.2, extra_body={"temperature": 0.9, "anthropic_beta": ["b"]})
    assert built["temperature"] == 0.9 and built["anthropic_beta"] == ["b"]
    nova = body("amazon.nova-lite-v1:0", extra_body={"inferenceConfig": {"topK": 20}})
    assert nova["inferenceConfig"] == {"maxTokens": 1024, "topK": 20}  # a dict merges into a dict
    titan = body("amazon.titan-text-express-v1", extra_body={"textGenerationConfig": {"topP": 0.5}, "x": 1})
    assert titan["textGenerationConfig"] == {"maxTokenCount": 1024, "topP": 0.5} and titan["x"] == 1


def test_extra_body_goes_to_additional_fields_on_converse_and_wins():
    built = body("cohere.command-r-v1:0", "converse", seed=3, k=2, extra_body={"seed": 9, "p": 0.5})
    assert built["additionalModelRequestFields"] == {"k": 2, "seed": 9, "p": 0.5}


# --- 3. types and values -----------------------------------------------------------------

BAD_VALUES = [
    ("temperature", "hot", "temperature must be a number between 0 and 2"),
    ("temperature", 2.5, "temperature"), ("temperature", float("nan"), "temperature"), ("temperature", True, "temperature"),
    ("top_p", 1.5, "top_p must be a number between 0 and 1"),
    ("presence_penalty", -3, "presence_penalty"), ("frequency_penalty", "1", "frequency_penalty"),
    ("max_tokens", 0, "max_tokens must be a positive integer"), ("max_tokens", 1.5, "max_tokens"),
    ("max_tokens", True, "max_tokens"), ("max_completion_tokens", "x", "max_completion_tokens"),
    ("n", 0, "n must be an integer from 1 to 16"), ("n", 17, "n"), ("n", 2.0, "n"),
    ("seed", "1", "seed must be an integer"), ("seed", 1.5, "seed"),
    ("user", 5, "user must be a string"), ("user", "\ud800", "user holds text that cannot be encoded"),
    ("stop", 5, "stop must be a string or a list of strings"), ("stop", ["a", 1], "stop"),
    ("stop", "\udfff", "stop holds text"), ("stop", ["ok", "\ud800"], r"stop\[1\]"),
    ("logit_bias", [1], "logit_bias must be a dict"), ("logit_bias", {"a": 1}, "logit_bias keys"),
    ("logit_bias", {"1": 500}, "logit_bias"), ("logprobs", "yes", "logprobs must be True or False"),
    ("top_logprobs", 30, "top_logprobs"), ("parallel_tool_calls", "no", "parallel_tool_calls must be True or False"),
    ("store", "yes", "store"), ("metadata", {"k": 1}, "metadata.k"),
    ("tools", {"type": "function"}, "tools must be a list"),
    ("tools", ["f"], r"tools\[0\] must be"),
    ("tools", [{"type": "retrieval"}], r"tools\[0\].type"),
    ("tools", [{"type": "function"}], r"tools\[0\].function must be a dict"),
    ("tools", [{"type": "function", "function": {"name": "get weather"}}], r"tools\[0\].function.name must be a tool name"),
    ("tools", [{"type": "function", "function": {"name": "x" * 65}}], r"tools\[0\].function.name"),
    ("tools", [{"type": "function", "function": {"name": 7}}], r"tools\[0\].function.name"),
    ("tools", [{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}],
     r"parameters must be a JSON schema object"),
    ("tools", [{"type": "function", "function": {"name": "f", "parameters": "{}"}}], r"tools\[0\].function.parameters"),
    ("tools", [{"type": "function", "function": {"name": "f", "description": 3}}], r"tools\[0\].function.description"),
    ("tools", [TOOL, TOOL], "given twice"),
    ("tool_choice", "any", 'tool_choice must be "auto", "none", "required"'),
    ("tool_choice", {"type": "function"}, "tool_choice"),
    ("tool_choice", {"type": "function", "function": {"name": "bad name"}}, "tool_choice.function.name"),
    ("response_format", "json", "response_format must be"),
    ("response_format", {"type": "yaml"}, "response_format must be"),
    ("response_format", {"type": "json_schema"}, "response_format.json_schema must be a dict"),
    ("response_format", {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}}, "response_format.json_schema.name"),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "a", "schema": "{}"}}, "response_format.json_schema.schema"),
    ("response_format", {"type": "json_schema", "json_schema": {"name": "a"}}, "response_format.json_schema.schema"),
]


@pytest.mark.parametrize("route", ["invoke", "converse"])
@pytest.mark.parametrize("name,value,fragment", BAD_VALUES)
def test_malformed_values_are_refused_naming_the_argument(route, name, value, fragment):
    with pytest.raises(BadRequestError, match=fragment) as info:
        params(CLAUDE, route, **{name: value})
    assert not isinstance(info.value, UnsupportedParamsError)
    assert info.value.bedrock_code is None


def test_malformed_values_are_refused_even_when_the_family_would_drop_them():
    with pytest.raises(BadRequestError, match="seed must be an integer"):
        params("amazon.titan-text-express-v1", seed="x", drop_params=True)


def test_tool_choice_must_name_an_offered_tool_and_needs_tools():
    with pytest.raises(BadRequestError, match="tool_choice names 'other', which is not one of the tools given"):
        params(CLAUDE, tools=[TOOL], tool_choice={"type": "function", "function": {"name": "other"}})
    with pytest.raises(BadRequestError, match="tool_choice 'required' needs tools"):
        params(CLAUDE, tool_choice="required")
    assert params(CLAUDE, tool_choice="auto").tool_choice == "auto"


def test_max_tokens_and_max_completion_tokens_must_agree():
    assert params(CLAUDE, max_tokens=10, max_completion_tokens=10).max_tokens == 10
    with pytest.raises(BadRequestError, match="not both"):
        params(CLAUDE, max_tokens=10, max_completion_tokens=11)


@pytest.mark.parametrize("value,fragment", [
    ([1], "stream_options must be a dict"), ({"include_usage": "yes"}, "stream_options.include_usage"),
    ({"usage": True}, "stream_options keys"),
])
def test_stream_options_are_checked(value, fragment):
    with pytest.raises(BadRequestError, match=fragment):
        check_stream_options(value, True)
    assert check_stream_options({"include_usage": True}, True) == {"include_usage": True}
    assert check_stream_options(None, False) == {}
    with pytest.raises(BadRequestError, match="only allowed with stream=True"):
        check_stream_options({"include_usage": True}, False)


BAD_MESSAGES = [
    ([{"role": "wizard", "content": "x"}], r"messages\[0\].role must be one of system, developer, user, assistant, tool"),
    ([{"role": "user", "content": 5}], r"messages\[0\].content must be a string, a list of content parts or None"),
    ([{"role": "user", "content": "a \ud800 b"}], r"messages\[0\].content holds text that cannot be encoded as UTF-8"),
    ([{"role": "user", "content": [{"type": "text", "text": "\udc00"}]}], r"messages\[0\].content\[0\].text holds text"),
    ([{"role": "user", "content": [{"type": "text", "text": 5}]}], r"messages\[0\].content\[0\].text must be a string"),
    ([{"role": "user", "content": [{"type": "video", "video": {}}]}], r"messages\[0\].content\[0\].type: a user message"),
    ([{"role": "user", "content": [5]}], r"messages\[0\].content\[0\] must be a content part dict"),
    ([{"role": "system", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}], r"a system message can only hold text"),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": None, "tool_calls": [
        {"id": 7, "type": "function", "function": {"name": "f", "arguments": "{}"}}]}], r"messages\[1\].tool_calls\[0\].id must be"),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "bad name", "arguments": "{}"}}]}],
     r"messages\[1\].tool_calls\[0\].function.name"),
    ([{"role": "user", "content": "q"}, {"role": "assistant", "content": None, "tool_calls": {"id": "c"}}],
     r"messages\[1\].tool_calls must be a list"),
    ([{"role": "user", "content": "q"}, {"role": "tool", "content": "r"}], r"messages\[1\].tool_call_id must be"),
    ([{"role": "user", "content": "q", "name": 3}], r"messages\[0\].name must be a string"),
]


@pytest.mark.parametrize("model_id", FAMILY_MODELS)
@pytest.mark.parametrize("messages,fragment", BAD_MESSAGES)
def test_malformed_messages_are_refused_by_every_family(model_id, messages, fragment):
    for route in ("invoke", "converse"):
        with pytest.raises(BadRequestError, match=fragment):
            body(model_id, route, messages=messages)


# --- 5. user and parallel_tool_calls -----------------------------------------------------


@pytest.mark.parametrize("model_id", FAMILY_MODELS)
def test_user_is_accepted_by_every_family_and_never_sent_in_a_native_body(model_id):
    built = body(model_id, user="alice")
    assert "alice" not in repr(built)
    assert body(model_id, "converse", user="alice")["requestMetadata"] == {"user": "alice"}


def test_parallel_tool_calls_false_is_claudes_disable_parallel_tool_use():
    built = body(CLAUDE, tools=[TOOL], parallel_tool_calls=False)
    assert built["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}
    assert params(CLAUDE, parallel_tool_calls=False).extra == {NO_PARALLEL_TOOL_CALLS: True}
    named = body(CLAUDE, tools=[TOOL], tool_choice={"type": "function", "function": {"name": "get_weather"}},
                 parallel_tool_calls=False)
    assert named["tool_choice"] == {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}
    assert "disable_parallel_tool_use" not in repr(body(CLAUDE, tools=[TOOL], parallel_tool_calls=True))


@pytest.mark.parametrize("model_id,route", [("amazon.nova-lite-v1:0", "invoke"), ("cohere.command-r-v1:0", "invoke"),
                                            ("mistral.mistral-large-2407-v1:0", "invoke"), (CLAUDE, "converse")])
def test_parallel_tool_calls_false_without_a_field_is_unsupported_unless_dropped(model_id, route):
    with pytest.raises(UnsupportedParamsError, match="parallel_tool_calls"):
        params(model_id, route, tools=[TOOL], parallel_tool_calls=False)
    assert params(model_id, route, tools=[TOOL], parallel_tool_calls=False, drop_params=True).extra == {}
    params(model_id, route, tools=[TOOL], parallel_tool_calls=True)


# --- 6. text parts -------------------------------------------------------------------------

PARTS = [{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Answer"}]


def test_content_text_joins_parts_with_a_newline():
    assert content_text(PARTS) == "Be terse.\nAnswer"
    assert content_text(["a", {"type": "text", "text": "b"}]) == "a\nb"
    assert content_text("as is") == "as is" and content_text(None) == ""


def test_block_families_send_one_block_per_part():
    messages = [{"role": "user", "content": PARTS}, {"role": "assistant", "content": PARTS}, {"role": "user", "content": "ok"}]
    claude = body(CLAUDE, messages=messages)["messages"]
    assert claude[0]["content"] == [{"type": "text", "text": "Be terse."}, {"type": "text", "text": "Answer"}]
    assert body("amazon.nova-lite-v1:0", messages=messages)["messages"][1]["content"] == [{"text": "Be terse."}, {"text": "Answer"}]
    converse = body(CLAUDE, "converse", messages=[{"role": "system", "content": PARTS}, *messages])
    assert converse["system"] == [{"text": "Be terse."}, {"text": "Answer"}]
    assert converse["messages"][0]["content"] == converse["messages"][1]["content"] == [{"text": "Be terse."}, {"text": "Answer"}]


@pytest.mark.parametrize("model_id", [m for m in FAMILY_MODELS if m not in (CLAUDE, "amazon.nova-lite-v1:0")])
def test_flat_families_never_glue_parts_into_one_word(model_id):
    text = repr(body(model_id, messages=[{"role": "user", "content": PARTS}]))
    assert "terse.Answer" not in text and "Be terse." in text and "Answer" in text
