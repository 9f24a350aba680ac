"""Helpers the family modules share to turn OpenAI messages, tools and formats into native parts.

Pure functions: each raises ``BadRequestError`` naming the argument (``messages[2].content``)
when a conversation cannot be expressed.
"""

from __future__ import annotations

import base64 as _base64
import binascii as _binascii
import json as _json
import re as _re
from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import BadRequestError, UnsupportedParamsError
from .base import ChatParams


def content_text(content: Any, *, argument: str = "messages") -> str:
    """Flatten OpenAI message content (None, str, or a list of parts) to text.

    Text parts are joined with a newline, so that two parts ("Be terse." and
    "Answer:") never run into one word; a part this family cannot express as
    text raises ``BadRequestError``.
    """
    return "\n".join(content_texts(content, argument=argument))


def content_texts(content: Any, *, argument: str = "messages") -> list[str]:
    """The texts of OpenAI message content, one per text part (empty ones kept)."""
    if content is None:
        return []
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        pieces = []
        for k, part in enumerate(content):
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                pieces.append(str(part.get("text") or ""))
            elif isinstance(part, dict):
                raise BadRequestError(
                    f"{argument}[{k}]: content part of type {part.get('type')!r} cannot be sent "
                    "to this model as text"
                )
            else:
                raise BadRequestError(f"{argument}[{k}]: content parts must be dicts, got {type(part).__name__}")
        return pieces
    raise BadRequestError(f"{argument}: content must be a string, a list of parts or None")


def merge_turns(messages: list[dict], *, system_roles=("system", "developer")) -> tuple[str, list[tuple[str, str]]]:
    """Split messages into (system text, [(role, text), ...]) with same-role runs merged.

    Roles other than user/assistant/system raise ``BadRequestError`` (a family
    without tools cannot express a ``tool`` message). Merged texts are joined
    with a blank line.
    """
    check_messages(messages)
    system_parts: list[str] = []
    turns: list[tuple[str, str]] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadRequestError(f"messages[{i}] must be a dict with a role")
        role = message.get("role")
        text = content_text(message.get("content"), argument=f"messages[{i}].content")
        if message.get("tool_calls"):
            raise BadRequestError(
                f"messages[{i}] has tool_calls, which this model family cannot express; "
                "use the converse route (bedrock/converse/<model>) for tools"
            )
        if role in system_roles:
            system_parts.append(text)
            continue
        if role not in ("user", "assistant"):
            raise BadRequestError(
                f"messages[{i}].role {role!r} is not supported by this model family; "
                "use the converse route (bedrock/converse/<model>) for tool messages"
            )
        if turns and turns[-1][0] == role:
            turns[-1] = (role, turns[-1][1] + "\n\n" + text)
        else:
            turns.append((role, text))
    return "\n\n".join(p for p in system_parts if p), turns


def prompt_turns(messages: list[dict]) -> tuple[str, list[tuple[str, str]], str]:
    """``(system, turns, pre-fill)`` for families that flatten a conversation into one prompt.

    A trailing assistant message is a pre-fill: the prompt ends with its text
    and the answer continues it. At least one user message is required.
    """
    system, turns = merge_turns(messages)
    if not any(role == "user" for role, _ in turns):
        raise BadRequestError("messages must contain at least one user message")
    prefill = turns.pop()[1].rstrip() if turns[-1][0] == "assistant" else ""
    return system, turns, prefill


def unsupported(param: str, model_id: str, hint: str = "") -> UnsupportedParamsError:
    tail = f" {hint}" if hint else ""
    return UnsupportedParamsError(
        f"{param!r} is not supported by model {model_id!r}; pass drop_params=True to drop it.{tail}",
        model=model_id,
    )


def clamp(value: Optional[float], low: float, high: float) -> Optional[float]:
    """OpenAI allows temperature 0-2; most Bedrock families take 0-1. We clamp."""
    if value is None:
        return None
    return max(low, min(high, float(value)))


# --- checkers: a caller's values, before anything is built or sent -----------

#: Bedrock's tool-name rule (Converse ``ToolName``; Claude's native tools follow it too).
TOOL_NAME = _re.compile(r"[a-zA-Z0-9_-]{1,64}")
#: Bedrock's tool-use id rule (Converse ``ToolUseId``), applied to every id a caller sends.
TOOL_USE_ID = _re.compile(r"[a-zA-Z0-9_.:-]{1,64}")
#: The roles OpenAI defines, and the content part types each may hold.
PART_TYPES = {
    "system": ("text",),
    "developer": ("text",),
    "user": ("text", "image_url", "input_audio", "file"),
    "assistant": ("text", "refusal"),
    "tool": ("text",),
}
_MAX_DEPTH = 64


def shown(value: Any, limit: int = 60) -> str:
    """A short repr of a caller's value, for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expected(argument: str, what: str, value: Any) -> BadRequestError:
    """``BadRequestError("<argument> must be <what>, got <value>")``."""
    return BadRequestError(f"{argument} must be {what}, got {shown(value)}")


def check_text(value: Any, argument: str) -> str:
    """``value`` as a string Bedrock can take (UTF-8 encodable: no lone surrogate)."""
    if not isinstance(value, str):
        raise expected(argument, "a string", value)
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadRequestError(
                f"{argument} holds text that cannot be encoded as UTF-8 (the lone surrogate "
                f"{value[exc.start]!r} at position {exc.start}); Bedrock takes UTF-8 text only"
            ) from None
    return value


def check_json(value: Any, argument: str, _depth: int = 0) -> Any:
    """``value`` if it is JSON data Bedrock can take: dicts with string keys, lists,
    UTF-8 strings, finite numbers, booleans and None (raises naming the first bad path)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise expected(argument, "a finite number (JSON has no NaN or infinity)", value)
        return value
    if isinstance(value, str):
        return check_text(value, argument)
    if _depth > _MAX_DEPTH:
        raise BadRequestError(f"{argument} is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            check_json(item, f"{argument}[{i}]", _depth + 1)
        return value
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise expected(f"{argument} keys", "strings", key)
            check_text(key, f"{argument} key")
            check_json(item, f"{argument}.{key}", _depth + 1)
        return value
    raise expected(argument, "JSON data (dicts, lists, strings, numbers, booleans, None)", type(value).__name__)


def check_tool_name(name: Any, argument: str) -> str:
    """A tool name that Bedrock accepts (1-64 of ``a-z A-Z 0-9 _ -``)."""
    if not isinstance(name, str) or not TOOL_NAME.fullmatch(name):
        raise expected(argument, "a tool name of 1-64 letters, digits, '_' or '-'", name)
    return name


def check_tool_use_id(value: Any, argument: str) -> str:
    """A tool-call id that Bedrock accepts (1-64 of ``a-z A-Z 0-9 _ . : -``)."""
    if not isinstance(value, str) or not TOOL_USE_ID.fullmatch(value):
        raise expected(argument, "a tool call id string of 1-64 letters, digits, '_', '.', ':' or '-'", value)
    return value


def check_messages(messages: Any) -> list[dict]:
    """Check OpenAI ``messages`` against OpenAI's shapes, whatever the family.

    Roles, content part types per role, texts (UTF-8 encodable), tool calls
    (string ids, tool names) and tool messages' ids. A family then refuses what
    it cannot express (images to a text-only family, ...).
    """
    if not isinstance(messages, list):  # (an empty list: the family says what it needs)
        raise BadRequestError("messages must be a non-empty list of {'role': ..., 'content': ...} dicts")
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise expected(where, "a dict with a 'role'", message)
        role = message.get("role")
        if role not in PART_TYPES:
            raise expected(f"{where}.role", "one of " + ", ".join(PART_TYPES), role)
        _check_content(message.get("content"), f"{where}.content", role)
        if message.get("name") is not None:
            check_text(message["name"], f"{where}.name")
        if role == "assistant" and message.get("tool_calls") is not None:
            _check_tool_calls(message["tool_calls"], f"{where}.tool_calls")
        if role == "assistant" and message.get("thinking_blocks") is not None:
            from .prompt_parts import check_thinking_blocks

            check_thinking_blocks(message["thinking_blocks"], f"{where}.thinking_blocks")
        if role == "tool":
            check_tool_use_id(message.get("tool_call_id"), f"{where}.tool_call_id")
    return messages


def _check_content(content: Any, where: str, role: str) -> None:
    kinds = PART_TYPES[role]
    if content is None:
        return
    if isinstance(content, str):
        check_text(content, where)
        return
    if not isinstance(content, list):
        raise expected(where, "a string, a list of content parts or None", content)
    for k, part in enumerate(content):
        at = f"{where}[{k}]"
        if isinstance(part, str):
            check_text(part, at)
            continue
        kind = part.get("type") if isinstance(part, dict) else None
        if not isinstance(part, dict):
            raise expected(at, "a content part dict", part)
        if kind not in kinds:
            raise BadRequestError(
                f"{at}.type: {'an assistant' if role == 'assistant' else 'a ' + role} message can only hold "
                f"{' or '.join(kinds)} parts, got {shown(kind)}"
            )
        if kind in ("text", "refusal"):
            check_text(part.get(kind), f"{at}.{kind}")
        elif kind == "image_url":
            image = part.get("image_url")
            check_text(image.get("url") if isinstance(image, dict) else image, f"{at}.image_url.url")
        else:  # input_audio, file: a dict of strings
            value = part.get(kind)
            if not isinstance(value, dict):
                raise expected(f"{at}.{kind}", "a dict", value)
            check_json(value, f"{at}.{kind}")


def _check_tool_calls(calls: Any, where: str) -> None:
    if not isinstance(calls, list):
        raise expected(where, "a list of tool calls", calls)
    for j, call in enumerate(calls):
        at = f"{where}[{j}]"
        if not isinstance(call, dict):
            raise expected(at, "a dict with an id and a function", call)
        check_tool_use_id(call.get("id"), f"{at}.id")
        if call.get("type", "function") != "function":
            raise expected(f"{at}.type", "'function'", call.get("type"))
        function = call.get("function")
        if not isinstance(function, dict):
            raise expected(f"{at}.function", "a dict with a name and arguments", function)
        check_tool_name(function.get("name"), f"{at}.function.name")
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, (str, dict)):
            raise expected(f"{at}.function.arguments", "a JSON object string", arguments)
        check_json(arguments, f"{at}.function.arguments")


# --- helpers for block-based families (Claude Messages, Nova) and tools ------

#: OpenAI image media types the block-based families accept (§5.2, §5.4).
IMAGE_MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")

_DATA_URL = _re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)(?P<params>(;[^,;]*)*?);base64,(?P<data>.*)", _re.S)


def neutralize(text: str, replacements: dict[str, str]) -> str:
    """Replace each template marker in ``text`` (one pass, longest first).

    Used so that role markers typed inside message text (``"\\n\\nHuman:"``,
    ``"[INST]"``, ...) cannot open a fake turn in a flattened prompt.
    """
    if not text or not any(marker in text for marker in replacements):
        return text
    pattern = "|".join(_re.escape(m) for m in sorted(replacements, key=len, reverse=True))
    return _re.sub(pattern, lambda m: replacements[m.group(0)], text)


def parse_data_url(url: Any, *, argument: str) -> tuple[str, str]:
    """Split a base64 ``data:`` image URL into (media type, base64 data).

    Bedrock never fetches URLs, so remote URLs are refused with a hint.
    """
    if not isinstance(url, str) or not url.startswith("data:"):
        shown = url[:60] if isinstance(url, str) else type(url).__name__
        raise BadRequestError(
            f"{argument}: image URL {shown!r} is not a data: URL; Bedrock does not fetch images. "
            "Pass a base64 data URL (data:image/png;base64,...) or use the converse route "
            "(bedrock/converse/<model>)"
        )
    match = _DATA_URL.fullmatch(url)
    if not match:
        raise BadRequestError(f"{argument}: expected a base64 data URL (data:<media type>;base64,<data>)")
    mime = match["mime"].lower()
    mime = "image/jpeg" if mime == "image/jpg" else mime
    if mime not in IMAGE_MEDIA_TYPES:
        raise BadRequestError(f"{argument}: image type {mime!r} is not supported; use png, jpeg, gif or webp")
    data = "".join(match["data"].split())
    try:
        _base64.b64decode(data, validate=True)
    except (_binascii.Error, ValueError):
        raise BadRequestError(f"{argument}: the image data is not valid base64") from None
    return mime, data


def json_arguments(arguments: Any, *, argument: str) -> dict:
    """OpenAI ``function.arguments`` (a JSON string) -> the object Bedrock wants."""
    if arguments is None or arguments == "":
        return {}
    if isinstance(arguments, dict):
        return arguments
    try:
        value = _json.loads(arguments)
    except (TypeError, ValueError):
        raise BadRequestError(f"{argument}: arguments must be a JSON object string") from None
    if not isinstance(value, dict):
        raise BadRequestError(f"{argument}: arguments must be a JSON object")
    return value


def function_tools(tools: Optional[list]) -> list[dict]:
    """Validate OpenAI ``tools`` and return ``[{name, description, parameters}]``."""
    result = []
    for i, tool in enumerate(tools or []):
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type", "function") != "function" or not isinstance(function, dict):
            raise BadRequestError(f'tools[{i}] must be {{"type": "function", "function": {{...}}}}')
        name = check_tool_name(function.get("name"), f"tools[{i}].function.name")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        if not isinstance(parameters, dict) or parameters.get("type", "object") != "object":
            raise expected(f"tools[{i}].function.parameters", 'a JSON schema object ({"type": "object", ...})', parameters)
        result.append({"name": name, "description": function.get("description") or "", "parameters": parameters})
    return result


def tools_required() -> BadRequestError:
    """The error for tool calls or results in ``messages`` without ``tools``."""
    return BadRequestError(
        "messages contain tool calls or tool results, and Bedrock then requires the tools to be "
        "declared: pass tools= as well"
    )


def tool_choice_mode(tool_choice: Any) -> tuple[str, Optional[str]]:
    """OpenAI ``tool_choice`` -> (``"auto"|"required"|"none"|"named"``, function name)."""
    if tool_choice is None:
        return "auto", None
    if tool_choice in ("auto", "required", "none"):
        return tool_choice, None
    if isinstance(tool_choice, dict):
        name = (tool_choice.get("function") or {}).get("name")
        if tool_choice.get("type") == "function" and isinstance(name, str) and name:
            return "named", name
    raise BadRequestError(
        'tool_choice must be "auto", "required", "none" or {"type": "function", "function": {"name": ...}}'
    )


def json_response_schema(response_format: Optional[dict]) -> Optional[dict]:
    """The JSON schema asked for by ``response_format`` (``{"type": "object"}`` for
    json_object), or None for text / no response_format."""
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "object"}
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else {"type": "object"}
    raise BadRequestError('response_format.type must be "text", "json_object" or "json_schema"')


# --- what litebed._params carries for the body builders -----------------------

#: The key of ``ChatParams.extra`` that holds the caller's ``extra_body`` dict
#: (never a native field name: ``extra_body`` is taken by litebed itself).
EXTRA_BODY = "extra_body"
#: The key of ``ChatParams.extra`` that is set (True) for ``parallel_tool_calls=False``.
NO_PARALLEL_TOOL_CALLS = "parallel_tool_calls=False"
RESERVED_EXTRA = (EXTRA_BODY, NO_PARALLEL_TOOL_CALLS)

#: How many stop sequences each family's body takes (families not listed take any number).
#: More are sent up to the limit, and the caller's client trims the output with all of them.
NATIVE_STOP_LIMITS = {
    "cohere-command": 4,
    "cohere-chat": 4,
    "nova": 4,
    "mistral-text": 10,
    "deepseek": 10,
    "openai-chat": 4,
    "converse": 2500,
}


def stop_limit(family: str, model_id: str = "") -> Optional[int]:
    """How many stop sequences ``family``'s body takes for ``model_id`` (None: any number).

    On Converse the model's own family limit applies too (Cohere takes 4 there as well).
    """
    limit = NATIVE_STOP_LIMITS.get(family)
    if family == "converse" and model_id:
        from . import chat_family_name  # the providers package: no family module is imported

        native = chat_family_name(model_id)
        own = NATIVE_STOP_LIMITS.get(native.replace("_", "-")) if native else None
        if own is not None:
            limit = own if limit is None else min(limit, own)
    return limit


def native_stops(family: str, stops: list[str], model_id: str = "") -> list[str]:
    """The stop sequences ``family``'s body can hold: the first ones, up to its limit."""
    limit = stop_limit(family, model_id)
    return list(stops[:limit] if limit is not None else stops)


def extra_body(params: ChatParams) -> dict:
    """The caller's ``extra_body`` fields (merged into the native body, unchecked)."""
    return params.extra.get(EXTRA_BODY) or {}


def provider_fields(params: ChatParams) -> dict:
    """``params.extra`` without the keys litebed reserves for itself."""
    return {k: v for k, v in params.extra.items() if k not in RESERVED_EXTRA}


def parallel_tool_calls(params: ChatParams) -> bool:
    """False when the caller asked for at most one tool call per answer."""
    return not params.extra.get(NO_PARALLEL_TOOL_CALLS)


def apply_extra_body(body: dict, params: ChatParams) -> dict:
    """Merge ``extra_body`` into a native body: its fields win, and a dict merges into
    a dict of the same key (``{"inferenceConfig": {"topK": 20}}`` keeps ``maxTokens``)."""
    _merge(body, extra_body(params))
    return body


def _merge(target: dict, fields: dict) -> None:
    for key, value in fields.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = dict(target[key])
            _merge(target[key], value)
        else:
            target[key] = value


@dataclass
class Turn:
    """One merged conversation turn for block-based families.

    ``parts`` hold ``("text", str)``, ``("image", media_type, base64)``,
    ``("tool_call", id, name, arguments_dict)`` and
    ``("tool_result", id, text, message_index)``.
    """

    role: str  # "user" | "assistant"
    index: int  # index of the first OpenAI message in this turn
    parts: list[tuple] = field(default_factory=list)


def collect_turns(messages: list[dict], *, images: bool = True, extras: bool = False) -> tuple[str, list[Turn]]:
    """Split OpenAI messages into (system text, merged user/assistant turns).

    ``tool`` messages become ``tool_result`` parts of a user turn; same-role
    runs merge; empty texts are dropped. Tool results must answer the tool calls
    of the assistant turn just before them, and every tool call must be answered.

    With ``extras`` (Claude Messages, Nova), an assistant message's ``thinking_blocks``
    lead its parts as ``("thinking", block)`` and each ``cache_control`` marker
    follows the part it marks as ``("cache", marker)``; otherwise both are left out.
    """
    check_messages(messages)
    system_parts: list[str] = []
    turns: list[Turn] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadRequestError(f"messages[{i}] must be a dict with a role")
        role = message.get("role")
        where = f"messages[{i}]"
        if role in ("system", "developer"):
            system_parts.append(content_text(message.get("content"), argument=f"{where}.content"))
            continue
        if role == "user":
            parts = _content_parts(message.get("content"), where, images=images, extras=extras)
        elif role == "assistant":
            parts = _content_parts(message.get("content"), where, images=False, extras=extras)
            calls = message.get("tool_calls") or []
            if not isinstance(calls, list):
                raise BadRequestError(f"{where}.tool_calls must be a list")
            for j, call in enumerate(calls):
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict) or not call.get("id") or not function.get("name"):
                    raise BadRequestError(f"{where}.tool_calls[{j}] needs an id and a function name")
                args = json_arguments(function.get("arguments"), argument=f"{where}.tool_calls[{j}].function")
                parts.append(("tool_call", call["id"], function["name"], args))
            if extras and message.get("thinking_blocks"):
                parts[:0] = [("thinking", block) for block in message["thinking_blocks"]]
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                raise BadRequestError(f"{where}: a tool message needs a tool_call_id")
            text = content_text(message.get("content"), argument=f"{where}.content")
            parts, role = [("tool_result", call_id, text, i)], "user"
        else:
            raise BadRequestError(f"{where}.role {role!r} is not one of system, user, assistant, tool")
        if extras and parts and "cache_control" in message and (marker := _cache_marker(message, where)):
            parts.append(("cache", marker))
        if not parts and role == "assistant":
            continue  # an empty assistant message says nothing; dropping it keeps turns valid
        if turns and turns[-1].role == role:
            turns[-1].parts.extend(parts)
        else:
            turns.append(Turn(role, i, parts))
    for turn in turns:
        # Claude wants tool results first in their user turn; a cache marker moves with the
        # part it follows.
        turn.parts = _tool_results_first(turn.parts)
    _check_tool_pairs(turns)
    return "\n\n".join(p for p in system_parts if p), turns


def system_marked(messages: list[dict]) -> bool:
    """Whether a system or developer message (or one of its parts) carries ``cache_control``."""
    for message in messages:
        if isinstance(message, dict) and message.get("role") in ("system", "developer"):
            content = message.get("content")
            if "cache_control" in message or (
                isinstance(content, list) and any(isinstance(p, dict) and "cache_control" in p for p in content)
            ):
                return True
    return False


def system_parts(messages: list[dict]) -> list[tuple]:
    """The system and developer messages as ``("text", str)`` parts, each ``cache_control``
    marker after the part it marks as ``("cache", marker)`` (Claude Messages, Nova)."""
    parts: list[tuple] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("system", "developer"):
            continue
        where = f"messages[{i}]"
        content = message.get("content")
        if isinstance(content, list):
            for k, part in enumerate(content):
                text = part if isinstance(part, str) else str(part.get("text") or "") if isinstance(part, dict) else ""
                if text:
                    parts.append(("text", text))
                    if marker := _cache_marker(part, f"{where}.content[{k}]"):
                        parts.append(("cache", marker))
        elif content:
            parts.append(("text", content_text(content, argument=f"{where}.content")))
        if parts and parts[-1][0] == "text" and (marker := _cache_marker(message, where)):
            parts.append(("cache", marker))
    return parts


def _cache_marker(holder: Any, where: str) -> Optional[dict]:
    from .prompt_parts import cache_marker  # (prompt_parts imports this module)

    return cache_marker(holder, where)


def _tool_results_first(parts: list[tuple]) -> list[tuple]:
    """A stable sort putting tool results first, keeping each cache marker after its part."""
    groups: list[list[tuple]] = []
    for part in parts:
        if part[0] == "cache" and groups:
            groups[-1].append(part)
        else:
            groups.append([part])
    groups.sort(key=lambda group: group[0][0] != "tool_result")
    return [part for group in groups for part in group]


def _content_parts(content: Any, where: str, *, images: bool, extras: bool = False) -> list[tuple]:
    if content is None or isinstance(content, str):
        return [("text", content)] if content else []
    if not isinstance(content, list):
        raise BadRequestError(f"{where}.content must be a string, a list of parts or None")
    parts: list[tuple] = []
    for k, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(part, str) or kind == "text":
            text = part if isinstance(part, str) else str(part.get("text") or "")
            if text:
                parts.append(("text", text))
        elif kind == "image_url" and images:
            url = part.get("image_url")
            url = url.get("url") if isinstance(url, dict) else url
            parts.append(("image", *parse_data_url(url, argument=f"{where}.content[{k}]")))
        else:
            raise BadRequestError(f"{where}.content[{k}]: a part of type {kind!r} cannot be sent here")
        if extras and parts and isinstance(part, dict) and "cache_control" in part and (
            marker := _cache_marker(part, f"{where}.content[{k}]")
        ):
            parts.append(("cache", marker))
    return parts


def _check_tool_pairs(turns: list[Turn]) -> None:
    for position, turn in enumerate(turns):
        if turn.role != "user":
            continue
        results = [p for p in turn.parts if p[0] == "tool_result"]
        previous = turns[position - 1] if position else None
        asked = [p[1] for p in previous.parts if p[0] == "tool_call"] if previous else []
        for _, call_id, _, index in results:
            if call_id not in asked:
                raise BadRequestError(
                    f"messages[{index}]: tool result for {call_id!r} does not answer a tool call "
                    "of the assistant message before it"
                )
    for position, turn in enumerate(turns):
        asked = [p[1] for p in turn.parts if p[0] == "tool_call"]
        if not asked:
            continue
        following = turns[position + 1] if position + 1 < len(turns) else None
        answered = {p[1] for p in following.parts if p[0] == "tool_result"} if following else set()
        missing = [c for c in asked if c not in answered]
        if missing:
            raise BadRequestError(
                f"messages[{turn.index}]: tool calls {missing} have no tool message answering them"
            )


def require_user_turn_first(turns: list, family: str) -> None:
    """Raise ``BadRequestError`` unless ``collect_turns`` found a user turn first."""
    if not turns or turns[0].role != "user":
        where = f"messages[{turns[0].index}] is an assistant message" if turns else "messages hold no user message"
        raise BadRequestError(f"{family} needs the conversation to start with a user message; {where}")


def require_user_first(messages: list[dict]) -> None:
    """Raise ``BadRequestError`` unless the first non-system message is the user's."""
    check_messages(messages)
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role in ("system", "developer"):
            continue
        if role == "user":
            return
        raise BadRequestError(
            f"messages[{i}] has role {role!r}; this model needs the conversation to start "
            "with a user message (after any system messages)"
        )
    raise BadRequestError("messages must contain at least one user message")
