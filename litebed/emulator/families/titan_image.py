"""Amazon Titan Image Generator G1 v1/v2 and Nova Canvas — docs/bedrock.md §5.13.

``taskType`` selects the one params object allowed next to ``imageGenerationConfig``
(``TEXT_IMAGE`` -> ``textToImageParams`` ...; v2 and Nova Canvas add colour-guided
generation and background removal). ``text`` ≤ 512 chars; ``numberOfImages`` 1–5,
``quality`` standard|premium, ``cfgScale`` 1.1–10, ``seed`` 0–2147483646,
``height``/``width`` 320–4096 (the documented size list has non-multiples of 16,
so only the range is enforced). Nova Canvas uses the same request shape (its docs
mirror Titan's task types). Answers real PNGs of the requested size.
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
    integer,
    invalid,
    number,
    obj,
    string,
    validate,
)

TEXT = string(512, 1)
MASK = {"maskPrompt": string(1024, 1), "maskImage": base64_string()}
PARAMS = {
    "TEXT_IMAGE": ("textToImageParams", obj({
        "text": TEXT, "negativeText": TEXT, "conditionImage": base64_string(),
        "controlMode": enum("CANNY_EDGE", "SEGMENTATION"), "controlStrength": number(0, 1),
        "style": string()}, required=("text",))),
    "INPAINTING": ("inPaintingParams", obj({"image": base64_string(), "text": TEXT, "negativeText": TEXT, **MASK},
                                           required=("image",))),
    "OUTPAINTING": ("outPaintingParams", obj({"image": base64_string(), "text": TEXT, "negativeText": TEXT, **MASK,
                                              "outPaintingMode": enum("DEFAULT", "PRECISE")}, required=("image", "text"))),
    "IMAGE_VARIATION": ("imageVariationParams", obj({"images": array(base64_string(), 1, 5), "text": TEXT,
                                                     "negativeText": TEXT, "similarityStrength": number(0.2, 1)},
                                                    required=("images",))),
    "COLOR_GUIDED_GENERATION": ("colorGuidedGenerationParams", obj({
        "text": TEXT, "negativeText": TEXT, "colors": array(string(7, 7), 1, 10),
        "referenceImage": base64_string()}, required=("text", "colors"))),
    "BACKGROUND_REMOVAL": ("backgroundRemovalParams", obj({"image": base64_string()}, required=("image",))),
}
V1_TASKS = ("TEXT_IMAGE", "INPAINTING", "OUTPAINTING", "IMAGE_VARIATION")
CONFIG = obj({"numberOfImages": integer(1, 5), "quality": enum("standard", "premium"), "height": integer(320, 4096),
              "width": integer(320, 4096), "cfgScale": number(1.1, 10), "seed": integer(0, 2147483646)})


class TitanImage(Family):
    name = "titan-image"
    streaming = False

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        tasks = V1_TASKS if model_id == "amazon.titan-image-generator-v1" else tuple(PARAMS)
        validate(body, obj({"taskType": enum(*tasks)}, required=("taskType",), closed=False))
        params_key, params = PARAMS[body["taskType"]]
        fields = {"taskType": enum(*tasks), params_key: params, "imageGenerationConfig": CONFIG}
        if body["taskType"] == "BACKGROUND_REMOVAL":
            del fields["imageGenerationConfig"]
        validate(body, obj(fields, required=("taskType", params_key)))
        mask_keys = [key for key in MASK if key in body[params_key]]
        if body["taskType"] in ("INPAINTING", "OUTPAINTING") and len(mask_keys) != 1:
            invalid(f"Malformed input request: #/{params_key}: exactly one of [maskPrompt, maskImage] is required, "
                    "please reformat your input and try again.")
        if body["taskType"] == "COLOR_GUIDED_GENERATION":
            for index, colour in enumerate(body[params_key]["colors"]):
                if not (colour.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in colour[1:])):
                    fail(f"#/{params_key}/colors/{index}", f"[{colour}] is not a hex colour like #ff8800")

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        config = body.get("imageGenerationConfig", {})
        width, height = config.get("width", 1024), config.get("height", 1024)
        params = body[PARAMS[body["taskType"]][0]]
        seed = config.get("seed", 0)
        images = [png_base64(width, height, params.get("text", ""), seed, index)
                  for index in range(config.get("numberOfImages", 1))]
        return Generation({"images": images, "error": None}, [], 0, 0)
