"""The emulator as a product: start-up output, --help, request ids on every error, hardened
admin endpoints, the body cap, the head timeout, and one-line start-up failures."""

import json
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import litebed
from litebed.emulator import ADMIN_HEADERS, DEFAULT_MAX_BODY_BYTES, Emulator, EmulatorConfig, startup_lines
from litebed.emulator.__main__ import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
CLAUDE3 = "anthropic.claude-3-haiku-20240307-v1:0"
ADMIN = {"X-Litebed-Emulator": "1"}


def start_cli(*args):
    """``python -m litebed.emulator`` in a subprocess, with its start-up lines read."""
    process = subprocess.Popen([sys.executable, "-m", "litebed.emulator", "--port", "0", *args], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    while not lines or not lines[-1].startswith("unset "):
        line = process.stdout.readline()
        assert line, f"the emulator stopped early: {process.stderr.read()}"
        lines.append(line.rstrip("\n"))
    return process, lines


def stop_cli(process, signum=signal.SIGTERM):
    process.send_signal(signum)
    try:
        return process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


def exports_of(lines):
    return dict(shlex.split(line)[1].split("=", 1) for line in lines if line.startswith("export "))


# -- start-up output ------------------------------------------------------------------------------


def test_startup_lines_point_boto3_and_litebed_at_the_emulator(emu):
    url = emu.base_url
    assert startup_lines(emu) == [
        url,
        f"export AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url}",
        f"export AWS_ENDPOINT_URL_BEDROCK={url}",
        f"export AWS_ENDPOINT_URL_STS={url}",
        "export AWS_ACCESS_KEY_ID=AKIALITEBEDEMULATOR1",
        "export AWS_SECRET_ACCESS_KEY=litebed-emulator-secret",
        "export AWS_REGION=us-east-1",
        "export AWS_DEFAULT_REGION=us-east-1",
        "unset AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK",
    ]


def test_startup_lines_quote_for_the_shell_and_carry_a_session_token():
    emulator = Emulator(secret_access_key="it's $secret", session_token="tok", region="eu-west-3").start()
    try:
        lines = startup_lines(emulator)
    finally:
        emulator.stop()
    assert "export AWS_SECRET_ACCESS_KEY='it'\"'\"'s $secret'" in lines
    assert exports_of(lines)["AWS_SECRET_ACCESS_KEY"] == "it's $secret"
    assert "export AWS_SESSION_TOKEN=tok" in lines and lines[-1] == "unset AWS_BEARER_TOKEN_BEDROCK"
    assert exports_of(lines)["AWS_DEFAULT_REGION"] == "eu-west-3"


CLIENT_SCRIPT = """
import json, boto3, litebed
messages = [{"role": "user", "content": [{"text": "hi"}]}]
converse = boto3.client("bedrock-runtime").converse(modelId="CLAUDE3", messages=messages)
model = boto3.client("bedrock").get_foundation_model(modelIdentifier="CLAUDE3")
role = boto3.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/demo", RoleSessionName="paste")
chat = litebed.completion(model="bedrock/CLAUDE3", messages=[{"role": "user", "content": "hello"}])
print(json.dumps([converse["output"]["message"]["content"][0]["text"], model["modelDetails"]["modelId"],
                  role["Credentials"]["AccessKeyId"][:4], chat.choices[0].message.content]))
""".replace("CLAUDE3", CLAUDE3)


def test_a_process_with_only_the_exported_variables_reaches_the_emulator(tmp_path):
    process, lines = start_cli()
    try:
        assert lines[0].startswith("http://127.0.0.1:")  # the first line stays the bare URL
        env = exports_of(lines)
        assert set(env) == {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL_BEDROCK", "AWS_ENDPOINT_URL_STS",
                            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"}
        client = subprocess.run([sys.executable, "-c", CLIENT_SCRIPT], env=env, cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert client.returncode == 0, client.stderr
        assert json.loads(client.stdout) == ["Echo: hi", CLAUDE3, "ASIA", "Echo: hello"]
        log = httpx.get(lines[0] + "/_emulator/requests", headers=ADMIN).json()
        assert [entry["operation"] for entry in log] == ["Converse", "GetFoundationModel", "AssumeRole", "InvokeModel"]
    finally:
        assert stop_cli(process, signal.SIGINT) == 0


def test_help_shows_every_default(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 127.0.0.1", "(default: 0)", "(default: AKIALITEBEDEMULATOR1)",
                    "(default: litebed-emulator-secret)", "(default: 3600)", "(default: 30.0)",
                    f"(default: {DEFAULT_MAX_BODY_BYTES})", "(default: any", "(default: none)"):
        assert default in shown
    undocumented = [action.dest for action in build_parser()._actions
                    if action.dest != "help" and "(default:" not in (action.help or "")]
    assert undocumented == []


def test_main_refuses_bad_options_with_status_2(capsys):
    assert main(["--throttle", "2"]) == 2
    assert "throttle must be a probability" in capsys.readouterr().err


# -- start-up failures and warnings ---------------------------------------------------------------


def test_a_busy_port_is_one_line_and_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "litebed.emulator", "--port", str(port)], cwd=ROOT,
                                capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"python -m litebed.emulator: error: cannot listen on 127.0.0.1:{port}: the address is already in use"]


def test_a_non_loopback_address_prints_a_warning(capfd):
    with Emulator(host="0.0.0.0"):
        pass
    assert "warning: the litebed emulator listens on 0.0.0.0" in capfd.readouterr().err
    with Emulator(host="localhost"):
        pass
    assert capfd.readouterr().err == ""


# -- request ids on every error -------------------------------------------------------------------


def request_id_of(exc_info):
    return exc_info.value.response["ResponseMetadata"]["RequestId"]


def test_runtime_errors_carry_a_request_id(emu, boto3_runtime, make_client):
    with pytest.raises(boto3_runtime.exceptions.ValidationException) as invalid:
        boto3_runtime.converse(modelId=CLAUDE3, messages=[])
    emu.configure(script=["throttle"])
    with pytest.raises(boto3_runtime.exceptions.ThrottlingException) as throttled:
        boto3_runtime.converse(modelId=CLAUDE3, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    wrong_key = make_client("bedrock-runtime", aws_secret_access_key="not-the-secret")
    with pytest.raises(wrong_key.exceptions.ClientError) as unsigned:
        wrong_key.converse(modelId=CLAUDE3, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    ids = [request_id_of(info) for info in (invalid, throttled, unsigned)]
    assert all(UUID.match(request_id) for request_id in ids) and len(set(ids)) == 3


def test_control_plane_and_sts_errors_carry_a_request_id(boto3_control, boto3_sts):
    with pytest.raises(boto3_control.exceptions.ResourceNotFoundException) as missing:
        boto3_control.get_provisioned_model_throughput(provisionedModelId="arn:aws:bedrock:us-east-1:123456789012:provisioned-model/none")
    with pytest.raises(boto3_sts.exceptions.ClientError) as sts:
        boto3_sts.assume_role(RoleArn="arn:aws:iam::123456789012:user/not-a-role", RoleSessionName="session")
    assert UUID.match(request_id_of(missing)) and UUID.match(request_id_of(sts))


def test_admin_and_unknown_route_errors_carry_a_request_id(emu):
    for response in (httpx.get(emu.base_url + "/_emulator/requests"), httpx.get(emu.base_url + "/nowhere")):
        assert response.status_code in (403, 404)
        assert UUID.match(response.headers["x-amzn-RequestId"])


def test_litebed_reports_the_request_id_offline(emu):
    emu.configure(script=["error500"])
    with pytest.raises(litebed.InternalServerError) as error:
        litebed.completion(model=f"bedrock/{CLAUDE3}", messages=[{"role": "user", "content": "hi"}], num_retries=0,
                           api_base=emu.base_url, **emu.credentials)
    assert UUID.match(error.value.request_id)


# -- admin endpoints ------------------------------------------------------------------------------


def test_admin_endpoints_answer_json_requests_with_the_header(emu, boto3_runtime):
    base = emu.base_url
    assert httpx.post(base + "/_emulator/config", json={"script": ["throttle"]}, headers=ADMIN).status_code == 200
    with pytest.raises(boto3_runtime.exceptions.ThrottlingException):
        boto3_runtime.converse(modelId=CLAUDE3, messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert [e["fault"] for e in httpx.get(base + "/_emulator/requests", headers=ADMIN).json()] == ["throttle"]
    assert httpx.post(base + "/_emulator/reset", headers=ADMIN_HEADERS).json() == {"ok": True}  # no body: {}
    localhost = httpx.get(f"http://127.0.0.1:{emu.port}/_emulator/requests", headers={**ADMIN, "Host": f"localhost:{emu.port}"})
    assert localhost.json() == []


@pytest.mark.parametrize("method, path, kwargs, status, code", [
    ("GET", "/_emulator/requests", {}, 403, "AccessDeniedException"),
    ("POST", "/_emulator/config", {"json": {"throttle": 1.0}}, 403, "AccessDeniedException"),
    ("POST", "/_emulator/config", {"json": {"throttle": 1.0}, "headers": {"X-Litebed-Emulator": "yes"}}, 403,
     "AccessDeniedException"),
    ("POST", "/_emulator/config", {"content": '{"throttle": 1.0}', "headers": {**ADMIN, "Content-Type": "text/plain"}},
     415, "UnsupportedMediaTypeException"),
    ("POST", "/_emulator/config", {"data": {"throttle": "1.0"}, "headers": ADMIN}, 415, "UnsupportedMediaTypeException"),
    ("POST", "/_emulator/reset", {"headers": ADMIN}, 415, "UnsupportedMediaTypeException"),
    ("GET", "/_emulator/requests", {"headers": {**ADMIN, "Host": "rebound.example.com"}}, 403, "AccessDeniedException"),
])
def test_admin_endpoints_refuse_what_a_web_page_could_send(emu, boto3_runtime, method, path, kwargs, status, code):
    hello = [{"role": "user", "content": [{"text": "hi"}]}]
    boto3_runtime.converse(modelId=CLAUDE3, messages=hello)
    response = httpx.request(method, emu.base_url + path, **kwargs)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (status, code)
    assert response.json()["message"]
    boto3_runtime.converse(modelId=CLAUDE3, messages=hello)  # not throttled: the config did not change
    assert len(emu.requests()) == 2  # and the log was not reset


# -- the body cap ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_emulator():
    """An emulator of its own with a 1,000-byte body cap and a 0.3 s head timeout."""
    with Emulator(max_body_bytes=1000, head_timeout=0.3) as running:
        yield running


def raw_exchange(port, payload, timeout=5.0):
    """Send ``payload`` and read until the server closes; (what was read, seconds it took)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data, time.monotonic() - started


def test_the_default_cap_is_above_bedrocks_payload_limit():
    assert EmulatorConfig().max_body_bytes == DEFAULT_MAX_BODY_BYTES == 32 * 1024 * 1024 > 25_000_000


def test_a_body_over_the_cap_is_a_413_and_the_connection_closes(small_emulator):
    url = small_emulator.base_url + f"/model/{CLAUDE3}/invoke"
    response = httpx.post(url, content=b"x" * 1001, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (413, "ValidationException")
    assert response.headers["connection"] == "close" and UUID.match(response.headers["x-amzn-RequestId"])
    assert response.json() == {"message": "The request body (1,001 bytes) exceeds the emulator's limit of 1,000 bytes "
                                          "(Bedrock's own limit for a model payload is 25,000,000 bytes)."}
    at_the_cap = httpx.post(url, content=b"x" * 1000, headers={"Content-Type": "application/json"})
    assert at_the_cap.status_code == 403  # read whole, then refused for its missing signature


def test_a_huge_declared_length_is_refused_before_its_body(small_emulator):
    head = (f"POST /model/{CLAUDE3}/invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000000\r\n"
            "Expect: 100-continue\r\n\r\n").encode()
    data, _ = raw_exchange(small_emulator.port, head)
    assert data.startswith(b"HTTP/1.1 413 Request Entity Too Large\r\n")
    assert b"100 Continue" not in data and b"50,000,000,000 bytes" in data


def test_a_chunked_body_over_the_cap_is_a_413(small_emulator):
    chunks = b"".join(b"%x\r\n%s\r\n" % (300, b"y" * 300) for _ in range(4)) + b"0\r\n\r\n"
    head = f"POST /model/{CLAUDE3}/invoke HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    data, _ = raw_exchange(small_emulator.port, head + chunks)
    assert data.startswith(b"HTTP/1.1 413 ") and b"more bytes" in data


def test_boto3_sees_the_413_as_a_validation_exception(small_emulator):
    import boto3
    from botocore.config import Config

    client = boto3.client("bedrock-runtime", endpoint_url=small_emulator.base_url, region_name="us-east-1",
                          aws_access_key_id="AKIALITEBEDEMULATOR1", aws_secret_access_key="litebed-emulator-secret",
                          config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(client.exceptions.ValidationException) as error:
        client.invoke_model(modelId=CLAUDE3, body=json.dumps({"padding": "z" * 2000}))
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert UUID.match(error.value.response["ResponseMetadata"]["RequestId"])


# -- the head timeout -----------------------------------------------------------------------------


def test_an_incomplete_head_is_closed_after_the_head_timeout(small_emulator):
    data, seconds = raw_exchange(small_emulator.port, b"GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert data == b"" and 0.3 <= seconds < 3


def test_an_idle_connection_is_closed_after_the_head_timeout(small_emulator):
    request = b"GET /_emulator/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Litebed-Emulator: 1\r\n\r\n"
    data, seconds = raw_exchange(small_emulator.port, request)  # answered, then idle on keep-alive
    assert data.startswith(b"HTTP/1.1 200 OK") and b"Connection: keep-alive" in data
    assert 0.3 <= seconds < 3


def test_a_head_sent_in_pieces_within_the_timeout_is_answered(small_emulator):
    with socket.create_connection(("127.0.0.1", small_emulator.port), timeout=5) as sock:
        sock.sendall(b"GET /_emulator/requests HTTP/1.1\r\n")
        time.sleep(0.1)
        sock.sendall(b"Host: 127.0.0.1\r\nX-Litebed-Emulator: 1\r\nConnection: close\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")


def test_head_timeout_and_body_cap_are_validated():
    with pytest.raises(ValueError, match="head_timeout"):
        EmulatorConfig(head_timeout=0)
    with pytest.raises(ValueError, match="max_body_bytes"):
        EmulatorConfig(max_body_bytes=-1)
    assert EmulatorConfig(head_timeout=None).head_timeout is None


def test_the_cli_passes_the_limits_on():
    process, lines = start_cli("--head-timeout", "0.2", "--max-body-bytes", "10")
    try:
        port = int(lines[0].rsplit(":", 1)[1])
        data, seconds = raw_exchange(port, b"GET / HTTP/1.1\r\n")
        assert data == b"" and seconds < 3
        too_big = httpx.post(lines[0] + "/model/x/invoke", content=b"0123456789A")
        assert too_big.status_code == 413
    finally:
        assert stop_cli(process) == 0

