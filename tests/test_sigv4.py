"""litebed's lean SigV4 signer agrees with botocore's, byte for byte."""

import datetime
import random

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from litebed._auth import sigv4

URLS = [
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2/invoke",
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/invoke",
    "https://bedrock-runtime.eu-west-3.amazonaws.com/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
    "https://bedrock-runtime.us-east-1.amazonaws.com/model/"
    "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aprovisioned-model%2Fabc123def456/invoke-with-response-stream",
    "http://127.0.0.1:8765/model/meta.llama3-8b-instruct-v1%3A0/invoke",
    "https://bedrock.cn-north-1.amazonaws.com.cn/foundation-models/amazon.titan-tg1-large",
    "https://bedrock-runtime.us-gov-west-1.amazonaws.com:443/model/x.y/invoke",
]


def botocore_authorization(method, url, headers, body, creds, region, amz_date):
    """What botocore's SigV4Auth puts in Authorization for the same request and time."""
    moment = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *args, **kwargs: moment
    try:
        botocore.auth.SigV4Auth(creds, "bedrock", region).add_auth(request)
    finally:
        botocore.auth.get_current_datetime = original
    return request.headers["Authorization"], request.headers.get("X-Amz-Security-Token")


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEJr//////////wEaDAbcd+/=="])
@pytest.mark.parametrize("stream", [False, True])
def test_matches_botocore(url, token, stream):
    rng = random.Random(url + str(token) + str(stream))
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300)))
    headers = {"Content-Type": "application/json", "X-Amzn-Bedrock-Accept" if stream else "Accept": "application/json"}
    region = url.split(".")[1] if "amazonaws" in url else "us-east-1"
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    ours = sigv4.sign("POST", url, headers, body, access_key=creds.access_key, secret_key=creds.secret_key,
                      token=token, region=region, service="bedrock", now=1732459200.0 + rng.randrange(10**6))
    theirs, their_token = botocore_authorization("POST", url, headers, body, creds, region, ours["X-Amz-Date"])
    assert ours["Authorization"] == theirs
    assert ours.get("X-Amz-Security-Token") == their_token
    assert headers == {"Content-Type": "application/json", "X-Amzn-Bedrock-Accept" if stream else "Accept": "application/json"}


def test_get_without_body_matches_botocore():
    url = "https://bedrock.us-east-1.amazonaws.com/provisioned-model-throughput/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aprovisioned-model%2Fabc"
    creds = Credentials("AKIDEXAMPLE", "secret", None)
    ours = sigv4.sign("GET", url, {}, b"", access_key="AKIDEXAMPLE", secret_key="secret", token=None,
                      region="us-east-1", service="bedrock", now=1732459200.0)
    assert ours["Authorization"] == botocore_authorization("GET", url, {}, b"", creds, "us-east-1", ours["X-Amz-Date"])[0]


def test_query_strings_are_left_to_botocore():
    assert sigv4.can_sign("https://h/model/x/invoke")
    assert not sigv4.can_sign("https://h/foundation-models?byProvider=anthropic")
