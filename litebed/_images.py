"""``image_generation()`` and ``aimage_generation()``: OpenAI's images API on Bedrock.

Native bodies live in :mod:`litebed.providers.images`. When a model cannot make
``n`` images in one request (Stability models), the ``n`` requests are sent
concurrently and their images returned in request order.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, Optional

from ._auth.credentials import AuthOptions
from ._embeddings import fan_out, resolve_target
from ._params import Keywords
from ._transport.sender import BedrockClient, WithBedrock, check_num_retries, check_timeout
from .errors import BadRequestError
from .providers import images as native
from .types import Image, ImageResponse

__all__ = ["aimage_generation", "image_generation"]

_FORMATS = ("b64_json", "url")


@dataclass
class _Call(WithBedrock):
    spec: native.ImageModel
    target_id: str
    bodies: list[dict]
    auth: AuthOptions
    response_format: str
    invoke_options: dict
    client: Optional[BedrockClient] = None  # set last: resolving credentials may call STS


@dataclass(frozen=True)
class ImageArgs(Keywords):
    """image_generation()'s own keywords, taken out of ``**kwargs`` (the rest are credentials)."""

    n: int = 1
    size: Optional[str] = None
    quality: Optional[str] = None
    response_format: str = "b64_json"
    style: Optional[str] = None
    negative_prompt: Optional[str] = None
    seed: Optional[int] = None
    cfg_scale: Optional[float] = None
    steps: Optional[int] = None
    style_preset: Optional[str] = None
    model_id: Optional[str] = None
    timeout: Optional[float] = None
    num_retries: Optional[int] = None


def _prepare(prompt: str, model: str, args: ImageArgs, kwargs: dict) -> _Call:
    check_timeout(args.timeout)
    check_num_retries(args.num_retries)
    if args.response_format not in _FORMATS:
        raise BadRequestError(f"response_format: must be 'b64_json' or 'url', got {args.response_format!r}")
    base_model_id, target_id, auth = resolve_target(model, args.model_id, kwargs)
    kwargs.pop("user", None)  # OpenAI's end-user id: Bedrock has no such field
    if kwargs:
        raise BadRequestError(f"image_generation() got unsupported argument(s): {', '.join(sorted(kwargs))}")
    spec = native.image_model_for(base_model_id)
    options = native.ImageOptions(
        prompt=prompt, **{name: getattr(args, name) for name in (
            "n", "size", "quality", "style", "negative_prompt", "seed", "cfg_scale", "steps", "style_preset")},
    )
    return _Call(
        spec=spec, target_id=target_id, bodies=native.build_requests(spec, options), auth=auth,
        response_format=args.response_format,
        invoke_options={"timeout": args.timeout, "num_retries": args.num_retries},
    )


def _response(call: _Call, answers: list[Any]) -> ImageResponse:
    images = [image for body in answers for image in native.parse_response(call.spec, body)]
    if call.response_format == "url":
        # Bedrock returns bytes, not hosted files: a data URL is the honest "url".
        data = [Image(url=f"data:{native.media_type(image)};base64,{image}") for image in images]
    else:
        data = [Image(b64_json=image) for image in images]
    return ImageResponse(data=data)


def image_generation(client: Any, prompt: str, model: str, **kwargs: Any) -> ImageResponse:
    """Generate ``n`` images for ``prompt`` with a Bedrock image model.

    ``model`` is ``"bedrock/<model id>"``: Stability SDXL (v0/v1), SD3 / Stable
    Image Core / Ultra, Titan Image Generator v1/v2 or Nova Canvas. ``size`` is
    ``"WIDTHxHEIGHT"`` (SDXL: one of its nine sizes; Stable Image: a size with
    one of its aspect ratios, or the ratio itself such as ``"16:9"``).
    ``quality="hd"`` asks Titan / Nova Canvas for ``premium``. ``seed``,
    ``cfg_scale``, ``steps``, ``style_preset`` and ``negative_prompt`` map to the
    native fields where the model has them; elsewhere they raise
    ``BadRequestError`` rather than being dropped. ``style`` is Nova Canvas's
    visual style (``"PHOTOREALISM"``, ...).

    Returns an :class:`~litebed.types.ImageResponse`: ``data[i].b64_json``
    (PNG), or with ``response_format="url"`` a ``data:image/png;base64,...`` URL.
    """
    call = _prepare(prompt, model, ImageArgs.take(kwargs), kwargs)
    call.client = client.bedrock(call.auth)

    def send(body: dict) -> Any:
        return call.bedrock.invoke(call.target_id, body, **call.invoke_options).body

    if len(call.bodies) == 1:
        return _response(call, [send(call.bodies[0])])
    answers: dict[int, Any] = {}
    with contextlib.closing(fan_out(send, call.bodies, len(call.bodies))) as outcomes:
        for body, outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
            answers[id(body)] = outcome
    return _response(call, [answers[id(body)] for body in call.bodies])


async def aimage_generation(client: Any, prompt: str, model: str, **kwargs: Any) -> ImageResponse:
    """The async twin of :func:`image_generation` (same arguments, same result)."""
    call = _prepare(prompt, model, ImageArgs.take(kwargs), kwargs)
    call.client = await client.abedrock(call.auth)

    async def send(body: dict) -> Any:
        return (await call.bedrock.ainvoke(call.target_id, body, **call.invoke_options)).body

    tasks = [asyncio.ensure_future(send(body)) for body in call.bodies]
    try:
        answers = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    return _response(call, list(answers))
