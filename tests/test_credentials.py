"""Unit tests of credentials.py, redact.py and arn.py: no network, no emulator."""

from __future__ import annotations

import logging
import os
import time

import pytest

import litebed
from litebed import _arn as arn
from litebed._arn import ArnCache
from litebed._auth import redact
from litebed._auth.credentials import (
    SOURCES_TRIED,
    AuthOptions,
    clear_cache,
    control_url_for,
    partition_suffix,
    resolve_auth,
)
from litebed.errors import AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError

SECRET = "unit-test-secret-key-0123456789abcdefXYZ"
TOKEN = "unit+test/session=token0123456789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clear_cache()
    arn.clear_cache()
    yield
    clear_cache()
    arn.clear_cache()


def keys(**extra) -> AuthOptions:
    return AuthOptions(aws_access_key_id="AKIAUNITTEST", aws_secret_access_key=SECRET, **extra)


# --- options -------------------------------------------------------------------


def test_from_kwargs_pops_auth_params_and_maps_api_base():
    kwargs = {"api_base": "http://x", "aws_region_name": "eu-west-1", "temperature": 0.1}
    options = AuthOptions.from_kwargs(kwargs, arn_region="us-west-2")
    assert kwargs == {"temperature": 0.1}
    assert options.aws_bedrock_runtime_endpoint == "http://x"
    assert options.arn_region == "us-west-2"


def test_reprs_hide_secrets():
    options = keys(aws_session_token=TOKEN, api_key="bearer-unit-secret", aws_web_identity_token="jwt-unit-secret")
    text = repr(options) + repr(resolve_auth(keys(aws_session_token=TOKEN, aws_region_name="us-east-1")))
    for secret in (SECRET, TOKEN, "bearer-unit-secret", "jwt-unit-secret"):
        assert secret not in text
    assert "AKIAUNITTEST" in repr(options)


# --- region and endpoints --------------------------------------------------------


def test_region_precedence(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert resolve_auth(keys()).region == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    assert resolve_auth(keys()).region == "eu-central-1"
    monkeypatch.setenv("AWS_REGION_NAME", "eu-west-3")
    assert resolve_auth(keys()).region == "eu-west-3"
    assert resolve_auth(keys(arn_region="us-west-2")).region == "us-west-2"
    assert resolve_auth(keys(arn_region="us-west-2", aws_region_name="ca-central-1")).region == "ca-central-1"


def test_region_from_profile(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[profile team]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert resolve_auth(keys(aws_profile_name="team")).region == "eu-north-1"


def test_no_region_is_a_clear_error():
    with pytest.raises(BadRequestError, match="no AWS region.*aws_region_name="):
        resolve_auth(keys())


@pytest.mark.parametrize(
    "region, runtime, control, sts",
    [
        ("us-east-1", "https://bedrock-runtime.us-east-1.amazonaws.com", "https://bedrock.us-east-1.amazonaws.com",
         "https://sts.us-east-1.amazonaws.com"),
        ("us-gov-west-1", "https://bedrock-runtime.us-gov-west-1.amazonaws.com",
         "https://bedrock.us-gov-west-1.amazonaws.com", "https://sts.us-gov-west-1.amazonaws.com"),
        ("cn-north-1", "https://bedrock-runtime.cn-north-1.amazonaws.com.cn",
         "https://bedrock.cn-north-1.amazonaws.com.cn", "https://sts.cn-north-1.amazonaws.com.cn"),
    ],
)
def test_default_endpoints_are_partition_aware(region, runtime, control, sts):
    auth = resolve_auth(keys(aws_region_name=region))
    assert (auth.runtime_url, auth.control_url, auth.sts_url) == (runtime, control, sts)
    assert auth.region == region


def test_partition_suffixes():
    assert partition_suffix("us-iso-east-1") == "c2s.ic.gov"
    assert partition_suffix("us-isob-east-1") == "sc2s.sgov.gov"
    assert partition_suffix("eu-west-1") == "amazonaws.com"


def test_endpoint_precedence(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://all")
    auth = resolve_auth(keys(aws_region_name="us-east-1"))
    assert (auth.runtime_url, auth.control_url, auth.sts_url) == ("http://all", "http://all", "http://all")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://rt")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", "http://cp")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://sts")
    auth = resolve_auth(keys(aws_region_name="us-east-1"))
    assert (auth.runtime_url, auth.control_url, auth.sts_url) == ("http://rt", "http://cp", "http://sts")
    auth = resolve_auth(keys(aws_region_name="us-east-1", aws_bedrock_runtime_endpoint="http://opt-rt/",
                             aws_bedrock_endpoint="http://opt-cp", aws_sts_endpoint="http://opt-sts"))
    assert (auth.runtime_url, auth.control_url, auth.sts_url) == ("http://opt-rt", "http://opt-cp", "http://opt-sts")


def test_only_runtime_endpoint_given_serves_control_plane_too():
    auth = resolve_auth(keys(aws_region_name="us-east-1", aws_bedrock_runtime_endpoint="http://127.0.0.1:9"))
    assert auth.control_url == "http://127.0.0.1:9"
    assert control_url_for("https://bedrock-runtime-fips.us-east-1.amazonaws.com") == "https://bedrock-fips.us-east-1.amazonaws.com"


# --- sources ---------------------------------------------------------------------


def test_bearer_from_option_or_env_outranks_keys(monkeypatch):
    auth = resolve_auth(keys(aws_region_name="us-east-1", api_key="bearer-unit-secret"))
    assert (auth.source, auth.auth_type) == ("api_key", "bearer")
    assert auth.sign("POST", "https://x/y", {}, b"")["Authorization"] == "Bearer bearer-unit-secret"
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bearer-env-secret")
    auth = resolve_auth(keys(aws_region_name="us-east-1"))
    assert (auth.source, auth.auth_type) == ("AWS_BEARER_TOKEN_BEDROCK", "bearer")


def test_explicit_keys_outrank_env_and_profile(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-0123456789")
    auth = resolve_auth(keys(aws_region_name="us-east-1", aws_profile_name="nonexistent"))
    assert (auth.source, auth.access_key_id) == ("explicit keys", "AKIAUNITTEST")
    assert resolve_auth(AuthOptions(aws_region_name="us-east-1")).access_key_id == "AKIAFROMENV"


def test_sigv4_signature_uses_bedrock_service_and_region():
    auth = resolve_auth(keys(aws_session_token=TOKEN, aws_region_name="eu-west-1"))
    headers = auth.sign("POST", "https://bedrock-runtime.eu-west-1.amazonaws.com/model/m/invoke", {}, b"{}")
    assert "/eu-west-1/bedrock/aws4_request" in headers["Authorization"]
    assert headers["X-Amz-Security-Token"] == TOKEN


def test_half_explicit_keys_rejected():
    with pytest.raises(AuthenticationError, match="together"):
        resolve_auth(AuthOptions(aws_access_key_id="AKIAONLY", aws_region_name="us-east-1"))


def test_no_credentials_names_every_source():
    start = time.monotonic()
    with pytest.raises(AuthenticationError) as info:
        resolve_auth(AuthOptions(aws_region_name="us-east-1"))
    assert time.monotonic() - start < 5
    for source in ("aws_bedrock_client=", "AWS_BEARER_TOKEN_BEDROCK", "aws_role_name=", "aws_access_key_id=",
                   "aws_profile_name=", "AWS_PROFILE", "instance metadata"):
        assert source in str(info.value)
    assert len(SOURCES_TRIED) == 6


def test_unknown_profile_is_an_authentication_error():
    with pytest.raises(AuthenticationError, match="'ghost' was not found"):
        resolve_auth(AuthOptions(aws_profile_name="ghost", aws_region_name="us-east-1"))


def test_profile_credential_process(tmp_path, monkeypatch):
    script = tmp_path / "creds.py"
    script.write_text(
        "import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': 'AKIAPROCESS', "
        f"'SecretAccessKey': '{SECRET}'}}))\n"
    )
    config = tmp_path / "config"
    config.write_text(f"[profile proc]\nregion = us-west-2\ncredential_process = {os.sys.executable} {script}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    auth = resolve_auth(AuthOptions(aws_profile_name="proc"))
    assert (auth.access_key_id, auth.region, auth.source) == ("AKIAPROCESS", "us-west-2", "profile proc")


def test_failing_credential_process_output_never_reaches_the_message(tmp_path, monkeypatch):
    """botocore puts a failed credential_process's stderr into its error: litebed scrubs it."""
    leaked_secret, leaked_token = "processSecretKey0123456789abcdefghij", "processSessionToken0123456789abcdef"
    script = tmp_path / "creds.py"
    script.write_text(
        "import json, sys\n"
        f"sys.stderr.write(json.dumps({{'AccessKeyId': 'AKIAPROC', 'SecretAccessKey': '{leaked_secret}', "
        f"'SessionToken': '{leaked_token}'}}))\n"
        "sys.exit(1)\n"
    )
    config = tmp_path / "config"
    config.write_text(f"[profile broken]\nregion = us-west-2\ncredential_process = {os.sys.executable} {script}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    with pytest.raises(litebed.AuthenticationError) as info:
        resolve_auth(AuthOptions(aws_profile_name="broken"))
    shown = f"{info.value} {info.value!r} {info.value.args}"
    assert "custom-process" in shown or "credential" in shown.lower()
    assert leaked_secret not in shown and leaked_token not in shown


# --- caching ---------------------------------------------------------------------


def test_cache_key_follows_options_and_env(monkeypatch):
    first = resolve_auth(keys(aws_region_name="us-east-1"))
    assert resolve_auth(keys(aws_region_name="us-east-1")) is first
    assert resolve_auth(keys(aws_region_name="us-west-2")) is not first
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://elsewhere")
    moved = resolve_auth(keys(aws_region_name="us-east-1"))
    assert moved is not first and moved.runtime_url == "http://elsewhere"
    clear_cache()
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert resolve_auth(keys(aws_region_name="us-east-1")) is not first


def test_cached_lookup_costs_microseconds():
    options = keys(aws_region_name="us-east-1", aws_session_token=TOKEN)
    resolve_auth(options)
    start = time.perf_counter()
    for _ in range(10_000):
        resolve_auth(options)
    per_call = (time.perf_counter() - start) / 10_000
    assert per_call < 20e-6, per_call


# --- redaction -------------------------------------------------------------------


def test_scrub_masks_registered_values_and_encoded_forms():
    redact.register("short", "abc", None, "registered-secret+/=value")
    text = "a registered-secret+/=value b registered-secret%2B%2F%3Dvalue c short abc"
    assert redact.scrub(text) == "a *** b *** c *** abc"


@pytest.mark.parametrize(
    "line",
    [
        "<SecretAccessKey>fresh-issued-secret</SecretAccessKey>",
        "<SessionToken>FwoGZXIvYXdzEBY+abc/def==</SessionToken>",
        "x-amz-security-token:FwoGZXIvYXdzEBY",
        "{'X-Amz-Security-Token': b'FwoGZXIvYXdzEBY', 'Authorization': b'AWS4...'}",
        "'body': {'WebIdentityToken': 'eyJhbGciOi.eyJzdWIi.sig'}",
        "Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJhbGciOi.eyJzdWIi.sig",
        '{"roleCredentials": {"secretAccessKey": "sso-secret-value", "sessionToken": "sso-token-value"}}',
        "Authorization: Bearer ABSKQmVkcm9ja0FQSUtleS",
    ],
)
def test_scrub_masks_secret_fields_never_registered(line):
    cleaned = redact.scrub(line)
    for secret in ("fresh-issued-secret", "FwoGZXIvYXdzEBY", "eyJhbGciOi", "sso-secret-value", "sso-token-value",
                   "ABSKQmVkcm9ja0FQSUtleS"):
        assert secret not in cleaned
    assert redact.MASK in cleaned


def test_filter_is_installed_lazily_on_each_emitting_logger(caplog):
    resolve_auth(keys(aws_region_name="us-east-1"))  # installs
    for name in ("botocore.auth", "botocore.endpoint", "botocore.parsers", "urllib3.connectionpool"):
        assert any(isinstance(f, redact.SecretFilter) for f in logging.getLogger(name).filters), name
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("botocore.auth").debug("CanonicalRequest: %s %s", SECRET, "x-amz-security-token:abcdefgh")
        try:
            raise ValueError(SECRET)
        except ValueError:
            logging.getLogger("botocore.endpoint").exception("failed")
    assert SECRET not in caplog.text and "abcdefgh" not in caplog.text
    assert "CanonicalRequest: ***" in caplog.text


# --- ARN resolution with a fake client -----------------------------------------------


class FakeControlPlane:
    def __init__(self, answers):
        self.answers = answers
        self.paths = []
        self.auth = type("A", (), {"control_url": "http://fake"})()
        self.arn_cache = ArnCache()

    def control_get(self, path):
        self.paths.append(path)
        answer = self.answers[path.split("/")[1]]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def acontrol_get(self, path):
        return self.control_get(path)


ACCOUNT = "arn:aws:bedrock:us-east-1:123456789012"
FM = "arn:aws:bedrock:us-east-1::foundation-model/"


def test_arn_local_kinds_need_no_request():
    fake = FakeControlPlane({})
    assert arn.resolve_base_model(fake, FM + "anthropic.claude-v2:1") == "anthropic.claude-v2:1"
    assert arn.resolve_base_model(fake, ACCOUNT + ":inference-profile/us.meta.llama3-8b-instruct-v1:0") == "meta.llama3-8b-instruct-v1:0"
    assert fake.paths == []


def test_arn_deployment_walks_to_custom_model_then_base():
    custom = ACCOUNT + ":custom-model/amazon.titan-text-express-v1/abcdef123456"
    fake = FakeControlPlane({
        "model-customization": {"modelArn": custom},
        "custom-models": {"baseModelArn": FM + "amazon.titan-text-express-v1"},
    })
    assert arn.resolve_base_model(fake, ACCOUNT + ":custom-model-deployment/abcdef123456") == "amazon.titan-text-express-v1"
    assert fake.paths[0].startswith("/model-customization/custom-model-deployments/arn%3Aaws%3Abedrock")
    assert fake.paths[1].startswith("/custom-models/")


@pytest.mark.parametrize("architecture, base", [("llama2", "meta.llama2-13b-chat-v1"), ("LLAMA3.1", "meta.llama3-8b-instruct-v1:0"),
                                                ("mixtral", "mistral.mixtral-8x7b-instruct-v0:1")])
def test_imported_architecture_mapping(architecture, base):
    fake = FakeControlPlane({"imported-models": {"modelArchitecture": architecture}})
    assert arn.resolve_base_model(fake, ACCOUNT + ":imported-model/x" + architecture) == base


def test_imported_unknown_architecture_asks_for_base_model():
    fake = FakeControlPlane({"imported-models": {"modelArchitecture": "qwen2"}})
    with pytest.raises(BadRequestError, match="base_model="):
        arn.resolve_base_model(fake, ACCOUNT + ":imported-model/q")


def test_arn_refusal_explains_model_id_and_base_model():
    fake = FakeControlPlane({"provisioned-model-throughput": PermissionDeniedError("not allowed", bedrock_code="AccessDeniedException")})
    with pytest.raises(PermissionDeniedError) as info:
        arn.resolve_base_model(fake, ACCOUNT + ":provisioned-model/abc123def456")
    assert "not permitted" in str(info.value) and "model_id=" in str(info.value) and "base_model=" in str(info.value)
    fake = FakeControlPlane({"custom-models": NotFoundError("gone")})
    with pytest.raises(NotFoundError, match="does not know"):
        arn.resolve_base_model(fake, ACCOUNT + ":custom-model/x/abcdef123456")


def test_arn_unsupported_kind_asks_for_base_model():
    with pytest.raises(BadRequestError, match="prompt ARN.*base_model="):
        arn.resolve_base_model(FakeControlPlane({}), ACCOUNT + ":prompt/ABCDEFGHIJ")


async def test_async_arn_resolution_is_cached_and_shared():
    import asyncio

    fake = FakeControlPlane({"inference-profiles": {"models": [{"modelArn": FM + "anthropic.claude-3-haiku-20240307-v1:0"}]}})
    profile = ACCOUNT + ":application-inference-profile/abc"
    results = await asyncio.gather(*(arn.aresolve_base_model(fake, profile) for _ in range(5)))
    assert results == ["anthropic.claude-3-haiku-20240307-v1:0"] * 5
    assert arn.resolve_base_model(fake, profile) == results[0]
    assert len(fake.paths) == 1
