"""Stability AI SDXL (``stable-diffusion-xl-v0``, ``-v1``) — docs/bedrock.md §5.12.

``text_prompts`` required (each text ≤ 2,000 chars); ``height``×``width`` must be one
of the SDXL 1.0 sizes (v1; v0 takes any multiple of 64 from 128 to 1536);
``cfg_scale`` 0–35, ``steps`` 10–50, ``samples`` 1, ``seed`` 0–4294967295, and the
sampler / clip-guidance / style-preset enumerations. Image-to-image fields are
accepted with ``init_image``. Answers real PNGs of the requested size.
"""

from __future__ import annotations

from typing import Any, Optional

from .base import Family, Generation
from .images import png_base64
from .validation import (
    array,
    base64_string,
    enum,
    fail,
    free_object,
    integer,
    invalid,
    number,
    obj,
    string,
    validate,
)

SIZES_V1 = {(1024, 1024), (1152, 896), (1216, 832), (1344, 768), (1536, 640), (640, 1536), (768, 1344),
            (832, 1216), (896, 1152)}
SAMPLERS = ("DDIM", "DDPM", "K_DPMPP_2M", "K_DPMPP_2S_ANCESTRAL", "K_DPM_2", "K_DPM_2_ANCESTRAL", "K_EULER",
            "K_EULER_ANCESTRAL", "K_HEUN", "K_LMS")
CLIP_PRESETS = ("FAST_BLUE", "FAST_GREEN", "NONE", "SIMPLE", "SLOW", "SLOWER", "SLOWEST")
STYLE_PRESETS = ("3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance",
                 "fantasy-art", "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk", "origami",
                 "photographic", "pixel-art", "tile-texture")

SCHEMA = obj({
    "text_prompts": array(obj({"text": string(2000), "weight": number()}, required=("text",)), 1),
    "height": integer(128, 1536),
    "width": integer(128, 1536),
    "cfg_scale": number(0, 35),
    "clip_guidance_preset": enum(*CLIP_PRESETS),
    "sampler": enum(*SAMPLERS),
    "samples": integer(1, 1),
    "seed": integer(0, 4294967295),
    "steps": integer(10, 50),
    "style_preset": enum(*STYLE_PRESETS),
    "extras": free_object(),
    "init_image": base64_string(),
    "init_image_mode": enum("IMAGE_STRENGTH", "STEP_SCHEDULE"),
    "image_strength": number(0, 1),
    "step_schedule_start": number(0, 1),
    "step_schedule_end": number(0, 1),
}, required=("text_prompts",))


class StabilitySDXL(Family):
    name = "stability-sdxl"
    streaming = False

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)
        size = (body.get("width", 1024), body.get("height", 1024))
        if model_id.endswith("-v1") and "init_image" not in body and size not in SIZES_V1:
            invalid(f"Malformed input request: #: height and width [{size[1]}x{size[0]}] is not an allowed SDXL v1 "
                    "size (1024x1024, 1152x896, 1216x832, 1344x768, 1536x640 or their transposes), "
                    "please reformat your input and try again.")
        if size[0] % 64 or size[1] % 64:
            fail("#/width" if size[0] % 64 else "#/height", "must be a multiple of 64")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        width, height = body.get("width", 1024), body.get("height", 1024)
        prompt = " ".join(p["text"] for p in body["text_prompts"] if p.get("weight", 1) >= 0)
        seed = body.get("seed", 0)
        artifacts = [{"seed": seed, "base64": png_base64(width, height, prompt, seed, index), "finishReason": "SUCCESS"}
                     for index in range(body.get("samples", 1))]
        return Generation({"result": "success", "artifacts": artifacts}, [], 0, 0)
