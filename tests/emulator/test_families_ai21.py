"""AI21 families: Jurassic-2 (§5.7) and Jamba (§5.8)."""

import json

import pytest

from litebed.emulator.families import ValidationFailed, family_for
from litebed.emulator.tokens import count_tokens

J2, JAMBA, JAMBA_15 = "ai21.j2-ultra-v1", "ai21.jamba-instruct-v1:0", "ai21.jamba-1-5-large-v1:0"


def generate(model_id, body, *, stream=False):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=stream)
    return family.generate(body, model_id=model_id, stream=stream)


def rejection(model_id, body, *, stream=False):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=stream)
    return info.value.message


def test_j2_answer_shape_and_reasons():
    body = generate(J2, {"prompt": "hello", "maxTokens": 50, "countPenalty": {"scale": 0.5, "applyToNumbers": False}}).body
    assert isinstance(body["id"], int) and body["prompt"]["text"] == "hello"
    assert len(body["prompt"]["tokens"]) == count_tokens("hello")
    (completion,) = body["completions"]
    assert completion["data"]["text"] == "Echo: hello" and completion["finishReason"] == {"reason": "endoftext"}
    assert "".join(t["generatedToken"]["token"] for t in completion["data"]["tokens"]) == "Echo: hello"
    stop = generate(J2, {"prompt": "[[reply:a ## b]]", "stopSequences": ["##"]}).body["completions"][0]["finishReason"]
    assert stop == {"reason": "stop", "sequence": "##"}
    length = generate(J2, {"prompt": "[[words:9]]", "maxTokens": 1}).body["completions"][0]["finishReason"]
    assert length == {"reason": "length", "length": 1}


def test_j2_num_results_and_no_streaming():
    assert len(generate(J2, {"prompt": "x", "numResults": 3}).body["completions"]) == 3
    assert family_for(J2).streaming is False


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [prompt]"),
    ({"prompt": "x", "maxTokens": 9000}, "#/maxTokens"),
    ({"prompt": "x", "max_tokens": 5}, "extraneous key [max_tokens]"),
    ({"prompt": "x", "top_p": 0.5}, "extraneous key [top_p]"),
    ({"prompt": "x", "presencePenalty": 0.5}, "#/presencePenalty: expected type: JSONObject"),
    ({"prompt": "x", "presencePenalty": {"scale": 6}}, "#/presencePenalty/scale"),
    ({"prompt": "x", "frequencyPenalty": {"scale": 1, "applyToEmoji": True}}, "extraneous key [applyToEmoji]"),
    ({"prompt": "x", "numResults": 17}, "#/numResults"),
])
def test_j2_rejections(body, fragment):
    assert fragment in rejection(J2, body)


def test_jamba_answer_and_usage():
    body = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}], "n": 2, "max_tokens": 50}
    answer = generate(JAMBA, body).body
    assert answer["id"].startswith("chatcmpl-")
    assert [(c["index"], c["message"]["content"], c["finish_reason"]) for c in answer["choices"]] == [
        (0, "Echo: hi", "stop"), (1, "Echo: hi (2)", "stop")]
    assert answer["usage"] == {"prompt_tokens": count_tokens("s\nhi"),
                               "completion_tokens": count_tokens("Echo: hi") + count_tokens("Echo: hi (2)"),
                               "total_tokens": count_tokens("s\nhi") + count_tokens("Echo: hi") + count_tokens("Echo: hi (2)")}


def test_jamba_stream_deltas():
    chunks = generate(JAMBA, {"messages": [{"role": "user", "content": "[[words:3]]"}], "stop": ["w3"]}, stream=True).chunks
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "w1 w2 "
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and "usage" in chunks[-1]


def test_jamba_15_tools():
    body = {"messages": [{"role": "user", "content": '[[tool:f {"x": 1}]]'}],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}
    choice = generate(JAMBA_15, body).body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert json.loads(choice["message"]["tool_calls"][0]["function"]["arguments"]) == {"x": 1}


@pytest.mark.parametrize("model_id, body, fragment, stream", [
    (JAMBA, {}, "required key [messages]", False),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "n": 17}, "#/n", False),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "n": 2}, "#/n: n must be 1 when streaming", True),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "temperature": 2.5}, "#/temperature", False),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "max_tokens": 4097}, "#/max_tokens", False),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "stream_options": {}}, "extraneous key [stream_options]", False),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "user": "u"}, "extraneous key [user]", False),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "seed": 1}, "extraneous key [seed]", False),
    (JAMBA, {"messages": [{"role": "user", "content": "x"}], "tools": []}, "extraneous key [tools]", False),
    (JAMBA_15, {"messages": [{"role": "user", "content": "x"}], "tool_choice": "auto"}, "extraneous key [tool_choice]", False),
    (JAMBA, {"messages": [{"role": "developer", "content": "x"}]}, "#/messages/0/role", False),
])
def test_jamba_rejections(model_id, body, fragment, stream):
    assert fragment in rejection(model_id, body, stream=stream)
