"""The bundled model catalog: its data, its lookups, and the page generated from it."""

from __future__ import annotations

import datetime
import importlib.util
import json
import pathlib
import re
import subprocess
import sys
from importlib import resources

import pytest

from litebed import _catalog
from litebed.errors import BadRequestError
from litebed.providers import chat_family_name

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "litebed" / "data" / "models.json"

MODES = {"chat", "completion", "embedding", "image_generation", "rerank"}
ROUTES_BY_MODE = {"embedding": "embedding", "image_generation": "image", "rerank": "rerank"}
NUMBERS = ("max_input_tokens", "max_output_tokens", "input_cost_per_token", "output_cost_per_token",
           "cache_read_input_token_cost", "cache_creation_input_token_cost", "input_cost_per_query",
           "batch_discount", "geo_price_multiplier")
FLAGS = ("supports_vision", "supports_pdf_input", "supports_function_calling", "supports_tool_choice",
         "supports_streaming", "supports_system_messages", "supports_reasoning", "supports_prompt_caching")
LISTS = ("regions", "cross_region_profiles")
KEYS = ("provider", "name", "mode", "route", *NUMBERS, *FLAGS, *LISTS, "output_cost_per_image", "deprecation_date",
        "context_variants", "reasoning", "prompt_caching")
REASONING_STYLES = {"budget", "adaptive", "fixed", "effort", "nova"}
PROFILE_PREFIXES = {"us", "eu", "apac", "global", "us-gov", "jp", "au", "ca"}
REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"

RAW = json.loads(DATA.read_text(encoding="utf-8"))
ENTRIES = RAW["models"]


# --------------------------------------------------------------------------- the data


def test_file_shape_and_date():
    assert set(RAW) == {"taken", "models"}
    assert datetime.date.fromisoformat(RAW["taken"]).isoformat() == RAW["taken"]
    assert _catalog.catalog_date() == RAW["taken"]
    assert len(ENTRIES) >= 100


def test_file_is_readable_one_model_per_block_sorted():
    text = DATA.read_text(encoding="utf-8")
    ids = re.findall(r'^    "([^"]+)": \{$', text, re.M)
    assert ids == sorted(ENTRIES) == list(ENTRIES)


@pytest.mark.parametrize("model_id", sorted(ENTRIES))
def test_every_entry_has_every_key_with_the_right_type(model_id):
    entry = ENTRIES[model_id]
    assert set(entry) == set(KEYS)
    assert entry["provider"] == model_id.split(".", 1)[0]
    assert isinstance(entry["name"], str) and entry["name"]
    assert entry["mode"] in MODES
    for key in NUMBERS:
        value = entry[key]
        assert value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0), key
    for key in ("max_input_tokens", "max_output_tokens"):
        assert entry[key] is None or isinstance(entry[key], int), key
    for key in FLAGS:
        assert entry[key] is None or isinstance(entry[key], bool), key
    for key in LISTS:
        value = entry[key]
        assert value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value)), key
        assert value is None or value == sorted(set(value)), key
    assert all(REGION.fullmatch(r) for r in entry["regions"] or ()), entry["regions"]
    assert set(entry["cross_region_profiles"] or ()) <= PROFILE_PREFIXES
    images = entry["output_cost_per_image"]
    assert images is None or (isinstance(images, dict) and images and all(
        isinstance(k, str) and isinstance(v, (int, float)) for k, v in images.items()))
    variants = entry["context_variants"]
    assert variants is None or all(isinstance(k, str) and (v is None or isinstance(v, int)) for k, v in variants.items())
    assert entry["deprecation_date"] is None or datetime.date.fromisoformat(entry["deprecation_date"])
    if entry["batch_discount"] is not None:
        assert 0 < entry["batch_discount"] < 1
    if entry["max_input_tokens"] and entry["max_output_tokens"] and entry["mode"] == "chat":
        assert entry["max_output_tokens"] <= entry["max_input_tokens"]
    # How a model reasons and caches: present exactly when the flags say it does.
    assert (entry["reasoning"] in REASONING_STYLES) if entry["supports_reasoning"] else entry["reasoning"] is None
    caching = entry["prompt_caching"]
    if entry["supports_prompt_caching"]:
        assert set(caching) == {"min_tokens", "max_checkpoints", "fields", "ttls"}
        assert caching["min_tokens"] >= 1000 and caching["max_checkpoints"] == 4
        assert set(caching["fields"]) <= {"system", "messages", "tools"} and "5m" in caching["ttls"]
    else:
        assert caching is None


def test_documented_caching_and_reasoning_facts():
    assert ENTRIES["anthropic.claude-3-5-haiku-20241022-v1:0"]["prompt_caching"]["min_tokens"] == 2048
    assert ENTRIES["anthropic.claude-3-7-sonnet-20250219-v1:0"]["prompt_caching"]["min_tokens"] == 1024
    assert "tools" not in ENTRIES["amazon.nova-pro-v1:0"]["prompt_caching"]["fields"]
    assert ENTRIES["anthropic.claude-3-7-sonnet-20250219-v1:0"]["reasoning"] == "budget"
    assert ENTRIES["anthropic.claude-opus-4-7"]["reasoning"] == "adaptive"
    assert ENTRIES["deepseek.r1-v1:0"]["reasoning"] == "fixed"
    assert ENTRIES["openai.gpt-oss-120b-1:0"]["reasoning"] == "effort"


#: Catalog ids litebed's family table currently gets wrong (reported; strict, so a fix is noticed).
FAMILY_TABLE_BUGS: dict[str, str] = {}  # catalog ids the family table is known to get wrong (none now)


@pytest.mark.parametrize("model_id", [
    pytest.param(i, marks=pytest.mark.xfail(strict=True, reason=FAMILY_TABLE_BUGS[i])) if i in FAMILY_TABLE_BUGS else i
    for i in sorted(ENTRIES)
])
def test_route_names_a_litebed_module_and_agrees_with_the_family_table(model_id):
    entry = ENTRIES[model_id]
    if entry["mode"] not in ("chat", "completion"):
        assert entry["route"] == ROUTES_BY_MODE[entry["mode"]]
        assert chat_family_name(model_id) is None, "a non-chat model must not match a chat family"
        return
    assert (ROOT / "litebed" / "providers" / f"{entry['route']}.py").is_file()
    # The catalog and litebed's family table never disagree, in either direction.
    assert entry["route"] == (chat_family_name(model_id) or "converse")


def test_well_known_prices():
    haiku = ENTRIES[HAIKU]
    assert haiku["input_cost_per_token"] == pytest.approx(0.25 / 1e6)
    assert haiku["output_cost_per_token"] == pytest.approx(1.25 / 1e6)


def test_cache_prices_only_where_caching_is_supported():
    for model_id, entry in ENTRIES.items():
        if entry["cache_read_input_token_cost"] is not None or entry["cache_creation_input_token_cost"] is not None:
            assert entry["supports_prompt_caching"] is True, model_id


def test_families_the_issue_names_are_all_present():
    ids = set(ENTRIES)
    for needle in ("anthropic.claude-3-5-sonnet", "anthropic.claude-3-7-sonnet", "anthropic.claude-sonnet-4-",
                   "anthropic.claude-sonnet-4-5", "amazon.titan-text", "amazon.nova-micro", "amazon.nova-lite",
                   "amazon.nova-pro", "amazon.nova-premier", "cohere.command-r-plus", "cohere.command-light",
                   "ai21.j2-mid", "ai21.j2-ultra", "ai21.jamba-instruct", "ai21.jamba-1-5-mini", "ai21.jamba-1-5-large",
                   "meta.llama2", "meta.llama3-8b", "meta.llama3-1", "meta.llama3-2", "meta.llama3-3",
                   "meta.llama4-scout", "meta.llama4-maverick", "mistral.mistral-7b", "mistral.mixtral",
                   "mistral.mistral-small", "mistral.mistral-large-2402", "mistral.mistral-large-2407",
                   "mistral.pixtral", "deepseek.r1", "deepseek.v3", "qwen.qwen3", "openai.gpt-oss-20b",
                   "openai.gpt-oss-120b", "writer.palmyra", "amazon.titan-embed-text-v1", "amazon.titan-embed-text-v2",
                   "amazon.titan-embed-image", "cohere.embed-english-v3", "cohere.embed-multilingual-v3",
                   "cohere.embed-v4", "stability.stable-diffusion-xl", "stability.sd3", "stability.stable-image-core",
                   "stability.stable-image-ultra", "amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2",
                   "amazon.nova-canvas", "cohere.rerank-v3-5", "amazon.rerank"):
        assert any(i.startswith(needle) for i in ids), needle


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize("model", [
    HAIKU,
    f"bedrock/{HAIKU}",
    f"bedrock/invoke/{HAIKU}",
    f"bedrock/converse/{HAIKU}",
    f"us.{HAIKU}",
    f"bedrock/eu.{HAIKU}",
    f"bedrock/converse/apac.{HAIKU}",
    f"global.{HAIKU}",
    f"us-gov.{HAIKU}",
    f"jp.{HAIKU}",
    f"au.{HAIKU}",
    f"ca.{HAIKU}",
    f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}",
    f"bedrock/arn:aws:bedrock:eu-west-1::foundation-model/{HAIKU}",
    f"bedrock/converse/arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}",
    f"arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.{HAIKU}",
])
def test_every_id_form_finds_the_base_entry(model):
    assert _catalog.normalise(model) == HAIKU
    info = _catalog.lookup(model)
    assert info is not None and info["key"] == HAIKU
    assert _catalog.model_info(model)["max_input_tokens"] == 200_000


@pytest.mark.parametrize("arn", [
    "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456",
    "arn:aws:bedrock:us-east-1:123456789012:custom-model/anthropic.claude-3-haiku-20240307-v1:0/abc123def456",
    "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123def456",
    "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456",
])
def test_opaque_arns_need_base_model(arn):
    assert _catalog.lookup(arn) is None
    with pytest.raises(BadRequestError, match="base_model="):
        _catalog.normalise(arn)
    with pytest.raises(BadRequestError, match="base_model="):
        _catalog.model_info(f"bedrock/{arn}")
    for base_model in (HAIKU, f"us.{HAIKU}", f"bedrock/{HAIKU}"):
        assert _catalog.normalise(arn, base_model=base_model) == HAIKU
        assert _catalog.model_info(f"bedrock/converse/{arn}", base_model=base_model)["key"] == HAIKU


@pytest.mark.parametrize(("model", "key", "window"), [
    ("anthropic.claude-v2:1:200k", "anthropic.claude-v2:1", 200_000),
    ("anthropic.claude-v2:1:18k", "anthropic.claude-v2:1", 18_000),
    ("bedrock/anthropic.claude-3-sonnet-20240229-v1:0:28k", "anthropic.claude-3-sonnet-20240229-v1:0", 28_000),
    ("anthropic.claude-3-haiku-20240307-v1:0:48k", HAIKU, 48_000),
    ("anthropic.claude-instant-v1:2:100k", "anthropic.claude-instant-v1", 100_000),
    ("meta.llama3-1-70b-instruct-v1:0:128k", "meta.llama3-1-70b-instruct-v1:0", 128_000),
    ("cohere.command-text-v14:7:4k", "cohere.command-text-v14", 4096),
])
def test_context_window_variants_map_to_their_base_entry(model, key, window):
    assert _catalog.normalise(model) == key
    info = _catalog.model_info(model)
    assert info["key"] == key
    assert info["max_input_tokens"] == window
    assert info["context_variant"] == model.rsplit(":", 1)[1]
    assert ENTRIES[key]["context_variants"] is not None


def test_a_variant_without_a_documented_window_keeps_the_base_window():
    info = _catalog.model_info("amazon.nova-premier-v1:0:mm")
    assert info["key"] == "amazon.nova-premier-v1:0"
    assert info["max_input_tokens"] == ENTRIES["amazon.nova-premier-v1:0"]["max_input_tokens"]


def test_model_info_has_litellms_keys_and_litebeds():
    info = _catalog.get_model_info(f"bedrock/us.{HAIKU}")
    assert _catalog.get_model_info is _catalog.model_info
    assert info["litellm_provider"] == "bedrock"
    assert info["mode"] == "chat"
    assert info["max_tokens"] == info["max_output_tokens"] == 4096
    assert info["supports_response_schema"] == info["supports_function_calling"] is True
    for key in ("supports_vision", "supports_tool_choice", "supports_pdf_input", "supports_reasoning",
                "supports_prompt_caching", "supports_system_messages", "input_cost_per_token", "output_cost_per_token"):
        assert key in info
    assert info["route"] == "anthropic_messages"
    assert "us-east-1" in info["regions"] and "us" in info["cross_region_profiles"]
    assert info["catalog_date"] == _catalog.catalog_date()


def test_lookups_hand_out_copies():
    info = _catalog.model_info(HAIKU)
    info["regions"].append("mars-north-1")
    info["max_input_tokens"] = 1
    fresh = _catalog.model_info(HAIKU)
    assert "mars-north-1" not in fresh["regions"] and fresh["max_input_tokens"] == 200_000
    view = _catalog.all_models()
    with pytest.raises(TypeError):
        view["x"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        view[HAIKU]["mode"] = "rerank"  # type: ignore[index]
    assert set(view) == set(ENTRIES)
    assert isinstance(view[HAIKU]["regions"], tuple)


def test_unknown_models_are_none_from_lookup_and_a_clear_error_from_model_info():
    assert _catalog.lookup("bedrock/acme.unheard-of-v1") is None
    assert _catalog.normalise("bedrock/acme.unheard-of-v1") == "acme.unheard-of-v1"
    with pytest.raises(BadRequestError) as caught:
        _catalog.model_info("bedrock/acme.unheard-of-v1")
    message = str(caught.value)
    assert "not in litebed's model catalog" in message
    assert f"dated {_catalog.catalog_date()}" in message
    assert "pass the model to completion() anyway: it is sent to Bedrock as given" in message


def test_malformed_model_strings_are_bad_requests():
    for bad in ("", "bedrock/", "not a model", "arn:aws:bedrock:nowhere"):
        with pytest.raises(BadRequestError):
            _catalog.lookup(bad)
    with pytest.raises(BadRequestError):
        _catalog.lookup(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- did you mean


def test_did_you_mean_for_a_misspelled_id():
    assert _catalog.suggestions("anthropic.claude-3-haku-20240307-v1:0")[0] == HAIKU
    with pytest.raises(BadRequestError) as caught:
        _catalog.model_info("bedrock/anthropic.claude-3-haku-20240307-v1:0")
    assert f"Did you mean '{HAIKU}'" in str(caught.value)


def test_did_you_mean_keeps_the_geography_prefix():
    assert _catalog.suggestions("us.anthropic.claude-3-haku-20240307-v1:0")[0] == f"us.{HAIKU}"
    with pytest.raises(BadRequestError) as caught:
        _catalog.model_info("bedrock/converse/us.anthropic.claude-3-haku-20240307-v1:0")
    assert f"Did you mean 'us.{HAIKU}'" in str(caught.value)


def test_suggestions_read_arns_and_model_strings_and_never_echo_the_id():
    assert _catalog.suggestions(f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU[:-1]}1")[0] == HAIKU
    assert _catalog.suggestions("bedrock/converse/anthropic.claude-3-haku-20240307-v1:0")[0] == HAIKU
    assert HAIKU not in _catalog.suggestions(HAIKU)
    assert len(_catalog.suggestions("anthropic.claude", n=2)) <= 2
    assert _catalog.suggestions("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456") == []
    assert _catalog.suggestions("zzzzzzzz") == []
    assert _catalog.suggestions("") == []


def test_a_prefix_without_documented_profiles_still_suggests_prefixed_ids():
    close = _catalog.suggestions("ca.anthropic.claude-3-haku-20240307-v1:0")
    assert close and close[0] == f"ca.{HAIKU}"


# --------------------------------------------------------------------------- packaging and import cost


def test_import_litebed_does_not_load_the_catalog():
    code = "import sys, litebed; print('litebed._catalog' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_the_catalog_module_imports_only_the_standard_library_and_litebeds_light_modules():
    code = ("import sys; before = set(sys.modules); import litebed._catalog as c; c.all_models(); "
            "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in "
            "('boto3', 'botocore', 'httpx', 'pydantic', 'tiktoken')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_the_installed_package_ships_the_data_file():
    shipped = resources.files("litebed") / "data" / "models.json"
    assert shipped.is_file()
    assert json.loads(shipped.read_text(encoding="utf-8"))["taken"] == RAW["taken"]
    package_data = re.search(r"\[tool\.setuptools\.package-data\]\s*\nlitebed\s*=\s*\[([^\]]*)\]",
                             (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert package_data and '"data/*.json"' in package_data.group(1)


# --------------------------------------------------------------------------- the generated page


def _generator():
    spec = importlib.util.spec_from_file_location("gen_models_doc", ROOT / "scripts" / "gen_models_doc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_models_md_is_what_the_script_generates():
    assert (ROOT / "docs" / "models.md").read_text(encoding="utf-8") == _generator().render(), (
        "docs/models.md is out of date: run python scripts/gen_models_doc.py")


def test_the_page_lists_every_model_once():
    page = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    for model_id in ENTRIES:
        assert page.count(f"| `{model_id}` |") == 1, model_id
    assert _catalog.catalog_date() in page


def test_the_pages_example_is_true():
    info = _catalog.get_model_info(f"bedrock/us.{HAIKU}")
    assert (info["max_input_tokens"], info["input_cost_per_token"]) == (200000, 2.5e-07)
