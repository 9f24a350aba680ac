"""OpenAI chat arguments -> validated :class:`~litebed.providers.base.ChatParams`.

Everything here runs before any network call: a parameter the family cannot
honour raises ``UnsupportedParamsError`` naming it and the model (unless
``drop_params``), and malformed values raise ``BadRequestError`` naming the
argument.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .errors import BadRequestError
from .providers.base import DEFAULT_MAX_TOKENS, ChatParams
from .providers.requests import unsupported

#: OpenAI options litebed handles itself or that carry no Bedrock meaning; they never reach a body.
IGNORED = frozenset({"stream_options", "parallel_tool_calls", "store", "metadata", "service_tier"})


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequestError(f"{name} must be a positive integer, got {value!r}")
    return value


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (low <= value <= high):
        raise BadRequestError(f"{name} must be a number between {low} and {high}, got {value!r}")
    return float(value)


def _is_function_tool(tool: Any) -> bool:
    return (
        isinstance(tool, dict)
        and tool.get("type", "function") == "function"
        and isinstance(tool.get("function"), dict)
        and bool(tool["function"].get("name"))
    )


def normalize_stop(stop: Any) -> list[str]:
    if stop is None:
        return []
    if isinstance(stop, str):
        return [stop] if stop else []
    if isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop):
        return [s for s in stop if s]
    raise BadRequestError(f"stop must be a string or a list of strings, got {stop!r}")


def build_chat_params(
    family: Any,
    model_id: str,
    *,
    openai_params: dict[str, Any],
    extra: dict[str, Any],
    stream: bool,
    drop_params: bool,
) -> ChatParams:
    """Validate OpenAI and provider-specific arguments against ``family``.

    ``openai_params`` holds the OpenAI arguments the caller gave (None = not given);
    ``extra`` holds the remaining keyword arguments, which must be native
    parameters of the family (``PROVIDER_PARAMS``).
    """
    given = {k: v for k, v in openai_params.items() if v is not None}
    # A family may narrow its parameters per model (Converse: tools only where the model has them).
    supported = family.supported_params(model_id)

    for name in list(given):
        if name in IGNORED:
            given.pop(name)
        elif name not in supported and name not in ("max_tokens", "max_completion_tokens", "n", "stop"):
            if drop_params:
                given.pop(name)
            else:
                raise unsupported(name, model_id, _hint(name))

    params = ChatParams(stream=stream)
    max_tokens = given.get("max_completion_tokens", given.get("max_tokens"))
    if "max_tokens" in given and "max_completion_tokens" in given and given["max_tokens"] != given["max_completion_tokens"]:
        raise BadRequestError("pass max_tokens or max_completion_tokens, not both with different values")
    if max_tokens is not None:
        params.max_tokens = _positive_int("max_tokens", max_tokens)
        params.max_tokens_given = True
    else:
        params.max_tokens = DEFAULT_MAX_TOKENS
    if "temperature" in given:
        params.temperature = _number("temperature", given["temperature"], 0.0, 2.0)
    if "top_p" in given:
        params.top_p = _number("top_p", given["top_p"], 0.0, 1.0)
    params.stop = normalize_stop(given.get("stop"))
    if "n" in given:
        params.n = _positive_int("n", given["n"])
        if params.n > 16:
            raise BadRequestError(f"n must be at most 16, got {params.n}")
    for name in ("presence_penalty", "frequency_penalty"):
        if name in given:
            setattr(params, name, _number(name, given[name], -2.0, 2.0))
    if "seed" in given:
        if isinstance(given["seed"], bool) or not isinstance(given["seed"], int):
            raise BadRequestError(f"seed must be an integer, got {given['seed']!r}")
        params.seed = given["seed"]
    if "user" in given:
        params.user = str(given["user"])
    if "tools" in given:
        tools = given["tools"]
        if not isinstance(tools, list) or not all(_is_function_tool(t) for t in tools):
            raise BadRequestError("tools must be a list of {'type': 'function', 'function': {'name': ..., 'parameters': {...}}}")
        params.tools = tools or None
    if "tool_choice" in given:
        params.tool_choice = given["tool_choice"]
    if "response_format" in given:
        fmt = given["response_format"]
        if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
            raise BadRequestError("response_format must be {'type': 'text' | 'json_object' | 'json_schema', ...}")
        params.response_format = None if fmt.get("type") == "text" else fmt

    allowed_extra = family.PROVIDER_PARAMS
    for name, value in extra.items():
        if name in allowed_extra:
            params.extra[name] = value
        elif not drop_params:
            raise unsupported(name, model_id, "It is neither an OpenAI parameter litebed maps nor a native parameter of this model family.")
    return params


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
)
