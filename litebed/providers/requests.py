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


def content_text(content: Any, *, argument: str = "messages") -> str:
    """Flatten OpenAI message content (None, str, or a list of parts) to text.

    Text parts are joined with no separator (as OpenAI concatenates them); a
    part this family cannot express as text raises ``BadRequestError``.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                pieces.append(str(part.get("text") or ""))
            elif isinstance(part, dict):
                raise BadRequestError(
                    f"{argument}: content part of type {part.get('type')!r} cannot be sent "
                    "to this model as text"
                )
            else:
                raise BadRequestError(f"{argument}: content parts must be dicts, got {type(part).__name__}")
        return "".join(pieces)
    raise BadRequestError(f"{argument}: content must be a string, a list of parts or None")


def merge_turns(messages: list[dict], *, system_roles=("system", "developer")) -> tuple[str, list[tuple[str, str]]]:
    """Split messages into (system text, [(role, text), ...]) with same-role runs merged.

    Roles other than user/assistant/system raise ``BadRequestError`` (a family
    without tools cannot express a ``tool`` message). Merged texts are joined
    with a blank line.
    """
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
        name = function.get("name")
        if not isinstance(name, str) or not name:
            raise BadRequestError(f"tools[{i}].function.name is required")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        result.append({"name": name, "description": function.get("description") or "", "parameters": parameters})
    return result


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


def collect_turns(messages: list[dict], *, images: bool = True) -> tuple[str, list[Turn]]:
    """Split OpenAI messages into (system text, merged user/assistant turns).

    ``tool`` messages become ``tool_result`` parts of a user turn; same-role
    runs merge; empty texts are dropped. Tool results must answer the tool calls
    of the assistant turn just before them, and every tool call must be answered.
    """
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
            parts = _content_parts(message.get("content"), where, images=images)
        elif role == "assistant":
            parts = _content_parts(message.get("content"), where, images=False)
            calls = message.get("tool_calls") or []
            if not isinstance(calls, list):
                raise BadRequestError(f"{where}.tool_calls must be a list")
            for j, call in enumerate(calls):
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict) or not call.get("id") or not function.get("name"):
                    raise BadRequestError(f"{where}.tool_calls[{j}] needs an id and a function name")
                args = json_arguments(function.get("arguments"), argument=f"{where}.tool_calls[{j}].function")
                parts.append(("tool_call", call["id"], function["name"], args))
        elif role == "tool":
            call_id = message.get("tool_call_id")
            if not call_id:
                raise BadRequestError(f"{where}: a tool message needs a tool_call_id")
            text = content_text(message.get("content"), argument=f"{where}.content")
            parts, role = [("tool_result", call_id, text, i)], "user"
        else:
            raise BadRequestError(f"{where}.role {role!r} is not one of system, user, assistant, tool")
        if not parts and role == "assistant":
            continue  # an empty assistant message says nothing; dropping it keeps turns valid
        if turns and turns[-1].role == role:
            turns[-1].parts.extend(parts)
        else:
            turns.append(Turn(role, i, parts))
    for turn in turns:
        # Claude wants tool results first in their user turn; the sort is stable.
        turn.parts.sort(key=lambda part: part[0] != "tool_result")
    _check_tool_pairs(turns)
    return "\n\n".join(p for p in system_parts if p), turns


def _content_parts(content: Any, where: str, *, images: bool) -> list[tuple]:
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
        where = f"messages[{turns[0].index}] is an assistant message" if turns else "no user message was given"
        raise BadRequestError(f"{family} needs the conversation to start with a user message; {where}")


def require_user_first(messages: list[dict]) -> None:
    """Raise ``BadRequestError`` unless the first non-system message is the user's."""
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
