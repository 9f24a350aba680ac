"""The public surface: __all__ agrees with what litebed exports, and importing stays light."""

import subprocess
import sys

import pytest

import litebed


def test_all_is_sorted_and_resolvable():
    assert litebed.__all__ == sorted(litebed.__all__)
    assert set(litebed._LAZY) <= set(litebed.__all__)
    for name in litebed.__all__:
        assert getattr(litebed, name) is not None or name in ("drop_params", "modify_params")


def test_public_names_are_in_all():
    public = {n for n in dir(litebed) if not n.startswith("_")}
    modules = {"errors", "main", "types", "streaming", "tokens", "params", "providers", "client",
               "credentials", "eventstream", "routing", "embeddings", "images", "batch", "annotations",
               "importlib", "Any", "TYPE_CHECKING", "arn", "redact", "emulator", "cli", "media", "demo", "sigv4", "asynchttp"}
    assert public - modules <= set(litebed.__all__)


def test_import_does_not_load_heavy_dependencies():
    code = (
        "import sys, litebed; "
        "heavy = [m for m in ('boto3', 'botocore', 'httpx', 'tiktoken', 'pydantic') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = litebed.no_such_thing


def test_public_functions_are_not_shadowed_by_submodules():
    code = (
        "import litebed._batch, litebed._images, litebed._tokens, litebed._completion, litebed; "
        "import types; "
        "print([n for n in ('embedding', 'aembedding', 'image_generation', 'completion', 'token_counter', 'embed_batch') "
        "if isinstance(getattr(litebed, n), types.ModuleType)])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
