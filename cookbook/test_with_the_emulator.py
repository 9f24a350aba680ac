"""Test your own Bedrock code offline: a pytest fixture that runs litebed's emulator.

The emulator checks SigV4 signatures and native request bodies as Bedrock does,
so code that passes here sends what Bedrock accepts. Run: pytest cookbook/test_with_the_emulator.py
"""

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from litebed.emulator import Emulator


@pytest.fixture(scope="module")
def bedrock():
    with Emulator() as emu:
        creds = emu.credentials
        client = boto3.client(
            "bedrock-runtime",
            endpoint_url=emu.base_url,
            region_name=creds["aws_region_name"],
            aws_access_key_id=creds["aws_access_key_id"],
            aws_secret_access_key=creds["aws_secret_access_key"],
            config=Config(retries={"total_max_attempts": 1}),
        )
        yield client, emu


def summarize(client, text: str) -> str:
    """The code under test: what your application does with Bedrock."""
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
            "messages": [{"role": "user", "content": f"Summarize: {text}"}]}
    answer = client.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=json.dumps(body))
    return json.loads(answer["body"].read())["content"][0]["text"]


def test_summarize_sends_a_valid_body(bedrock):
    client, emu = bedrock
    assert summarize(client, "[[reply:short]]") == "short"
    assert emu.requests()[-1]["status"] == 200


def test_a_bad_body_is_rejected_like_bedrock_would(bedrock):
    client, _ = bedrock
    with pytest.raises(ClientError) as info:
        client.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0",
                            body=json.dumps({"messages": [], "max_tokens": 10, "stream_options": {}}))
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_throttling_is_handled(bedrock):
    client, emu = bedrock
    emu.configure(script=["throttle"])
    with pytest.raises(ClientError) as info:
        summarize(client, "hello")
    assert info.value.response["Error"]["Code"] == "ThrottlingException"
