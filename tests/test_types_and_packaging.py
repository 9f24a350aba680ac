"""OpenAI habits on litebed's response objects, and packaging facts a newcomer meets first."""

import json
import pathlib
import subprocess
import sys

import tomllib
from openai.types.chat import ChatCompletion

from litebed.types import Choices, Message, ModelResponse, Usage

ROOT = pathlib.Path(__file__).resolve().parent.parent


def response():
    usage = Usage(prompt_tokens=3, completion_tokens=2, total_tokens=5, estimated=True)
    choice = Choices(index=0, message=Message(content="hi"), finish_reason="stop", native_finish_reason="end_turn")
    return ModelResponse(model="bedrock/x", choices=[choice], usage=usage)


def test_to_dict_and_to_json_as_in_openai():
    resp = response()
    as_dict = resp.to_dict()
    assert as_dict["choices"][0]["message"]["content"] == "hi" and as_dict["object"] == "chat.completion"
    assert json.loads(resp.to_json()) == resp.to_dict(mode="json")
    assert resp.to_json().startswith("{\n  ")  # indented by 2, as openai's to_json
    ChatCompletion.model_validate(as_dict)


def test_litebed_diagnostics_stay_out_of_dumps_unless_asked_for():
    resp = response()
    assert resp.usage.estimated is True and resp.choices[0].native_finish_reason == "end_turn"
    dumped = resp.model_dump()
    assert "estimated" not in dumped["usage"] and "native_finish_reason" not in dumped["choices"][0]
    assert "estimated" not in resp.model_dump_json()
    kept = resp.model_dump(litebed_fields=True)
    assert kept["usage"]["estimated"] is True and kept["choices"][0]["native_finish_reason"] == "end_turn"
    assert json.loads(resp.to_json(litebed_fields=True))["usage"]["estimated"] is True


def test_usage_details_are_present_and_none_when_unknown():
    dumped = response().model_dump()["usage"]
    assert dumped["prompt_tokens_details"] is None and dumped["completion_tokens_details"] is None


def test_python_dash_m_litebed_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "litebed", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "embed" in done.stdout


def test_the_license_is_an_spdx_string_with_its_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT" and project["project"]["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    requires = project["build-system"]["requires"]
    assert any(r.startswith("setuptools>=77") for r in requires)  # the first setuptools to read SPDX strings


def test_litebed_version_and_the_emulator_subcommand():
    done = subprocess.run([sys.executable, "-m", "litebed", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip().startswith("litebed ")
    server = subprocess.Popen([sys.executable, "-m", "litebed", "emulator", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        lines = []
        while not lines or not lines[-1].startswith("unset "):  # the start-up lines end with an unset line
            lines.append(server.stdout.readline())
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert url.startswith("http://127.0.0.1:")
    exports = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines if line.startswith("export "))
    assert exports["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"].strip("'\"") == url
    assert server.returncode == 0  # SIGTERM stops it cleanly
