"""Test your own code that calls litebed, with no server at all: httpx.MockTransport.

litebed.Client(transport=...) takes any httpx transport; MockTransport hands each
request to your function, which answers as Bedrock would. The request your code
made is there to assert on: URL, signature, native body. Sync and async calls
alike. Run: pytest cookbook/test_with_mock_transport.py
"""

import json

import httpx
import pytest

import litebed

AWS = {"aws_access_key_id": "AKIAEXAMPLEEXAMPLE00", "aws_secret_access_key": "example-secret", "aws_region_name": "us-east-1"}
MODEL = "bedrock/anthropic.claude-3-haiku-20240307-v1:0"


def headline(client: litebed.Client, article: str) -> str:
    """The code under test: what your application does with litebed."""
    response = client.completion(
        model=MODEL,
        messages=[{"role": "system", "content": "Write one headline."}, {"role": "user", "content": article}],
        max_tokens=30,
    )
    return response.choices[0].message.content.strip()


async def aheadline(client: litebed.Client, article: str) -> str:
    response = await client.acompletion(model=MODEL, messages=[{"role": "user", "content": article}], max_tokens=30)
    return response.choices[0].message.content.strip()


def claude_answers(text: str, requests: list):
    """A fake Bedrock that records each request and answers with Claude's Messages API body."""

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = {
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 5},
        }
        return httpx.Response(200, json=answer)

    return handler


def test_headline_sends_claude_a_system_prompt_and_reads_the_answer():
    requests = []
    with litebed.Client(transport=httpx.MockTransport(claude_answers("Rain expected", requests)), **AWS) as client:
        assert headline(client, "Clouds gather over the city.") == "Rain expected"
    sent = json.loads(requests[0].content)
    assert requests[0].url.path == "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke"
    assert sent["system"] == "Write one headline."
    assert sent["max_tokens"] == 30


async def test_async_code_uses_the_same_transport():
    requests = []
    async with litebed.Client(transport=httpx.MockTransport(claude_answers("Sun returns", requests)), **AWS) as client:
        assert await aheadline(client, "The clouds clear.") == "Sun returns"
    assert len(requests) == 1


def test_throttling_surfaces_as_openais_rate_limit_error():
    def throttled(request):
        return httpx.Response(429, headers={"x-amzn-ErrorType": "ThrottlingException"}, json={"message": "Too many requests"})

    client = litebed.Client(transport=httpx.MockTransport(throttled), num_retries=0, **AWS)
    with pytest.raises(litebed.RateLimitError, match="Too many requests"):
        headline(client, "Anything")
