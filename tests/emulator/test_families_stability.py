"""Stability AI families (§5.12): SDXL and SD3 / Stable Image Core / Ultra."""

import base64
import struct

import pytest

from litebed.emulator.families import ValidationFailed, family_for

SDXL, SDXL0, CORE, ULTRA, SD3 = ("stability.stable-diffusion-xl-v1", "stability.stable-diffusion-xl-v0",
                                 "stability.stable-image-core-v1:0", "stability.stable-image-ultra-v1:1",
                                 "stability.sd3-large-v1:0")


def generate(model_id, body):
    family = family_for(model_id)
    family.validate(body, model_id=model_id, stream=False)
    return family.generate(body, model_id=model_id, stream=False)


def rejection(model_id, body):
    with pytest.raises(ValidationFailed) as info:
        family_for(model_id).validate(body, model_id=model_id, stream=False)
    return info.value.message


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def jpeg_size(data: bytes) -> tuple[int, int]:
    """Width and height from the SOF0 segment."""
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    position = 2
    while True:
        marker, length = struct.unpack(">HH", data[position:position + 4])
        if marker == 0xFFC0:
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length


def test_sdxl_answers_pngs_of_the_requested_size():
    body = generate(SDXL, {"text_prompts": [{"text": "a lighthouse"}, {"text": "blurry", "weight": -1}],
                           "width": 1152, "height": 896, "cfg_scale": 7, "steps": 30, "seed": 42,
                           "sampler": "K_DPMPP_2M", "style_preset": "photographic", "clip_guidance_preset": "NONE"}).body
    assert body["result"] == "success"
    (artifact,) = body["artifacts"]
    assert artifact["seed"] == 42 and artifact["finishReason"] == "SUCCESS"
    assert png_size(base64.b64decode(artifact["base64"])) == (1152, 896)


def test_sdxl_v0_accepts_other_multiples_of_64():
    assert png_size(base64.b64decode(generate(SDXL0, {"text_prompts": [{"text": "x"}], "width": 512, "height": 512})
                                     .body["artifacts"][0]["base64"])) == (512, 512)


@pytest.mark.parametrize("body, fragment", [
    ({}, "required key [text_prompts]"),
    ({"text_prompts": [{"text": "x"}], "width": 512, "height": 512}, "not an allowed SDXL v1 size"),
    ({"text_prompts": [{"text": "x"}], "cfg_scale": 36}, "#/cfg_scale"),
    ({"text_prompts": [{"text": "x"}], "steps": 9}, "#/steps"),
    ({"text_prompts": [{"text": "x"}], "samples": 2}, "#/samples"),
    ({"text_prompts": [{"text": "x"}], "sampler": "EULER"}, "#/sampler"),
    ({"text_prompts": [{"text": "x"}], "style_preset": "vaporwave"}, "#/style_preset"),
    ({"text_prompts": [{"text": "x"}], "clip_guidance_preset": "FAST"}, "#/clip_guidance_preset"),
    ({"text_prompts": [{"text": "x" * 2001}]}, "#/text_prompts/0/text"),
    ({"text_prompts": [{"text": "x"}], "size": "1024x1024"}, "extraneous key [size]"),
    ({"text_prompts": [{"text": "x"}], "n": 1}, "extraneous key [n]"),
])
def test_sdxl_rejections(body, fragment):
    assert fragment in rejection(SDXL, body)


@pytest.mark.parametrize("ratio, size", [("1:1", (1024, 1024)), ("16:9", (1344, 768)), ("9:21", (640, 1536))])
def test_stable_image_png_sizes_follow_the_aspect_ratio(ratio, size):
    body = generate(CORE, {"prompt": "a cat", "aspect_ratio": ratio, "seed": 7}).body
    assert body["seeds"] == [7] and body["finish_reasons"] == [None]
    assert png_size(base64.b64decode(body["images"][0])) == size


def test_stable_image_jpeg_output():
    data = base64.b64decode(generate(ULTRA, {"prompt": "a cat", "output_format": "jpeg", "aspect_ratio": "3:2"}).body["images"][0])
    assert jpeg_size(data) == (1216, 832)


def test_sd3_image_to_image():
    body = generate(SD3, {"prompt": "x", "mode": "image-to-image", "image": "aGk=", "strength": 0.5}).body
    assert png_size(base64.b64decode(body["images"][0])) == (1024, 1024)


@pytest.mark.parametrize("model_id, body, fragment", [
    (CORE, {}, "required key [prompt]"),
    (CORE, {"prompt": "x", "aspect_ratio": "4:3"}, "#/aspect_ratio"),
    (CORE, {"prompt": "x", "output_format": "webp"}, "#/output_format"),
    (CORE, {"prompt": "x", "seed": -1}, "#/seed"),
    (CORE, {"prompt": "x", "mode": "image-to-image"}, "#/mode"),
    (CORE, {"prompt": "x", "text_prompts": []}, "extraneous key [text_prompts]"),
    (SD3, {"prompt": "x", "mode": "image-to-image", "image": "aGk="}, "required key [strength]"),
    (SD3, {"prompt": "x", "image": "aGk=", "strength": 0.5}, "extraneous key [image]"),
])
def test_stable_image_rejections(model_id, body, fragment):
    assert fragment in rejection(model_id, body)
