"""Prompt-cache checkpoints (``cache_control``), checked against the model before sending.

A checkpoint is ``cache_control: {"type": "ephemeral"}`` (optionally with
``"ttl": "5m" | "1h"``) on a message, a content part or a tool, as in
Anthropic's API and LiteLLM. The model catalog's ``prompt_caching`` entry says
whether the model caches, where checkpoints may go (``system``, ``messages``,
``tools``), how many a request may hold, which lifetimes it takes and the
minimum tokens a cached prefix needs.

* A model that does not cache: ``UnsupportedParamsError``, or every marker is
  removed with ``drop_params``; so is a checkpoint where the model takes none
  (tools on Nova).
* More checkpoints than the model takes, or a lifetime it does not take:
  ``BadRequestError`` naming them.
* A prefix shorter than the model's minimum: Bedrock silently caches nothing,
  so litebed logs a warning (``litebed`` logger) naming the checkpoint.

Families then write the markers in their body's terms (see
``providers/prompt_parts.py``). Calls without any marker cost one scan of the
messages' keys.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Optional

from .errors import BadRequestError
from .providers.prompt_parts import cache_marker
from .providers.requests import unsupported

logger = logging.getLogger("litebed")

#: Families whose body can carry cache checkpoints.
_CACHING_FAMILIES = ("anthropic-messages", "nova", "converse")


@functools.lru_cache(maxsize=1024)
def _caching(base_model_id: str) -> Optional[dict]:
    from ._catalog import lookup

    try:
        info = lookup(base_model_id)
    except BadRequestError:
        return None
    return (info or {}).get("prompt_caching")


def _markers(messages: list[dict], tools: Optional[list]) -> list[tuple[str, str, dict, Any]]:
    """Every marked place: (field, where, marker, the marked message/part/tool), in prompt order
    (tools, then system, then the conversation, as Bedrock reads a prefix)."""
    found: list[tuple[str, str, dict, Any]] = []
    for i, tool in enumerate(tools or ()):
        if isinstance(tool, dict) and tool.get("cache_control") is not None:
            found.append(("tools", f"tools[{i}]", cache_marker(tool, f"tools[{i}]") or {}, tool))
    system: list[tuple[str, str, dict, Any]] = []
    conversation: list[tuple[str, str, dict, Any]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            continue
        where = f"messages[{i}]"
        into = system if message.get("role") in ("system", "developer") else conversation
        content = message.get("content")
        if isinstance(content, list):
            for k, part in enumerate(content):
                if isinstance(part, dict) and part.get("cache_control") is not None:
                    at = f"{where}.content[{k}]"
                    into.append(("system" if into is system else "messages", at, cache_marker(part, at) or {}, message))
        if message.get("cache_control") is not None:
            into.append(("system" if into is system else "messages", where, cache_marker(message, where) or {}, message))
    return found + system + conversation


def _unmarked(messages: list[dict], tools: Optional[list], fields: tuple[str, ...]) -> tuple[list[dict], Optional[list]]:
    """Copies of ``messages`` and ``tools`` without markers in ``fields`` (the caller's objects untouched)."""
    def strip(item: Any) -> Any:
        return {k: v for k, v in item.items() if k != "cache_control"} if isinstance(item, dict) else item

    if "tools" in fields and tools:
        tools = [strip(tool) for tool in tools]
    out = []
    for message in messages:
        is_system = isinstance(message, dict) and message.get("role") in ("system", "developer")
        if not isinstance(message, dict) or ("system" if is_system else "messages") not in fields:
            out.append(message)
            continue
        message = strip(message)
        if isinstance(message.get("content"), list):
            message["content"] = [strip(part) for part in message["content"]]
        out.append(message)
    return out, tools


def check_cache_points(
    messages: list[dict], tools: Optional[list], family: Any, model_id: str, drop_params: bool
) -> tuple[list[dict], Optional[list]]:
    """The checks in the module docstring; returns (messages, tools), markers removed where dropped."""
    if not _has_marker(messages, tools):
        return messages, tools
    found = _markers(messages, tools)
    caching = _caching(model_id) if family.FAMILY in _CACHING_FAMILIES else None
    if caching is None:
        if drop_params:
            return _unmarked(messages, tools, ("tools", "system", "messages"))
        raise unsupported("cache_control", model_id,
                          f"This model has no prompt caching on Bedrock ({found[0][1]} is marked).")
    refused = sorted({field for field, *_ in found if field not in caching["fields"]})
    if refused:
        if not drop_params:
            where = next(w for f, w, *_ in found if f in refused)
            raise unsupported("cache_control", model_id,
                              f"It caches {' and '.join(caching['fields'])} only, not {refused[0]} ({where} is marked).")
        messages, tools = _unmarked(messages, tools, tuple(refused))
        found = [item for item in found if item[0] not in refused]
    if len(found) > caching["max_checkpoints"]:
        raise BadRequestError(
            f"cache_control: {len(found)} cache checkpoints ({', '.join(w for _, w, *_ in found)}), but {model_id} "
            f"takes at most {caching['max_checkpoints']} per request; keep the last ones that end stable prefixes"
        )
    for _, where, marker, _ in found:
        if marker.get("ttl") and marker["ttl"] not in caching["ttls"]:
            raise BadRequestError(
                f"{where}.cache_control.ttl: {model_id} takes a cache lifetime of "
                f"{' or '.join(repr(t) for t in caching['ttls'])}, not {marker['ttl']!r}"
            )
    _warn_short_prefixes(found, messages, tools, model_id, caching["min_tokens"])
    return messages, tools


def _has_marker(messages: list[dict], tools: Optional[list]) -> bool:
    """Any ``cache_control`` that is not None (``None`` marks nothing, as in LiteLLM)."""
    for tool in tools or ():
        if isinstance(tool, dict) and tool.get("cache_control") is not None:
            return True
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("cache_control") is not None:
            return True
        content = message.get("content")
        if isinstance(content, list) and any(isinstance(p, dict) and p.get("cache_control") is not None for p in content):
            return True
    return False


def _warn_short_prefixes(found: list, messages: list[dict], tools: Optional[list], model_id: str, minimum: int) -> None:
    """Warn about checkpoints whose prefix Bedrock will not cache (too few tokens)."""
    import json

    from ._tokens import token_counter

    ordered = [m for m in messages if isinstance(m, dict) and m.get("role") in ("system", "developer")]
    ordered += [m for m in messages if isinstance(m, dict) and m.get("role") not in ("system", "developer")]
    tool_text = json.dumps(tools) if tools else ""
    for field, where, _, holder in found:
        if field == "tools":
            prefix_text = json.dumps(tools[: tools.index(holder) + 1]) if tools else ""
            prefix = []
        else:
            prefix_text = tool_text
            prefix = ordered[: ordered.index(holder) + 1] if holder in ordered else ordered
        chars = len(prefix_text) + sum(len(json.dumps(m.get("content"))) for m in prefix)
        if chars >= 8 * minimum:
            continue  # certainly long enough: no need to count
        tokens = token_counter(messages=prefix) + (token_counter(text=prefix_text) if prefix_text else 0) if prefix else (
            token_counter(text=prefix_text))
        if tokens < minimum:
            logger.warning(
                "cache checkpoint at %s: the prompt up to it is about %d tokens, under %s's minimum of %d; "
                "Bedrock will not cache it", where, tokens, model_id, minimum,
            )
