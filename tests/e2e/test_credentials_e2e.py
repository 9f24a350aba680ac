"""Every credential source against the emulator: the emulator's log says which
access key id signed each request, whether a session token came with it, and
which region it was signed for."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

import litebed
from litebed import _arn as arn
from litebed._auth.credentials import AuthOptions, clear_cache, resolve_auth
from litebed._transport.sender import get_client
from litebed.errors import AuthenticationError

ROLE = "arn:aws:iam::123456789012:role/litebed-test"
BODY = {"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 20}
MESSAGES = [{"role": "user", "content": "hi"}]
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0LXN1YmplY3QiLCJpc3MiOiJ0ZXN0In0.c2lnbmF0dXJl"


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


def invoke(**options):
    return get_client(AuthOptions(**options)).invoke("anthropic.claude-v2", BODY).body


def runtime_log(emu):
    return [r for r in emu.requests() if r["operation"] == "InvokeModel"]


def sts_log(emu):
    return [r for r in emu.requests() if r["operation"].startswith("AssumeRole")]


def static_keys(emu):
    c = emu.credentials
    return {"aws_access_key_id": c["aws_access_key_id"], "aws_secret_access_key": c["aws_secret_access_key"]}


def temporary_keys(emu, boto3_sts):
    issued = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="base")["Credentials"]
    return {"aws_access_key_id": issued["AccessKeyId"], "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"]}


def test_explicit_keys(emu):
    result = litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url,
                                aws_region_name="us-east-1", **static_keys(emu))
    assert result.choices[0].message.content == "Echo: hi"
    [entry] = runtime_log(emu)
    assert (entry["auth"], entry["access_key_id"], entry["session_token_used"]) == ("sigv4", "AKIALITEBEDEMULATOR1", False)
    assert entry["signing_region"] == "us-east-1"


def test_explicit_keys_with_session_token(emu, boto3_sts):
    temp = temporary_keys(emu, boto3_sts)
    invoke(aws_region_name="us-east-1", aws_bedrock_runtime_endpoint=emu.base_url, **temp)
    [entry] = runtime_log(emu)
    assert (entry["access_key_id"], entry["session_token_used"]) == (temp["aws_access_key_id"], True)


def test_environment_variables(emu, boto3_sts, monkeypatch):
    temp = temporary_keys(emu, boto3_sts)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", temp["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", temp["aws_secret_access_key"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", temp["aws_session_token"])
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", emu.base_url)
    litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES)
    [entry] = runtime_log(emu)
    assert (entry["access_key_id"], entry["session_token_used"], entry["signing_region"]) == (
        temp["aws_access_key_id"], True, "us-west-2")


def test_profile_with_static_keys(emu, tmp_path, monkeypatch):
    credentials = tmp_path / "credentials"
    keys = static_keys(emu)
    credentials.write_text(f"[team]\naws_access_key_id = {keys['aws_access_key_id']}\n"
                           f"aws_secret_access_key = {keys['aws_secret_access_key']}\n")
    config = tmp_path / "config"
    config.write_text("[profile team]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    invoke(aws_profile_name="team", aws_bedrock_runtime_endpoint=emu.base_url)
    [entry] = runtime_log(emu)
    assert (entry["access_key_id"], entry["signing_region"]) == ("AKIALITEBEDEMULATOR1", "eu-west-1")


def test_profile_source_profile_role_chain_through_sts(emu, tmp_path, monkeypatch):
    keys = static_keys(emu)
    config = tmp_path / "config"
    config.write_text(
        "[profile base]\n"
        f"aws_access_key_id = {keys['aws_access_key_id']}\naws_secret_access_key = {keys['aws_secret_access_key']}\n"
        f"[profile chained]\nrole_arn = {ROLE}\nsource_profile = base\nregion = us-east-1\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emu.base_url)
    invoke(aws_profile_name="chained", aws_bedrock_runtime_endpoint=emu.base_url)
    invoke(aws_profile_name="chained", aws_bedrock_runtime_endpoint=emu.base_url)
    [assume] = sts_log(emu)
    assert (assume["operation"], assume["access_key_id"], assume["role_arn"]) == ("AssumeRole", "AKIALITEBEDEMULATOR1", ROLE)
    entries = runtime_log(emu)
    assert [e["access_key_id"] for e in entries] == [assume["issued_access_key_id"]] * 2
    assert all(e["session_token_used"] for e in entries)


def test_role_assumed_once_for_two_requests_with_external_id(emu):
    options = dict(aws_role_name=ROLE, aws_session_name="litebed-e2e", aws_external_id="ext-42",
                   aws_sts_endpoint=emu.base_url, aws_region_name="us-east-1",
                   aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    invoke(**options)
    invoke(**options)
    [assume] = sts_log(emu)
    assert (assume["operation"], assume["access_key_id"], assume["external_id"], assume["role_session_name"]) == (
        "AssumeRole", "AKIALITEBEDEMULATOR1", "ext-42", "litebed-e2e")
    assert [(e["access_key_id"], e["session_token_used"]) for e in runtime_log(emu)] == [(assume["issued_access_key_id"], True)] * 2


def test_role_chaining_passes_the_base_session_token(emu, boto3_sts):
    temp = temporary_keys(emu, boto3_sts)
    emu.reset()
    invoke(aws_role_name=ROLE, aws_sts_endpoint=emu.base_url, aws_region_name="us-east-1",
           aws_bedrock_runtime_endpoint=emu.base_url, **temp)
    [assume] = sts_log(emu)
    assert (assume["access_key_id"], assume["session_token_used"]) == (temp["aws_access_key_id"], True)
    [entry] = runtime_log(emu)
    assert entry["access_key_id"] == assume["issued_access_key_id"] != temp["aws_access_key_id"]


def test_role_credentials_refresh_near_expiry(emu):
    options = AuthOptions(aws_role_name=ROLE, aws_sts_endpoint=emu.base_url, aws_region_name="us-east-1",
                          aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    client = get_client(options)
    client.invoke("anthropic.claude-v2", BODY)
    # Five minutes left: inside botocore's mandatory refresh window (10 minutes).
    resolve_auth(options)._credentials._expiry_time = datetime.now(timezone.utc) + timedelta(minutes=5)
    client.invoke("anthropic.claude-v2", BODY)
    client.invoke("anthropic.claude-v2", BODY)
    first, second = sts_log(emu)
    assert [e["access_key_id"] for e in runtime_log(emu)] == [
        first["issued_access_key_id"], second["issued_access_key_id"], second["issued_access_key_id"]]


def test_web_identity(emu):
    options = dict(aws_role_name=ROLE, aws_web_identity_token=JWT, aws_sts_endpoint=emu.base_url,
                   aws_region_name="us-east-1", aws_bedrock_runtime_endpoint=emu.base_url)
    invoke(**options)
    invoke(**options)
    [assume] = sts_log(emu)
    assert (assume["operation"], assume["auth"]) == ("AssumeRoleWithWebIdentity", "none")
    assert [(e["access_key_id"], e["session_token_used"]) for e in runtime_log(emu)] == [(assume["issued_access_key_id"], True)] * 2


def test_web_identity_from_environment_through_botocore(emu, tmp_path, monkeypatch):
    token_file = tmp_path / "token"
    token_file.write_text(JWT)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emu.base_url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    invoke(aws_bedrock_runtime_endpoint=emu.base_url)
    [assume] = sts_log(emu)
    assert assume["operation"] == "AssumeRoleWithWebIdentity"
    assert runtime_log(emu)[0]["access_key_id"] == assume["issued_access_key_id"]


def test_boto3_client_supplies_credentials_region_and_endpoint(emu, make_client, monkeypatch):
    client = make_client("bedrock-runtime", region_name="ap-northeast-1")
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "ignored-because-a-client-was-passed")
    invoke(aws_bedrock_client=client, aws_access_key_id="AKIAIGNORED", aws_secret_access_key="ignored-secret",
           aws_region_name="us-east-1", aws_bedrock_runtime_endpoint="http://127.0.0.1:1")
    [entry] = runtime_log(emu)
    assert (entry["access_key_id"], entry["signing_region"]) == ("AKIALITEBEDEMULATOR1", "ap-northeast-1")


def test_boto3_client_in_bearer_mode(emu, monkeypatch):
    import boto3

    emu.configure(bearer_tokens=("bedrock-api-key-boto3-0123456789",))
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-boto3-0123456789")
    client = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.base_url)
    invoke(aws_bedrock_client=client, aws_region_name="eu-west-1")
    assert [(e["auth"], e["status"]) for e in runtime_log(emu)] == [("bearer", 200)]


def test_boto3_client_with_refreshable_credentials(emu, boto3_sts):
    import boto3
    import botocore.session
    from botocore.credentials import RefreshableCredentials

    def refresh():
        issued = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="sso-like")["Credentials"]
        return {"access_key": issued["AccessKeyId"], "secret_key": issued["SecretAccessKey"],
                "token": issued["SessionToken"], "expiry_time": issued["Expiration"].isoformat()}

    credentials = RefreshableCredentials.create_from_metadata(refresh(), refresh, "custom-refresh")
    session = botocore.session.Session()
    session._credentials = credentials  # what SSO / assumed-role sessions hold
    client = boto3.Session(botocore_session=session).client("bedrock-runtime", region_name="us-east-1",
                                                             endpoint_url=emu.base_url)
    invoke(aws_bedrock_client=client)
    credentials._expiry_time = datetime.now(timezone.utc) + timedelta(minutes=1)
    invoke(aws_bedrock_client=client)
    first, second = sts_log(emu)
    assert [e["access_key_id"] for e in runtime_log(emu)] == [first["issued_access_key_id"], second["issued_access_key_id"]]
    assert all(e["session_token_used"] for e in runtime_log(emu))


def test_bearer_api_key(emu):
    emu.configure(bearer_tokens=("bedrock-api-key-e2e-0123456789",))
    invoke(api_key="bedrock-api-key-e2e-0123456789", aws_region_name="us-east-1",
           aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    [entry] = runtime_log(emu)
    assert (entry["auth"], entry["access_key_id"], entry["status"]) == ("bearer", None, 200)


def test_bearer_env_outranks_explicit_keys(emu, monkeypatch):
    emu.configure(bearer_tokens=("bedrock-api-key-env-0123456789",))
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-env-0123456789")
    invoke(aws_region_name="us-east-1", aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    assert runtime_log(emu)[0]["auth"] == "bearer"


def test_role_outranks_explicit_keys_and_explicit_outrank_env_and_profile(emu, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVNOTUSED")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-not-used")
    common = dict(aws_region_name="us-east-1", aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    invoke(aws_profile_name="missing-profile-is-never-read", **common)
    invoke(aws_role_name=ROLE, aws_sts_endpoint=emu.base_url, **common)
    [assume] = sts_log(emu)
    assert [e["access_key_id"] for e in runtime_log(emu)] == ["AKIALITEBEDEMULATOR1", assume["issued_access_key_id"]]


def test_profile_outranks_environment_keys(emu, tmp_path, monkeypatch):
    keys = static_keys(emu)
    credentials = tmp_path / "credentials"
    credentials.write_text(f"[team]\naws_access_key_id = {keys['aws_access_key_id']}\n"
                           f"aws_secret_access_key = {keys['aws_secret_access_key']}\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENVNOTUSED")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret-not-used")
    invoke(aws_profile_name="team", aws_region_name="us-east-1", aws_bedrock_runtime_endpoint=emu.base_url)
    assert runtime_log(emu)[0]["access_key_id"] == "AKIALITEBEDEMULATOR1"


def test_region_from_arn_then_environment_order(emu, monkeypatch):
    keys = static_keys(emu)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url, **keys)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url, **keys)
    monkeypatch.setenv("AWS_REGION_NAME", "eu-west-3")
    litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url, **keys)
    arn_model = "bedrock/arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-v2"
    litebed.completion(model=arn_model, messages=MESSAGES, api_base=emu.base_url, **keys)
    litebed.completion(model=arn_model, messages=MESSAGES, api_base=emu.base_url, aws_region_name="ca-central-1", **keys)
    assert [e["signing_region"] for e in runtime_log(emu)] == [
        "ap-south-1", "eu-central-1", "eu-west-3", "us-west-2", "ca-central-1"]


async def test_async_calls_share_the_resolved_identity(emu):
    options = dict(aws_role_name=ROLE, aws_sts_endpoint=emu.base_url, aws_region_name="us-east-1",
                   aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    invoke(**options)
    await get_client(AuthOptions(**options)).ainvoke("anthropic.claude-v2", BODY)
    assert len(sts_log(emu)) == 1 and len({e["access_key_id"] for e in runtime_log(emu)}) == 1


def test_no_credentials_fails_before_any_request(emu):
    with pytest.raises(AuthenticationError) as info:
        litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url,
                           aws_region_name="us-east-1")
    message = str(info.value)
    assert "aws_access_key_id=" in message and "aws_profile_name=" in message and "AWS_BEARER_TOKEN_BEDROCK" in message
    assert emu.requests() == []


def test_sts_refusal_is_an_authentication_error(emu):
    with pytest.raises(AuthenticationError, match="AssumeRole for role 'not-a-role-arn' failed"):
        invoke(aws_role_name="not-a-role-arn", aws_sts_endpoint=emu.base_url, aws_region_name="us-east-1",
               aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    assert runtime_log(emu) == []


def test_failed_refresh_is_an_authentication_error(emu):
    options = AuthOptions(aws_role_name=ROLE, aws_sts_endpoint=emu.base_url, aws_region_name="us-east-1",
                          aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    client = get_client(options)
    client.invoke("anthropic.claude-v2", BODY)
    resolve_auth(options)._credentials._expiry_time = datetime.now(timezone.utc) + timedelta(minutes=5)
    emu.configure(access_key_id="AKIAROTATEDAWAY00000")  # the base key no longer signs STS calls
    with pytest.raises(AuthenticationError, match="AssumeRole for role .* failed: .*InvalidClientTokenId"):
        client.invoke("anthropic.claude-v2", BODY)
    assert len(runtime_log(emu)) == 1


def test_threads_share_one_resolution_and_one_sts_call(emu):
    from concurrent.futures import ThreadPoolExecutor

    options = dict(aws_role_name=ROLE, aws_sts_endpoint=emu.base_url, aws_region_name="us-east-1",
                   aws_bedrock_runtime_endpoint=emu.base_url, **static_keys(emu))
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: get_client(AuthOptions(**options)), range(16)))
        list(pool.map(lambda c: c.invoke("anthropic.claude-v2", BODY), clients))
    assert len({id(c) for c in clients}) == 1
    assert len(sts_log(emu)) == 1 and len(runtime_log(emu)) == 16


def test_bad_arguments_fail_before_assuming_a_role(emu):
    """A role needs STS: argument errors must surface before that network call."""
    import litebed

    with pytest.raises(litebed.UnsupportedParamsError):
        litebed.completion(model="bedrock/meta.llama3-8b-instruct-v1:0", messages=[{"role": "user", "content": "x"}],
                           presence_penalty=1.0, api_base=emu.base_url, aws_sts_endpoint=emu.base_url,
                           aws_role_name="arn:aws:iam::123456789012:role/never-assumed", **emu.credentials)
    assert emu.requests() == []
