"""The control plane through boto3's ``bedrock`` client, and model-id resolution."""

import json

import pytest

from litebed.emulator import DEFAULT_MODELS
from litebed.emulator.controlplane import ApiError, resolve_base_model

PROVISIONED = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456"
CUSTOM = "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.titan-text-express-v1/abcdef123456"
IMPORTED = "arn:aws:bedrock:us-east-1:123456789012:imported-model/abc123def456"
APP_PROFILE = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123def456"

pytestmark = pytest.mark.usefixtures("fake_families")


@pytest.mark.parametrize("identifier, base", [
    ("anthropic.claude-v2:1", "anthropic.claude-v2:1"),
    ("us.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"),
    ("apac.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"),
    ("us-gov.meta.llama3-8b-instruct-v1:0", "meta.llama3-8b-instruct-v1:0"),
    ("global.anthropic.claude-v2", "anthropic.claude-v2"),
    ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2:1", "anthropic.claude-v2:1"),
    ("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.mistral.mistral-large-2402-v1:0", "mistral.mistral-large-2402-v1:0"),
    (PROVISIONED, "anthropic.claude-v2"),
    (CUSTOM, "amazon.titan-text-express-v1"),
    (IMPORTED, "meta.llama3-8b-instruct-v1:0"),
    (APP_PROFILE, "anthropic.claude-3-haiku-20240307-v1:0"),
])
def test_resolve_base_model(identifier, base):
    assert resolve_base_model(identifier, DEFAULT_MODELS) == base


def test_resolve_unknown_opaque_arn_is_not_found():
    with pytest.raises(ApiError) as excinfo:
        resolve_base_model("arn:aws:bedrock:us-east-1:123456789012:provisioned-model/zzzzzzzzzzzz", DEFAULT_MODELS)
    assert (excinfo.value.status, excinfo.value.code) == (404, "ResourceNotFoundException")
    with pytest.raises(ApiError) as excinfo:
        resolve_base_model("arn:aws:s3:::bucket", DEFAULT_MODELS)
    assert excinfo.value.code == "ValidationException"


def test_list_foundation_models_and_filters(emu, boto3_control):
    summaries = boto3_control.list_foundation_models()["modelSummaries"]
    ids = {s["modelId"] for s in summaries}
    assert {"fake.echo-v1", "anthropic.claude-v2"} <= ids
    claude = next(s for s in summaries if s["modelId"] == "anthropic.claude-v2")
    assert claude["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"
    assert claude["modelLifecycle"] == {"status": "ACTIVE"}
    only_anthropic = boto3_control.list_foundation_models(byProvider="anthropic")["modelSummaries"]
    assert only_anthropic and all(s["modelId"].startswith("anthropic.") for s in only_anthropic)
    assert boto3_control.list_foundation_models(byOutputModality="IMAGE")["modelSummaries"] == []
    assert len(boto3_control.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]) == len(summaries)
    assert emu.requests()[0]["operation"] == "ListFoundationModels"


def test_get_foundation_model_by_id_and_arn(emu, boto3_control):
    details = boto3_control.get_foundation_model(modelIdentifier="fake.echo-v2:1")["modelDetails"]
    assert details["modelId"] == "fake.echo-v2:1" and details["responseStreamingSupported"] is True
    arn = "arn:aws:bedrock:us-east-1::foundation-model/fake.echo-v2:1"
    assert boto3_control.get_foundation_model(modelIdentifier=arn)["modelDetails"]["modelArn"] == arn
    assert [e["model_id"] for e in emu.requests()] == ["fake.echo-v2:1", arn]
    with pytest.raises(boto3_control.exceptions.ResourceNotFoundException):
        boto3_control.get_foundation_model(modelIdentifier="nobody.nothing-v1")


def test_get_provisioned_model_throughput(boto3_control):
    answer = boto3_control.get_provisioned_model_throughput(provisionedModelId=PROVISIONED)
    assert answer["provisionedModelArn"] == PROVISIONED
    assert answer["foundationModelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2"
    assert answer["status"] == "InService"
    assert answer["creationTime"].year == 2024
    by_name = boto3_control.get_provisioned_model_throughput(provisionedModelId="abc123def456")
    assert by_name["provisionedModelArn"] == PROVISIONED


def test_get_custom_and_imported_models(boto3_control):
    custom = boto3_control.get_custom_model(modelIdentifier=CUSTOM)
    assert custom["baseModelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"
    imported = boto3_control.get_imported_model(modelIdentifier=IMPORTED)
    assert (imported["modelArn"], imported["modelArchitecture"]) == (IMPORTED, "llama3")


def test_get_inference_profiles(boto3_control):
    system = boto3_control.get_inference_profile(inferenceProfileIdentifier="us.anthropic.claude-v2")
    assert system["type"] == "SYSTEM_DEFINED" and system["inferenceProfileId"] == "us.anthropic.claude-v2"
    assert {m["modelArn"].split(":")[3] for m in system["models"]} == {"us-east-1", "us-east-2", "us-west-2"}
    application = boto3_control.get_inference_profile(inferenceProfileIdentifier=APP_PROFILE)
    assert application["type"] == "APPLICATION"
    assert application["models"] == [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"}]
    with pytest.raises(boto3_control.exceptions.ResourceNotFoundException):
        boto3_control.get_inference_profile(inferenceProfileIdentifier="us.nobody.nothing-v1")


def test_registered_model_serves_runtime_and_control_plane(emu, boto3_control, boto3_runtime):
    arn = "arn:aws:bedrock:us-west-2:999988887777:provisioned-model/newmodel1234"
    with pytest.raises(boto3_runtime.exceptions.ResourceNotFoundException):
        boto3_runtime.invoke_model(modelId=arn, body=json.dumps({"prompt": "hi"}))
    emu.register_model(arn, "fake.echo-v1")
    answer = json.loads(boto3_runtime.invoke_model(modelId=arn, body=json.dumps({"prompt": "hi"}))["body"].read())
    assert answer["completion"] == "Echo: hi"
    assert boto3_control.get_provisioned_model_throughput(provisionedModelId=arn)["foundationModelArn"].endswith("/fake.echo-v1")
    emu.reset()  # fixtures registered at run time go with a reset
    with pytest.raises(boto3_control.exceptions.ResourceNotFoundException):
        boto3_control.get_provisioned_model_throughput(provisionedModelId=arn)


def test_control_plane_is_signed(emu, make_client):
    client = make_client("bedrock", aws_secret_access_key="wrong")
    with pytest.raises(client.exceptions.ClientError) as excinfo:
        client.list_foundation_models()
    assert excinfo.value.response["Error"]["Code"] == "InvalidSignatureException"
