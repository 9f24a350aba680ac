"""The Converse route against the emulator: text, system prompts, images,
documents, JSON output, native fields, and remote image URLs served by a tiny
local HTTP server."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import litebed
from litebed import _media as media
from litebed.errors import BadRequestError
from litebed.providers.converse import JSON_TOOL_NAME

MODEL = "bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def aws(emu):
    return dict(api_base=emu.base_url, **emu.credentials)


def last_body(emu):
    return [r for r in emu.requests() if r["operation"].startswith("Converse")][-1]["body"]


def data_url(mime, data):
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_text_with_system_and_params(emu, aws):
    response = litebed.completion(
        model=MODEL, messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "héllo wörld"}],
        temperature=1.5, top_k=50, guardrailConfig={"guardrailIdentifier": "gr-1", "guardrailVersion": "1"}, **aws,
    )
    assert response.choices[0].message.content == "Echo: héllo wörld"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.estimated is False
    body = last_body(emu)
    assert body["system"] == [{"text": "Be brief."}]
    assert body["inferenceConfig"] == {"maxTokens": 1024, "temperature": 1.0}
    assert body["additionalModelRequestFields"] == {"top_k": 50}
    assert body["guardrailConfig"] == {"guardrailIdentifier": "gr-1", "guardrailVersion": "1"}


def test_stream_text_with_usage(emu, aws):
    plain = litebed.completion(model=MODEL, messages=[{"role": "user", "content": "one two three"}], **aws)
    chunks = list(litebed.completion(model=MODEL, messages=[{"role": "user", "content": "one two three"}], stream=True,
                                     stream_options={"include_usage": True}, **aws))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content == "Echo: one two three"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].usage.model_dump(litebed_fields=True, include={"prompt_tokens", "completion_tokens", "estimated"}) == {
        "prompt_tokens": plain.usage.prompt_tokens, "completion_tokens": plain.usage.completion_tokens, "estimated": False}


def test_titan_gets_its_system_text_in_the_user_turn(emu, aws):
    response = litebed.completion(model="bedrock/converse/amazon.titan-text-express-v1",
                                  messages=[{"role": "system", "content": "Rules."}, {"role": "user", "content": "Hi"}], **aws)
    assert response.choices[0].message.content == "Echo: Rules. Hi"
    assert "system" not in last_body(emu)


def test_modify_params_inserts_a_user_turn(emu, aws):
    messages = [{"role": "assistant", "content": "Hello, how can I help?"}, {"role": "user", "content": "hi"}]
    with pytest.raises(BadRequestError, match="modify_params"):
        litebed.completion(model=MODEL, messages=messages, **aws)
    response = litebed.completion(model=MODEL, messages=messages, modify_params=True, **aws)
    assert response.choices[0].message.content == "Echo: hi"
    assert last_body(emu)["messages"][0] == {"role": "user", "content": [{"text": "."}]}


def test_image_data_url(emu, aws):
    content = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}}]
    response = litebed.completion(model=MODEL, messages=[{"role": "user", "content": content}], **aws)
    assert response.choices[0].message.content == "Echo: What is this?"
    image = last_body(emu)["messages"][0]["content"][1]["image"]
    assert image["format"] == "png" and base64.b64decode(image["source"]["bytes"]) == PNG


def test_documents(emu, aws):
    content = [
        {"type": "text", "text": "Summarise"},
        {"type": "file", "file": {"file_data": data_url("application/pdf", PDF), "filename": "report_2024.pdf"}},
        {"type": "file", "file": {"file_data": data_url("text/plain", b"some notes"), "filename": "notes.txt"}},
    ]
    response = litebed.completion(model=MODEL, messages=[{"role": "user", "content": content}], **aws)
    assert response.choices[0].message.content == "Echo: Summarise"
    documents = [b["document"] for b in last_body(emu)["messages"][0]["content"][1:]]
    assert [(d["format"], d["name"]) for d in documents] == [("pdf", "report-2024"), ("txt", "notes")]
    assert base64.b64decode(documents[0]["source"]["bytes"]) == PDF


JSON_ASK = {"role": "user", "content": f'Give me a person. [[tool:{JSON_TOOL_NAME} {{"name": "Ada", "age": 36}}]]'}
PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}


@pytest.mark.parametrize("response_format,schema", [
    ({"type": "json_object"}, {"type": "object"}),
    ({"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON}}, PERSON),
])
def test_json_output(emu, aws, response_format, schema):
    response = litebed.completion(model=MODEL, messages=[JSON_ASK], response_format=response_format, **aws)
    choice = response.choices[0]
    assert json.loads(choice.message.content) == {"name": "Ada", "age": 36}
    assert (choice.finish_reason, choice.message.tool_calls) == ("stop", None)
    tool_config = last_body(emu)["toolConfig"]
    assert tool_config["toolChoice"] == {"tool": {"name": JSON_TOOL_NAME}}
    assert tool_config["tools"][0]["toolSpec"]["inputSchema"] == {"json": schema}

    chunks = list(litebed.completion(model=MODEL, messages=[JSON_ASK], response_format=response_format, stream=True, **aws))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == choice.message.content
    assert not any(c.choices[0].delta.tool_calls for c in chunks if c.choices)
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"]


# --- remote images -----------------------------------------------------------


class _Files(BaseHTTPRequestHandler):
    routes = {"/pixel.png": ("image/png", PNG), "/page.html": ("text/html", b"<html></html>"),
              "/big.png": ("image/png", PNG + b"\x00" * 4_000_000)}

    def do_GET(self):
        content_type, data = self.routes.get(self.path, (None, None))
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its size limit

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def files():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def image_message(url):
    return [{"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image_url", "image_url": {"url": url}}]}]


@pytest.fixture
def private_ok(aws):
    """A client that may fetch from the loopback file server (private addresses are refused by default)."""
    with litebed.Client(media_allowed_hosts=["127.0.0.1"], **aws) as client:
        yield client


def test_remote_image_is_fetched(emu, private_ok, files):
    response = private_ok.completion(MODEL, image_message(files + "/pixel.png"))
    assert response.choices[0].message.content == "Echo: Look"
    image = last_body(emu)["messages"][0]["content"][1]["image"]
    assert image["format"] == "png" and base64.b64decode(image["source"]["bytes"]) == PNG


def test_loopback_image_refused_by_default(emu, aws, files):
    with pytest.raises(BadRequestError, match="refused: 127.0.0.1 resolves to a private/loopback address"):
        litebed.completion(model=MODEL, messages=image_message(files + "/pixel.png"), **aws)
    assert not [r for r in emu.requests() if r["operation"].startswith("Converse")]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_localhost_refused_by_default_and_allowed_by_the_opt_in(emu, aws, files, host):
    url = files.replace("127.0.0.1", host) + "/pixel.png"
    with pytest.raises(BadRequestError, match="private/loopback"):
        litebed.Client(**aws).completion(MODEL, image_message(url))
    with litebed.Client(allow_private_media=True, **aws) as client:
        assert client.completion(MODEL, image_message(url)).choices[0].message.content == "Echo: Look"


async def test_async_opt_in_by_environment(emu, aws, files, monkeypatch):
    url = files.replace("127.0.0.1", "localhost") + "/pixel.png"
    with pytest.raises(BadRequestError, match="private/loopback"):
        await litebed.Client(**aws).acompletion(MODEL, image_message(url))
    monkeypatch.setenv("LITEBED_MEDIA_ALLOWED_HOSTS", "localhost")
    response = await litebed.Client(**aws).acompletion(MODEL, image_message(url))
    assert response.choices[0].message.content == "Echo: Look"


async def test_remote_image_inlined_without_blocking(files):
    messages = image_message(files + "/pixel.png")
    inlined = await media.ainline_remote_media(messages, media.MediaPolicy(allowed_hosts={"127.0.0.1"}))
    assert inlined[0]["content"][1]["image_url"]["url"] == data_url("image/png", PNG)
    assert messages[0]["content"][1]["image_url"]["url"].startswith("http")  # the caller's list is untouched


@pytest.mark.parametrize("path,error", [
    ("/page.html", "'text/html', not an image"),
    ("/big.png", "over Bedrock's limit"),
    ("/missing.png", "HTTP 404"),
])
def test_remote_image_checks(emu, private_ok, files, path, error):
    with pytest.raises(BadRequestError, match=error):
        private_ok.completion(MODEL, image_message(files + path))
    assert not [r for r in emu.requests() if r["operation"].startswith("Converse")]


def test_remote_image_refused_when_fetching_is_off(emu, aws, files, monkeypatch):
    monkeypatch.setattr(media, "fetch_remote_media", False)
    with pytest.raises(BadRequestError, match="fetching remote media is turned off"):
        litebed.completion(model=MODEL, messages=image_message(files + "/pixel.png"), **aws)
