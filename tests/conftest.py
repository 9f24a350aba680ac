"""Shared fixtures: one in-process Bedrock emulator for the whole session.

* ``emulator`` — the session's ``Emulator`` (started once).
* ``emu`` — the same emulator after ``reset()`` (log, script, faults, model fixtures).
* ``boto3_runtime`` / ``boto3_control`` / ``boto3_sts`` — real boto3 clients pointed at it,
  signing with its credentials, with botocore's retries off.
* ``fake_families`` — swaps the emulator's model catalogue for a tiny echo family,
  for tests of the server that must not depend on the real families.
"""

from __future__ import annotations

import pytest

from litebed.emulator import DEFAULT_MODELS, Emulator


@pytest.fixture(scope="session")
def emulator():
    with Emulator() as running:
        yield running


@pytest.fixture
def emu(emulator):
    emulator.reset()
    yield emulator


def _client(service: str, emu, **overrides):
    import boto3
    from botocore.config import Config

    creds = emu.credentials
    kwargs = {
        "endpoint_url": emu.base_url,
        "region_name": creds["aws_region_name"],
        "aws_access_key_id": creds["aws_access_key_id"],
        "aws_secret_access_key": creds["aws_secret_access_key"],
        "config": Config(retries={"total_max_attempts": 1}, read_timeout=10, connect_timeout=5),
    }
    kwargs.update(overrides)
    return boto3.client(service, **kwargs)


@pytest.fixture
def boto3_runtime(emu):
    return _client("bedrock-runtime", emu)


@pytest.fixture
def boto3_control(emu):
    return _client("bedrock", emu)


@pytest.fixture
def boto3_sts(emu):
    return _client("sts", emu)


@pytest.fixture
def make_client(emu):
    """``make_client(service, **boto3_kwargs)``: a client against the emulator with overrides."""
    return lambda service, **overrides: _client(service, emu, **overrides)


# -- a tiny family, independent of litebed.emulator.families' real ones ----------

FAKE_MODELS = {"fake.echo-v1", "fake.echo-v2:1", "fake.nostream-v1", *DEFAULT_MODELS.values()}


class EchoFamily:
    """Body ``{"prompt": str}``; answers ``{"completion": "Echo: <prompt>", "stop_reason": "end"}``."""

    name = "fake-echo"

    def __init__(self, streaming: bool = True) -> None:
        self.streaming = streaming

    def validate(self, body, *, model_id, stream):
        from litebed.emulator.families.base import ValidationFailed

        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            raise ValidationFailed("Malformed input request: #: required key [prompt] not found, please reformat your input and try again.")

    def generate(self, body, *, model_id, stream, stream_words=None):
        from litebed.emulator.families.base import Generation

        text = "Echo: " + body["prompt"]
        if stream_words:
            text = " ".join(f"w{i}" for i in range(1, stream_words + 1))
        words = text.split(" ")
        chunks = [{"completion": (" " if i else "") + word, "stop_reason": None} for i, word in enumerate(words)]
        chunks.append({"completion": "", "stop_reason": "end"})
        return Generation({"completion": text, "stop_reason": "end"}, chunks, len(body["prompt"]), len(words))


def _fake_converse(body, *, model_id, stream):
    from litebed.emulator.families.base import ConverseResult, ValidationFailed

    if not isinstance(body, dict) or not body.get("messages"):
        raise ValidationFailed("messages is required")
    text = "Echo: " + body["messages"][-1]["content"][0]["text"]
    usage = {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}
    events = [("messageStart", {"role": "assistant"}),
              ("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text}}),
              ("contentBlockStop", {"contentBlockIndex": 0}),
              ("messageStop", {"stopReason": "end_turn"}),
              ("metadata", {"usage": usage, "metrics": {"latencyMs": 1}})]
    return ConverseResult({"output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                           "stopReason": "end_turn", "usage": usage, "metrics": {"latencyMs": 1}}, events, 3, 2)


def _fake_catalogue():
    return [{"modelId": model_id, "modelName": model_id.split(".")[1], "providerName": model_id.split(".")[0].title(),
             "inputModalities": ["TEXT"], "outputModalities": ["TEXT"],
             "responseStreamingSupported": model_id != "fake.nostream-v1", "inferenceTypesSupported": ["ON_DEMAND"]}
            for model_id in sorted(FAKE_MODELS)]


@pytest.fixture
def fake_families(monkeypatch):
    from litebed.emulator import families

    def family_for(model_id):
        if model_id not in FAKE_MODELS:
            return None
        return EchoFamily(streaming=model_id != "fake.nostream-v1")

    monkeypatch.setattr(families, "family_for", family_for, raising=False)
    monkeypatch.setattr(families, "converse", _fake_converse, raising=False)
    monkeypatch.setattr(families, "catalogue", _fake_catalogue, raising=False)
    monkeypatch.setattr(families, "count_tokens", lambda body, *, model_id: len(str(body)), raising=False)
    return families
