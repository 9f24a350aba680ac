"""Model strings -> :class:`Route`.

litebed model strings look like ``bedrock/<model-id>``, optionally naming the
API: ``bedrock/invoke/<model-id>`` (native InvokeModel bodies, the default) or
``bedrock/converse/<model-id>`` (the Converse API). ``<model-id>`` is anything
Bedrock accepts in the URL path (docs/bedrock.md §2.1):

* a base model id, ``anthropic.claude-3-haiku-20240307-v1:0``;
* a cross-region inference profile id, ``us.anthropic.claude-3-haiku-...``;
* an ARN (foundation model, inference profile, provisioned / custom / imported
  model, application inference profile, ...).

The family of a chat model is detected from ``Route.base_model_id``: the id with
its geography prefix stripped, or the id inside a foundation-model or
inference-profile ARN. Opaque ARNs hide the family; callers pass ``base_model=``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .errors import BadRequestError

__all__ = ["ARN_PATTERN", "GEO_PREFIXES", "Route", "base_model_of", "parse_model", "strip_geo_prefix"]

#: Cross-region inference profile prefixes (§2.1); ``us-gov.``/``jp.``/``au.``/``ca.``
#: are newer and unverified, but harmless to recognise.
GEO_PREFIXES = ("us", "eu", "apac", "global", "us-gov", "jp", "au", "ca")

_APIS = ("invoke", "converse")

# Non-ARN ids: the character set of the runtime service model's InvokeModelIdentifier.
_MODEL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
# arn:<partition>:<service>:<region>:<account>:<resource-type>/<rest>
#: The one ARN pattern litebed uses (routing and ARN resolution alike).
ARN_PATTERN = _ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):(?P<service>bedrock|sagemaker):(?P<region>[a-z0-9-]+):"
    r"(?P<account>[0-9]*):(?P<kind>[a-z-]+)/(?P<rest>[A-Za-z0-9._:/-]+)"
)
_MAX_MODEL_ID = 2048  # InvokeModelIdentifier max length [SM]
_EXAMPLE = 'model must look like "bedrock/<model-id>" (for example "bedrock/anthropic.claude-v2")'


@dataclass(frozen=True)
class Route:
    """Where a model string sends a call."""

    #: ``"invoke"`` (native InvokeModel bodies) or ``"converse"``.
    api: str
    #: Exactly what goes into the URL path: a model id, profile id or ARN.
    model_id: str
    #: The id the family is detected from; None for ARNs that hide it.
    base_model_id: Optional[str]
    #: ``"anthropic"``, ``"amazon"``, ``"meta"``, ... (None when hidden).
    provider: Optional[str]
    #: The region named by an ARN, else None.
    region: Optional[str] = None
    is_arn: bool = False


def strip_geo_prefix(model_id: str) -> str:
    """``us.meta.llama3-...`` -> ``meta.llama3-...``; other ids unchanged."""
    head, sep, rest = model_id.partition(".")
    if sep and head in GEO_PREFIXES and "." in rest:
        return rest
    return model_id


def _provider_of(base_model_id: Optional[str]) -> Optional[str]:
    if not base_model_id or "." not in base_model_id:
        return None
    return base_model_id.split(".", 1)[0]


def parse_model(model: str) -> Route:
    """Parse ``bedrock/[invoke/|converse/]<model-id>`` into a :class:`Route`.

    Raises ``BadRequestError`` saying what was expected for anything else.
    """
    if not isinstance(model, str):
        raise BadRequestError(f"{_EXAMPLE}, got {model!r}")
    if not model.startswith("bedrock/"):
        raise BadRequestError(f"{_EXAMPLE}, got {model!r}")
    rest = model[len("bedrock/"):]
    api = "invoke"
    head, sep, tail = rest.partition("/")
    if sep and head in _APIS:
        api, rest = head, tail
    if not rest:
        raise BadRequestError(f"{_EXAMPLE}; the model id is empty in {model!r}")
    if len(rest) > _MAX_MODEL_ID:
        raise BadRequestError(f"{_EXAMPLE}; the model id is longer than {_MAX_MODEL_ID} characters")

    if rest.startswith("arn:"):
        return _parse_arn(api, rest, model)
    if not _MODEL_ID.fullmatch(rest):
        raise BadRequestError(
            f"{_EXAMPLE}; {rest!r} is not a Bedrock model id (letters, digits, '.', '-', '_', ':'; "
            "or an ARN)"
        )
    base = strip_geo_prefix(rest)
    return Route(api=api, model_id=rest, base_model_id=base, provider=_provider_of(base))


def _parse_arn(api: str, arn: str, model: str) -> Route:
    match = _ARN.fullmatch(arn)
    if not match:
        raise BadRequestError(
            f"{_EXAMPLE}; {arn!r} is not a Bedrock ARN "
            "(arn:aws:bedrock:<region>:<account>:<resource-type>/<id>)"
        )
    kind, inner = match["kind"], match["rest"]
    if kind == "foundation-model":
        base: Optional[str] = inner
    elif kind == "inference-profile":
        base = strip_geo_prefix(inner)
    else:
        # provisioned-model, custom-model(-deployment), imported-model,
        # application-inference-profile, prompt, prompt-router, sagemaker endpoints.
        base = None
    return Route(
        api=api,
        model_id=arn,
        base_model_id=base,
        provider=_provider_of(base),
        region=match["region"],
        is_arn=True,
    )


def base_model_of(route: Route, base_model: Optional[str] = None) -> Optional[str]:
    """The base model id the family is detected from, or None for an opaque ARN.

    ``base_model`` overrides detection (needed for ARNs that hide the model, such
    as provisioned throughput): a base model id, with or without a geography
    prefix or a ``bedrock/`` prefix (``"bedrock/anthropic.claude-v2"`` and
    ``"anthropic.claude-v2"`` mean the same).
    """
    if not base_model:
        return route.base_model_id
    if not isinstance(base_model, str):
        raise BadRequestError(f"base_model: must be a model id string, got {type(base_model).__name__}")
    text = base_model if base_model.startswith("bedrock/") else "bedrock/" + base_model
    base_id = parse_model(text).base_model_id
    if not base_id:
        raise BadRequestError(
            f"base_model: {base_model!r} must name a base model id (for example "
            '"anthropic.claude-3-haiku-20240307-v1:0"), not an opaque ARN'
        )
    return base_id
