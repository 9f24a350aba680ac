"""Faults, latency and long streams, as botocore sees them."""

import json
import threading
import time

import pytest
from botocore.exceptions import ConnectionClosedError, EventStreamError, ResponseStreamingError
from urllib3.exceptions import ProtocolError

from litebed.emulator import EmulatorConfig
from litebed.emulator.faults import FaultPlan

BODY = json.dumps({"prompt": "one two three four five"})

pytestmark = pytest.mark.usefixtures("fake_families")


def with_header(client, name, value):
    """Add a header after signing (the emulator's control headers need not be signed)."""
    def hook(request, **_):
        request.headers[name] = value
    client.meta.events.register("before-send.*", hook)
    return client


@pytest.mark.parametrize("fault, status, code", [
    ("throttle", 429, "ThrottlingException"),
    ("error500", 500, "InternalServerException"),
    ("error503", 503, "ServiceUnavailableException"),
    ("timeout408", 408, "ModelTimeoutException"),
])
def test_error_faults_surface_as_modelled_exceptions(emu, boto3_runtime, fault, status, code):
    with_header(boto3_runtime, "x-emulator-fault", fault)
    exception_class = getattr(boto3_runtime.exceptions, code)
    with pytest.raises(exception_class) as excinfo:
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    entry = emu.requests()[0]
    assert (entry["fault"], entry["status"], entry["error_code"]) == (fault, status, code)


def test_throttle_message(boto3_runtime):
    with_header(boto3_runtime, "x-emulator-fault", "throttle")
    with pytest.raises(boto3_runtime.exceptions.ThrottlingException) as excinfo:
        boto3_runtime.converse(modelId="fake.echo-v1", messages=[{"role": "user", "content": [{"text": "hi"}]}])
    assert excinfo.value.response["Error"]["Message"] == "Too many requests, please wait before trying again."


def test_script_is_consumed_one_outcome_per_runtime_request(emu, boto3_runtime, boto3_control):
    emu.configure(script=["throttle", "error503", "ok"])
    boto3_control.list_foundation_models()  # control plane: consumes nothing
    with pytest.raises(boto3_runtime.exceptions.ThrottlingException):
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    with pytest.raises(boto3_runtime.exceptions.ServiceUnavailableException):
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert [e["fault"] for e in emu.requests()[1:]] == ["throttle", "error503", None, None]


def test_reset_clears_the_script_and_restores_probabilities(emu, boto3_runtime):
    emu.configure(script=["throttle"], error500=1.0)
    emu.reset()
    boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    assert emu.requests()[0]["fault"] is None


def test_probabilities_follow_the_seed():
    config = EmulatorConfig(seed=7, throttle=0.3, error503=0.3)
    plan_a, plan_b = FaultPlan(config), FaultPlan(config)
    draws_a = [plan_a.choose(None) for _ in range(200)]
    assert draws_a == [plan_b.choose(None) for _ in range(200)]
    assert {"throttle", "error503", "ok"} == set(draws_a)
    assert 40 <= draws_a.count("throttle") <= 80


def test_probability_one_always_faults(emu, boto3_runtime):
    emu.configure(error500=1.0)
    for _ in range(3):
        with pytest.raises(boto3_runtime.exceptions.InternalServerException):
            boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)


def test_invalid_probability_is_refused(emu):
    with pytest.raises(ValueError):
        emu.configure(throttle=1.5)
    with pytest.raises(ValueError):
        emu.configure(script=["explode"])


def test_reset_fault_closes_the_connection(emu, boto3_runtime):
    with_header(boto3_runtime, "x-emulator-fault", "reset")
    with pytest.raises(ConnectionClosedError):
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)
    entry = emu.requests()[0]
    assert (entry["fault"], entry["status"]) == ("reset", None)


def test_truncated_body_is_an_error(boto3_runtime):
    with_header(boto3_runtime, "x-emulator-fault", "truncate")
    body = boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)["body"]
    with pytest.raises(ResponseStreamingError, match="IncompleteRead"):
        body.read()


def test_truncated_stream_delivers_some_chunks_then_fails(boto3_runtime):
    with_header(boto3_runtime, "x-emulator-fault", "truncate")
    stream = boto3_runtime.invoke_model_with_response_stream(modelId="fake.echo-v1", body=BODY)["body"]
    received = []
    with pytest.raises(ProtocolError):  # urllib3: "Response ended prematurely"
        for event in stream:
            received.append(event)
    assert len(received) == 2


@pytest.mark.parametrize("fault, code", [
    ("stream_exception", "throttlingException"),
    ("stream_exception:modelStreamErrorException", "modelStreamErrorException"),
])
def test_stream_exception_frame_raises_event_stream_error(emu, boto3_runtime, fault, code):
    with_header(boto3_runtime, "x-emulator-fault", fault)
    stream = boto3_runtime.invoke_model_with_response_stream(modelId="fake.echo-v1", body=BODY)["body"]
    received = []
    with pytest.raises(EventStreamError) as excinfo:
        for event in stream:
            received.append(event)
    assert excinfo.value.response["Error"]["Code"] == code
    assert len(received) == 2 and all("chunk" in event for event in received)
    assert emu.requests()[0]["fault"] == fault


def test_converse_stream_exception(boto3_runtime):
    with_header(boto3_runtime, "x-emulator-fault", "stream_exception")
    stream = boto3_runtime.converse_stream(modelId="fake.echo-v1", messages=[{"role": "user", "content": [{"text": "hi"}]}])["stream"]
    with pytest.raises(EventStreamError) as excinfo:
        list(stream)
    assert excinfo.value.response["Error"]["Code"] == "throttlingException"


def test_unknown_forced_fault_is_a_validation_error(boto3_runtime):
    with_header(boto3_runtime, "x-emulator-fault", "meteor")
    with pytest.raises(boto3_runtime.exceptions.ValidationException):
        boto3_runtime.invoke_model(modelId="fake.echo-v1", body=BODY)


def test_latency_delays_answers_without_blocking_other_connections(emu, make_client):
    emu.configure(latency_ms=300)
    clients = [make_client("bedrock-runtime") for _ in range(4)]
    threads = [threading.Thread(target=c.invoke_model, kwargs={"modelId": "fake.echo-v1", "body": BODY}) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert 0.3 <= elapsed < 0.9  # four concurrent 300 ms answers, not 1.2 s in series
    assert len(emu.requests()) == 4


def test_stream_words_header_makes_long_streams_quickly(boto3_runtime):
    with_header(boto3_runtime, "x-emulator-stream-words", "5000")
    started = time.perf_counter()
    events = list(boto3_runtime.invoke_model_with_response_stream(modelId="fake.echo-v1", body=BODY)["body"])
    elapsed = time.perf_counter() - started
    assert len(events) == 5001  # one chunk per word plus the stop chunk
    last = json.loads(events[-1]["chunk"]["bytes"])
    assert last["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == 5000
    assert elapsed < 5
