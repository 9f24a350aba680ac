"""Stable Diffusion 3 Large, Stable Image Core and Ultra — docs/bedrock.md §5.12.

``prompt`` required (≤ 10,000 chars), ``negative_prompt`` (≤ 10,000), ``aspect_ratio``
(text-to-image only) from the documented set, ``output_format`` jpeg|png, ``seed``
0–4294967295, ``mode`` text-to-image (SD3 Large also image-to-image with ``image`` and
``strength``). Answers a real image of the aspect ratio's size (about one megapixel)
in the requested format.
"""

from __future__ import annotations

from typing import Any, Optional

from .base import Family, Generation
from .images import image_base64
from .validation import (
    base64_string,
    enum,
    fail,
    integer,
    number,
    obj,
    string,
    validate,
)

SIZES = {"1:1": (1024, 1024), "16:9": (1344, 768), "9:16": (768, 1344), "21:9": (1536, 640), "9:21": (640, 1536),
         "3:2": (1216, 832), "2:3": (832, 1216), "5:4": (1088, 896), "4:5": (896, 1088)}


def schema(model_id: str):
    fields = {"prompt": string(10000), "negative_prompt": string(10000), "aspect_ratio": enum(*SIZES),
              "output_format": enum("jpeg", "png"), "seed": integer(0, 4294967295)}
    if model_id.startswith("stability.sd3"):
        fields.update({"mode": enum("text-to-image", "image-to-image"), "image": base64_string(),
                       "strength": number(0, 1)})
    else:
        fields["mode"] = enum("text-to-image")
    return obj(fields, required=("prompt",))


class StabilityImage(Family):
    name = "stability-image"
    streaming = False

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, schema(model_id))
        if body.get("mode") == "image-to-image":
            for key in ("image", "strength"):
                if key not in body:
                    fail("#", f"required key [{key}] not found")
            if "aspect_ratio" in body:
                fail("#", "extraneous key [aspect_ratio] is not permitted")
        elif "image" in body or "strength" in body:
            fail("#", f"extraneous key [{'image' if 'image' in body else 'strength'}] is not permitted")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        width, height = SIZES[body.get("aspect_ratio", "1:1")]
        seed = body.get("seed", 0)
        image = image_base64(body.get("output_format", "png"), width, height, body["prompt"], seed)
        return Generation({"seeds": [seed], "finish_reasons": [None], "images": [image]}, [], 0, 0)
