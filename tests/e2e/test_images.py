"""image_generation() / aimage_generation() against the emulator."""

import base64
import struct

import pytest

from litebed import aimage_generation, image_generation
from litebed.errors import BadRequestError


@pytest.fixture
def kw(emu):
    return {"api_base": emu.base_url, **emu.credentials}


def png_size(b64: str) -> tuple[int, int]:
    raw = base64.b64decode(b64)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


@pytest.mark.parametrize("model, kwargs, size, requests", [
    ("stability.stable-diffusion-xl-v1", {"size": "1344x768", "n": 2, "seed": 3, "steps": 20}, (1344, 768), 2),
    ("stability.stable-diffusion-xl-v0", {}, (1024, 1024), 1),
    ("stability.sd3-large-v1:0", {"size": "768x1344", "n": 2}, (768, 1344), 2),
    ("stability.stable-image-core-v1:0", {"size": "1536x640"}, (1536, 640), 1),
    ("stability.stable-image-ultra-v1:0", {"negative_prompt": "fog"}, (1024, 1024), 1),
    ("amazon.titan-image-generator-v1", {"size": "512x512", "n": 3, "quality": "hd"}, (512, 512), 1),
    ("amazon.titan-image-generator-v2:0", {"size": "1152x768"}, (1152, 768), 1),
    ("amazon.nova-canvas-v1:0", {"size": "1280x720", "n": 2}, (1280, 720), 1),
])
def test_sizes_and_n(emu, kw, model, kwargs, size, requests):
    response = image_generation("a lighthouse", f"bedrock/{model}", **kwargs, **kw)
    assert len(response.data) == kwargs.get("n", 1)
    assert all(png_size(image.b64_json) == size for image in response.data)
    assert len(emu.requests()) == requests
    assert isinstance(response.created, int)


def test_sdxl_seeds_differ_per_request(emu, kw):
    image_generation("a lighthouse", "bedrock/stability.stable-diffusion-xl-v1", n=2, seed=7, **kw)
    assert sorted(r["body"]["seed"] for r in emu.requests()) == [7, 8]


def test_url_format_is_a_data_url(kw):
    response = image_generation("a lighthouse", "bedrock/amazon.titan-image-generator-v1", response_format="url", **kw)
    url = response.data[0].url
    assert url.startswith("data:image/png;base64,") and response.data[0].b64_json is None
    assert png_size(url.split(",", 1)[1]) == (1024, 1024)


async def test_async(emu, kw):
    response = await aimage_generation("a lighthouse", "bedrock/stability.sd3-large-v1:0", n=3, size="16:9", **kw)
    assert [png_size(d.b64_json) for d in response.data] == [(1344, 768)] * 3
    assert len(emu.requests()) == 3


@pytest.mark.parametrize("model, kwargs, message", [
    ("stability.stable-diffusion-xl-v1", {"size": "512x512"}, "size: 512x512 is not an SDXL size; use one of 1024x1024"),
    ("stability.stable-image-core-v1:0", {"size": "1000x300"}, "no Stable Image aspect ratio"),
    ("amazon.titan-image-generator-v1", {"n": 6}, "n: this model makes at most 5"),
    ("amazon.titan-image-generator-v1", {"response_format": "png"}, "response_format"),
    ("amazon.titan-embed-text-v1", {}, "not an image model"),
])
def test_bad_arguments_fail_before_any_request(emu, kw, model, kwargs, message):
    with pytest.raises(BadRequestError, match=message):
        image_generation("a lighthouse", f"bedrock/{model}", **kwargs, **kw)
    assert emu.requests() == []
