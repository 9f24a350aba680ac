"""The typed interface every chat family module satisfies, and the neutral
results they hand back.

A family module (``anthropic_messages.py``, ``titan.py``, ...) is pure: no I/O,
no mutable globals. It satisfies :class:`ChatFamily` at module level (a test
checks every module, and mypy checks the table in ``providers/__init__.py``);
no capability is discovered with ``getattr(..., default)``.
"""

from __future__ import annotations

import base64 as _base64
import binascii as _binascii
import json as _json
import re as _re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol, runtime_checkable

from ..errors import APIError, BadRequestError, UnsupportedParamsError


@runtime_checkable
class ChatFamily(Protocol):
    """What litebed needs of a chat family module (module attributes and functions)."""

    #: A short name (``"anthropic-text"``, ``"titan"``, ...).
    FAMILY: str
    #: OpenAI parameter names it can honour (see :class:`ChatParams`).
    SUPPORTED_PARAMS: frozenset
    #: Native keyword arguments passed straight into the body (``top_k`` ...).
    PROVIDER_PARAMS: Any
    #: True when the body itself can ask for ``n`` completions ...
    NATIVE_N: bool
    #: ... and when it still can on a streamed call (Jamba refuses it, §5.8).
    NATIVE_N_STREAM: bool
    #: False when Bedrock has no stop field (litebed cuts the output itself).
    NATIVE_STOP: bool
    #: False for models Bedrock cannot stream (``stream=True`` is refused before sending).
    STREAMING: bool

    def supported_params(self, model_id: str) -> frozenset:
        """The OpenAI parameters this model honours (a family may narrow them per model)."""
        ...

    def stream_tools_supported(self, model_id: str) -> bool:
        """Whether a stream with tools can be sent as one (else litebed replays a whole answer)."""
        ...

    def build_request(self, model_id: str, messages: list[dict], params: "ChatParams") -> dict:
        """The native request body."""
        ...

    def parse_response(self, body: Any) -> "Completion":
        """A native answer -> neutral :class:`Completion` (raises ``APIError`` on a malformed one)."""
        ...

    def parse_stream_event(self, event: Any, state: "StreamState") -> list["StreamPiece"]:
        """One decoded native stream event -> the pieces of answer it carries."""
        ...

    def map_stop_reason(self, native: Any) -> str:
        """The native stop reason -> OpenAI's ``finish_reason``."""
        ...


def fixed_params(params: frozenset) -> Callable[[str], frozenset]:
    """``supported_params`` for a family whose parameters do not vary by model."""
    return lambda model_id: params


def always(value: bool) -> Callable[[str], bool]:
    """A per-model capability that is the same for every model of the family."""
    return lambda model_id: value


#: The max-tokens value sent when the caller gives none. Bedrock reserves
#: throughput quota by it, so it is always sent, and kept modest.
DEFAULT_MAX_TOKENS = 1024


@dataclass
class ChatParams:
    """OpenAI chat parameters after validation, before any family maps them."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    max_tokens_given: bool = False
    temperature: Optional[float] = None
    top_p: Optional[float] = None
    stop: list[str] = field(default_factory=list)
    n: int = 1
    presence_penalty: Optional[float] = None
    frequency_penalty: Optional[float] = None
    seed: Optional[int] = None
    user: Optional[str] = None
    tools: Optional[list[dict]] = None
    tool_choice: Any = None
    response_format: Optional[dict] = None
    stream: bool = False
    #: Converse route: insert a minimal user turn where Bedrock requires one.
    modify_params: bool = False
    #: Provider-specific keyword arguments (``top_k`` ...), already checked
    #: against the family's ``PROVIDER_PARAMS``.
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Choice:
    index: int
    content: Optional[str]
    finish_reason: str
    native_finish_reason: Any = None
    tool_calls: Optional[list[dict]] = None  # OpenAI shape: {id, type, function{name, arguments}}


@dataclass
class Completion:
    choices: list[Choice]
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None
    id: Optional[str] = None


@dataclass
class StreamPiece:
    """One piece of a streamed answer, before it becomes an OpenAI chunk."""

    index: int = 0
    role: Optional[str] = None
    content: Optional[str] = None
    tool_calls: Optional[list[dict]] = None  # OpenAI delta shape, with "index"
    finish_reason: Optional[str] = None
    native_finish_reason: Any = None
    prompt_tokens: Optional[int] = None
    completion_tokens: Optional[int] = None


@dataclass
class StreamState:
    """Mutable per-stream scratch space a family parser may use."""

    data: dict[str, Any] = field(default_factory=dict)


# --- helpers shared by the family modules -----------------------------------


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


# --- reading native answers ----------------------------------------------------

_KINDS: dict[type, str] = {str: "a string", int: "a number", float: "a number", list: "a list", dict: "an object"}
_EXPECTED: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}


def describe(value: Any) -> str:
    """The JSON kind of ``value`` (``"null"``, ``"a string"``, ...) for an error message.

    Never the value itself: a hostile answer could echo anything, secrets included.
    """
    if value is None:
        return "null"
    if value is True or value is False:
        return "a boolean"
    return _KINDS.get(type(value)) or f"a {type(value).__name__}"


class AnswerReader:
    """Checked reads of one family's native answers and stream events.

    Each read returns what it was asked for or raises ``APIError``
    (``"malformed <family> response from Bedrock: content[2].text is a number,
    expected a string"``), so a broken or hostile answer never escapes as a
    ``KeyError``, ``TypeError`` or ``AttributeError``, nor passes for a success.
    ``where`` is the path of the node read, as a prefix (``"usage."``).
    """

    __slots__ = ("prefix",)

    def __init__(self, family: str, prefix: Optional[str] = None) -> None:
        self.prefix = prefix or f"malformed {family} response from Bedrock"

    def error(self, problem: str) -> APIError:
        return APIError(f"{self.prefix}: {problem}")

    def body(self, value: Any, what: str = "the body") -> dict:
        """``value`` itself, which must be a JSON object."""
        if isinstance(value, dict):
            return value
        raise self.error(f"{what} is {describe(value)}, expected an object")

    def get(self, node: dict, key: str, kind: Any = str, where: str = "", *, required: bool = False) -> Any:
        """``node[key]`` when it is a ``kind`` (str, list or dict, or a tuple of them);
        None when absent or null, unless ``required``."""
        value = node.get(key)
        if isinstance(value, kind):
            return value
        if value is None:
            if not required:
                return None
            raise self.error(f"{where}{key} is missing")
        expected = _EXPECTED[kind] if type(kind) is type else " or ".join(map(_EXPECTED.__getitem__, kind))
        raise self.error(f"{where}{key} is {describe(value)}, expected {expected}")

    def objects(self, node: dict, key: str, where: str = "", *, required: bool = True) -> list[tuple[int, dict, str]]:
        """``node[key]``, a list of JSON objects, as ``(position, object, its path + ".")``
        triples ([] when absent and not ``required``)."""
        items = self.get(node, key, list, where, required=required) or []
        triples = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.error(f"{where}{key}[{i}] is {describe(item)}, expected an object")
            triples.append((i, item, f"{where}{key}[{i}]."))
        return triples

    def choices(self, node: dict, key: str) -> list[tuple[int, dict, str]]:
        """:meth:`objects` for the answer's choices, of which there must be at least one."""
        triples = self.objects(node, key)
        if not triples:
            raise self.error(f"{key} is empty: the answer has no choices")
        return triples

    def count(self, node: dict, key: str, where: str = "") -> Optional[int]:
        """A token count: a non-negative integer, or None when absent."""
        value = node.get(key)
        if value is None or (type(value) is int and value >= 0):
            return value
        raise self.error(f"{where}{key} is {describe(value)}, expected a token count")

    def index(self, node: dict, default: Any, where: str = "", key: str = "index") -> Any:
        """A choice's or a block's index (``default`` when absent or null): a non-negative integer."""
        value = node.get(key)
        if value is None:
            return default
        if type(value) is int and value >= 0:
            return value
        raise self.error(f"{where}{key} is {describe(value)}, expected a non-negative integer")

    def text_choice(
        self, node: dict, text: str, reason: str, map_reason: Callable[[Any], str], where: str = "", index: int = 0
    ) -> Choice:
        """A choice of plain text: ``node[text]`` (a string, required), finished for ``node[reason]``."""
        native = self.get(node, reason, str, where)
        content = self.get(node, text, str, where, required=True)
        return Choice(index=index, content=content, finish_reason=map_reason(native), native_finish_reason=native)

    # Converse-shaped answers: the Converse route's, and Nova's messages-v1.

    def converse_blocks(self, body: dict) -> list[tuple[str, Any]]:
        """``output.message.content`` as ``("text", str)`` and ``("toolUse", dict)`` pairs.

        A toolUse has a string ``toolUseId`` and ``name``, and an object (or no) ``input``;
        blocks of other kinds are left out.
        """
        output = self.get(body, "output", dict, required=True)
        message = self.get(output, "message", dict, "output.", required=True)
        blocks: list[tuple[str, Any]] = []
        for _, block, where in self.objects(message, "content", "output.message."):
            if "text" in block:
                blocks.append(("text", self.get(block, "text", str, where) or ""))
            elif "toolUse" in block:
                blocks.append(("toolUse", self._tool_use(block, where)))
        return blocks

    def _tool_use(self, block: dict, where: str) -> dict:
        use = self.get(block, "toolUse", dict, where, required=True)
        where += "toolUse."
        self.get(use, "toolUseId", str, where, required=True)
        self.get(use, "name", str, where, required=True)
        self.get(use, "input", dict, where)
        return use

    def converse_usage(self, body: dict, where: str = "") -> tuple[Optional[int], Optional[int]]:
        """(``usage.inputTokens``, ``usage.outputTokens``)."""
        usage = self.get(body, "usage", dict, where) or {}
        where += "usage."
        return self.count(usage, "inputTokens", where), self.count(usage, "outputTokens", where)

    def converse_event(self, event: Any) -> tuple[Optional[str], dict]:
        """A Converse-shaped stream event -> (its kind, its members, checked and flattened).

        The kind is the first of :data:`CONVERSE_EVENTS` the event holds (None for
        any other event, which is ignored). The members, None when absent:

        * contentBlockStart: ``contentBlockIndex``, ``toolUse`` (checked as in answers);
        * contentBlockDelta: ``contentBlockIndex``, ``text``, ``input`` (a tool-use fragment);
        * messageStop: ``stopReason``;
        * metadata: ``inputTokens``, ``outputTokens`` (``{}`` when it has no usage);
        * messageStart: the event's payload as it is.
        """
        event = self.body(event, "a stream event")
        kind = next((name for name in CONVERSE_EVENTS if name in event), None)
        if kind is None:
            return None, {}
        payload = self.get(event, kind, dict) or {}
        where = kind + "."
        if kind == "contentBlockStart":
            start = self.get(payload, "start", dict, where) or {}
            use = self._tool_use(start, where + "start.") if start.get("toolUse") else None
            return kind, {"contentBlockIndex": self.index(payload, None, where, "contentBlockIndex"), "toolUse": use}
        if kind == "contentBlockDelta":
            delta = self.get(payload, "delta", dict, where) or {}
            use = self.get(delta, "toolUse", dict, where + "delta.") or {}
            return kind, {
                "contentBlockIndex": self.index(payload, None, where, "contentBlockIndex"),
                "text": self.get(delta, "text", str, where + "delta."),
                "input": self.get(use, "input", str, where + "delta.toolUse."),
            }
        if kind == "messageStop":
            return kind, {"stopReason": self.get(payload, "stopReason", str, where)}
        if kind == "metadata":
            if not payload.get("usage"):
                return kind, {}
            input_tokens, output_tokens = self.converse_usage(payload, where)
            return kind, {"inputTokens": input_tokens, "outputTokens": output_tokens}
        return kind, payload


#: The ConverseStream events a Converse-shaped parser reads, in the order they are looked for.
CONVERSE_EVENTS = ("messageStart", "contentBlockStart", "contentBlockDelta", "messageStop", "metadata")
