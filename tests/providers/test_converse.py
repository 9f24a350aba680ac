"""The Converse family module and litebed._media, on plain dicts (no network)."""

import base64

import pytest

from litebed import _media as media
from litebed.errors import BadRequestError, UnsupportedParamsError
from litebed.providers import converse as fam
from litebed.providers.base import ChatParams, StreamState

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather now",
                                         "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
SPEC = {"toolSpec": {"name": "get_weather", "description": "Weather now",
                     "inputSchema": {"json": TOOL["function"]["parameters"]}}}
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def data_url(mime, data):
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def build(messages, model=CLAUDE, **params):
    return fam.build_request(model, messages, ChatParams(**params))


def user(text):
    return {"role": "user", "content": text}


def call(call_id, name="get_weather", arguments='{"city": "Paris"}'):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


# --- messages ------------------------------------------------------------------


def test_plain_body_always_sends_max_tokens():
    assert build([user("Hi")]) == {
        "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
        "inferenceConfig": {"maxTokens": 1024},
    }


def test_inference_config_clamps_temperature_and_passes_stop():
    body = build([user("Hi")], max_tokens=7, temperature=1.7, top_p=0.5, stop=["END", "##"])
    assert body["inferenceConfig"] == {"maxTokens": 7, "temperature": 1.0, "topP": 0.5, "stopSequences": ["END", "##"]}


def test_system_messages_become_blocks_in_order():
    body = build([{"role": "system", "content": "one"}, user("Hi"), {"role": "developer", "content": [{"type": "text", "text": "two"}]}])
    assert body["system"] == [{"text": "one"}, {"text": "two"}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Hi"}]}]


@pytest.mark.parametrize("model", ["amazon.titan-text-express-v1", "mistral.mixtral-8x7b-instruct-v0:1",
                                   "mistral.mistral-7b-instruct-v0:2"])
def test_models_without_system_get_it_merged_into_first_user_turn(model):
    body = build([{"role": "system", "content": "Be terse."}, user("Hi"), {"role": "assistant", "content": "Yo"}, user("Again")],
                 model=model)
    assert "system" not in body
    assert body["messages"][0] == {"role": "user", "content": [{"text": "Be terse."}, {"text": "Hi"}]}


CONVERSATIONS = [
    # (name, messages, expected messages or exception)
    ("consecutive same role merged", [user("a"), user("b"), {"role": "assistant", "content": "c"}, {"role": "assistant", "content": "d"}],
     [{"role": "user", "content": [{"text": "a"}, {"text": "b"}]}, {"role": "assistant", "content": [{"text": "c"}, {"text": "d"}]}]),
    ("empty and None content skipped",
     [user("a"), {"role": "assistant", "content": None}, user(""), {"role": "user", "content": [{"type": "text", "text": "  "}]},
      user("b")],
     [{"role": "user", "content": [{"text": "a"}, {"text": "b"}]}]),
    ("unicode kept", [user("héllo 世界 🚀")], [{"role": "user", "content": [{"text": "héllo 世界 🚀"}]}]),
    ("prefill trailing whitespace trimmed", [user("a"), {"role": "assistant", "content": "The answer is "}],
     [{"role": "user", "content": [{"text": "a"}]}, {"role": "assistant", "content": [{"text": "The answer is"}]}]),
    ("system only", [{"role": "system", "content": "s"}], BadRequestError),
    ("assistant first", [{"role": "assistant", "content": "hi"}, user("a")], BadRequestError),
    ("no messages with content", [user(""), {"role": "assistant", "content": None}], BadRequestError),
    ("unknown role", [{"role": "function", "content": "x"}], BadRequestError),
]


@pytest.mark.parametrize("name,messages,expected", CONVERSATIONS, ids=[c[0] for c in CONVERSATIONS])
def test_tricky_conversations(name, messages, expected):
    if isinstance(expected, type):
        with pytest.raises(expected):
            build(messages)
    else:
        assert build(messages)["messages"] == expected


def test_assistant_first_error_names_the_message_and_the_fix():
    with pytest.raises(BadRequestError, match=r"messages\[1\].*modify_params=True"):
        build([{"role": "system", "content": "s"}, {"role": "assistant", "content": "hi"}])


def test_modify_params_inserts_a_minimal_user_turn():
    body = build([{"role": "assistant", "content": "hi"}, user("a")], modify_params=True)
    assert body["messages"][0] == {"role": "user", "content": [{"text": fam.PLACEHOLDER_USER_TEXT}]}
    assert fam.PLACEHOLDER_USER_TEXT == "."
    only_system = build([{"role": "system", "content": "s"}], modify_params=True)
    assert only_system["messages"] == [{"role": "user", "content": [{"text": "."}]}]
    assert only_system["system"] == [{"text": "s"}]


# --- images and documents ----------------------------------------------------


def test_image_data_url_becomes_image_block_with_base64_bytes():
    body = build([{"role": "user", "content": [{"type": "text", "text": "What?"},
                                               {"type": "image_url", "image_url": {"url": data_url("image/png", PNG)}}]}])
    image = body["messages"][0]["content"][1]["image"]
    assert image["format"] == "png"
    assert base64.b64decode(image["source"]["bytes"]) == PNG


def test_image_declared_type_must_match_magic_number():
    with pytest.raises(BadRequestError, match="declared as 'image/jpeg' but the bytes are png"):
        media.load_image(data_url("image/jpeg", PNG), argument="x")
    with pytest.raises(BadRequestError, match="not png, jpeg, gif or webp"):
        media.load_image(data_url("image/png", b"hello"), argument="x")
    with pytest.raises(BadRequestError, match="not supported"):
        media.load_image(data_url("image/bmp", PNG), argument="x")


@pytest.mark.parametrize("data,expected", [
    (PNG, "png"), (b"\xff\xd8\xff\xe0rest", "jpeg"), (b"GIF89a...", "gif"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"), (b"BM..", None),
])
def test_sniff_image_format(data, expected):
    assert media.sniff_image_format(data) == expected


def test_image_size_limit(monkeypatch):
    monkeypatch.setattr(media, "MAX_IMAGE_BYTES", 10)
    with pytest.raises(BadRequestError, match="over Bedrock's limit of 10 bytes"):
        media.load_image(data_url("image/png", PNG), argument="x")


def test_non_url_image_refused():
    with pytest.raises(BadRequestError, match="data: URL or an http"):
        media.load_image("file:///etc/passwd", argument="x")


def test_remote_image_refused_when_fetching_is_off(monkeypatch):
    monkeypatch.setattr(media, "fetch_remote_media", False)
    with pytest.raises(BadRequestError, match="turned off"):
        build([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png?X-Amz-Signature=s3cr3t"}}]}])


def file_part(mime, data, filename):
    return {"type": "file", "file": {"file_data": data_url(mime, data), "filename": filename}}


def test_documents_become_document_blocks_with_sanitised_unique_names():
    body = build([{"role": "user", "content": [
        {"type": "text", "text": "Summarise"},
        file_part("application/pdf", PDF, "Q3_report.final.pdf"),
        file_part("text/plain", "plain text ✓".encode(), "notes.txt"),
        file_part("application/octet-stream", b"a,b\n1,2\n", "Q3_report.final.csv"),
    ]}])
    blocks = body["messages"][0]["content"]
    docs = [b["document"] for b in blocks[1:]]
    assert [(d["format"], d["name"]) for d in docs] == [("pdf", "Q3-report-final"), ("txt", "notes"), ("csv", "Q3-report-final (2)")]
    assert base64.b64decode(docs[0]["source"]["bytes"]) == PDF


@pytest.mark.parametrize("filename,expected", [
    ("my   file.pdf", "my file"), ("a/b/c.pdf", "c"), ("résumé (v2) [final].docx", "r-sum- (v2) [final]"),
    ("...", "document"), (None, "document"),
])
def test_document_name_rules(filename, expected):
    assert media.document_name(filename, taken=set()) == expected


def test_document_magic_and_type_checked():
    with pytest.raises(BadRequestError, match="not a pdf file"):
        media.load_document(data_url("application/pdf", b"hello"), "x.pdf", argument="x")
    with pytest.raises(BadRequestError, match="not supported"):
        media.load_document(data_url("application/zip", b"PK\x03\x04"), "x.zip", argument="x")
    with pytest.raises(BadRequestError, match="cannot tell"):
        media.load_document(data_url("application/octet-stream", b"data"), "noext", argument="x")


def test_document_needs_a_text_block_unless_modify_params():
    messages = [{"role": "user", "content": [file_part("application/pdf", PDF, "a.pdf")]}]
    with pytest.raises(BadRequestError, match="text part next to a document"):
        build(messages)
    blocks = build(messages, modify_params=True)["messages"][0]["content"]
    assert [next(iter(b)) for b in blocks] == ["document", "text"]
    assert blocks[1] == {"text": "."}


def test_unsupported_part_types_are_refused():
    with pytest.raises(BadRequestError, match="input_audio"):
        build([{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}])
    with pytest.raises(BadRequestError, match="only hold text"):
        build([user("a"), {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}])


def test_assistant_text_and_refusal_parts_stay_separate_blocks():
    refused = {"role": "assistant", "content": [{"type": "text", "text": "x"}, {"type": "refusal", "refusal": "y"}]}
    body = build([user("a"), refused, user("b")])
    assert body["messages"][1] == {"role": "assistant", "content": [{"text": "x"}, {"text": "y"}]}


# --- tools -------------------------------------------------------------------

ROUND_TRIP = [
    user("Weather in Paris and Rome?"),
    {"role": "assistant", "content": "Checking.", "tool_calls": [call("t1"), call("t2", arguments='{"city": "Rome"}')]},
    {"role": "tool", "tool_call_id": "t1", "content": '{"temp": 18}'},
    {"role": "tool", "tool_call_id": "t2", "content": "sunny"},
]


def test_tool_history_becomes_tool_use_and_grouped_tool_results():
    body = build(ROUND_TRIP, tools=[TOOL])
    assert body["messages"][1:] == [
        {"role": "assistant", "content": [
            {"text": "Checking."},
            {"toolUse": {"toolUseId": "t1", "name": "get_weather", "input": {"city": "Paris"}}},
            {"toolUse": {"toolUseId": "t2", "name": "get_weather", "input": {"city": "Rome"}}},
        ]},
        {"role": "user", "content": [
            {"toolResult": {"toolUseId": "t1", "content": [{"json": {"temp": 18}}]}},
            {"toolResult": {"toolUseId": "t2", "content": [{"text": "sunny"}]}},
        ]},
    ]
    assert body["toolConfig"] == {"tools": [SPEC], "toolChoice": {"auto": {}}}


def test_tool_results_must_answer_calls():
    with pytest.raises(BadRequestError, match="does not answer"):
        build([user("a"), {"role": "tool", "tool_call_id": "zz", "content": "x"}], tools=[TOOL])
    with pytest.raises(BadRequestError, match=r"\['t2'\] have no tool message"):
        build(ROUND_TRIP[:3] + [user("next")], tools=[TOOL])
    with pytest.raises(BadRequestError, match="JSON object"):
        build([user("a"), {"role": "assistant", "content": None, "tool_calls": [call("t1", arguments="[1]")]}], tools=[TOOL])


@pytest.mark.parametrize("choice,model,expected", [
    (None, CLAUDE, {"tools": [SPEC], "toolChoice": {"auto": {}}}),
    ("auto", CLAUDE, {"tools": [SPEC], "toolChoice": {"auto": {}}}),
    ("required", CLAUDE, {"tools": [SPEC], "toolChoice": {"any": {}}}),
    ({"type": "function", "function": {"name": "get_weather"}}, CLAUDE, {"tools": [SPEC], "toolChoice": {"tool": {"name": "get_weather"}}}),
    ({"type": "function", "function": {"name": "get_weather"}}, "meta.llama3-1-70b-instruct-v1:0",
     {"tools": [SPEC], "toolChoice": {"any": {}}}),
    ("none", CLAUDE, None),
])
def test_tool_choice(choice, model, expected):
    other = {"type": "function", "function": {"name": "other", "parameters": {"type": "object"}}}
    tools = [TOOL, other] if model != CLAUDE and choice != "none" else [TOOL]
    body = build([user("Hi")], model=model, tools=tools, tool_choice=choice)
    assert body.get("toolConfig") == expected


def test_tool_choice_none_keeps_tools_when_history_has_tool_blocks():
    body = build(ROUND_TRIP, tools=[TOOL], tool_choice="none")
    assert body["toolConfig"] == {"tools": [SPEC]}


def test_tool_history_without_tools_is_a_clear_error():
    with pytest.raises(BadRequestError, match="pass tools="):
        build(ROUND_TRIP)


def test_named_tool_choice_must_name_a_given_tool():
    with pytest.raises(BadRequestError, match="'nope'"):
        build([user("Hi")], tools=[TOOL], tool_choice={"type": "function", "function": {"name": "nope"}})


@pytest.mark.parametrize("model", ["amazon.titan-text-express-v1", "meta.llama3-8b-instruct-v1:0", "meta.llama2-13b-chat-v1",
                                   "mistral.mixtral-8x7b-instruct-v0:1", "cohere.command-text-v14", "anthropic.claude-v2:1"])
def test_models_without_tool_use_raise_unsupported(model):
    with pytest.raises(UnsupportedParamsError, match=model):
        build([user("Hi")], model=model, tools=[TOOL])
    with pytest.raises(UnsupportedParamsError, match="response_format"):
        build([user("Hi")], model=model, response_format={"type": "json_object"})


def test_capability_helpers():
    assert fam.supports_tools("meta.llama3-1-70b-instruct-v1:0") and not fam.stream_tools_supported("meta.llama3-1-70b-instruct-v1:0")
    assert not fam.stream_tools_supported("mistral.mistral-large-2407-v1:0")
    assert fam.stream_tools_supported(CLAUDE) and fam.stream_tools_supported("amazon.nova-pro-v1:0")
    assert fam.supports_named_tool_choice("anthropic.claude-sonnet-4-20250514-v1:0")
    assert not fam.supports_named_tool_choice("anthropic.claude-v2") and not fam.supports_named_tool_choice("cohere.command-r-v1:0")
    assert not fam.supports_system("amazon.titan-text-premier-v1:0") and fam.supports_system(CLAUDE)


def test_supported_params_per_model():
    assert fam.supported_params(CLAUDE) == fam.SUPPORTED_PARAMS - {"seed"}
    assert fam.supported_params("cohere.command-r-plus-v1:0") == fam.SUPPORTED_PARAMS
    no_tools = fam.SUPPORTED_PARAMS - {"seed", "tools", "tool_choice", "response_format"}
    assert fam.supported_params("amazon.titan-text-express-v1") == no_tools


def test_streamed_tools_refused_where_converse_stream_has_no_tool_use():
    with pytest.raises(BadRequestError, match="cannot stream tool use"):
        build([user("Hi")], model="meta.llama3-1-70b-instruct-v1:0", tools=[TOOL], stream=True)


def test_reserved_tool_name_refused():
    reserved = {"type": "function", "function": {"name": fam.JSON_TOOL_NAME}}
    with pytest.raises(BadRequestError, match="reserved"):
        build([user("Hi")], tools=[reserved])


# --- JSON output -------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}


def json_spec(schema, description="Give the answer as this JSON object."):
    return {"toolSpec": {"name": fam.JSON_TOOL_NAME, "description": description, "inputSchema": {"json": schema}}}


def test_json_object_forces_the_json_tool():
    body = build([user("Hi")], response_format={"type": "json_object"})
    assert body["toolConfig"] == {"tools": [json_spec({"type": "object"})], "toolChoice": {"tool": {"name": fam.JSON_TOOL_NAME}}}


def test_json_schema_uses_the_schema_and_any_where_no_named_choice():
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "description": "A person.", "schema": SCHEMA}}
    body = build([user("Hi")], model="mistral.mistral-large-2407-v1:0", response_format=fmt)
    assert body["toolConfig"] == {"tools": [json_spec(SCHEMA, "A person.")], "toolChoice": {"any": {}}}


def test_json_with_user_tools_offers_both_with_any():
    body = build([user("Hi")], tools=[TOOL], response_format={"type": "json_object"})
    assert body["toolConfig"] == {"tools": [SPEC, json_spec({"type": "object"})], "toolChoice": {"any": {}}}
    with pytest.raises(BadRequestError, match="named tool_choice"):
        build([user("Hi")], tools=[TOOL], tool_choice={"type": "function", "function": {"name": "get_weather"}},
              response_format={"type": "json_object"})


def test_json_schema_must_be_an_object():
    with pytest.raises(BadRequestError, match="object"):
        build([user("Hi")], response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "array"}}})


# --- native fields ----------------------------------------------------------


def test_provider_params_accept_anything_but_credentials():
    assert "top_k" in fam.PROVIDER_PARAMS and "anthropic_beta" in fam.PROVIDER_PARAMS
    assert "aws_secret_acess_key" not in fam.PROVIDER_PARAMS and "api_key" not in fam.PROVIDER_PARAMS


def test_native_kwargs_go_to_additional_fields_and_guardrail_to_top_level():
    guard = {"guardrailIdentifier": "gr-1", "guardrailVersion": "1", "trace": "enabled", "streamProcessingMode": "async"}
    body = build([user("Hi")], extra={"top_k": 200, "additionalModelRequestFields": {"x": 1}, "guardrail_config": guard})
    assert body["additionalModelRequestFields"] == {"x": 1, "top_k": 200}
    assert body["guardrailConfig"] == {"guardrailIdentifier": "gr-1", "guardrailVersion": "1", "trace": "enabled"}
    streamed = build([user("Hi")], stream=True, extra={"guardrailConfig": guard})
    assert streamed["guardrailConfig"] == guard
    with pytest.raises(BadRequestError, match="guardrailIdentifier"):
        build([user("Hi")], extra={"guardrailConfig": "gr-1"})


def test_seed_only_where_the_model_has_one():
    body = build([user("Hi")], model="cohere.command-r-v1:0", seed=7)
    assert body["additionalModelRequestFields"] == {"seed": 7}
    with pytest.raises(UnsupportedParamsError, match="seed"):
        build([user("Hi")], seed=7)


def test_user_becomes_request_metadata_when_valid():
    assert build([user("Hi")], user="alice@example.com")["requestMetadata"] == {"user": "alice@example.com"}
    with pytest.raises(BadRequestError, match="requestMetadata"):
        build([user("Hi")], user="bob<script>")


# --- responses ---------------------------------------------------------------


def response(content, stop="end_turn"):
    return {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
            "usage": {"inputTokens": 12, "outputTokens": 5, "totalTokens": 17}, "metrics": {"latencyMs": 1}}


def test_parse_text():
    completion = fam.parse_response(response([{"text": "Hel"}, {"text": "lo"}]))
    assert completion.choices[0].content == "Hello"
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.prompt_tokens, completion.completion_tokens) == (12, 5)


def test_parse_parallel_tool_calls_in_order():
    body = response([{"text": "Let me check."},
                     {"toolUse": {"toolUseId": "a", "name": "get_weather", "input": {"city": "Paris"}}},
                     {"toolUse": {"toolUseId": "b", "name": "get_time", "input": {}}}], "tool_use")
    choice = fam.parse_response(body).choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.content == "Let me check."
    assert choice.tool_calls == [
        {"id": "a", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"id": "b", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
    ]


def test_parse_json_tool_as_content():
    body = response([{"toolUse": {"toolUseId": "a", "name": fam.JSON_TOOL_NAME, "input": {"name": "Zoë"}}}], "tool_use")
    choice = fam.parse_response(body).choices[0]
    assert (choice.content, choice.finish_reason, choice.tool_calls) == ('{"name": "Zoë"}', "stop", None)


@pytest.mark.parametrize("native,expected", [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("model_context_window_exceeded", "length"),
    ("tool_use", "tool_calls"), ("guardrail_intervened", "content_filter"), ("content_filtered", "content_filter"),
    ("malformed_model_output", "stop"),
])
def test_stop_reasons(native, expected):
    assert fam.map_stop_reason(native) == expected


def feed(events):
    state = StreamState()
    return [d for event in events for d in fam.parse_stream_event(event, state)]


def test_stream_text_tools_finish_and_usage():
    deltas = feed([
        {"messageStart": {"role": "assistant"}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"text": "Hi"}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockStart": {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "a", "name": "f"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"x"'}}}},
        {"contentBlockStart": {"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "b", "name": "g"}}}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"toolUse": {"input": ": 1}"}}}},
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 3, "outputTokens": 4, "totalTokens": 7}, "metrics": {"latencyMs": 1}}},
    ])
    assert deltas[0].role == "assistant"
    assert deltas[1].content == "Hi"
    assert deltas[2].tool_calls == [{"index": 0, "id": "a", "type": "function", "function": {"name": "f", "arguments": ""}}]
    assert deltas[3].tool_calls == [{"index": 0, "function": {"arguments": '{"x"'}}]
    assert deltas[4].tool_calls[0]["index"] == 1 and deltas[4].tool_calls[0]["id"] == "b"
    assert deltas[5].tool_calls == [{"index": 0, "function": {"arguments": ": 1}"}}]
    assert (deltas[6].finish_reason, deltas[6].native_finish_reason) == ("tool_calls", "tool_use")
    assert (deltas[7].prompt_tokens, deltas[7].completion_tokens) == (3, 4)


def test_stream_json_tool_becomes_content_and_stop():
    deltas = feed([
        {"messageStart": {"role": "assistant"}},
        {"contentBlockStart": {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "a", "name": fam.JSON_TOOL_NAME}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": '{"a"'}}}},
        {"contentBlockDelta": {"contentBlockIndex": 0, "delta": {"toolUse": {"input": ": 1}"}}}},
        {"messageStop": {"stopReason": "tool_use"}},
    ])
    assert "".join(d.content or "" for d in deltas) == '{"a": 1}'
    assert not any(d.tool_calls for d in deltas)
    assert deltas[-1].finish_reason == "stop"


def test_stream_guardrail_is_content_filter():
    deltas = feed([{"messageStop": {"stopReason": "guardrail_intervened"}}])
    assert deltas[0].finish_reason == "content_filter"
