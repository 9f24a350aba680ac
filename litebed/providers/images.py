"""Image models: OpenAI ``images.generate`` arguments -> native bodies, and back (pure).

Wire facts: docs/bedrock.md §5.12 (Stability SDXL, SD3 / Stable Image Core /
Ultra) and §5.13 (Titan Image Generator; Amazon Nova Canvas uses the same
``TEXT_IMAGE`` body, per AWS's Nova Canvas request reference).

How ``n`` is honoured: Titan and Nova Canvas carry it natively
(``numberOfImages``, 1-5). SDXL on Bedrock documents ``samples`` = 1 only, and
the Stable Image bodies have no count, so those families make ``n`` requests
(:attr:`ImageModel.native_n` is False); with a ``seed``, request ``i`` uses ``seed + i``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import APIError, BadRequestError, excerpt
from .answers import AnswerReader, describe

__all__ = [
    "ASPECT_RATIOS",
    "ImageModel",
    "ImageOptions",
    "SDXL_SIZES",
    "SUPPORTED_MODELS",
    "build_requests",
    "image_model_for",
    "media_type",
    "parse_response",
    "parse_size",
]

#: SDXL 1.0's allowed width x height (§5.12).
SDXL_SIZES = (
    (1024, 1024), (1152, 896), (1216, 832), (1344, 768), (1536, 640),
    (640, 1536), (768, 1344), (832, 1216), (896, 1152),
)

#: Stable Image aspect ratios (§5.12), with the size Stability renders for each.
ASPECT_RATIOS = {
    "1:1": (1024, 1024), "16:9": (1344, 768), "9:16": (768, 1344), "21:9": (1536, 640),
    "9:21": (640, 1536), "3:2": (1216, 832), "2:3": (832, 1216), "5:4": (1152, 896), "4:5": (896, 1152),
}

DEFAULT_SIZE = (1024, 1024)
MAX_NATIVE_N = 5  # Titan / Nova Canvas numberOfImages (§5.13)


@dataclass(frozen=True)
class ImageModel:
    #: ``"sdxl"``, ``"stable-image"``, ``"titan-image"`` or ``"nova-canvas"``.
    kind: str

    @property
    def native_n(self) -> bool:
        return self.kind in ("titan-image", "nova-canvas")


_MODELS = (
    (re.compile(r"stability\.stable-diffusion-xl-v[01](:.*)?"), ImageModel("sdxl")),
    (re.compile(r"stability\.(sd3-|sd3-5-|stable-image-(core|ultra)-).*"), ImageModel("stable-image")),
    (re.compile(r"amazon\.titan-image-generator-v[12](:.*)?"), ImageModel("titan-image")),
    (re.compile(r"amazon\.nova-canvas-v1(:.*)?"), ImageModel("nova-canvas")),
)

SUPPORTED_MODELS = (
    "stability.stable-diffusion-xl-v1",
    "stability.sd3-large-v1:0",
    "stability.stable-image-core-v1:0",
    "stability.stable-image-ultra-v1:0",
    "amazon.titan-image-generator-v1",
    "amazon.titan-image-generator-v2:0",
    "amazon.nova-canvas-v1:0",
)


def image_model_for(base_model_id: str) -> ImageModel:
    """The :class:`ImageModel` serving ``base_model_id`` (geo prefix already stripped)."""
    for pattern, model in _MODELS:
        if pattern.fullmatch(base_model_id):
            return model
    raise BadRequestError(
        f"model: {base_model_id!r} is not an image model litebed supports; use one of {', '.join(SUPPORTED_MODELS)}"
    )


def parse_size(size: Optional[str]) -> tuple[int, int]:
    """``"1024x768"`` -> ``(1024, 768)``; None -> 1024x1024."""
    if size is None:
        return DEFAULT_SIZE
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", size) if isinstance(size, str) else None
    if not match or not int(match[1]) or not int(match[2]):
        raise BadRequestError(f'size: must look like "WIDTHxHEIGHT" (for example "1024x1024"), got {size!r}')
    return int(match[1]), int(match[2])


def _aspect_ratio(size: Optional[str]) -> str:
    if isinstance(size, str) and size in ASPECT_RATIOS:
        return size  # an aspect ratio given directly
    width, height = parse_size(size)
    divisor = math.gcd(width, height)
    ratio = f"{width // divisor}:{height // divisor}"
    if ratio in ASPECT_RATIOS:
        return ratio
    for name, rendered in ASPECT_RATIOS.items():
        if rendered == (width, height):
            return name
    sizes = ", ".join(f"{w}x{h} ({name})" for name, (w, h) in ASPECT_RATIOS.items())
    raise BadRequestError(f"size: {size!r} has no Stable Image aspect ratio; use one of {sizes}")


@dataclass(frozen=True)
class ImageOptions:
    """The OpenAI-style arguments of one ``image_generation`` call."""

    prompt: str
    n: int = 1
    size: Optional[str] = None
    quality: Optional[str] = None
    style: Optional[str] = None
    negative_prompt: Optional[str] = None
    seed: Optional[int] = None
    cfg_scale: Optional[float] = None
    steps: Optional[int] = None
    style_preset: Optional[str] = None


#: Arguments each family has a native field for (the rest are refused, not dropped).
_ACCEPTS = {
    "sdxl": {"negative_prompt", "seed", "cfg_scale", "steps", "style_preset"},
    "stable-image": {"negative_prompt", "seed"},
    "titan-image": {"negative_prompt", "seed", "cfg_scale", "quality"},
    "nova-canvas": {"negative_prompt", "seed", "cfg_scale", "quality", "style"},
}


def _check(model: ImageModel, options: ImageOptions) -> None:
    if not isinstance(options.prompt, str) or not options.prompt.strip():
        raise BadRequestError("prompt: must be a non-empty string")
    if isinstance(options.n, bool) or not isinstance(options.n, int) or options.n < 1:
        raise BadRequestError(f"n: must be a positive integer, got {options.n!r}")
    if model.native_n and options.n > MAX_NATIVE_N:
        raise BadRequestError(f"n: this model makes at most {MAX_NATIVE_N} images per call, got {options.n}")
    for name in ("quality", "style", "negative_prompt", "seed", "cfg_scale", "steps", "style_preset"):
        if getattr(options, name) is None or name in _ACCEPTS[model.kind]:
            continue
        if name == "quality" and options.quality in ("standard", "auto"):
            continue  # the only quality these models have
        raise BadRequestError(f"{name}: not supported by {model.kind} models on Bedrock")


def _seed(options: ImageOptions, index: int) -> Optional[int]:
    return None if options.seed is None else options.seed + index


def _sdxl_body(options: ImageOptions, index: int) -> dict:
    width, height = parse_size(options.size)
    if (width, height) not in SDXL_SIZES:
        allowed = ", ".join(f"{w}x{h}" for w, h in SDXL_SIZES)
        raise BadRequestError(f"size: {width}x{height} is not an SDXL size; use one of {allowed}")
    prompts = [{"text": options.prompt, "weight": 1.0}]
    if options.negative_prompt:
        prompts.append({"text": options.negative_prompt, "weight": -1.0})  # §5.12: negative weight
    body: dict[str, Any] = {"text_prompts": prompts, "width": width, "height": height, "samples": 1}
    optional = {"seed": _seed(options, index), "cfg_scale": options.cfg_scale, "steps": options.steps,
                "style_preset": options.style_preset}
    body.update({key: value for key, value in optional.items() if value is not None})
    return body


def _stable_image_body(options: ImageOptions, index: int) -> dict:
    body: dict[str, Any] = {
        "prompt": options.prompt, "aspect_ratio": _aspect_ratio(options.size),
        "mode": "text-to-image", "output_format": "png",
    }
    if options.negative_prompt:
        body["negative_prompt"] = options.negative_prompt
    if options.seed is not None:
        body["seed"] = _seed(options, index)
    return body


def _titan_body(options: ImageOptions) -> dict:
    width, height = parse_size(options.size)
    params: dict[str, Any] = {"text": options.prompt}
    if options.negative_prompt:
        params["negativeText"] = options.negative_prompt
    if options.style is not None:
        params["style"] = options.style  # Nova Canvas visual styles (PHOTOREALISM, ...)
    config: dict[str, Any] = {
        "numberOfImages": options.n,
        "quality": "premium" if options.quality in ("hd", "high", "premium") else "standard",
        "width": width, "height": height,
    }
    if options.cfg_scale is not None:
        config["cfgScale"] = options.cfg_scale
    if options.seed is not None:
        config["seed"] = options.seed
    return {"taskType": "TEXT_IMAGE", "textToImageParams": params, "imageGenerationConfig": config}


def build_requests(model: ImageModel, options: ImageOptions) -> list[dict]:
    """The native bodies that together make ``options.n`` images (validated first)."""
    _check(model, options)
    if model.native_n:
        return [_titan_body(options)]
    build = _sdxl_body if model.kind == "sdxl" else _stable_image_body
    return [build(options, index) for index in range(options.n)]


def parse_response(model: ImageModel, body: Any) -> list[str]:
    """A native answer -> base64 images; a filtered or failed generation raises.

    So does a malformed answer (``APIError``): a member missing or of the wrong
    type, no image at all, or an image that is not base64.
    """
    read = AnswerReader(model.kind, prefix=f"unexpected image response from Bedrock ({model.kind} model)")
    body = read.body(body)
    if model.kind == "sdxl":
        artifacts = read.objects(body, "artifacts")
        for _, artifact, _ in artifacts:
            reason = artifact.get("finishReason")
            if reason not in (None, "SUCCESS"):
                raise _generation_failed(reason)
        images = [(read.get(artifact, "base64", str, where, required=True), f"{where}base64") for _, artifact, where in artifacts]
    else:
        if model.kind == "stable-image":
            for reason in read.get(body, "finish_reasons", list) or []:
                if reason is not None:
                    raise _generation_failed(reason)
        elif body.get("error"):
            raise _generation_failed(body["error"])
        images = [(image, f"images[{i}]") for i, image in enumerate(read.get(body, "images", list, required=True))]
    if not images:
        raise read.error("no image came back")
    return [_image(read, image, where) for image, where in images]


def _image(read: AnswerReader, image: Any, where: str) -> str:
    """``image``, checked to be base64 (as :func:`media_type` and the caller will read it)."""
    if not isinstance(image, str) or not image:
        shown = "an empty string" if image == "" else describe(image)
        raise read.error(f"{where} is {shown}, expected base64 image data")
    try:
        base64.b64decode(image, validate=True)
    except (binascii.Error, ValueError):
        raise read.error(f"{where} is not base64 image data") from None
    return image


def _generation_failed(reason: Any) -> APIError:
    text = excerpt(str(reason))
    if "filter" in text.lower():
        # openai raises 400 content_policy_violation for the same situation.
        return BadRequestError(f"the image was blocked by the model's content filter ({text})",
                                bedrock_code="content_policy_violation")
    return APIError(f"image generation failed: {text}")


def media_type(b64_image: str) -> str:
    """``image/png`` or ``image/jpeg``, from the image's first bytes."""
    head = base64.b64decode(b64_image[:16] + "=" * (-len(b64_image[:16]) % 4))
    return "image/jpeg" if head.startswith(b"\xff\xd8") else "image/png"
