"""Tool use like Bedrock's (tooluse.py): forced choices always call, ``auto`` calls the tool the
message names, inputs follow the tool's JSON schema; through the real boto3 client."""

import json

import pytest

from litebed.emulator import tooluse

CLAUDE3 = "anthropic.claude-3-haiku-20240307-v1:0"
NOVA = "amazon.nova-lite-v1:0"
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"},
                                                   "metric": {"type": "boolean"}, "note": {"type": "string"}},
                  "required": ["city", "days", "metric"]}
TIME_SCHEMA = {"type": "object", "properties": {"zone": {"type": "string", "enum": ["UTC", "CET"]}}, "required": ["zone"]}
TOOLS = [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": WEATHER_SCHEMA}}},
         {"toolSpec": {"name": "currentTime", "inputSchema": {"json": TIME_SCHEMA}}}]
PARIS_INPUT = {"city": "Paris", "days": 1, "metric": True}


def user(text):
    return {"role": "user", "content": [{"text": text}]}


def converse(client, text, choice=None, **extra):
    tool_config = {"tools": TOOLS, **({"toolChoice": choice} if choice else {})}
    return client.converse(modelId=CLAUDE3, messages=[user(text)], toolConfig=tool_config, **extra)


def blocks(answer):
    return answer["output"]["message"]["content"]


def only_tool_use(answer):
    (block,) = blocks(answer)
    return block["toolUse"]["name"], block["toolUse"]["input"]


# -- Converse ---------------------------------------------------------------------------------


def test_any_calls_the_first_tool_with_input_from_its_schema(boto3_runtime):
    answer = converse(boto3_runtime, "Is it sunny in Paris today?", {"any": {}})
    assert answer["stopReason"] == "tool_use"
    assert only_tool_use(answer) == ("get_weather", PARIS_INPUT)


def test_tool_calls_the_named_tool(boto3_runtime):
    answer = converse(boto3_runtime, "Hello there", {"tool": {"name": "currentTime"}})
    assert answer["stopReason"] == "tool_use"
    assert only_tool_use(answer) == ("currentTime", {"zone": "UTC"})


def test_auto_calls_the_tool_whose_name_words_the_message_holds(boto3_runtime):
    answer = converse(boto3_runtime, "Get me the weather for Paris, please", {"auto": {}})
    assert answer["stopReason"] == "tool_use"
    assert only_tool_use(answer) == ("get_weather", PARIS_INPUT)
    camel = converse(boto3_runtime, "what is the current time?")  # no toolChoice: auto
    assert only_tool_use(camel) == ("currentTime", {"zone": "UTC"})


def test_auto_answers_in_text_when_no_tool_is_named(boto3_runtime):
    answer = converse(boto3_runtime, "What is the weather in Paris?", {"auto": {}})  # "get" is missing
    assert answer["stopReason"] == "end_turn"
    assert blocks(answer) == [{"text": "Echo: What is the weather in Paris?"}]


def test_the_directive_wins_over_the_tool_choice(boto3_runtime):
    answer = converse(boto3_runtime, '[[tool:currentTime {"zone": "CET"}]]', {"tool": {"name": "get_weather"}})
    assert only_tool_use(answer) == ("currentTime", {"zone": "CET"})


def test_tool_results_are_answered_in_text_with_auto_and_with_a_call_when_forced(boto3_runtime):
    first = converse(boto3_runtime, "Get the weather in Oslo")
    call = blocks(first)[0]["toolUse"]
    assert call["input"]["city"] == "Oslo"
    result = {"role": "user", "content": [{"toolResult": {"toolUseId": call["toolUseId"],
                                                          "content": [{"json": {"weather": "sunny"}}]}}]}
    conversation = [user("Get the weather in Oslo"), first["output"]["message"], result]
    final = boto3_runtime.converse(modelId=CLAUDE3, messages=conversation, toolConfig={"tools": TOOLS})
    assert final["stopReason"] == "end_turn" and "toolUse" not in blocks(final)[0]
    forced = boto3_runtime.converse(modelId=CLAUDE3, messages=conversation,
                                    toolConfig={"tools": TOOLS, "toolChoice": {"any": {}}})
    assert forced["stopReason"] == "tool_use"


def test_a_reply_directive_adds_text_before_the_forced_call(boto3_runtime):
    answer = converse(boto3_runtime, "[[reply:Let me check.]] Paris", {"any": {}})
    assert [next(iter(block)) for block in blocks(answer)] == ["text", "toolUse"]
    assert blocks(answer)[0]["text"] == "Let me check."


@pytest.mark.parametrize("choice, text, expected", [
    ({"any": {}}, "Is it sunny in Paris today?", ("get_weather", PARIS_INPUT)),
    ({"tool": {"name": "currentTime"}}, "Hello", ("currentTime", {"zone": "UTC"})),
    ({"auto": {}}, "Get me the weather for Paris", ("get_weather", PARIS_INPUT)),
])
def test_converse_stream_carries_the_same_tool_use(boto3_runtime, choice, text, expected):
    tool_config = {"tools": TOOLS, "toolChoice": choice}
    events = list(boto3_runtime.converse_stream(modelId=CLAUDE3, messages=[user(text)], toolConfig=tool_config)["stream"])
    start = next(e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e)
    fragments = "".join(e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events
                        if "contentBlockDelta" in e and "toolUse" in e["contentBlockDelta"]["delta"])
    assert (start["name"], json.loads(fragments)) == expected
    assert next(e["messageStop"]["stopReason"] for e in events if "messageStop" in e) == "tool_use"
    whole = converse(boto3_runtime, text, choice)
    assert blocks(whole)[0]["toolUse"]["toolUseId"] == start["toolUseId"]


def test_converse_stream_auto_without_a_named_tool_streams_text(boto3_runtime):
    events = list(boto3_runtime.converse_stream(modelId=CLAUDE3, messages=[user("hello")],
                                                toolConfig={"tools": TOOLS})["stream"])
    assert not any("contentBlockStart" in e for e in events)
    assert next(e["messageStop"]["stopReason"] for e in events if "messageStop" in e) == "end_turn"


# -- InvokeModel: Claude 3 Messages -----------------------------------------------------------

CLAUDE_TOOLS = [{"name": "get_weather", "input_schema": WEATHER_SCHEMA},
                {"name": "currentTime", "input_schema": TIME_SCHEMA}]


def claude_body(text, choice=None):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200, "tools": CLAUDE_TOOLS,
            "messages": [{"role": "user", "content": text}]}
    return json.dumps({**body, **({"tool_choice": choice} if choice else {})})


def invoke_claude(client, text, choice=None):
    return json.loads(client.invoke_model(modelId=CLAUDE3, body=claude_body(text, choice))["body"].read())


@pytest.mark.parametrize("choice, text, expected", [
    ({"type": "any"}, "Is it sunny in Paris today?", ("get_weather", PARIS_INPUT)),
    ({"type": "tool", "name": "currentTime"}, "Hello", ("currentTime", {"zone": "UTC"})),
    ({"type": "auto"}, "Get me the weather for Paris", ("get_weather", PARIS_INPUT)),
    (None, "Get me the weather for Paris", ("get_weather", PARIS_INPUT)),
])
def test_claude_invoke_tool_choice(boto3_runtime, choice, text, expected):
    answer = invoke_claude(boto3_runtime, text, choice)
    (block,) = answer["content"]
    assert (block["type"], block["name"], block["input"]) == ("tool_use", *expected)
    assert answer["stop_reason"] == "tool_use"


def test_claude_invoke_auto_without_a_named_tool_answers_in_text(boto3_runtime):
    answer = invoke_claude(boto3_runtime, "What is the weather in Paris?", {"type": "auto"})
    assert answer["content"] == [{"type": "text", "text": "Echo: What is the weather in Paris?"}]
    assert answer["stop_reason"] == "end_turn"


def test_claude_invoke_stream_carries_the_same_tool_use(boto3_runtime):
    response = boto3_runtime.invoke_model_with_response_stream(modelId=CLAUDE3, body=claude_body("Paris?", {"type": "any"}))
    chunks = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
    start = next(c["content_block"] for c in chunks if c["type"] == "content_block_start")
    partial = "".join(c["delta"]["partial_json"] for c in chunks if c["type"] == "content_block_delta")
    assert (start["type"], start["name"], json.loads(partial)) == ("tool_use", "get_weather", PARIS_INPUT)
    assert next(c["delta"]["stop_reason"] for c in chunks if c["type"] == "message_delta") == "tool_use"


# -- InvokeModel: the other families with native tools ------------------------------------------


def invoke(client, model_id, body):
    return json.loads(client.invoke_model(modelId=model_id, body=json.dumps(body))["body"].read())


def test_nova_invoke_tool_choice(boto3_runtime):
    body = {"messages": [user("Hello")], "toolConfig": {"tools": TOOLS, "toolChoice": {"tool": {"name": "currentTime"}}}}
    answer = invoke(boto3_runtime, NOVA, body)
    assert answer["stopReason"] == "tool_use"
    assert only_tool_use(answer) == ("currentTime", {"zone": "UTC"})


FUNCTIONS = [{"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}},
             {"type": "function", "function": {"name": "currentTime", "parameters": TIME_SCHEMA}}]


@pytest.mark.parametrize("choice, text, expected", [
    ("any", "Is it sunny in Paris?", ("get_weather", PARIS_INPUT)),
    ("auto", "the current time, please", ("currentTime", {"zone": "UTC"})),
])
def test_mistral_large_invoke_tool_choice(boto3_runtime, choice, text, expected):
    body = {"messages": [{"role": "user", "content": text}], "tools": FUNCTIONS, "tool_choice": choice}
    (call,) = invoke(boto3_runtime, "mistral.mistral-large-2407-v1:0", body)["choices"][0]["message"]["tool_calls"]
    assert (call["function"]["name"], json.loads(call["function"]["arguments"])) == expected


def test_mistral_none_never_calls(boto3_runtime):
    body = {"messages": [{"role": "user", "content": "the current time"}], "tools": FUNCTIONS, "tool_choice": "none"}
    assert "tool_calls" not in invoke(boto3_runtime, "mistral.mistral-large-2407-v1:0", body)["choices"][0]["message"]


@pytest.mark.parametrize("choice, expected", [
    ("required", "get_weather"),
    ({"type": "function", "function": {"name": "currentTime"}}, "currentTime"),
])
def test_gpt_oss_invoke_tool_choice(boto3_runtime, choice, expected):
    body = {"messages": [{"role": "user", "content": "Paris"}], "tools": FUNCTIONS, "tool_choice": choice}
    answer = invoke(boto3_runtime, "openai.gpt-oss-20b-1:0", body)
    assert answer["choices"][0]["finish_reason"] == "tool_calls"
    assert answer["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == expected


def test_cohere_command_r_calls_the_named_tool_with_its_parameter_types(boto3_runtime):
    tools = [{"name": "get_weather", "description": "Weather", "parameter_definitions": {
        "city": {"type": "str", "required": True}, "days": {"type": "int", "required": True},
        "detail": {"type": "str"}}}]
    answer = invoke(boto3_runtime, "cohere.command-r-v1:0", {"message": "get the weather in Lyon", "tools": tools})
    assert answer["tool_calls"] == [{"name": "get_weather", "parameters": {"city": "Lyon", "days": 1}}]
    text = invoke(boto3_runtime, "cohere.command-r-v1:0", {"message": "hello", "tools": tools})
    assert "tool_calls" not in text and text["text"] == "Echo: hello"


# -- the rules, as pure functions ----------------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ("get_weather", ["get", "weather"]), ("get-weather", ["get", "weather"]), ("getWeather", ["get", "weather"]),
    ("HTTPRequest", ["http", "request"]), ("lookup_v2", ["lookup", "v", "2"]),
])
def test_name_words(name, words):
    assert tooluse.name_words(name) == words


def test_auto_needs_every_word_of_the_name_and_takes_the_first_match():
    tools = [tooluse.Tool("get_weather"), tooluse.Tool("weather")]
    assert tooluse.choose("WEATHER now", tools).name == "weather"
    assert tooluse.choose("get weather", tools).name == "get_weather"
    assert tooluse.choose("getting weathered", tools) is None
    assert tooluse.choose("[[reply:weather]] hi", [tooluse.Tool("weather")]) is None  # directives are not the message
    assert tooluse.choose("weather", tools, after_tool_results=True) is None
    assert tooluse.choose("weather", tools, tooluse.NONE) is None


def test_inputs_follow_the_schema():
    schema = {
        "type": "object",
        "$defs": {"Stop": {"type": "object", "properties": {"place": {"type": "string"}}, "required": ["place"]}},
        "properties": {
            "origin": {"type": "string"}, "destination": {"type": "string"},
            "query": {"type": "string", "maxLength": 9}, "code": {"type": "string", "minLength": 3},
            "when": {"type": "string", "format": "date"}, "seats": {"type": "integer", "minimum": 2},
            "ratio": {"type": "number", "exclusiveMaximum": 1}, "ok": {"type": ["boolean", "null"]},
            "tags": {"type": "array", "items": {"type": "integer"}, "minItems": 2}, "extras": {"type": "array"},
            "stop": {"$ref": "#/$defs/Stop"}, "mode": {"const": "fast"},
            "either": {"anyOf": [{"type": "null"}, {"type": "integer"}]}, "unrequired": {"type": "string"},
        },
        "required": ["origin", "destination", "query", "code", "when", "seats", "ratio", "ok", "tags", "extras",
                     "stop", "mode", "either"],
    }
    call = tooluse.choose("Fly me from Paris to Rome. Now", [tooluse.Tool("book", schema)], tooluse.ANY)
    assert call.arguments == {
        "origin": "Paris", "destination": "Rome", "query": "Fly me fr", "code": "Fly me from Paris to Rome. Now",
        "when": "2024-01-01", "seats": 2, "ratio": 0, "ok": True, "tags": [1, 1], "extras": [],
        "stop": {"place": "Paris"}, "mode": "fast", "either": 1,
    }


def test_a_lower_case_message_gives_its_last_word_capitalised():
    call = tooluse.choose("weather in paris", [tooluse.Tool("t", WEATHER_SCHEMA)], tooluse.ANY)
    assert call.arguments["city"] == "Paris"
