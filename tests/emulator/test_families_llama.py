"""Meta Llama family (§5.9): no stop field, template-robust user extraction."""

import pytest

from litebed.emulator.families import ValidationFailed, family_for
from litebed.emulator.tokens import count_tokens

LLAMA3, LLAMA2, VISION = "meta.llama3-8b-instruct-v1:0", "meta.llama2-13b-chat-v1", "meta.llama3-2-11b-instruct-v1:0"
LLAMA3_PROMPT = ("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nsys<|eot_id|>"
                 "<|start_header_id|>user<|end_header_id|>\n\nfirst<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nok<|eot_id|>"
                 "<|start_header_id|>user<|end_header_id|>\n\nsecond  turn<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")


def generate(model_id, body, *, stream=False):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=stream)
    return family.generate(body, model_id=model_id, stream=stream)


def rejection(model_id, body):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=False)
    return info.value.message


@pytest.mark.parametrize("model_id, prompt, expected", [
    (LLAMA3, LLAMA3_PROMPT, "Echo: second turn"),
    (LLAMA2, "<s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nfirst [/INST] ok </s><s>[INST] second [/INST]", "Echo: second"),
    (LLAMA2, "<s>[INST] <<SYS>>\nsys\n<</SYS>>\n\nonly [/INST]", "Echo: only"),
    (LLAMA3, "plain text, no template", "Echo: plain text, no template"),
])
def test_answer_from_the_last_user_turn(model_id, prompt, expected):
    generation = generate(model_id, {"prompt": prompt, "max_gen_len": 100})
    assert generation.body == {"generation": expected, "prompt_token_count": count_tokens(prompt),
                               "generation_token_count": count_tokens(expected), "stop_reason": "stop"}


def test_length_and_stream():
    body = {"prompt": "[[words:6]]", "max_gen_len": 4}
    answer = generate(LLAMA3, body).body
    assert (answer["generation"], answer["stop_reason"]) == ("w1 w2 w3 w4 ", "length")
    chunks = generate(LLAMA3, body, stream=True).chunks
    assert "".join(c["generation"] for c in chunks) == answer["generation"]
    assert chunks[0]["prompt_token_count"] == count_tokens("[[words:6]]") and chunks[1]["prompt_token_count"] is None
    assert [c["stop_reason"] for c in chunks][-2:] == [None, "length"]
    assert chunks[-1]["generation_token_count"] == 4


def test_stop_directives_are_not_applied_since_llama_has_no_stop_field():
    assert generate(LLAMA3, {"prompt": "[[reply:a STOP b]]"}).body["generation"] == "a STOP b"


def test_images_only_for_vision_models():
    generate(VISION, {"prompt": "x", "images": ["aGk="]})
    assert "extraneous key [images]" in rejection(LLAMA3, {"prompt": "x", "images": ["aGk="]})


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [prompt]"),
    ({"prompt": "x", "stop": ["a"]}, "extraneous key [stop]"),
    ({"prompt": "x", "max_tokens": 5}, "extraneous key [max_tokens]"),
    ({"prompt": "x", "max_gen_len": 0}, "#/max_gen_len: 0 is not greater or equal to 1"),
    ({"prompt": "x", "max_gen_len": 2049}, "#/max_gen_len"),
    ({"prompt": "x", "temperature": 1.1}, "#/temperature"),
    ({"prompt": "x", "top_k": 5}, "extraneous key [top_k]"),
    ({"prompt": "x", "messages": []}, "extraneous key [messages]"),
])
def test_rejections(body, fragment):
    assert fragment in rejection(LLAMA3, body)
