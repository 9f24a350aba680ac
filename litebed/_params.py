"""OpenAI chat arguments -> validated :class:`~litebed.providers.base.ChatParams`.

Everything here runs before any network call, and every argument is checked:

* a keyword that is not an OpenAI parameter, a litebed option, a credential or a
  native field of the family raises ``BadRequestError("unknown argument ...")``
  with the closest valid name (``drop_params`` never drops it);
* a malformed value raises ``BadRequestError`` naming the argument and what was
  expected;
* an OpenAI parameter the family cannot honour raises ``UnsupportedParamsError``
  naming it and the model (dropped with ``drop_params``);
* max tokens above the family's documented maximum output (:data:`MAX_OUTPUT_TOKENS`)
  raise ``BadRequestError`` naming the cap.

``extra_body={...}`` (the openai SDK's convention) is carried unchecked, apart
from being JSON, into the native body (``additionalModelRequestFields`` on Converse).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable
from typing import Any, Optional

from ._auth.options import AUTH_PARAMS
from .errors import BadRequestError
from .providers.base import DEFAULT_MAX_TOKENS, ChatParams
from .providers.requests import (
    EXTRA_BODY,
    NO_PARALLEL_TOOL_CALLS,
    check_json,
    check_text,
    check_tool_name,
    expected,
    shown,
    stop_limit,
    unsupported,
)

#: Every OpenAI chat-completion parameter besides ``model``, ``messages``, ``stream`` and
#: ``stream_options`` (litebed's own keywords): ``completion()`` takes these by name.
OPENAI_PARAMS = (
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "stop",
    "n",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "user",
    "tools",
    "tool_choice",
    "response_format",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
    "logit_bias",
    "store",
    "metadata",
    "service_tier",
    "reasoning_effort",
    "modalities",
    "audio",
    "prediction",
    "web_search_options",
    "functions",
    "function_call",
    "verbosity",
    "prompt_cache_key",
    "prompt_cache_retention",
    "prompt_cache_options",
    "safety_identifier",
    "moderation",
)

#: OpenAI options with no Bedrock meaning (storage and billing on OpenAI's side):
#: checked, then never sent.
IGNORED = frozenset({"store", "metadata", "service_tier"})
#: OpenAI parameters litebed honours on every family itself (``user`` is never sent
#: in a native body; Converse logs it as ``requestMetadata``).
EVERYWHERE = frozenset({"max_tokens", "max_completion_tokens", "n", "stop", "user"})
#: Families whose body can say ``parallel_tool_calls=False``.
PARALLEL_TOOL_CALLS_FIELD = frozenset({"anthropic-messages"})
#: The openai SDK's other request options: meaningless for Bedrock (dropped with drop_params).
SDK_OPTIONS = frozenset({"extra_headers", "extra_query"})

#: Documented maximum output tokens per family: ``(base model id prefix, cap)`` pairs,
#: first match wins; None means no documented cap. Converse uses the table of the
#: model's native family. The model catalog is meant to replace this table.
MAX_OUTPUT_TOKENS: dict[str, tuple[tuple[str, Optional[int]], ...]] = {
    "anthropic-text": (("", 4096),),
    "anthropic-messages": (
        ("anthropic.claude-3-haiku", 4096),
        ("anthropic.claude-3-sonnet", 4096),
        ("anthropic.claude-3-opus", 4096),
        ("anthropic.claude-3-5-", 8192),
        ("", None),  # later Claude models: per model
    ),
    "titan": (("amazon.titan-text-lite", 4096), ("amazon.titan-text-premier", 3072), ("", 8192)),
    "nova": (("amazon.nova-premier", 32000), ("", 5000)),
    "cohere-command": (("", 4096),),
    "cohere-chat": (("", 4000),),
    "ai21-j2": (("", 8191),),
    "ai21-jamba": (("", 4096),),
    "llama2": (("", 2048),),
    "llama3": (("", 2048),),
    "mistral-text": (("mistral.mixtral-", 4096), ("", 8192)),
    "mistral-chat": (("", 8192),),
    "deepseek": (("", 32768),),
}

#: OpenAI's defaults that ask for nothing, accepted (and not sent) on every family.
_DEFAULTS = {"logprobs": False, "parallel_tool_calls": True, "logit_bias": {}}
_MAX_INT32 = 2**31 - 1


# --- small checkers: each returns the value (normalised) or raises naming the argument ---


def _integer(name: str, value: Any, low: Optional[int] = None, high: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low) or (
        high is not None and value > high
    ):
        bounds = "an integer" if low is None else f"an integer of at least {low}" if high is None else (
            f"an integer from {low} to {high}"
        )
        raise expected(name, bounds, value)
    return value


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _MAX_INT32:
        raise expected(name, "a positive integer", value)
    return value


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low <= value <= high):
        raise expected(name, f"a number between {low:g} and {high:g}", value)
    return float(value)


def _boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise expected(name, "True or False", value)
    return value


def _one_of(choices: tuple[str, ...]) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise expected(name, " or ".join(repr(c) for c in choices), value)
        return value
    return check


def _between(low: float, high: float) -> Callable[[str, Any], float]:
    return lambda name, value: _number(name, value, low, high)


def _int_between(low: int, high: Optional[int]) -> Callable[[str, Any], int]:
    return lambda name, value: _integer(name, value, low, high)


def _text(name: str, value: Any) -> str:
    return check_text(value, name)


def _json(name: str, value: Any) -> Any:
    return check_json(value, name)


def _dict(name: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise expected(name, "a dict", value)
    return check_json(value, name)


def _string_map(name: str, value: Any) -> dict:
    _dict(name, value)
    for key, item in value.items():
        if not isinstance(item, str):
            raise expected(f"{name}.{key}", "a string", item)
    return value


def _stop(name: str, value: Any) -> list[str]:
    return normalize_stop(value, name)


def normalize_stop(stop: Any, name: str = "stop") -> list[str]:
    """``stop`` (a string or a list of strings) -> the non-empty stop sequences."""
    if stop is None:
        return []
    if isinstance(stop, str):
        return [check_text(stop, name)] if stop else []
    if isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
        return [check_text(s, f"{name}[{i}]") for i, s in enumerate(stop) if s]
    raise expected(name, "a string or a list of strings", stop)


def _logit_bias(name: str, value: Any) -> dict:
    _dict(name, value)
    for token, bias in value.items():
        if not str(token).lstrip("-").isdigit():
            raise expected(f"{name} keys", "token ids", token)
        _number(f"{name}[{token!r}]", bias, -100, 100)
    return value


def _tools(name: str, value: Any) -> Optional[list]:
    """OpenAI ``tools``: function tools with Bedrock-valid, distinct names and object schemas."""
    if not isinstance(value, list):
        raise expected(name, 'a list of {"type": "function", "function": {...}} dicts', value)
    seen: set[str] = set()
    for i, tool in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(tool, dict):
            raise expected(where, 'a {"type": "function", "function": {...}} dict', tool)
        if tool.get("type", "function") != "function":
            raise expected(f"{where}.type", "'function' (the only tool type Bedrock can call)", tool.get("type"))
        function = tool.get("function")
        if not isinstance(function, dict):
            raise expected(f"{where}.function", "a dict with a name and parameters", function)
        tool_name = check_tool_name(function.get("name"), f"{where}.function.name")
        if tool_name in seen:
            raise BadRequestError(f"{where}.function.name {tool_name!r} is given twice; tool names must be distinct")
        seen.add(tool_name)
        if function.get("description") is not None:
            check_text(function["description"], f"{where}.function.description")
        parameters = function.get("parameters")
        if parameters is not None and (not isinstance(parameters, dict) or parameters.get("type") != "object"):
            raise expected(f"{where}.function.parameters", 'a JSON schema object ({"type": "object", ...})', parameters)
        check_json(parameters, f"{where}.function.parameters")
        if function.get("strict") is not None:
            _boolean(f"{where}.function.strict", function["strict"])
    return value or None


def _tool_choice(name: str, value: Any) -> Any:
    if value in ("auto", "none", "required"):
        return value
    function = value.get("function") if isinstance(value, dict) else None
    if not isinstance(value, dict) or value.get("type") != "function" or not isinstance(function, dict):
        raise expected(name, '"auto", "none", "required" or {"type": "function", "function": {"name": ...}}', value)
    check_tool_name(function.get("name"), f"{name}.function.name")
    return value


def _response_format(name: str, value: Any) -> Optional[dict]:
    kinds = ("text", "json_object", "json_schema")
    if not isinstance(value, dict) or value.get("type") not in kinds:
        raise expected(name, "{'type': 'text' | 'json_object' | 'json_schema', ...}", value)
    if value["type"] == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict):
            raise expected(f"{name}.json_schema", "a dict with a name and a schema", spec)
        check_text(spec.get("name"), f"{name}.json_schema.name")
        if not isinstance(spec.get("schema"), dict):
            raise expected(f"{name}.json_schema.schema", "a JSON schema (a dict)", spec.get("schema"))
        check_json(spec["schema"], f"{name}.json_schema.schema")
        if spec.get("description") is not None:
            check_text(spec["description"], f"{name}.json_schema.description")
        if spec.get("strict") is not None:
            _boolean(f"{name}.json_schema.strict", spec["strict"])
    return None if value["type"] == "text" else value


#: How each OpenAI parameter's value is checked (the others: any JSON value).
_OPENAI_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "max_tokens": _positive_int,
    "max_completion_tokens": _positive_int,
    "temperature": _between(0, 2),
    "top_p": _between(0, 1),
    "presence_penalty": _between(-2, 2),
    "frequency_penalty": _between(-2, 2),
    "n": _int_between(1, 16),
    "seed": _int_between(-(2**63), 2**63 - 1),
    "user": _text,
    "stop": _stop,
    "tools": _tools,
    "tool_choice": _tool_choice,
    "response_format": _response_format,
    "logprobs": _boolean,
    "top_logprobs": _int_between(0, 20),
    "parallel_tool_calls": _boolean,
    "logit_bias": _logit_bias,
    "store": _boolean,
    "metadata": _string_map,
    "service_tier": _text,
    "reasoning_effort": _text,
    "verbosity": _text,
    "prompt_cache_key": _text,
    "safety_identifier": _text,
}


def _check_count_penalty(name: str, value: Any) -> dict:
    _dict(name, value)
    _number(f"{name}.scale", value.get("scale"), 0, 1)
    for flag, item in value.items():
        if flag != "scale":
            _boolean(f"{name}.{flag}", item)
    return value


def _check_documents(name: str, value: Any) -> list:
    if not isinstance(value, list) or not all(isinstance(d, dict) for d in value):
        raise expected(name, "a list of dicts ({'title': ..., 'snippet': ...})", value)
    return check_json(value, name)


#: How each family's native keyword fields are checked (documented ranges); a field
#: without a checker here must be JSON. Converse's request members are checked by its builder.
NATIVE_FIELD_CHECKS: dict[str, dict[str, Callable[[str, Any], Any]]] = {
    "anthropic-text": {"top_k": _int_between(0, 500)},
    "anthropic-messages": {"top_k": _int_between(0, 500)},
    "nova": {"top_k": _int_between(0, 128)},
    "mistral-text": {"top_k": _int_between(1, 200)},
    "cohere-command": {
        "k": _int_between(0, 500),
        "return_likelihoods": _one_of(("GENERATION", "ALL", "NONE")),
        "truncate": _one_of(("NONE", "START", "END")),
    },
    "cohere-chat": {
        "k": _int_between(0, 500),
        "prompt_truncation": _one_of(("OFF", "AUTO_PRESERVE_ORDER")),
        "search_queries_only": _boolean,
        "raw_prompting": _boolean,
        "documents": _check_documents,
    },
    "ai21-j2": {"countPenalty": _check_count_penalty},
    "converse": {"top_k": _int_between(0, None), "k": _int_between(0, None)},
}


# --- the table lookups the rest of litebed uses ----------------------------------------


def _native_family(family: str, model_id: str) -> Optional[str]:
    """The family whose documented limits apply: the model's own on Converse."""
    if family != "converse":
        return family
    from .providers import chat_family_name

    name = chat_family_name(model_id)
    return name.replace("_", "-") if name else None


def max_output_tokens(family: str, model_id: str) -> Optional[int]:
    """The documented maximum output tokens of ``model_id`` in ``family`` (None: no cap known)."""
    from ._routing import strip_geo_prefix

    native = _native_family(family, model_id)
    base = strip_geo_prefix(model_id)
    for prefix, cap in MAX_OUTPUT_TOKENS.get(native or "", ()):
        if base.startswith(prefix):
            return cap
    return None


def client_stops(family: Any, model_id: str, stop: list[str]) -> list[str]:
    """The stop sequences the client must cut the output at itself: all of them when
    the family has no stop field, or when there are more than its body takes (the
    body then carries the first ones, :func:`~litebed.providers.requests.native_stops`)."""
    limit = stop_limit(family.FAMILY, model_id)
    if not family.NATIVE_STOP or (limit is not None and len(stop) > limit):
        return list(stop)
    return []


def check_stream_options(stream_options: Any, stream: bool) -> dict:
    """``stream_options`` -> a dict with a bool ``include_usage`` (only with ``stream=True``)."""
    if stream_options is None:
        return {}
    if not isinstance(stream_options, dict):
        raise expected("stream_options", "a dict such as {'include_usage': True}", stream_options)
    if stream_options and not stream:
        raise BadRequestError("stream_options is only allowed with stream=True")
    for key, value in stream_options.items():
        if key == "include_usage":
            _boolean("stream_options.include_usage", value)
        elif key == "include_obfuscation":
            _boolean("stream_options.include_obfuscation", value)  # OpenAI's; nothing to obfuscate here
        else:
            raise expected("stream_options keys", "'include_usage'", key)
    return stream_options


# --- the walk ----------------------------------------------------------------------------


def build_chat_params(
    family: Any,
    model_id: str,
    *,
    openai_params: dict[str, Any],
    extra: dict[str, Any],
    stream: bool,
    drop_params: bool,
) -> ChatParams:
    """Check OpenAI and provider-specific arguments against ``family``.

    ``openai_params`` holds the OpenAI arguments the caller gave (None = not given);
    ``extra`` holds the remaining keyword arguments: ``extra_body`` and native
    fields of the family (``PROVIDER_PARAMS``); anything else is an unknown argument.
    """
    given = {}
    for name, value in openai_params.items():
        if value is not None:
            given[name] = _OPENAI_CHECKS.get(name, _json)(name, value)
    params = ChatParams(stream=stream)
    _take_extra(params, family, model_id, extra, drop_params)
    _drop_unsupported(params, family, model_id, given, drop_params)

    _max_tokens(params, family, model_id, given)
    params.temperature = given.get("temperature")
    params.top_p = given.get("top_p")
    params.stop = given.get("stop") or []
    params.n = given.get("n", 1)
    params.presence_penalty = given.get("presence_penalty")
    params.frequency_penalty = given.get("frequency_penalty")
    params.seed = given.get("seed")
    params.user = given.get("user")
    params.tools = given.get("tools")
    params.tool_choice = given.get("tool_choice")
    params.response_format = given.get("response_format")
    _check_tool_choice(params)
    return params


def _drop_unsupported(params: ChatParams, family: Any, model_id: str, given: dict, drop_params: bool) -> None:
    """Remove from ``given`` what needs no sending, and what the family cannot honour
    (``UnsupportedParamsError`` unless ``drop_params``)."""
    supported = family.supported_params(model_id)  # a family may narrow them per model
    for name in list(given):
        value = given[name]
        if name in EVERYWHERE:
            continue
        if name in IGNORED or (name in _DEFAULTS and value == _DEFAULTS[name]):
            given.pop(name)  # asks for nothing
            continue
        if name == "parallel_tool_calls":  # False
            if family.FAMILY in PARALLEL_TOOL_CALLS_FIELD:
                params.extra[NO_PARALLEL_TOOL_CALLS] = True
                given.pop(name)
                continue
            hint = "This model family has no field to limit an answer to one tool call."
        else:
            hint = _hint(name)
        if name in supported:
            continue
        given.pop(name)
        if not drop_params:
            raise unsupported(name, model_id, hint)


def _max_tokens(params: ChatParams, family: Any, model_id: str, given: dict) -> None:
    both = "max_tokens" in given and "max_completion_tokens" in given
    if both and given["max_tokens"] != given["max_completion_tokens"]:
        raise BadRequestError("pass max_tokens or max_completion_tokens, not both with different values")
    name = "max_completion_tokens" if "max_completion_tokens" in given else "max_tokens"
    if name not in given:
        params.max_tokens = DEFAULT_MAX_TOKENS
        return
    value = given[name]
    cap = max_output_tokens(family.FAMILY, model_id)
    if cap is not None and value > cap:
        raise BadRequestError(
            f"{name} must be at most {cap} for model {model_id!r} (its documented maximum output), got {value}"
        )
    params.max_tokens = value
    params.max_tokens_given = True


def _check_tool_choice(params: ChatParams) -> None:
    choice = params.tool_choice
    if choice is None or choice in ("auto", "none"):
        return
    names = [t["function"]["name"] for t in params.tools or ()]
    if not names:
        raise BadRequestError(f"tool_choice {shown(choice)} needs tools=[...] to choose from")
    if isinstance(choice, dict) and choice["function"]["name"] not in names:
        raise BadRequestError(
            f"tool_choice names {choice['function']['name']!r}, which is not one of the tools given ({', '.join(names)})"
        )


def _take_extra(params: ChatParams, family: Any, model_id: str, extra: dict, drop_params: bool) -> None:
    """``extra_body`` and the family's native keyword fields into ``params.extra``."""
    checks = NATIVE_FIELD_CHECKS.get(family.FAMILY, {})
    for name, value in extra.items():
        if name == EXTRA_BODY:
            if not isinstance(value, dict):
                raise expected("extra_body", "a dict of native body fields", value)
            params.extra[EXTRA_BODY] = check_json(value, "extra_body")
        elif name in family.PROVIDER_PARAMS:
            params.extra[name] = checks.get(name, _json)(name, value)
        elif name in SDK_OPTIONS:
            if not drop_params:
                raise unsupported(name, model_id, "Bedrock requests take no extra headers or query parameters.")
        else:
            raise unknown_argument(name, family, model_id)


def unknown_argument(name: str, family: Any, model_id: str) -> BadRequestError:
    """``BadRequestError("unknown argument 'temprature'; did you mean 'temperature'?")``."""
    from ._completion import _OWN_KEYWORDS

    native = sorted(family.PROVIDER_PARAMS) if isinstance(family.PROVIDER_PARAMS, Iterable) else []
    fields = ", ".join(native) or "none"
    if name in _OTHER_NATIVE_FIELDS:  # another family's field (top_k for Cohere, say): no look-alike guess
        return BadRequestError(
            f"unknown argument {name!r}: it is not a native field of model {model_id!r} ({family.FAMILY} native "
            f"fields: {fields}); pass other native body fields in extra_body={{...}}"
        )
    valid = [*OPENAI_PARAMS, *_OWN_KEYWORDS, *AUTH_PARAMS, *native, EXTRA_BODY]
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.75) if isinstance(name, str) else []
    if close:
        return BadRequestError(f"unknown argument {name!r}; did you mean {close[0]!r}?")
    return BadRequestError(
        f"unknown argument {name!r}: it is not an OpenAI parameter, a litebed option, a credential, nor a "
        f"native field of model {model_id!r} (native fields: {fields}); pass other native body fields "
        "in extra_body={...}"
    )


#: Native field names some family documents (for a clearer unknown-argument message).
_OTHER_NATIVE_FIELDS = frozenset(name for checks in NATIVE_FIELD_CHECKS.values() for name in checks) | {
    "anthropic_beta", "thinking", "guardrailConfig", "additionalModelRequestFields", "requestMetadata",
}


def _hint(name: str) -> str:
    if name in ("tools", "tool_choice", "response_format"):
        return "Use bedrock/converse/<model-id> for models that support tools through Converse."
    return ""


class Keywords:
    """Base of the dataclasses that hold one function's own keywords.

    ``take(kwargs)`` pops exactly the fields' names out of a call's ``**kwargs``
    (what remains is credentials and endpoints); unset fields keep their defaults.
    """

    @classmethod
    def take(cls, kwargs: dict[str, Any]) -> Any:
        names = [item.name for item in dataclasses.fields(cls)]  # type: ignore[arg-type]
        return cls(**{name: kwargs.pop(name) for name in names if name in kwargs})
