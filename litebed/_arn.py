"""Which base model an opaque Bedrock ARN runs, asked of the control plane once.

Provisioned-throughput, custom-model, imported-model and application
inference-profile ARNs do not name the model they run, and litebed needs the
base model to pick a native body format. :func:`resolve_base_model` asks the
``bedrock`` control plane with the Get call that fits the ARN (output members
as in botocore's ``bedrock`` service model):

==================================  ===================================  ===========================
ARN resource type                    control-plane call                   member read
==================================  ===================================  ===========================
``foundation-model``                 none (the id is in the ARN)          -
``inference-profile``                none (``us.<model id>``)             -
``provisioned-model``                GetProvisionedModelThroughput        ``foundationModelArn``
``custom-model``                     GetCustomModel                       ``baseModelArn``
``custom-model-deployment``          GetCustomModelDeployment             ``modelArn`` (a custom model)
``imported-model``                   GetImportedModel                     ``modelArchitecture``
``application-inference-profile``    GetInferenceProfile                  ``models[0].modelArn``
==================================  ===================================  ===========================

An imported model has no base model, only an architecture; it is mapped to a
representative base model id of the family whose native body it accepts
(:data:`IMPORTED_ARCHITECTURES`). Answers are cached per control-plane URL and
ARN; refusals (403) and unknown ARNs raise an error telling the caller to name
the base model themselves.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Optional
from urllib.parse import quote

from ._routing import ARN_PATTERN as _ARN
from ._routing import strip_geo_prefix
from .errors import APIStatusError, BadRequestError

__all__ = ["IMPORTED_ARCHITECTURES", "ArnCache", "aresolve_base_model", "clear_cache", "resolve_base_model"]

#: Custom Model Import architecture (lower-cased prefix) -> a base model id of the family it speaks.
IMPORTED_ARCHITECTURES = (
    ("llama2", "meta.llama2-13b-chat-v1"),
    ("llama3", "meta.llama3-8b-instruct-v1:0"),  # llama3, llama3.1, llama3.2, llama3.3
    ("mllama", "meta.llama3-2-11b-instruct-v1:0"),
    ("mixtral", "mistral.mixtral-8x7b-instruct-v0:1"),
    ("mistral", "mistral.mistral-7b-instruct-v0:2"),
)

_MAX_DEPTH = 4  # provisioned -> custom -> custom (continued pre-training) -> foundation

_CACHE_LIMIT = 1024


class ArnCache:
    """Base model ids of opaque ARNs, per control-plane URL; bounded, owned by a Client.

    Sync lookups of one ARN wait on one lock (one request); async lookups of one
    ARN on one event loop await one in-flight future.
    """

    def __init__(self, limit: int = _CACHE_LIMIT) -> None:
        self._limit = limit
        self._found: dict[tuple[str, str], str] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self.inflight: dict[tuple, asyncio.Future[str]] = {}

    def get(self, key: tuple[str, str]) -> Optional[str]:
        return self._found.get(key)

    def put(self, key: tuple[str, str], base_model_id: str) -> None:
        with self._guard:
            if len(self._found) >= self._limit:
                self._found.pop(next(iter(self._found)))
            self._found[key] = base_model_id
            self._locks.pop(key, None)

    def lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def clear(self) -> None:
        with self._guard:
            self._found.clear()
            self._locks.clear()


def clear_cache() -> None:
    """Forget every ARN the default clients resolved (tests)."""
    from ._client import clear_default_clients

    clear_default_clients()


def _hint(arn: str) -> str:
    return (
        f'pass the base model yourself: model="bedrock/<base-model-id>", model_id="{arn}" '
        f'(or keep model="bedrock/{arn}" and add base_model="<base-model-id>"), '
        'for example base_model="anthropic.claude-3-haiku-20240307-v1:0"'
    )


def _plan(arn: str) -> tuple[Optional[str], Optional[str]]:
    """(base model id known locally, or None; control-plane path to ask, or None)."""
    match = _ARN.fullmatch(arn)
    if match is None:
        raise BadRequestError(f"{arn!r} is not a Bedrock model ARN; {_hint(arn)}", model=arn)
    kind, rest = match["kind"], match["rest"]
    if kind == "foundation-model":
        return rest, None
    if kind == "inference-profile":
        return strip_geo_prefix(rest), None
    encoded = quote(arn, safe="")
    paths = {
        "provisioned-model": "/provisioned-model-throughput/",
        "custom-model": "/custom-models/",
        "custom-model-deployment": "/model-customization/custom-model-deployments/",
        "imported-model": "/imported-models/",
        "application-inference-profile": "/inference-profiles/",
    }
    if kind not in paths:
        raise BadRequestError(f"litebed cannot tell which model a {kind} ARN runs; {_hint(arn)}", model=arn)
    return None, paths[kind] + encoded


def _read_answer(arn: str, answer: Any) -> str:
    """The next ARN (or a base model id) named by a control-plane answer."""
    match = _ARN.fullmatch(arn)
    assert match is not None, "_plan() accepted this ARN before its answer was asked for"
    kind = match["kind"]
    answer = answer if isinstance(answer, dict) else {}
    if kind == "provisioned-model":
        found = answer.get("foundationModelArn") or answer.get("modelArn")
    elif kind == "custom-model":
        found = answer.get("baseModelArn")
    elif kind == "custom-model-deployment":
        found = answer.get("modelArn")
    elif kind == "imported-model":
        found = _imported_base(arn, answer.get("modelArchitecture"))
    else:  # application-inference-profile
        models = answer.get("models") or [{}]
        found = models[0].get("modelArn")
    if not found or not isinstance(found, str):
        raise BadRequestError(f"the control plane did not say which model {arn} runs; {_hint(arn)}", model=arn)
    return found


def _imported_base(arn: str, architecture: Optional[str]) -> str:
    name = (architecture or "").lower()
    for prefix, base in IMPORTED_ARCHITECTURES:
        if name.startswith(prefix):
            return base
    raise BadRequestError(
        f"imported model {arn} has architecture {architecture!r}, which no native chat family "
        f"serves; use the Converse route (model=\"bedrock/converse/{arn}\") or {_hint(arn)}",
        model=arn,
    )


def _explain(exc: APIStatusError, arn: str) -> APIStatusError:
    """The control plane's refusal, re-raised with what the caller should do instead."""
    if exc.status_code not in (400, 403, 404):
        return exc
    reason = "is not permitted to read" if exc.status_code == 403 else "does not know"
    message = f"the Bedrock control plane {reason} {arn} ({exc}); {_hint(arn)}"
    return type(exc)(message, status_code=exc.status_code, bedrock_code=exc.bedrock_code, request_id=exc.request_id, model=arn)


def _steps(arn: str):
    """Yields control-plane paths to GET (send back the answers); returns the base model id."""
    current = arn
    for _ in range(_MAX_DEPTH):
        known, path = _plan(current)
        if known is not None:
            return known
        current = _read_answer(current, (yield path))
        if not current.startswith("arn:"):
            return current
    raise BadRequestError(f"{arn} leads through too many models; {_hint(arn)}", model=arn)


def _walk(arn: str, get: Callable[[str], Any]) -> str:
    steps = _steps(arn)
    try:
        path = next(steps)
        while True:
            try:
                answer = get(path)
            except APIStatusError as exc:
                raise _explain(exc, arn) from None
            path = steps.send(answer)
    except StopIteration as done:
        return done.value


def _known(client: Any, arn: str) -> tuple[Optional[str], ArnCache, tuple[str, str]]:
    """The base model id if the ARN names it or the client's cache has it; the cache and key either way."""
    cache: ArnCache = client.arn_cache
    key = (client.auth.control_url, arn)
    known, _ = _plan(arn)
    return (known or cache.get(key)), cache, key


def resolve_base_model(client: Any, arn: str) -> str:
    """The base model id that ``arn`` runs (``anthropic.claude-v2``), asking the control plane once.

    ``client`` is a :class:`~litebed._transport.sender.BedrockClient` (its ``control_get``
    is used). Thread-safe: concurrent first calls for one ARN make one request.
    """
    found, cache, key = _known(client, arn)
    if found is not None:
        return found
    with cache.lock(key):
        cached = cache.get(key)
        if cached is None:
            cached = _walk(arn, client.control_get)
            cache.put(key, cached)
    return cached


async def aresolve_base_model(client: Any, arn: str) -> str:
    """The async twin of :func:`resolve_base_model` (uses ``client.acontrol_get``)."""
    found, cache, key = _known(client, arn)
    if found is not None:
        return found
    loop = asyncio.get_running_loop()
    flight_key = (id(loop), key)
    pending = cache.inflight.get(flight_key)
    if pending is not None:
        return await asyncio.shield(pending)
    future = cache.inflight[flight_key] = loop.create_future()
    try:
        result = await _awalk(arn, client.acontrol_get)
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # mark retrieved: nobody else may be waiting
        raise
    else:
        cache.put(key, result)
        future.set_result(result)
        return result
    finally:
        cache.inflight.pop(flight_key, None)


async def _awalk(arn: str, aget: Callable[[str], Awaitable[Any]]) -> str:
    steps = _steps(arn)
    try:
        path = next(steps)
        while True:
            try:
                answer = await aget(path)
            except APIStatusError as exc:
                raise _explain(exc, arn) from None
            path = steps.send(answer)
    except StopIteration as done:
        return done.value
