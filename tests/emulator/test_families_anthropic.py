"""Claude Text Completions (§5.1) and Messages (§5.2) families: validation and answers."""

import pytest

from litebed.emulator.families import ValidationFailed, family_for
from litebed.emulator.tokens import count_tokens

V2, V21, HAIKU = "anthropic.claude-v2", "anthropic.claude-v2:1", "anthropic.claude-3-haiku-20240307-v1:0"
PROMPT = "\n\nHuman: hello   there\n\nAssistant:"


def generate(model_id, body, *, stream=False, stream_words=None):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=stream)
    return family.generate(body, model_id=model_id, stream=stream, stream_words=stream_words)


def rejection(model_id, body, *, stream=False):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=stream)
    return info.value.message


# -- text completions ---------------------------------------------------------------

def test_text_completion_answer_and_tokens():
    generation = generate(V2, {"prompt": PROMPT, "max_tokens_to_sample": 100})
    assert generation.body == {"completion": "Echo: hello there", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"}
    assert generation.input_tokens == count_tokens(PROMPT)
    assert generation.output_tokens == count_tokens("Echo: hello there")


def test_text_completion_stop_sequence_and_length():
    stopped = generate(V2, {"prompt": "\n\nHuman: [[reply:a b END c]]\n\nAssistant:", "max_tokens_to_sample": 50,
                            "stop_sequences": ["END"]})
    assert stopped.body == {"completion": "a b ", "stop_reason": "stop_sequence", "stop": "END"}
    cut = generate(V2, {"prompt": "\n\nHuman: [[words:20]]\n\nAssistant:", "max_tokens_to_sample": 2})
    assert cut.body == {"completion": "w1 w2 ", "stop_reason": "max_tokens", "stop": None}


def test_text_completion_stream_chunks_concatenate_to_the_completion():
    generation = generate(V2, {"prompt": "\n\nHuman: [[words:3]]\n\nAssistant:", "max_tokens_to_sample": 50}, stream=True)
    assert generation.chunks == [
        {"completion": "w1", "stop_reason": None, "stop": None},
        {"completion": " w2", "stop_reason": None, "stop": None},
        {"completion": " w3", "stop_reason": None, "stop": None},
        {"completion": "", "stop_reason": "stop_sequence", "stop": "\n\nHuman:"},
    ]


def test_text_completion_reads_the_last_human_turn_and_allows_prefill():
    prompt = "\n\nHuman: first\n\nAssistant: ok\n\nHuman: second\n\nAssistant: Sure,"
    assert generate(V2, {"prompt": prompt, "max_tokens_to_sample": 10}).body["completion"] == "Echo: second"


def test_system_prompt_before_the_first_turn_only_for_claude_2_1():
    body = {"prompt": "You are terse." + PROMPT, "max_tokens_to_sample": 10}
    assert generate(V21, body).body["completion"] == "Echo: hello there"
    assert 'must start with "\\n\\nHuman:"' in rejection(V2, body)


@pytest.mark.parametrize("body, fragment", [
    ({"max_tokens_to_sample": 5}, "required key [prompt]"),
    ({"prompt": PROMPT}, "required key [max_tokens_to_sample]"),
    ({"prompt": PROMPT, "max_tokens_to_sample": 5000}, "#/max_tokens_to_sample: 5000 is not less or equal to 4096"),
    ({"prompt": PROMPT, "max_tokens_to_sample": "5"}, "#/max_tokens_to_sample: expected type: Integer, found: String"),
    ({"prompt": PROMPT, "max_tokens_to_sample": 5, "temperature": 1.5}, "#/temperature"),
    ({"prompt": PROMPT, "max_tokens_to_sample": 5, "top_k": 501}, "#/top_k"),
    ({"prompt": PROMPT, "max_tokens_to_sample": 5, "anthropic_version": "2023-06-01"}, "#/anthropic_version"),
    ({"prompt": PROMPT, "max_tokens_to_sample": 5, "stream_options": {}}, "extraneous key [stream_options]"),
    ({"prompt": PROMPT, "max_tokens_to_sample": 5, "messages": []}, "extraneous key [messages]"),
    ({"prompt": "Human: hi\n\nAssistant:", "max_tokens_to_sample": 5}, 'must start with "\\n\\nHuman:" turn'),
    ({"prompt": "\n\nHuman: hi", "max_tokens_to_sample": 5}, 'must end with "\\n\\nAssistant:" turn'),
    ({"prompt": "\n\nHuman: a\n\nHuman: b\n\nAssistant:", "max_tokens_to_sample": 5}, "must alternate"),
])
def test_text_completion_rejections(body, fragment):
    assert fragment in rejection(V2, body)


def test_schema_messages_use_bedrocks_wording():
    message = rejection(V2, {"prompt": PROMPT, "max_tokens_to_sample": 5, "stream_options": {}})
    assert message == ("Malformed input request: #: extraneous key [stream_options] is not permitted, "
                       "please reformat your input and try again.")


# -- messages -----------------------------------------------------------------------

def messages_body(*messages, **extra):
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": list(messages), **extra}


TOOLS = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object"}}]


def test_messages_text_answer():
    generation = generate(HAIKU, messages_body({"role": "user", "content": "hi  you"}, system="Be brief."))
    body = generation.body
    assert body["id"].startswith("msg_bdrk_") and body["type"] == "message" and body["role"] == "assistant"
    assert body["model"] == "claude-3-haiku-20240307"
    assert body["content"] == [{"type": "text", "text": "Echo: hi you"}]
    assert (body["stop_reason"], body["stop_sequence"]) == ("end_turn", None)
    assert body["usage"] == {"input_tokens": count_tokens("Be brief.\nhi  you"), "output_tokens": count_tokens("Echo: hi you")}
    assert generate(HAIKU, messages_body({"role": "user", "content": "hi  you"}, system="Be brief.")).body == body


def test_messages_tool_use_answer_and_stream():
    body = messages_body({"role": "user", "content": [{"type": "text", "text": '[[tool:get_weather {"city": "Paris"}]]'}]},
                         tools=TOOLS, tool_choice={"type": "auto"})
    answer = generate(HAIKU, body).body
    (block,) = answer["content"]
    assert block["type"] == "tool_use" and block["id"].startswith("toolu_bdrk_")
    assert (block["name"], block["input"], answer["stop_reason"]) == ("get_weather", {"city": "Paris"}, "tool_use")
    chunks = generate(HAIKU, body, stream=True).chunks
    assert [c["type"] for c in chunks][:2] == ["message_start", "content_block_start"]
    assert chunks[1]["content_block"] == {**block, "input": {}}
    partial = "".join(c["delta"]["partial_json"] for c in chunks if c["type"] == "content_block_delta")
    assert partial == '{"city": "Paris"}'
    assert len([c for c in chunks if c["type"] == "content_block_delta"]) > 1
    assert chunks[-2] == {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                          "usage": {"output_tokens": answer["usage"]["output_tokens"]}}
    assert chunks[-1] == {"type": "message_stop"}


def test_messages_stream_text_matches_the_answer():
    body = messages_body({"role": "user", "content": "[[words:5]]"}, stop_sequences=["w4"])
    answer = generate(HAIKU, body).body
    chunks = generate(HAIKU, body, stream=True).chunks
    assert chunks[0]["message"]["usage"] == {"input_tokens": answer["usage"]["input_tokens"], "output_tokens": 0}
    text = "".join(c["delta"]["text"] for c in chunks if c["type"] == "content_block_delta")
    assert text == answer["content"][0]["text"] == "w1 w2 w3 "
    assert answer["stop_reason"] == "stop_sequence" and answer["stop_sequence"] == "w4"


def test_messages_tool_round_trip_answers_the_tool_result():
    body = messages_body(
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"}]},
        tools=TOOLS)
    assert generate(HAIKU, body).body["content"] == [{"type": "text", "text": "Echo: 18C"}]


def test_messages_max_tokens_cut():
    answer = generate(HAIKU, messages_body({"role": "user", "content": "[[words:50]]"}, max_tokens=4)).body
    assert answer["stop_reason"] == "max_tokens" and answer["content"][0]["text"] == "w1 w2 w3 w4 "


IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "aGVsbG8="}}


@pytest.mark.parametrize("body, fragment", [
    ({"max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}, "required key [anthropic_version]"),
    (messages_body({"role": "user", "content": "x"}, anthropic_version="bedrock-2023-06-01"), "#/anthropic_version"),
    ({"anthropic_version": "bedrock-2023-05-31", "messages": [{"role": "user", "content": "x"}]}, "required key [max_tokens]"),
    (messages_body({"role": "user", "content": "x"}, temperature=1.2), "#/temperature"),
    (messages_body({"role": "user", "content": "x"}, stream_options={"include_usage": True}), "extraneous key [stream_options]"),
    (messages_body({"role": "user", "content": "x"}, max_completion_tokens=5), "extraneous key [max_completion_tokens]"),
    (messages_body({"role": "user", "content": "x"}, n=2), "extraneous key [n]"),
    (messages_body({"role": "user", "content": "x"}, user="u1"), "extraneous key [user]"),
    (messages_body({"role": "user", "content": "x"}, metadata={}), "extraneous key [metadata]"),
    (messages_body({"role": "system", "content": "x"}), "#/messages/0/role"),
    (messages_body({"role": "assistant", "content": "x"}), 'first message must use the "user" role'),
    (messages_body({"role": "user", "content": "a"}, {"role": "user", "content": "b"}), 'multiple "user" roles'),
    (messages_body({"role": "user", "content": [{"type": "video"}]}), "#/messages/0/content"),
    (messages_body({"role": "user", "content": [{**IMAGE, "source": {**IMAGE["source"], "media_type": "image/bmp"}}]}),
     "#/messages/0/content/0/source/media_type"),
    (messages_body({"role": "user", "content": [{"type": "text", "text": "x", "foo": 1}]}), "extraneous key [foo]"),
    (messages_body({"role": "user", "content": "x"}, tool_choice={"type": "auto"}),
     "tool_choice may only be specified while providing tools"),
    (messages_body({"role": "user", "content": "x"}, tools=TOOLS, tool_choice={"type": "required"}), "#/tool_choice/type"),
    (messages_body({"role": "user", "content": "x"}, tools=TOOLS, tool_choice={"type": "tool", "name": "nope"}), "tool 'nope' not found"),
    (messages_body({"role": "user", "content": "x"}, tools=[{"name": "f"}]), "required key [input_schema]"),
    (messages_body({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "x"}]}),
     "unexpected `tool_use_id`"),
    (messages_body({"role": "user", "content": "x"},
                   {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}]},
                   {"role": "user", "content": "no result"}), "without `tool_result` blocks"),
])
def test_messages_rejections(body, fragment):
    assert fragment in rejection(HAIKU, body)


def test_messages_accepts_images_system_blocks_and_prefill():
    body = messages_body({"role": "user", "content": [IMAGE, {"type": "text", "text": "what?"}]},
                         {"role": "assistant", "content": "It is"},
                         system=[{"type": "text", "text": "sys"}], top_k=10, top_p=0.5)
    assert generate(HAIKU, body).body["content"][0]["text"] == "Echo: what?"


def test_stream_words_from_the_server_override_the_reply():
    generation = generate(V2, {"prompt": PROMPT, "max_tokens_to_sample": 100}, stream=True, stream_words=50)
    assert len(generation.chunks) == 51 and generation.chunks[-2]["completion"] == " w50"
