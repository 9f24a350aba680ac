"""The runtime routes through the real boto3 client, raw HTTP details, admin endpoints and the CLI."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.eventstream import EventStreamBuffer

from litebed.emulator import ADMIN_HEADERS

BODY = json.dumps({"prompt": "hello world"})
MESSAGES = [{"role": "user", "content": [{"text": "hi"}]}]

CLAUDE_V2_BODY = json.dumps({"prompt": "\n\nHuman: hi [[reply:Hello there, friend]]\n\nAssistant:", "max_tokens_to_sample": 50})


@pytest.fixture(autouse=True)
def _catalogue(request):
    """The fake echo family everywhere except in TestRealFamilies."""
    if request.cls is not TestRealFamilies:
        request.getfixturevalue("fake_families")


def signed_headers(base_url, creds, method, path, body=b"", headers=None):
    """Headers of a request signed for ``bedrock`` with botocore's signer."""
    request = AWSRequest(method, base_url + path, data=body, headers=headers or {})
    SigV4Auth(Credentials(creds["aws_access_key_id"], creds["aws_secret_access_key"]), "bedrock", "us-east-1").add_auth(request)
    return dict(request.headers)


# -- InvokeModel / InvokeModelWithResponseStream ------------------------------------


def test_invoke_model(emu, boto3_runtime):
    response = boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY, contentType="application/json", accept="application/json")
    assert json.loads(response["body"].read()) == {"completion": "Echo: hello world", "stop_reason": "end"}
    assert response["contentType"] == "application/json"
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == str(len("hello world"))
    assert headers["x-amzn-bedrock-output-token-count"] == "3"
    assert int(headers["x-amzn-bedrock-invocation-latency"]) >= 1
    assert response["ResponseMetadata"]["RequestId"]
    (entry,) = emu.requests()
    assert (entry["operation"], entry["model_id"], entry["body"], entry["status"], entry["fault"]) == (
        "InvokeModel", "fake.echo-v1", {"prompt": "hello world"}, 200, None)


def test_invoke_stream_through_botocores_parser(boto3_runtime):
    response = boto3_runtime.invoke_model_with_response_stream(modelId="fake.echo-v1", body=BODY)
    assert response["contentType"] == "application/json"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    assert "".join(c["completion"] for c in chunks) == "Echo: hello world"
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == len("hello world") and metrics["outputTokenCount"] == 3
    assert metrics["invocationLatency"] >= 1 and metrics["firstByteLatency"] >= 1
    assert all("amazon-bedrock-invocationMetrics" not in c for c in chunks[:-1])


def test_stream_on_non_streaming_model_is_a_validation_error(boto3_runtime):
    with pytest.raises(boto3_runtime.exceptions.ValidationException):
        boto3_runtime.invoke_model_with_response_stream(modelId="fake.nostream-v1", body=BODY)


def test_family_validation_failure_is_a_400(boto3_runtime):
    with pytest.raises(boto3_runtime.exceptions.ValidationException) as excinfo:
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=json.dumps({"text": "no prompt"}))
    assert "required key [prompt]" in excinfo.value.response["Error"]["Message"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ValidationException"


def test_malformed_json_body(boto3_runtime):
    with pytest.raises(boto3_runtime.exceptions.ValidationException) as excinfo:
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=b"{not json")
    assert excinfo.value.response["Error"]["Message"].startswith("Malformed input request: ")


def test_wrong_content_type(boto3_runtime):
    with pytest.raises(boto3_runtime.exceptions.ValidationException):
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY, contentType="text/plain")


def test_unknown_model_id(boto3_runtime):
    with pytest.raises(boto3_runtime.exceptions.ValidationException) as excinfo:
        boto3_runtime.invoke_model(modelId="nobody.nothing-v1", body=BODY)
    assert excinfo.value.response["Error"]["Message"] == "The provided model identifier is invalid."


def test_encoded_ids_are_decoded_in_the_log(emu, boto3_runtime):
    arn = "arn:aws:bedrock:us-east-1::foundation-model/fake.echo-v2:1"
    boto3_runtime.invoke_model(modelId="fake.echo-v2:1", body=BODY)
    boto3_runtime.invoke_model(modelId="us.fake.echo-v2:1", body=BODY)
    boto3_runtime.invoke_model(modelId=arn, body=BODY)
    assert [e["model_id"] for e in emu.requests()] == ["fake.echo-v2:1", "us.fake.echo-v2:1", arn]
    assert all(e["status"] == 200 for e in emu.requests())


# -- Converse, ConverseStream, CountTokens ----------------------------------------------


def test_converse(emu, boto3_runtime):
    answer = boto3_runtime.converse(modelId="fake.echo-v1", messages=MESSAGES)
    assert answer["output"]["message"]["content"] == [{"text": "Echo: hi"}]
    assert answer["stopReason"] == "end_turn"
    assert emu.requests()[0]["operation"] == "Converse"


def test_converse_stream(boto3_runtime):
    events = list(boto3_runtime.converse_stream(modelId="fake.echo-v1", messages=MESSAGES)["stream"])
    assert [next(iter(e)) for e in events] == ["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"]
    assert events[1]["contentBlockDelta"]["delta"] == {"text": "Echo: hi"}


def test_converse_validation_and_unknown_model(boto3_runtime):
    with pytest.raises(boto3_runtime.exceptions.ValidationException):
        boto3_runtime.converse(modelId="fake.echo-v1", messages=[])
    with pytest.raises(boto3_runtime.exceptions.ValidationException):
        boto3_runtime.converse(modelId="nobody.nothing-v1", messages=MESSAGES)


def test_count_tokens(emu, boto3_runtime):
    request = {"converse": {"messages": MESSAGES}}
    answer = boto3_runtime.count_tokens(modelId="fake.echo-v1", input=request)
    assert answer["inputTokens"] == len(str({"input": request}))
    assert emu.requests()[0]["operation"] == "CountTokens"


# -- HTTP details ---------------------------------------------------------------------


def _raw_exchange(port, payload: bytes, answers: int) -> bytes:
    """Send ``payload`` on one connection and read until ``answers`` responses arrived."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        data = b""
        while data.count(b"HTTP/1.1 ") < answers or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_keep_alive_serves_several_requests_on_one_connection(emu):
    creds = emu.credentials
    path = "/model/fake.echo-v1/invoke"
    headers = signed_headers(emu.base_url, creds, "POST", path, BODY.encode(), {"Content-Type": "application/json"})
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    one = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{emu.port}\r\n{head}Content-Length: {len(BODY)}\r\n\r\n{BODY}".encode()
    data = _raw_exchange(emu.port, one * 3, answers=3)
    assert data.count(b"HTTP/1.1 200 OK") == 3
    assert data.count(b"Connection: keep-alive") == 3


def test_chunked_request_body(emu):
    creds = emu.credentials
    path = "/model/fake.echo-v1/invoke"
    headers = signed_headers(emu.base_url, creds, "POST", path, BODY.encode(), {"Content-Type": "application/json"})
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    half = len(BODY) // 2
    chunks = f"{half:x}\r\n{BODY[:half]}\r\n{len(BODY) - half:x}\r\n{BODY[half:]}\r\n0\r\n\r\n"
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{emu.port}\r\n{head}Transfer-Encoding: chunked\r\n\r\n{chunks}".encode()
    data = _raw_exchange(emu.port, request, answers=1)
    assert data.startswith(b"HTTP/1.1 200 OK") and b"Echo: hello world" in data


def test_httpx_reads_event_streams(emu):
    path = "/model/fake.echo-v1/invoke-with-response-stream"
    headers = signed_headers(emu.base_url, emu.credentials, "POST", path, BODY.encode(), {"Content-Type": "application/json"})
    with httpx.Client() as client:
        for _ in range(2):  # the chunked stream leaves the connection reusable
            response = client.post(emu.base_url + path, content=BODY, headers=headers)
            buffer = EventStreamBuffer()
            buffer.add_data(response.content)
            assert len(list(buffer)) == 4
            assert response.headers["x-amzn-bedrock-content-type"] == "application/json"


def test_unknown_route_is_404(emu):
    response = httpx.get(emu.base_url + "/no/such/thing")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_five_hundred_concurrent_connections(emu):
    path = "/model/fake.echo-v1/invoke"
    headers = signed_headers(emu.base_url, emu.credentials, "POST", path, BODY.encode(), {"Content-Type": "application/json"})
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{emu.port}\r\n{head}"
               f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n{BODY}").encode()
    emu.configure(latency_ms=200)  # every connection is still open when the last one connects

    async def one():
        reader, writer = await asyncio.open_connection("127.0.0.1", emu.port)
        writer.write(request)
        data = await reader.read()
        writer.close()
        return data.startswith(b"HTTP/1.1 200 OK")

    async def all_of_them():
        return await asyncio.wait_for(asyncio.gather(*(one() for _ in range(500))), timeout=30)

    results = asyncio.run(all_of_them())
    assert results.count(True) == 500
    assert len(emu.requests()) == 500


# -- admin endpoints -------------------------------------------------------------------


def test_admin_endpoints(emu, boto3_runtime):
    base = emu.base_url
    admin = ADMIN_HEADERS
    boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    log = httpx.get(base + "/_emulator/requests", headers=admin).json()
    assert [e["operation"] for e in log] == ["InvokeModel"]
    assert httpx.post(base + "/_emulator/config", json={"script": ["throttle"]}, headers=admin).status_code == 200
    with pytest.raises(boto3_runtime.exceptions.ThrottlingException):
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    arn = "arn:aws:bedrock:us-east-1:123456789012:imported-model/zzz999zzz999"
    assert httpx.post(base + "/_emulator/models", json={"arn": arn, "base_model_id": "fake.echo-v1"}, headers=admin).status_code == 200
    boto3_runtime.invoke_model(modelId=arn, body=BODY)
    assert httpx.post(base + "/_emulator/reset", headers=admin).json() == {"ok": True}
    assert httpx.get(base + "/_emulator/requests", headers=admin).json() == []
    bad = httpx.post(base + "/_emulator/config", json={"no_such_field": 1}, headers=admin)
    assert bad.status_code == 400


def test_log_never_contains_secrets(emu, boto3_runtime):
    boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    text = json.dumps(emu.requests())
    assert emu.credentials["aws_secret_access_key"] not in text
    assert "Signature=" not in text


def test_emulator_repr_and_config_hide_secrets(emu):
    assert emu.credentials["aws_secret_access_key"] not in repr(emu.config)
    assert str(emu.port) in repr(emu)


# -- the CLI ---------------------------------------------------------------------------


def test_cli_serves_signed_requests_and_exits_on_sigterm(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "litebed.emulator", "--port", "0", "--script", "throttle,ok",
                                "--secret-access-key", "cli-secret"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=env, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        base_url = process.stdout.readline().decode().strip()
        assert base_url.startswith("http://127.0.0.1:")
        creds = {"aws_access_key_id": "AKIALITEBEDEMULATOR1", "aws_secret_access_key": "cli-secret"}
        path = "/model/anthropic.claude-v2/count-tokens"
        body = json.dumps({"input": {"converse": {"messages": MESSAGES}}}).encode()
        headers = signed_headers(base_url, creds, "POST", path, body, {"Content-Type": "application/json"})
        assert httpx.post(base_url + path, content=body, headers=headers).status_code == 429  # the script
        log = httpx.get(base_url + "/_emulator/requests", headers=ADMIN_HEADERS).json()
        assert (log[0]["auth"], log[0]["fault"]) == ("sigv4", "throttle")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# -- lifecycle -------------------------------------------------------------------------


def test_own_emulator_lifecycle_and_overrides():
    from litebed.emulator import Emulator, EmulatorConfig

    emulator = Emulator(EmulatorConfig(access_key_id="AKIAOTHER00000000000"), region="eu-west-1")
    with pytest.raises(RuntimeError):
        emulator.requests()
    with emulator:
        assert emulator.credentials == {"aws_access_key_id": "AKIAOTHER00000000000",
                                        "aws_secret_access_key": "litebed-emulator-secret", "aws_region_name": "eu-west-1"}
        port = emulator.port
        idle = socket.create_connection(("127.0.0.1", port), timeout=5)  # a keep-alive connection, now idle
        idle.sendall(f"GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Litebed-Emulator: 1\r\n\r\n".encode())
        assert idle.recv(65536).startswith(b"HTTP/1.1 200 OK")
    assert idle.recv(1) == b""  # stop() closed it
    idle.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


# -- the real model families (litebed.emulator.families) ------------------------------


class TestRealFamilies:
    def test_invoke_claude_v2(self, emu, boto3_runtime):
        response = boto3_runtime.invoke_model(modelId="anthropic.claude-v2", body=CLAUDE_V2_BODY)
        answer = json.loads(response["body"].read())
        assert answer["completion"].strip() == "Hello there, friend"
        headers = response["ResponseMetadata"]["HTTPHeaders"]
        assert int(headers["x-amzn-bedrock-output-token-count"]) > 0
        assert emu.requests()[0]["body"]["max_tokens_to_sample"] == 50

    def test_stream_claude_v2_with_metrics(self, boto3_runtime):
        stream = boto3_runtime.invoke_model_with_response_stream(modelId="anthropic.claude-v2", body=CLAUDE_V2_BODY)["body"]
        chunks = [json.loads(event["chunk"]["bytes"]) for event in stream]
        assert "".join(c["completion"] for c in chunks).strip() == "Hello there, friend"
        metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
        assert metrics["outputTokenCount"] > 0 and metrics["inputTokenCount"] > 0

    def test_invoke_through_a_provisioned_arn(self, emu, boto3_runtime):
        arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456"  # -> anthropic.claude-v2
        answer = json.loads(boto3_runtime.invoke_model(modelId=arn, body=CLAUDE_V2_BODY)["body"].read())
        assert answer["completion"].strip() == "Hello there, friend"
        assert emu.requests()[0]["model_id"] == arn

    def test_invalid_claude_v2_body(self, boto3_runtime):
        with pytest.raises(boto3_runtime.exceptions.ValidationException):
            boto3_runtime.invoke_model(modelId="anthropic.claude-v2", body=json.dumps({"prompt": "no turns"}))

    def test_converse_and_converse_stream(self, boto3_runtime):
        model = "us.anthropic.claude-3-haiku-20240307-v1:0"
        messages = [{"role": "user", "content": [{"text": "[[reply:Bonjour]]"}]}]
        answer = boto3_runtime.converse(modelId=model, messages=messages)
        assert answer["output"]["message"]["content"][0]["text"] == "Bonjour"
        events = list(boto3_runtime.converse_stream(modelId=model, messages=messages)["stream"])
        assert next(iter(events[0])) == "messageStart" and next(iter(events[-1])) == "metadata"
        text = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e)
        assert text == "Bonjour"

    def test_count_tokens(self, boto3_runtime):
        answer = boto3_runtime.count_tokens(modelId="anthropic.claude-3-haiku-20240307-v1:0",
                                            input={"converse": {"messages": MESSAGES}})
        assert answer["inputTokens"] > 0

    def test_catalogue_through_the_control_plane(self, boto3_control):
        details = boto3_control.get_foundation_model(modelIdentifier="anthropic.claude-v2")["modelDetails"]
        assert details["providerName"] and details["responseStreamingSupported"] is True
        ids = {s["modelId"] for s in boto3_control.list_foundation_models(byProvider="anthropic")["modelSummaries"]}
        assert "anthropic.claude-v2" in ids


def test_a_failing_family_is_a_logged_500(emu, boto3_runtime, fake_families, monkeypatch):
    def broken(body, *, model_id, stream):
        raise RuntimeError("family bug")

    monkeypatch.setattr(fake_families, "converse", broken)
    with pytest.raises(boto3_runtime.exceptions.InternalServerException) as excinfo:
        boto3_runtime.converse(modelId="fake.echo-v1", messages=MESSAGES)
    assert "family bug" in excinfo.value.response["Error"]["Message"]
    assert (emu.requests()[0]["status"], emu.requests()[0]["error_code"]) == (500, "InternalServerException")
