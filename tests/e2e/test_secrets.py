"""No secret (secret key, session token, web identity token, bearer key) in any
log record at any level (botocore's DEBUG output included), repr, or exception
text, across every auth scenario run against the emulator."""

from __future__ import annotations

import io
import logging
import os
import sys

import pytest

import litebed
from litebed import _arn as arn
from litebed._auth import redact
from litebed._auth.credentials import AuthOptions, clear_cache, resolve_auth
from litebed._transport.sender import get_client
from litebed.errors import LitebedError

ROLE = "arn:aws:iam::123456789012:role/secret-test"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdGVzdCJ9.c2VjcmV0LXNpZ25hdHVyZQ"
BEARER = "ABSKbedrockApiKeyForSecretsTest0123456789"
MESSAGES = [{"role": "user", "content": "hi"}]


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


@pytest.fixture
def captured(caplog):
    """Everything logged at DEBUG, formatted with tracebacks, through a root handler and caplog."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    yield lambda: stream.getvalue() + "\n" + caplog.text + "\n".join(repr(r.args) for r in caplog.records)
    root.removeHandler(handler)


def issued_secrets(emu) -> list[str]:
    """Every secret key and session token the emulator's STS has handed out."""
    issued = emu._server.state.auth._issued.values()
    return [value for creds in issued for value in (creds.secret_access_key, creds.session_token)]


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret ({len(secret)} chars) leaked"


def test_no_secret_in_logs_across_auth_scenarios(emu, captured, boto3_sts, tmp_path, monkeypatch):
    static = emu.credentials
    endpoint = dict(aws_bedrock_runtime_endpoint=emu.base_url, aws_region_name="us-east-1")
    texts = []

    # The filter is installed by litebed's first resolution; the test's own boto3 STS
    # call below would otherwise log its response before litebed ever ran.
    resolve_auth(AuthOptions(**static))
    # explicit temporary keys (session token on every request)
    temp = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="base")["Credentials"]
    explicit = dict(aws_access_key_id=temp["AccessKeyId"], aws_secret_access_key=temp["SecretAccessKey"],
                    aws_session_token=temp["SessionToken"])
    litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url,
                       aws_region_name="us-east-1", **explicit)
    # role assumption signed with a session token (role chaining), STS response parsed by botocore
    role = get_client(AuthOptions(aws_role_name=ROLE, aws_sts_endpoint=emu.base_url, **explicit, **endpoint))
    role.invoke("anthropic.claude-v2", {"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 5})
    # web identity
    web = get_client(AuthOptions(aws_role_name=ROLE, aws_web_identity_token=JWT, aws_sts_endpoint=emu.base_url, **endpoint))
    stream = web.invoke_stream("anthropic.claude-v2", {"prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 5})
    list(stream)
    # bearer key
    emu.configure(bearer_tokens=(BEARER,))
    litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_key=BEARER, **endpoint)
    # a source_profile + role_arn chain resolved by botocore, plus a credential_process profile
    script = tmp_path / "process.py"
    key_id, secret = static["aws_access_key_id"], static["aws_secret_access_key"]
    script.write_text(f"import json\nprint(json.dumps({{'Version': 1, 'AccessKeyId': {key_id!r}, 'SecretAccessKey': {secret!r}}}))\n")
    config = tmp_path / "config"
    config.write_text(
        f"[profile base]\naws_access_key_id = {static['aws_access_key_id']}\n"
        f"aws_secret_access_key = {static['aws_secret_access_key']}\n"
        f"[profile chained]\nrole_arn = {ROLE}\nsource_profile = base\nregion = us-east-1\n"
        f"[profile process]\nregion = us-east-1\ncredential_process = {sys.executable} {script}\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", emu.base_url)
    for profile in ("chained", "process"):
        litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url,
                           aws_profile_name=profile)
    # ARN resolution through the control plane, signed with assumed-role credentials
    arn.resolve_base_model(role, "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456")

    # reprs of everything that holds or saw a secret
    options = AuthOptions(aws_role_name=ROLE, aws_web_identity_token=JWT, api_key=BEARER, **explicit, **endpoint)
    texts += [repr(options), str(options), repr(role), repr(role.auth), repr(web.auth), repr(resolve_auth(options))]

    # exceptions: a bad secret, an STS refusal, a failed refresh
    for attempt in (
        lambda: litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url,
                                   aws_region_name="us-east-1", aws_access_key_id=static["aws_access_key_id"],
                                   aws_secret_access_key="wrong-secret-0123456789", aws_session_token=temp["SessionToken"]),
        lambda: get_client(AuthOptions(aws_role_name="not-a-role", aws_web_identity_token=JWT,
                                       aws_sts_endpoint=emu.base_url, **endpoint)),
        lambda: litebed.completion(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_key="rejected-bearer-key-0123",
                                   **endpoint),
    ):
        with pytest.raises(LitebedError) as info:
            attempt()
        texts += [str(info.value), repr(info.value), "".join(info.traceback.format() if hasattr(info.traceback, "format") else [])]

    logs = captured()
    assert "CanonicalRequest" in logs and "Response body" in logs  # botocore's DEBUG output was captured
    assert "<SecretAccessKey>***" in logs
    secrets = [static["aws_secret_access_key"], temp["SecretAccessKey"], temp["SessionToken"], JWT, BEARER,
               "wrong-secret-0123456789", "rejected-bearer-key-0123", *issued_secrets(emu)]
    assert len(issued_secrets(emu)) >= 8  # base, role, web identity, profile chain
    assert_clean(logs + "\n".join(texts), secrets)


def test_the_capture_sees_a_leak_without_the_filter(emu, captured, boto3_sts):
    """The assertion above is meaningful: botocore really logs an issued secret at DEBUG."""
    resolve_auth(AuthOptions(**emu.credentials))  # installs the filter
    parsers = logging.getLogger("botocore.parsers")
    [secret_filter] = [f for f in parsers.filters if isinstance(f, redact.SecretFilter)]
    parsers.removeFilter(secret_filter)
    try:
        issued = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="leak")["Credentials"]
    finally:
        parsers.addFilter(secret_filter)
    assert issued["SecretAccessKey"] in captured()


def test_filter_is_not_installed_at_import():
    import subprocess

    code = ("import logging, litebed, litebed._auth.credentials, litebed._auth.redact; "
            "print(any(logging.getLogger(n).filters for n in litebed._auth.redact.LOGGER_NAMES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
