"""Prompt caching (Claude InvokeModel, Converse, Nova InvokeModel) through the real boto3 client.

Token arithmetic uses the emulated scheme: ``"x" * 3n`` is exactly ``n`` tokens, and a
prompt's tokens are those of its texts (tools, system, messages) joined by newlines.
"""

import json

import httpx
import pytest
from botocore.exceptions import ClientError

from litebed.emulator import ADMIN_HEADERS, prompt_cache
from litebed.emulator.tokens import count_tokens

SONNET_37 = "anthropic.claude-3-7-sonnet-20250219-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
HAIKU_45 = "anthropic.claude-haiku-4-5-20251001-v1:0"
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
LONG = "x" * 3 * 1500           # 1,500 tokens: over Claude 3.7's and Nova's minimums
EPHEMERAL = {"type": "ephemeral"}
CACHE_POINT = {"cachePoint": {"type": "default"}}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(emu):
    original, emu.prompt_cache.clock = emu.prompt_cache.clock, Clock()
    yield emu.prompt_cache.clock
    emu.prompt_cache.clock = original


def claude(system, question="hi", **extra):
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "system": system,
            "messages": [{"role": "user", "content": question}], **extra}


def invoke(client, body, model_id=SONNET_37):
    response = client.invoke_model(modelId=model_id, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def stream(client, body, model_id=SONNET_37):
    response = client.invoke_model_with_response_stream(modelId=model_id, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def refusal(call) -> str:
    with pytest.raises(ClientError) as info:
        call()
    assert info.value.response["Error"]["Code"] == "ValidationException"
    return info.value.response["Error"]["Message"]


def usage_of(client, body, model_id=SONNET_37):
    return invoke(client, body, model_id)[0]["usage"]


CACHED_SYSTEM = [{"type": "text", "text": LONG, "cache_control": EPHEMERAL}]


# -- Claude on InvokeModel ----------------------------------------------------------------------


def test_claude_invoke_writes_then_reads_in_body_and_headers(boto3_runtime):
    body = claude(CACHED_SYSTEM)
    first, first_headers = invoke(boto3_runtime, body)
    second, second_headers = invoke(boto3_runtime, body)
    uncached = count_tokens(LONG + "\nhi") - 1500
    assert first["usage"] == {"input_tokens": uncached, "output_tokens": count_tokens("Echo: hi"),
                              "cache_creation_input_tokens": 1500, "cache_read_input_tokens": 0}
    assert second["usage"] == {**first["usage"], "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1500}
    assert (first_headers["x-amzn-bedrock-cache-write-input-token-count"],
            first_headers["x-amzn-bedrock-cache-read-input-token-count"]) == ("1500", "0")
    assert (second_headers["x-amzn-bedrock-cache-write-input-token-count"],
            second_headers["x-amzn-bedrock-cache-read-input-token-count"]) == ("0", "1500")
    assert first_headers["x-amzn-bedrock-input-token-count"] == str(uncached)


def test_claude_stream_reports_cache_counts_in_message_start_and_the_metrics(boto3_runtime):
    body = claude(CACHED_SYSTEM)
    first, second = stream(boto3_runtime, body), stream(boto3_runtime, body)
    assert first[0]["message"]["usage"] == {"input_tokens": 1, "output_tokens": 0,
                                            "cache_creation_input_tokens": 1500, "cache_read_input_tokens": 0}
    assert second[0]["message"]["usage"]["cache_read_input_tokens"] == 1500
    metrics = [chunks[-1]["amazon-bedrock-invocationMetrics"] for chunks in (first, second)]
    assert [(m["cacheWriteInputTokenCount"], m["cacheReadInputTokenCount"], m["inputTokenCount"]) for m in metrics] == [
        (1500, 0, 1), (0, 1500, 1)]


def test_models_that_cache_report_zeros_and_others_report_nothing(boto3_runtime):
    plain, headers = invoke(boto3_runtime, claude("Be brief."))
    assert plain["usage"]["cache_read_input_tokens"] == plain["usage"]["cache_creation_input_tokens"] == 0
    assert headers["x-amzn-bedrock-cache-read-input-token-count"] == "0"
    old, old_headers = invoke(boto3_runtime, claude("Be brief."), HAIKU_3)
    assert set(old["usage"]) == {"input_tokens", "output_tokens"}
    assert "x-amzn-bedrock-cache-read-input-token-count" not in old_headers
    chunks = stream(boto3_runtime, claude("Be brief."), HAIKU_3)
    assert "cacheReadInputTokenCount" not in chunks[-1]["amazon-bedrock-invocationMetrics"]


def test_a_longer_checkpoint_reads_the_shorter_prefix_and_writes_the_rest(boto3_runtime):
    usage_of(boto3_runtime, claude(CACHED_SYSTEM))
    question = [{"type": "text", "text": "y" * 3 * 1200, "cache_control": EPHEMERAL}, {"type": "text", "text": "and?"}]
    usage = usage_of(boto3_runtime, claude(CACHED_SYSTEM, question))
    prefix = count_tokens(LONG + "\n" + "y" * 3 * 1200)
    assert (usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]) == (1500, prefix - 1500)
    assert usage["input_tokens"] == count_tokens(LONG + "\n" + "y" * 3 * 1200 + "\nand?") - prefix


def test_a_tools_checkpoint_caches_the_tool_definitions(boto3_runtime):
    tools = [{"name": f"tool_{i}", "description": "d" * 3 * 600, "input_schema": {"type": "object"}} for i in range(2)]
    tools[-1]["cache_control"] = EPHEMERAL
    body = {**claude("sys"), "tools": tools}
    first, second = usage_of(boto3_runtime, body), usage_of(boto3_runtime, body)
    definitions = [json.dumps({k: v for k, v in t.items() if k != "cache_control"}, sort_keys=True) for t in tools]
    assert first["cache_creation_input_tokens"] == count_tokens("\n".join(definitions)) > 1024
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert first["input_tokens"] == count_tokens("\n".join([*definitions, "sys", "hi"])) - count_tokens("\n".join(definitions))


def test_a_different_prefix_or_model_misses(boto3_runtime):
    usage_of(boto3_runtime, claude(CACHED_SYSTEM))
    changed = [{"type": "text", "text": LONG + "!", "cache_control": EPHEMERAL}]
    assert usage_of(boto3_runtime, claude(changed))["cache_read_input_tokens"] == 0
    assert usage_of(boto3_runtime, claude(CACHED_SYSTEM), "anthropic.claude-sonnet-4-20250514-v1:0")[
        "cache_read_input_tokens"] == 0
    # the marker is not content: the same prefix with an explicit 5m lifetime hits
    explicit = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": "5m"}}]
    assert usage_of(boto3_runtime, claude(explicit))["cache_read_input_tokens"] == 1500


@pytest.mark.parametrize("model_id, minimum", [
    (SONNET_37, 1024), (HAIKU_45, 4096), ("anthropic.claude-opus-4-5-20251101-v1:0", 4096),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", 2048), ("anthropic.claude-opus-4-7", 1024),
])
def test_a_prefix_under_the_minimum_is_silently_not_cached(boto3_runtime, model_id, minimum):
    short = [{"type": "text", "text": "x" * 3 * (minimum - 1), "cache_control": EPHEMERAL}]
    usage = usage_of(boto3_runtime, claude(short), model_id)
    assert (usage["cache_creation_input_tokens"], usage["input_tokens"]) == (0, count_tokens(short[0]["text"] + "\nhi"))
    assert usage_of(boto3_runtime, claude(short), model_id)["cache_read_input_tokens"] == 0
    enough = [{"type": "text", "text": "x" * 3 * minimum, "cache_control": EPHEMERAL}]
    assert usage_of(boto3_runtime, claude(enough), model_id)["cache_creation_input_tokens"] == minimum


def test_five_checkpoints_are_refused(boto3_runtime):
    system = [{"type": "text", "text": f"part {i}", "cache_control": EPHEMERAL} for i in range(5)]
    assert refusal(lambda: invoke(boto3_runtime, claude(system))) == (
        "A maximum of 4 blocks with cache_control may be provided. Found 5.")
    assert usage_of(boto3_runtime, claude(system[:4]))["cache_creation_input_tokens"] == 0  # four are fine (and short)


def test_checkpoints_on_a_model_that_does_not_cache_are_refused(boto3_runtime):
    assert refusal(lambda: invoke(boto3_runtime, claude(CACHED_SYSTEM), HAIKU_3)) == prompt_cache.UNSUPPORTED


def test_one_hour_lifetimes(boto3_runtime, clock):
    hour = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    assert refusal(lambda: invoke(boto3_runtime, claude(hour))) == (
        "system.0.cache_control.ephemeral.ttl: Extra inputs are not permitted")
    assert usage_of(boto3_runtime, claude(hour), SONNET_45)["cache_creation_input_tokens"] == 1500
    clock.now += 3000  # past five minutes, inside the hour
    assert usage_of(boto3_runtime, claude(hour), SONNET_45)["cache_read_input_tokens"] == 1500
    later = [{**hour[0], "cache_control": EPHEMERAL}, {"type": "text", "text": "z", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    assert "must not come after a ttl='5m'" in refusal(lambda: invoke(boto3_runtime, claude(later), SONNET_45))


def test_entries_expire_after_their_lifetime_and_a_hit_refreshes_it(boto3_runtime, clock):
    body = claude(CACHED_SYSTEM)
    assert usage_of(boto3_runtime, body)["cache_creation_input_tokens"] == 1500
    clock.now += 299
    assert usage_of(boto3_runtime, body)["cache_read_input_tokens"] == 1500  # and its five minutes start again
    clock.now += 299
    assert usage_of(boto3_runtime, body)["cache_read_input_tokens"] == 1500
    clock.now += 301
    expired = usage_of(boto3_runtime, body)
    assert (expired["cache_read_input_tokens"], expired["cache_creation_input_tokens"]) == (0, 1500)


def test_reset_clears_the_cache(boto3_runtime, emu):
    body = claude(CACHED_SYSTEM)
    usage_of(boto3_runtime, body)
    assert len(emu.prompt_cache) == 1
    assert httpx.post(emu.base_url + "/_emulator/reset", headers=ADMIN_HEADERS).json() == {"ok": True}
    assert len(emu.prompt_cache) == 0
    assert usage_of(boto3_runtime, body)["cache_creation_input_tokens"] == 1500
    emu.reset()
    assert usage_of(boto3_runtime, body)["cache_creation_input_tokens"] == 1500


def test_count_tokens_counts_all_input_and_caches_nothing(boto3_runtime):
    body = claude(CACHED_SYSTEM)
    counted = boto3_runtime.count_tokens(modelId=SONNET_37, input={"invokeModel": {"body": json.dumps(body).encode()}})
    assert counted["inputTokens"] == count_tokens(LONG + "\nhi")
    assert usage_of(boto3_runtime, body)["cache_creation_input_tokens"] == 1500


# -- Converse / ConverseStream ---------------------------------------------------------------


def converse(client, model_id=SONNET_37, *, system=None, question="hi", stream=False, **kwargs):
    request = {"modelId": model_id, "messages": [{"role": "user", "content": [{"text": question}]}], **kwargs}
    request["system"] = system if system is not None else [{"text": LONG}, CACHE_POINT]
    if stream:
        return list(client.converse_stream(**request)["stream"])
    return client.converse(**request)


@pytest.mark.parametrize("model_id", [SONNET_37, NOVA_PRO])
def test_converse_writes_then_reads_with_cache_details(boto3_runtime, model_id):
    first, second = converse(boto3_runtime, model_id)["usage"], converse(boto3_runtime, model_id)["usage"]
    uncached, output = count_tokens(LONG + "\nhi") - 1500, count_tokens("Echo: hi")
    assert first == {"inputTokens": uncached, "outputTokens": output, "totalTokens": uncached + 1500 + output,
                     "cacheReadInputTokens": 0, "cacheWriteInputTokens": 1500,
                     "cacheDetails": [{"ttl": "5m", "inputTokens": 1500}]}
    assert second == {"inputTokens": uncached, "outputTokens": output, "totalTokens": uncached + 1500 + output,
                      "cacheReadInputTokens": 1500, "cacheWriteInputTokens": 0}


def test_converse_stream_metadata_carries_the_cache_counts(boto3_runtime):
    first = converse(boto3_runtime, stream=True)[-1]["metadata"]["usage"]
    second = converse(boto3_runtime, stream=True)[-1]["metadata"]["usage"]
    assert (first["cacheWriteInputTokens"], first["cacheDetails"]) == (1500, [{"ttl": "5m", "inputTokens": 1500}])
    assert (second["cacheReadInputTokens"], second["cacheWriteInputTokens"]) == (1500, 0)


def test_converse_cache_details_split_writes_by_lifetime(boto3_runtime):
    system = [{"text": LONG}, {"cachePoint": {"type": "default", "ttl": "1h"}}, {"text": "y" * 3 * 600}, CACHE_POINT]
    usage = converse(boto3_runtime, SONNET_45, system=system)["usage"]
    assert usage["cacheWriteInputTokens"] == count_tokens(LONG + "\n" + "y" * 3 * 600)
    assert usage["cacheDetails"] == [{"ttl": "1h", "inputTokens": 1500},
                                     {"ttl": "5m", "inputTokens": usage["cacheWriteInputTokens"] - 1500}]


def test_converse_tools_and_message_checkpoints(boto3_runtime):
    tools = {"tools": [{"toolSpec": {"name": "lookup", "description": "d" * 3 * 1100,
                                     "inputSchema": {"json": {"type": "object"}}}}, CACHE_POINT]}
    first = converse(boto3_runtime, system=[{"text": "sys"}], toolConfig=tools)["usage"]
    assert first["cacheWriteInputTokens"] == count_tokens(json.dumps(tools["tools"][0], sort_keys=True))
    messages = [{"role": "user", "content": [{"text": LONG}, CACHE_POINT, {"text": "and?"}]}]
    assert boto3_runtime.converse(modelId=SONNET_37, messages=messages)["usage"]["cacheWriteInputTokens"] == 1500
    assert boto3_runtime.converse(modelId=SONNET_37, messages=messages)["usage"]["cacheReadInputTokens"] == 1500


@pytest.mark.parametrize("model_id, kwargs, message", [
    (SONNET_37, {"system": [{"text": f"s{i}"} if i % 2 == 0 else CACHE_POINT for i in range(10)]},
     "The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found 5."),
    (HAIKU_3, {}, prompt_cache.UNSUPPORTED),
    ("meta.llama3-1-70b-instruct-v1:0", {}, prompt_cache.UNSUPPORTED),
    (NOVA_PRO, {"system": [{"text": LONG}, {"cachePoint": {"type": "default", "ttl": "1h"}}]},
     "Extended TTL prompt caching is only supported for Anthropic models"),
    (SONNET_37, {"system": [{"text": LONG}, {"cachePoint": {"type": "default", "ttl": "1h"}}]},
     "The model returned the following errors: system.1.cache_control.ephemeral.ttl: Extra inputs are not permitted"),
    (NOVA_PRO, {"toolConfig": {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}, CACHE_POINT]}},
     "The model returned the following errors: Malformed input request: #/toolConfig/tools/1: extraneous key "
     "[cachePoint] is not permitted, please reformat your input and try again."),
])
def test_converse_refusals(boto3_runtime, model_id, kwargs, message):
    assert refusal(lambda: converse(boto3_runtime, model_id, **kwargs)) == message


def test_converse_usage_of_models_without_caching_has_no_cache_members(boto3_runtime):
    usage = converse(boto3_runtime, HAIKU_3, system=[{"text": "sys"}])["usage"]
    assert set(usage) == {"inputTokens", "outputTokens", "totalTokens"}


# -- Nova on InvokeModel -------------------------------------------------------------------------


def nova(system, **extra):
    return {"schemaVersion": "messages-v1", "system": system,
            "messages": [{"role": "user", "content": [{"text": "hi"}]}], **extra}


def test_nova_invoke_writes_then_reads(boto3_runtime):
    body = nova([{"text": LONG}, CACHE_POINT])
    (first, first_headers), (second, second_headers) = invoke(boto3_runtime, body, NOVA_PRO), invoke(boto3_runtime, body, NOVA_PRO)
    uncached, output = count_tokens(LONG + "\nhi") - 1500, count_tokens("Echo: hi")
    assert first["usage"] == {"inputTokens": uncached, "outputTokens": output, "totalTokens": uncached + 1500 + output,
                              "cacheReadInputTokenCount": 0, "cacheWriteInputTokenCount": 1500}
    assert (second["usage"]["cacheReadInputTokenCount"], second["usage"]["cacheWriteInputTokenCount"]) == (1500, 0)
    assert first_headers["x-amzn-bedrock-cache-write-input-token-count"] == "1500"
    assert second_headers["x-amzn-bedrock-cache-read-input-token-count"] == "1500"
    metrics = stream(boto3_runtime, body, NOVA_PRO)[-1]["amazon-bedrock-invocationMetrics"]
    assert (metrics["cacheReadInputTokenCount"], metrics["cacheWriteInputTokenCount"]) == (1500, 0)


def test_nova_invoke_minimum_and_refusals(boto3_runtime):
    short = nova([{"text": "x" * 3 * 999}, CACHE_POINT])
    assert invoke(boto3_runtime, short, NOVA_PRO)[0]["usage"]["cacheWriteInputTokenCount"] == 0
    tools = nova([{"text": "s"}], toolConfig={"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}, CACHE_POINT]})
    assert refusal(lambda: invoke(boto3_runtime, tools, NOVA_PRO)) == (
        "Malformed input request: #/toolConfig/tools/1: extraneous key [cachePoint] is not permitted, please reformat "
        "your input and try again.")
    hour = nova([{"text": LONG}, {"cachePoint": {"type": "default", "ttl": "1h"}}])
    assert refusal(lambda: invoke(boto3_runtime, hour, NOVA_PRO)) == "Extended TTL prompt caching is only supported for Anthropic models"


# -- the store on its own -------------------------------------------------------------------------


def test_the_store_keys_by_model_and_prefix_and_is_empty_when_new():
    store = prompt_cache.PromptCache(clock=Clock())
    units = [prompt_cache.Unit(["system", "a"], "x" * 3 * 1100), prompt_cache.Unit(["message", "b"], "hi")]
    point = [prompt_cache.Checkpoint(1, "5m", "system", "system.0")]
    assert len(store) == 0 and not store  # empty, yet a store: callers must not use ``or``
    assert store.account(SONNET_37, units, point).write == 1100
    assert store.account(SONNET_37, units, point).read == 1100
    assert store.account(SONNET_45, units, point).read == 0
    assert len(store) == 2
    store.clear()
    assert len(store) == 0


def test_a_family_called_outside_a_server_gets_a_fresh_store():
    with prompt_cache.serving(prompt_cache.PromptCache()) as bound:
        assert prompt_cache.active() is bound
    assert prompt_cache.active() is not prompt_cache.active()
