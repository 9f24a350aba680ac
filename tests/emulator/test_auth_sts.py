"""SigV4 verification, bearer keys and STS, driven by the real boto3 clients."""

import base64
import json

import httpx
import pytest
from botocore.exceptions import ClientError

BODY = json.dumps({"prompt": "hi"})
ROLE = "arn:aws:iam::111122223333:role/litebed-test"

pytestmark = pytest.mark.usefixtures("fake_families")


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_signed_request_is_logged_with_its_identity(emu, boto3_runtime):
    boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    (entry,) = emu.requests()
    assert entry["auth"] == "sigv4"
    assert entry["access_key_id"] == "AKIALITEBEDEMULATOR1"
    assert entry["session_token_used"] is False
    assert entry["signing_region"] == "us-east-1"
    assert entry["status"] == 200


def test_any_signing_region_is_accepted_by_default(emu, make_client):
    make_client("bedrock-runtime", region_name="eu-west-3").invoke_model(modelId="fake.echo-v1", body=BODY)
    assert emu.requests()[0]["signing_region"] == "eu-west-3"


def test_configured_region_rejects_other_signing_regions(emu, make_client):
    emu.configure(region="us-west-2")
    with pytest.raises(ClientError) as excinfo:
        make_client("bedrock-runtime", region_name="us-east-1").invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "InvalidSignatureException"
    make_client("bedrock-runtime", region_name="us-west-2").invoke_model(modelId="fake.echo-v1", body=BODY)


def test_wrong_secret_is_an_invalid_signature(emu, make_client):
    client = make_client("bedrock-runtime", aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError) as excinfo:
        client.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "InvalidSignatureException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "does not match" in excinfo.value.response["Error"]["Message"]
    entry = emu.requests()[0]
    assert entry["error_code"] == "InvalidSignatureException"
    assert "not-the-secret" not in json.dumps(emu.requests())


def test_unknown_access_key_is_unrecognized(make_client):
    client = make_client("bedrock-runtime", aws_access_key_id="AKIANOBODYKNOWS0000")
    with pytest.raises(ClientError) as excinfo:
        client.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "UnrecognizedClientException"
    assert excinfo.value.response["Error"]["Message"] == "The security token included in the request is invalid."


def test_unsigned_request_is_rejected(emu):
    response = httpx.post(f"{emu.base_url}/model/fake.echo-v1/invoke", content=BODY,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert emu.requests()[0]["auth"] == "none"


def test_body_changed_after_signing_is_rejected(emu, boto3_runtime):
    def tamper(request, **_):
        request.body = json.dumps({"prompt": "tampered"}).encode()

    boto3_runtime.meta.events.register("before-send.bedrock-runtime.InvokeModel", tamper)
    with pytest.raises(ClientError) as excinfo:
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "InvalidSignatureException"


def test_scope_for_another_service_is_rejected(emu):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    creds = emu.credentials
    request = AWSRequest("POST", f"{emu.base_url}/model/fake.echo-v1/invoke", data=BODY.encode(),
                         headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(creds["aws_access_key_id"], creds["aws_secret_access_key"]), "bedrock-runtime", "us-east-1").add_auth(request)
    response = httpx.post(request.url, content=request.body, headers=dict(request.headers))
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    assert "correct service: 'bedrock'" in response.json()["message"]


def test_static_session_token(emu, make_client):
    emu.configure(session_token="static-token-value")
    make_client("bedrock-runtime", aws_session_token="static-token-value").invoke_model(modelId="fake.echo-v1", body=BODY)
    assert emu.requests()[0]["session_token_used"] is True
    with pytest.raises(ClientError) as excinfo:
        make_client("bedrock-runtime", aws_session_token="wrong").invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "UnrecognizedClientException"
    assert "static-token-value" not in json.dumps(emu.requests())


def _botocore_bearer_request(make_client, monkeypatch, token):
    """What botocore sends with AWS_BEARER_TOKEN_BEDROCK set. botocore refuses bearer
    auth over plain HTTP, so the request is captured at an https endpoint, not sent."""
    from botocore.awsrequest import AWSResponse

    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", token)
    client = make_client("bedrock-runtime", endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")
    captured = {}

    def capture(request, **_):
        headers = {name: value.decode() if isinstance(value, bytes) else value for name, value in request.headers.items()}
        captured.update(url=request.url, headers=headers, body=request.body)
        return AWSResponse(request.url, 200, {"Content-Type": "application/json"}, None)

    client.meta.events.register("before-send.bedrock-runtime.InvokeModel", capture)
    client.invoke_model(modelId="fake.echo-v1:0", body=BODY)
    return captured


def test_bearer_token_from_botocores_environment_variable(emu, make_client, monkeypatch):
    emu.configure(bearer_tokens=("bedrock-api-key-abc",))
    captured = _botocore_bearer_request(make_client, monkeypatch, "bedrock-api-key-abc")
    assert captured["headers"]["Authorization"] == "Bearer bedrock-api-key-abc"
    path = captured["url"].split("amazonaws.com", 1)[1]
    response = httpx.post(emu.base_url + path, content=captured["body"], headers=captured["headers"])
    assert response.status_code == 400  # authenticated; the fake family has no "fake.echo-v1:0"
    assert response.headers["x-amzn-ErrorType"] == "ValidationException"
    entry = emu.requests()[0]
    assert (entry["auth"], entry["access_key_id"], entry["model_id"]) == ("bearer", None, "fake.echo-v1:0")


def test_unknown_bearer_token_is_rejected(emu):
    emu.configure(bearer_tokens=("bedrock-api-key-abc",))
    response = httpx.post(f"{emu.base_url}/model/fake.echo-v1/invoke", content=BODY,
                          headers={"Authorization": "Bearer not-a-known-key", "Content-Type": "application/json"})
    assert response.status_code == 403
    assert "not-a-known-key" not in json.dumps(emu.requests())
    assert "bedrock-api-key-abc" not in json.dumps(emu.requests())


def test_stale_signature_is_rejected(emu, boto3_runtime, monkeypatch):
    import datetime

    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda: datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(hours=1))
    with pytest.raises(ClientError) as excinfo:
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "InvalidSignatureException"
    assert "Signature expired" in excinfo.value.response["Error"]["Message"]


# -- STS ------------------------------------------------------------------------


def test_assume_role_then_runtime_call_with_temporary_credentials(emu, boto3_sts, make_client):
    answer = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="litebed", ExternalId="ext-1", DurationSeconds=900)
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/litebed-test/litebed"
    assert creds["Expiration"].tzinfo is not None

    runtime = make_client("bedrock-runtime", aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    runtime.invoke_model(modelId="fake.echo-v1", body=BODY)

    sts_entry, runtime_entry = emu.requests()
    assert sts_entry["operation"] == "AssumeRole"
    assert (sts_entry["role_arn"], sts_entry["external_id"]) == (ROLE, "ext-1")
    assert sts_entry["access_key_id"] == "AKIALITEBEDEMULATOR1"
    assert sts_entry["issued_access_key_id"] == creds["AccessKeyId"]
    assert runtime_entry["access_key_id"] == creds["AccessKeyId"]
    assert runtime_entry["session_token_used"] is True
    log_text = json.dumps(emu.requests())
    assert creds["SecretAccessKey"] not in log_text and creds["SessionToken"] not in log_text


def test_expiration_follows_duration_and_is_capped_by_config(emu, boto3_sts):
    import datetime

    now = datetime.datetime.now(datetime.timezone.utc)
    creds = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="sess", DurationSeconds=1800)["Credentials"]
    assert 1790 <= (creds["Expiration"] - now).total_seconds() <= 1810
    emu.configure(sts_credential_seconds=1200)
    creds = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="sess", DurationSeconds=1800)["Credentials"]
    assert (creds["Expiration"] - now).total_seconds() <= 1210


def test_temporary_credentials_need_their_session_token(boto3_sts, make_client):
    creds = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="sess")["Credentials"]
    runtime = make_client("bedrock-runtime", aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"])
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "UnrecognizedClientException"


def test_expired_temporary_credentials(emu, boto3_sts, make_client):
    emu.configure(sts_credential_seconds=0)
    creds = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="sess")["Credentials"]
    runtime = make_client("bedrock-runtime", aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    with pytest.raises(ClientError) as excinfo:
        runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert error_code(excinfo) == "ExpiredTokenException"


def test_role_chaining_with_temporary_credentials(emu, boto3_sts, make_client):
    first = boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="one")["Credentials"]
    chained_sts = make_client("sts", aws_access_key_id=first["AccessKeyId"], aws_secret_access_key=first["SecretAccessKey"],
                              aws_session_token=first["SessionToken"])
    second = chained_sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/second", RoleSessionName="two")["Credentials"]
    assert second["AccessKeyId"] != first["AccessKeyId"]
    entry = emu.requests()[-1]
    assert (entry["access_key_id"], entry["session_token_used"]) == (first["AccessKeyId"], True)


def test_sts_signature_errors_use_sts_codes(make_client):
    client = make_client("sts", aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as excinfo:
        client.assume_role(RoleArn=ROLE, RoleSessionName="sess")
    assert error_code(excinfo) == "SignatureDoesNotMatch"
    client = make_client("sts", aws_access_key_id="AKIANOBODY00000000XX")
    with pytest.raises(ClientError) as excinfo:
        client.assume_role(RoleArn=ROLE, RoleSessionName="sess")
    assert error_code(excinfo) == "InvalidClientTokenId"


def test_sts_validates_duration_and_role_arn(boto3_sts):
    with pytest.raises(ClientError) as excinfo:
        boto3_sts.assume_role(RoleArn=ROLE, RoleSessionName="sess", DurationSeconds=60000)
    assert error_code(excinfo) == "ValidationError"
    with pytest.raises(ClientError) as excinfo:
        boto3_sts.assume_role(RoleArn="arn:aws:iam::111122223333:user/not-a-role", RoleSessionName="sess")
    assert error_code(excinfo) == "ValidationError"


def test_assume_role_with_web_identity_is_unsigned_and_reads_jwt_claims(emu, make_client):
    payload = json.dumps({"sub": "user-7", "iss": "https://issuer.example", "aud": "litebed"})
    claims = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    token = f"e30.{claims}.c2ln"
    client = make_client("sts")
    answer = client.assume_role_with_web_identity(RoleArn=ROLE, RoleSessionName="web", WebIdentityToken=token)
    assert answer["Credentials"]["AccessKeyId"].startswith("ASIA")
    identity = (answer["SubjectFromWebIdentityToken"], answer["Provider"], answer["Audience"])
    assert identity == ("user-7", "https://issuer.example", "litebed")
    entry = emu.requests()[0]
    assert (entry["operation"], entry["auth"], entry["role_arn"]) == ("AssumeRoleWithWebIdentity", "none", ROLE)
    assert token not in json.dumps(emu.requests())


def test_web_identity_requires_its_token(emu):
    response = httpx.post(emu.base_url + "/", data={"Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
                                                    "RoleArn": ROLE, "RoleSessionName": "s"})
    assert response.status_code == 400
    assert "<Code>ValidationError</Code>" in response.text and "webIdentityToken" in response.text
