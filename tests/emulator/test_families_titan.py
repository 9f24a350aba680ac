"""Amazon Titan families: text (§5.3), embeddings (§5.14), image generator (§5.13)."""

import base64
import math
import struct

import pytest

from litebed.emulator.families import ValidationFailed, family_for
from litebed.emulator.tokens import count_tokens

EXPRESS, LITE, PREMIER = "amazon.titan-text-express-v1", "amazon.titan-text-lite-v1", "amazon.titan-text-premier-v1:0"
EMBED_V1, EMBED_V2, EMBED_IMAGE = "amazon.titan-embed-text-v1", "amazon.titan-embed-text-v2:0", "amazon.titan-embed-image-v1"
IMAGE_V1, IMAGE_V2, CANVAS = "amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2:0", "amazon.nova-canvas-v1:0"


def generate(model_id, body, *, stream=False):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=stream)
    return family.generate(body, model_id=model_id, stream=stream)


def rejection(model_id, body):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=False)
    return info.value.message


def png_size(b64: str) -> tuple[int, int]:
    data = base64.b64decode(b64)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# -- text ---------------------------------------------------------------------------

def test_text_answer_reads_the_last_user_turn():
    body = {"inputText": "User: first\nBot: ok\nUser: second  one\nBot:"}
    generation = generate(EXPRESS, body)
    assert generation.body == {"inputTextTokenCount": count_tokens(body["inputText"]), "results": [
        {"tokenCount": count_tokens("Echo: second one"), "outputText": "Echo: second one", "completionReason": "FINISH"}]}


def test_text_plain_input_and_reasons():
    assert generate(EXPRESS, {"inputText": "hi"}).body["results"][0]["outputText"] == "Echo: hi"
    cut = generate(EXPRESS, {"inputText": "[[words:9]]", "textGenerationConfig": {"maxTokenCount": 2}}).body
    assert cut["results"][0]["completionReason"] == "LENGTH" and cut["results"][0]["outputText"] == "w1 w2 "
    stopped = generate(EXPRESS, {"inputText": "[[reply:a User: b]]", "textGenerationConfig": {"stopSequences": ["User:"]}}).body
    assert stopped["results"][0] == {"tokenCount": 1, "outputText": "a ", "completionReason": "STOP_CRITERIA_MET"}


def test_text_stream_chunks():
    chunks = generate(EXPRESS, {"inputText": "[[words:3]]"}, stream=True).chunks
    assert "".join(c["outputText"] for c in chunks) == "w1 w2 w3"
    assert [c["completionReason"] for c in chunks] == [None, None, "FINISH"]
    assert chunks[0]["inputTextTokenCount"] == count_tokens("[[words:3]]")
    assert chunks[-1]["totalOutputTextTokenCount"] == count_tokens("w1 w2 w3")
    assert set(chunks[0]) == {"outputText", "index", "totalOutputTextTokenCount", "completionReason", "inputTextTokenCount"}


@pytest.mark.parametrize("model_id, limit", [(LITE, 4096), (EXPRESS, 8192), (PREMIER, 3072)])
def test_text_max_token_count_per_model(model_id, limit):
    generate(model_id, {"inputText": "x", "textGenerationConfig": {"maxTokenCount": limit}})
    message = rejection(model_id, {"inputText": "x", "textGenerationConfig": {"maxTokenCount": limit + 1}})
    assert f"#/textGenerationConfig/maxTokenCount: {limit + 1} is not less or equal to {limit}" in message


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [inputText]"),
    ({"inputText": 3}, "#/inputText: expected type: String"),
    ({"inputText": "x", "textGenerationConfig": {"temperature": 2}}, "#/textGenerationConfig/temperature"),
    ({"inputText": "x", "textGenerationConfig": {"topP": -0.1}}, "#/textGenerationConfig/topP"),
    ({"inputText": "x", "textGenerationConfig": {"max_tokens": 5}}, "extraneous key [max_tokens]"),
    ({"inputText": "x", "textGenerationConfig": {"stopSequences": "User:"}}, "#/textGenerationConfig/stopSequences"),
    ({"inputText": "x", "messages": []}, "extraneous key [messages]"),
    ({"inputText": "x", "n": 2}, "extraneous key [n]"),
])
def test_text_rejections(body, fragment):
    assert fragment in rejection(EXPRESS, body)


# -- embeddings ---------------------------------------------------------------------

def test_embed_v1_returns_1536_deterministic_dimensions():
    first = generate(EMBED_V1, {"inputText": "hello"})
    assert len(first.body["embedding"]) == 1536 and first.body["inputTextTokenCount"] == 2
    assert first.body == generate(EMBED_V1, {"inputText": "hello"}).body
    assert first.body["embedding"] != generate(EMBED_V1, {"inputText": "hellp"}).body["embedding"]
    assert (first.input_tokens, first.output_tokens, first.chunks) == (2, 0, [])
    assert family_for(EMBED_V1).streaming is False


def test_embed_v2_dimensions_normalize_and_types():
    body = generate(EMBED_V2, {"inputText": "hi", "dimensions": 256, "embeddingTypes": ["float", "binary"]}).body
    assert len(body["embedding"]) == 256
    assert math.isclose(math.sqrt(sum(v * v for v in body["embedding"])), 1.0, rel_tol=1e-5)
    assert body["embeddingsByType"]["float"] == body["embedding"]
    assert body["embeddingsByType"]["binary"] == [1 if v > 0 else 0 for v in body["embedding"]]
    raw = generate(EMBED_V2, {"inputText": "hi", "normalize": False}).body
    assert len(raw["embedding"]) == 1024 and list(raw["embeddingsByType"]) == ["float"]
    assert not math.isclose(math.sqrt(sum(v * v for v in raw["embedding"])), 1.0, rel_tol=1e-3)


def test_embed_multimodal():
    body = generate(EMBED_IMAGE, {"inputImage": "aGVsbG8=", "embeddingConfig": {"outputEmbeddingLength": 384}}).body
    assert len(body["embedding"]) == 384 and body["inputTextTokenCount"] == 0


@pytest.mark.parametrize("model_id, body, fragment", [
    (EMBED_V1, {"inputText": "x", "dimensions": 256}, "extraneous key [dimensions]"),
    (EMBED_V1, {"inputText": "x", "input": "x"}, "extraneous key [input]"),
    (EMBED_V1, {"input": "x"}, "required key [inputText]"),
    (EMBED_V2, {"inputText": "x", "dimensions": 300}, "#/dimensions: 300 is not a valid enum value"),
    (EMBED_V2, {"inputText": "x", "embeddingTypes": ["int8"]}, "#/embeddingTypes/0"),
    (EMBED_V2, {"inputText": "x", "encoding_format": "base64"}, "extraneous key [encoding_format]"),
    (EMBED_V2, {"inputText": ""}, "#/inputText: expected minLength: 1"),
    (EMBED_IMAGE, {}, "at least one of [inputText, inputImage]"),
    (EMBED_IMAGE, {"inputText": "x", "embeddingConfig": {"outputEmbeddingLength": 512}}, "#/embeddingConfig/outputEmbeddingLength"),
    (EMBED_IMAGE, {"inputImage": "not base64!"}, "#/inputImage"),
])
def test_embed_rejections(model_id, body, fragment):
    assert fragment in rejection(model_id, body)


# -- image generator ----------------------------------------------------------------

def text_image(text="a lighthouse", **config):
    return {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": text}, "imageGenerationConfig": config}


@pytest.mark.parametrize("model_id", [IMAGE_V1, IMAGE_V2, CANVAS])
def test_image_generator_answers_real_pngs_of_the_requested_size(model_id):
    body = generate(model_id, text_image(numberOfImages=2, width=512, height=384, quality="premium", cfgScale=8.0, seed=4)).body
    assert body["error"] is None and len(body["images"]) == 2
    assert [png_size(image) for image in body["images"]] == [(512, 384), (512, 384)]
    assert body["images"][0] != body["images"][1]


def test_image_generator_default_size_is_1024():
    assert png_size(generate(IMAGE_V2, {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}}).body["images"][0]) == (1024, 1024)


@pytest.mark.parametrize("model_id, body, fragment", [
    (IMAGE_V2, {"textToImageParams": {"text": "x"}}, "required key [taskType]"),
    (IMAGE_V2, {"taskType": "TEXT_IMAGE"}, "required key [textToImageParams]"),
    (IMAGE_V2, text_image("x" * 513), "#/textToImageParams/text: expected maxLength: 512"),
    (IMAGE_V2, text_image(numberOfImages=6), "#/imageGenerationConfig/numberOfImages"),
    (IMAGE_V2, text_image(quality="ultra"), "#/imageGenerationConfig/quality"),
    (IMAGE_V2, text_image(cfgScale=1.0), "#/imageGenerationConfig/cfgScale"),
    (IMAGE_V2, text_image(n=2), "extraneous key [n]"),
    (IMAGE_V2, {**text_image(), "size": "1024x1024"}, "extraneous key [size]"),
    (IMAGE_V2, {**text_image(), "inPaintingParams": {}}, "extraneous key [inPaintingParams]"),
    (IMAGE_V1, {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": "aGk="}}, "#/taskType"),
    (IMAGE_V2, {"taskType": "INPAINTING", "inPaintingParams": {"image": "aGk="}}, "exactly one of [maskPrompt, maskImage]"),
    (IMAGE_V2, {"taskType": "COLOR_GUIDED_GENERATION", "colorGuidedGenerationParams": {"text": "x", "colors": ["red1234"]}},
     "#/colorGuidedGenerationParams/colors/0"),
])
def test_image_generator_rejections(model_id, body, fragment):
    assert fragment in rejection(model_id, body)
