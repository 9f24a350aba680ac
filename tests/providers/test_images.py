"""Image bodies and parsing (pure, docs/bedrock.md §5.12-§5.13)."""

import base64

import pytest

from litebed.errors import APIError, BadRequestError
from litebed.providers import images as I


def bodies(model_id, **kwargs):
    return I.build_requests(I.image_model_for(model_id), I.ImageOptions(prompt="a lighthouse", **kwargs))


def test_sdxl_body_and_n_by_repeated_requests():
    result = bodies("stability.stable-diffusion-xl-v1", n=2, size="1344x768", seed=10, cfg_scale=9,
                    steps=40, style_preset="anime", negative_prompt="blurry")
    assert result == [
        {"text_prompts": [{"text": "a lighthouse", "weight": 1.0}, {"text": "blurry", "weight": -1.0}],
         "width": 1344, "height": 768, "samples": 1, "seed": 10 + i, "cfg_scale": 9, "steps": 40,
         "style_preset": "anime"}
        for i in range(2)
    ]


def test_sdxl_rejects_other_sizes_listing_allowed():
    with pytest.raises(BadRequestError, match=r"size: 512x512 is not an SDXL size; use one of 1024x1024, 1152x896"):
        bodies("stability.stable-diffusion-xl-v0", size="512x512")
    with pytest.raises(BadRequestError, match="WIDTHxHEIGHT"):
        bodies("stability.stable-diffusion-xl-v1", size="big")


@pytest.mark.parametrize("size, ratio", [(None, "1:1"), ("1024x1024", "1:1"), ("1344x768", "16:9"),
                                         ("1920x1080", "16:9"), ("896x1152", "4:5"), ("9:21", "9:21")])
def test_stable_image_aspect_ratios(size, ratio):
    [body] = bodies("stability.sd3-large-v1:0", size=size)
    assert body == {"prompt": "a lighthouse", "aspect_ratio": ratio, "mode": "text-to-image", "output_format": "png"}


def test_stable_image_errors_and_n():
    with pytest.raises(BadRequestError, match="size: '1000x300' has no Stable Image aspect ratio"):
        bodies("stability.stable-image-core-v1:0", size="1000x300")
    with pytest.raises(BadRequestError, match="cfg_scale: not supported"):
        bodies("stability.stable-image-ultra-v1:0", cfg_scale=5)
    result = bodies("stability.stable-image-ultra-v1:0", n=3, seed=1, negative_prompt="fog")
    assert [b["seed"] for b in result] == [1, 2, 3] and result[0]["negative_prompt"] == "fog"


@pytest.mark.parametrize("model_id", ["amazon.titan-image-generator-v1", "amazon.titan-image-generator-v2:0",
                                      "amazon.nova-canvas-v1:0"])
def test_titan_shape(model_id):
    [body] = bodies(model_id, n=3, size="768x1152", quality="hd", negative_prompt="fog", seed=4, cfg_scale=6.5)
    assert body == {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse", "negativeText": "fog"},
        "imageGenerationConfig": {"numberOfImages": 3, "quality": "premium", "width": 768, "height": 1152,
                                  "cfgScale": 6.5, "seed": 4},
    }
    assert bodies(model_id)[0]["imageGenerationConfig"]["quality"] == "standard"
    with pytest.raises(BadRequestError, match="n: this model makes at most 5"):
        bodies(model_id, n=6)


def test_style_only_for_nova_canvas():
    assert bodies("amazon.nova-canvas-v1:0", style="PHOTOREALISM")[0]["textToImageParams"]["style"] == "PHOTOREALISM"
    with pytest.raises(BadRequestError, match="style: not supported by titan-image"):
        bodies("amazon.titan-image-generator-v1", style="vivid")


def test_bad_arguments():
    with pytest.raises(BadRequestError, match="model: 'amazon.titan-embed-text-v1' is not an image model"):
        I.image_model_for("amazon.titan-embed-text-v1")
    with pytest.raises(BadRequestError, match="n: must be a positive integer"):
        bodies("amazon.titan-image-generator-v1", n=0)
    with pytest.raises(BadRequestError, match="prompt"):
        I.build_requests(I.image_model_for("amazon.nova-canvas-v1:0"), I.ImageOptions(prompt=" "))


def test_parse_responses():
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 20).decode()
    sdxl = I.image_model_for("stability.stable-diffusion-xl-v1")
    assert I.parse_response(sdxl, {"result": "success", "artifacts": [{"base64": png, "finishReason": "SUCCESS"}]}) == [png]
    with pytest.raises(BadRequestError, match="content filter"):
        I.parse_response(sdxl, {"artifacts": [{"base64": png, "finishReason": "CONTENT_FILTERED"}]})
    stable = I.image_model_for("stability.sd3-large-v1:0")
    assert I.parse_response(stable, {"seeds": [1], "finish_reasons": [None], "images": [png]}) == [png]
    with pytest.raises(BadRequestError, match="Filter reason: prompt"):
        I.parse_response(stable, {"finish_reasons": ["Filter reason: prompt"], "images": [png]})
    titan = I.image_model_for("amazon.titan-image-generator-v1")
    assert I.parse_response(titan, {"images": [png, png], "error": None}) == [png, png]
    with pytest.raises(APIError, match="image generation failed: boom"):
        I.parse_response(titan, {"images": [], "error": "boom"})
    assert I.media_type(png) == "image/png"
    assert I.media_type(base64.b64encode(b"\xff\xd8\xff\xe0rest").decode()) == "image/jpeg"
