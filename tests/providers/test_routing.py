import pytest

from litebed._routing import Route, base_model_of, parse_model, strip_geo_prefix
from litebed.errors import BadRequestError
from litebed.providers import CHAT_FAMILIES, chat_family_for, chat_family_name, native_n


def test_plain_id_defaults_to_invoke():
    route = parse_model("bedrock/anthropic.claude-v2")
    assert route == Route(api="invoke", model_id="anthropic.claude-v2", base_model_id="anthropic.claude-v2",
                          provider="anthropic", region=None, is_arn=False)


@pytest.mark.parametrize("api", ["invoke", "converse"])
def test_explicit_api(api):
    route = parse_model(f"bedrock/{api}/amazon.nova-pro-v1:0")
    assert (route.api, route.model_id, route.provider) == (api, "amazon.nova-pro-v1:0", "amazon")


@pytest.mark.parametrize("geo", ["us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"])
def test_geo_prefix_is_stripped_for_detection_but_kept_in_the_path(geo):
    route = parse_model(f"bedrock/{geo}.meta.llama3-1-8b-instruct-v1:0")
    assert route.model_id == f"{geo}.meta.llama3-1-8b-instruct-v1:0"
    assert route.base_model_id == "meta.llama3-1-8b-instruct-v1:0"
    assert route.provider == "meta"


def test_foundation_model_arn():
    arn = "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-v2:1"
    route = parse_model(f"bedrock/{arn}")
    assert route == Route("invoke", arn, "anthropic.claude-v2:1", "anthropic", "us-west-2", True)


def test_inference_profile_arn_in_converse():
    arn = "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"
    route = parse_model(f"bedrock/converse/{arn}")
    assert route.api == "converse"
    assert route.base_model_id == "anthropic.claude-3-haiku-20240307-v1:0"
    assert route.region == "eu-west-1"


@pytest.mark.parametrize("kind", [
    "provisioned-model/abcdefghij12", "custom-model/amazon.titan-text-express-v1/abcdefghij12",
    "imported-model/abcdefghij12", "application-inference-profile/a1b2c3d4e5f6",
    "custom-model-deployment/abcdefghij12",
])
def test_opaque_arns_hide_the_family(kind):
    arn = f"arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:{kind}"
    route = parse_model(f"bedrock/{arn}")
    assert (route.model_id, route.base_model_id, route.provider, route.is_arn) == (arn, None, None, True)
    assert route.region == "us-gov-west-1"
    assert base_model_of(route) is None
    assert chat_family_for(base_model_of(route, "us.meta.llama2-13b-chat-v1")).FAMILY == "llama2"
    assert base_model_of(route, "bedrock/anthropic.claude-v2") == base_model_of(route, "anthropic.claude-v2") == "anthropic.claude-v2"
    assert base_model_of(route, "bedrock/converse/us.anthropic.claude-v2") == "anthropic.claude-v2"
    with pytest.raises(BadRequestError, match="base_model: .* not an opaque ARN"):
        base_model_of(route, arn)


@pytest.mark.parametrize("bad", [
    "gpt-4", "bedrock/", "bedrock/invoke/", "bedrock/converse/", "anthropic.claude-v2", "bedrock/ anthropic.claude-v2",
    "bedrock/anthropic.claude v2", "bedrock/anthropic.claude-v2\n", "bedrock/arn:aws:bedrock:nope", "",
    "bedrock//x", "bedrock/" + "a" * 2049,
])
def test_malformed_strings_say_what_was_expected(bad):
    with pytest.raises(BadRequestError) as info:
        parse_model(bad)
    assert "bedrock" in str(info.value)


def test_message_quotes_the_bad_value():
    with pytest.raises(BadRequestError, match=r'model must look like "bedrock/<model-id>".*got \'gpt-4\''):
        parse_model("gpt-4")


def test_non_string_model():
    with pytest.raises(BadRequestError):
        parse_model(None)  # type: ignore[arg-type]


def test_strip_geo_prefix_leaves_plain_ids_alone():
    assert strip_geo_prefix("meta.llama3-8b-instruct-v1:0") == "meta.llama3-8b-instruct-v1:0"
    assert strip_geo_prefix("us.meta.llama3-8b-instruct-v1:0") == "meta.llama3-8b-instruct-v1:0"
    assert strip_geo_prefix("my-provisioned-name") == "my-provisioned-name"


FAMILY_CASES = {
    "anthropic.claude-v1": "anthropic-text",
    "anthropic.claude-v2": "anthropic-text",
    "anthropic.claude-v2:1": "anthropic-text",
    "anthropic.claude-v2:1:200k": "anthropic-text",
    "anthropic.claude-instant-v1": "anthropic-text",
    "anthropic.claude-3-haiku-20240307-v1:0": "anthropic-messages",
    "anthropic.claude-3-5-sonnet-20241022-v2:0": "anthropic-messages",
    "anthropic.claude-sonnet-4-20250514-v1:0": "anthropic-messages",
    "amazon.titan-text-express-v1": "titan",
    "amazon.titan-text-premier-v1:0": "titan",
    "amazon.titan-tg1-large": "titan",
    "amazon.nova-micro-v1:0": "nova",
    "amazon.nova-pro-v1:0": "nova",
    "amazon.nova-premier-v1:0": "nova",
    "cohere.command-text-v14": "cohere-command",
    "cohere.command-light-text-v14": "cohere-command",
    "cohere.command-r-v1:0": "cohere-chat",
    "cohere.command-r-plus-v1:0": "cohere-chat",
    "ai21.j2-mid-v1": "ai21-j2",
    "ai21.j2-ultra-v1": "ai21-j2",
    "ai21.jamba-instruct-v1:0": "ai21-jamba",
    "ai21.jamba-1-5-large-v1:0": "ai21-jamba",
    "meta.llama2-70b-chat-v1": "llama2",
    "meta.llama3-8b-instruct-v1:0": "llama3",
    "meta.llama3-2-90b-instruct-v1:0": "llama3",
    "mistral.mistral-7b-instruct-v0:2": "mistral-text",
    "mistral.mixtral-8x7b-instruct-v0:1": "mistral-text",
    "mistral.mistral-small-2402-v1:0": "mistral-text",
    "mistral.mistral-large-2402-v1:0": "mistral-text",
    "mistral.mistral-large-2407-v1:0": "mistral-chat",
    "deepseek.r1-v1:0": "deepseek",
    "openai.gpt-oss-20b-1:0": "openai-chat",
    "openai.gpt-oss-120b-1:0": "openai-chat",
}


@pytest.mark.parametrize("model_id,family", sorted(FAMILY_CASES.items()))
def test_family_table(model_id, family):
    assert chat_family_for(model_id).FAMILY == family
    assert chat_family_for(base_model_of(parse_model(f"bedrock/us.{model_id}"))).FAMILY == family


@pytest.mark.parametrize("model_id", [
    "amazon.nova-canvas-v1:0", "amazon.nova-reel-v1:0", "amazon.nova-sonic-v1:0", "amazon.titan-embed-text-v2:0",
    "cohere.embed-english-v3", "stability.sd3-large-v1:0", "meta.llama4-scout-17b-instruct-v1:0", "deepseek.v3-v1:0",
])
def test_unknown_family_lists_supported_providers(model_id):
    assert chat_family_name(model_id) is None
    with pytest.raises(BadRequestError, match="supported providers: ai21, amazon, anthropic, cohere, meta, mistral"):
        chat_family_for(model_id)


def test_every_table_module_implements_the_interface():
    for _, name in CHAT_FAMILIES:
        module = chat_family_for(next(k for k, v in FAMILY_CASES.items() if chat_family_name(k) == name))
        for attr in ("FAMILY", "SUPPORTED_PARAMS", "PROVIDER_PARAMS", "NATIVE_N", "NATIVE_STOP", "STREAMING",
                     "build_request", "parse_response", "parse_stream_event", "map_stop_reason"):
            assert hasattr(module, attr), (name, attr)
        assert {"max_tokens", "stop", "n"} <= module.SUPPORTED_PARAMS
        assert module.SUPPORTED_PARAMS <= {
            "max_tokens", "temperature", "top_p", "stop", "n", "presence_penalty", "frequency_penalty", "seed",
            "user", "tools", "tool_choice", "response_format"}


def test_native_n_respects_streams():
    jamba = chat_family_for("ai21.jamba-1-5-mini-v1:0")
    cohere = chat_family_for("cohere.command-text-v14")
    claude = chat_family_for("anthropic.claude-v2")
    assert (native_n(jamba, False), native_n(jamba, True)) == (True, False)
    assert (native_n(cohere, False), native_n(cohere, True)) == (True, True)
    assert (native_n(claude, False), native_n(claude, True)) == (False, False)


def test_chat_family_for_ignores_a_geo_prefix():
    assert chat_family_for("eu.anthropic.claude-3-haiku-20240307-v1:0").FAMILY == "anthropic-messages"
    assert chat_family_name("us.meta.llama3-8b-instruct-v1:0") == "llama3"
