"""litebed's bundled, dated model catalog: what each Bedrock model is and costs.

``litebed/data/models.json`` holds one entry per base model id (``"taken"`` is
the date its facts were gathered; ``litebed/data/SOURCES.md`` says from where).
An entry gives the model's mode, the route litebed uses for it (a chat family
module, ``converse``, ``embedding``, ``image`` or ``rerank``), its context window
and output cap, what it supports, where it runs and its on-demand prices.
A fact that could not be confirmed is ``null``, never a guess.

Lookups accept every form of model string litebed accepts::

    bedrock/<id>   bedrock/invoke/<id>   bedrock/converse/<id>   <id>
    us.<id>  eu.<id>  apac.<id>  global.<id> ...     (cross-region profiles)
    arn:aws:bedrock:<region>::foundation-model/<id>
    arn:aws:bedrock:<region>:<account>:inference-profile/<profile id>
    <id>:<n>k                                         (context-window variants)

and opaque ARNs (provisioned, custom, imported models, application inference
profiles) together with ``base_model=``. The JSON is read on first use and
cached; ``import litebed`` does not load this module.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any, Optional

from ._routing import GEO_PREFIXES, base_model_of, parse_model
from .errors import BadRequestError

__all__ = ["all_models", "catalog_date", "get_model_info", "lookup", "model_info", "normalise", "suggestions"]

_Catalog = tuple[str, Mapping[str, Mapping[str, Any]]]
_cache: Optional[_Catalog] = None

# A context-window (provisioned-throughput) variant ends in ":<n>k" (":200k"),
# ":mm" or a bare size (":512"), optionally after a minor version (":2:100k").
# It is the base model; an entry's "context_variants" gives the window of the
# variants it documents.
_VARIANT = re.compile(r"(?P<base>.+?)(?::(?P<minor>\d+))?:(?P<size>\d+k|mm|\d{3,})")
_MINOR = re.compile(r"(?P<base>.+):\d+")
_ARN_MODEL = re.compile(r"arn:[^:]+:bedrock:[^:]*:[^:]*:(?:foundation-model|inference-profile)/(?P<id>.+)")


def _load() -> _Catalog:
    global _cache
    if _cache is None:
        path = resources.files("litebed") / "data" / "models.json"
        raw = json.loads(path.read_text(encoding="utf-8"))
        models = {model_id: _frozen(entry) for model_id, entry in raw["models"].items()}
        _cache = (str(raw["taken"]), MappingProxyType(models))
    return _cache


def _frozen(value: Any) -> Any:
    """JSON value -> read-only twin: dicts become mapping proxies, lists tuples."""
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _thawed(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _thawed(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_thawed(item) for item in value]
    return value


def catalog_date() -> str:
    """The ISO date (``YYYY-MM-DD``) the catalog's facts were taken."""
    return _load()[0]


def all_models() -> Mapping[str, Mapping[str, Any]]:
    """Every catalog entry by base model id, as a read-only view (lists are tuples there)."""
    return _load()[1]


def _key_and_variant(base_id: str) -> tuple[str, Optional[str]]:
    """``anthropic.claude-v2:1:200k`` -> (``anthropic.claude-v2:1``, ``"200k"``); unknown ids unchanged."""
    models = _load()[1]
    if base_id in models:
        return base_id, None
    match = _VARIANT.fullmatch(base_id)
    if match:
        with_minor = f"{match['base']}:{match['minor']}" if match["minor"] else None
        for candidate in (with_minor, match["base"]):
            if candidate and candidate in models:
                return candidate, match["size"]
    match = _MINOR.fullmatch(base_id)  # "amazon.titan-embed-image-v1:0" -> "amazon.titan-embed-image-v1"
    if match and match["base"] in models:
        return match["base"], None
    return base_id, None


def _base_id(model: str, base_model: Optional[str]) -> Optional[str]:
    if not isinstance(model, str):
        raise BadRequestError(f"model must be a string, got {type(model).__name__}")
    route = parse_model(model if model.startswith("bedrock/") else "bedrock/" + model)
    return base_model_of(route, base_model)


def normalise(model: str, base_model: Optional[str] = None) -> str:
    """The catalog key for ``model``: its base model id, geography prefix and variant suffix removed.

    ``base_model`` names the model behind an opaque ARN (provisioned throughput,
    custom or imported model, application inference profile). An id the catalog
    does not know comes back as its bare base id. Raises ``BadRequestError`` for
    a malformed model string, or for an opaque ARN without ``base_model``.
    """
    base_id = _base_id(model, base_model)
    if base_id is None:
        raise BadRequestError(
            f"{model!r} does not say which model it runs; pass base_model= (for example "
            '"anthropic.claude-3-haiku-20240307-v1:0") to look it up in the catalog'
        )
    return _key_and_variant(base_id)[0]


def lookup(model: str, base_model: Optional[str] = None) -> Optional[dict]:
    """The catalog entry for ``model`` with LiteLLM's keys, or None when the catalog does not know it.

    Also None for an opaque ARN given without ``base_model``. Raises
    ``BadRequestError`` for a string that is not a Bedrock model id at all.
    """
    base_id = _base_id(model, base_model)
    if base_id is None:
        return None
    key, variant = _key_and_variant(base_id)
    entry = _load()[1].get(key)
    if entry is None:
        return None
    return _info(key, entry, variant)


def _info(key: str, entry: Mapping[str, Any], variant: Optional[str]) -> dict:
    info: dict[str, Any] = _thawed(entry)
    windows = entry.get("context_variants") or {}
    if variant and windows.get(variant) is not None:
        info["max_input_tokens"] = windows[variant]
    info.update(
        key=key,
        litellm_provider="bedrock",
        max_tokens=info.get("max_output_tokens"),
        supports_response_schema=info.get("supports_function_calling"),
        context_variant=variant,
        catalog_date=catalog_date(),
    )
    return info


def model_info(model: str, base_model: Optional[str] = None) -> dict:
    """Like :func:`lookup`, but an unknown model raises ``BadRequestError`` with the closest known ids."""
    info = lookup(model, base_model)
    if info is not None:
        return info
    base_id = _base_id(model, base_model)
    if base_id is None:
        raise BadRequestError(
            f"{model!r} does not say which model it runs, so litebed's model catalog cannot describe it; "
            'pass base_model= (for example "anthropic.claude-3-haiku-20240307-v1:0")'
        )
    shown = _model_id(base_model) if base_model else _model_id(model)
    close = suggestions(shown)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise BadRequestError(
        f"{shown!r} is not in litebed's model catalog (dated {catalog_date()}).{hint} "
        "You can still pass the model to completion() anyway: it is sent to Bedrock as given."
    )


def _model_id(model: str) -> str:
    """What Bedrock would see: ``bedrock/[invoke/|converse/]`` removed; ARNs reduced to the id they name."""
    text = model[len("bedrock/"):] if model.startswith("bedrock/") else model
    head, sep, rest = text.partition("/")
    if sep and head in ("invoke", "converse"):
        text = rest
    match = _ARN_MODEL.fullmatch(text)
    return match["id"] if match else text


def suggestions(model_id: str, n: int = 3) -> list[str]:
    """Up to ``n`` known ids closest to ``model_id``, closest first (for "did you mean").

    A geography-prefixed id (``us.anthropic.claude-3-haku-...``) is compared with
    the catalog's profile ids of that geography, a bare id with the bare ids. The
    id itself is never suggested.
    """
    if not isinstance(model_id, str) or not model_id:
        return []
    text = _model_id(model_id)
    if text.startswith("arn:"):
        return []
    models = _load()[1]
    head, sep, rest = text.partition(".")
    candidates: list[str]
    if sep and head in GEO_PREFIXES and "." in rest:
        candidates = [f"{head}.{mid}" for mid, entry in models.items() if head in (entry.get("cross_region_profiles") or ())]
        if not candidates:  # no documented profile for that geography: compare the bare ids, keep the prefix
            return [f"{head}.{c}" for c in difflib.get_close_matches(rest, [m for m in models if m != rest], n)]
    else:
        candidates = list(models)
    return difflib.get_close_matches(text, [c for c in candidates if c != text], n)


#: LiteLLM's name for :func:`model_info`.
get_model_info = model_info
