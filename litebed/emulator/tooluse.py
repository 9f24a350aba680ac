"""Which tool the emulated model calls, and with what input (docs/emulator.md, "Tool use").

Bedrock's models call a tool when the request forces one, and may call one
when it does not. The emulator decides deterministically:

* ``any``: the first offered tool; ``tool``: the named one. Always a call.
* ``auto`` (and families without a tool choice): the first offered tool whose
  name's words (``get_weather``, ``get-weather``, ``getWeather`` -> get, weather)
  all appear, case-insensitively, among the words of the last user message;
  none: an answer in text. A user turn holding only tool results gets an answer
  in text (the model has what it asked for).
* ``none``: never.

The input is generated from the tool's JSON schema: every required property,
with a value of its type (strings from the user's words, numbers 1, booleans
true, arrays and objects as small as the schema allows). The ``[[tool:...]]``
directive of ``brain.py`` is checked before all this and wins.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

_DIRECTIVES = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_WORD = re.compile(r"[^\W_]+")
_NAME_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_LETTER_WORD = re.compile(r"[^\W\d_][\w'-]*")
_SENTENCE_END = ".!?:;\n\"'("
#: Property-name words that ask for a proper noun (a capitalised word of the message), not a sentence.
_PROPER_NOUN_WORDS = frozenset({"city", "town", "country", "location", "place", "destination", "origin", "region",
                                "state", "capital", "name", "person", "company", "where"})
#: Fixed values for the string formats a generated value must match.
_FORMATTED = {"date": "2024-01-01", "date-time": "2024-01-01T00:00:00Z", "time": "00:00:00Z",
              "email": "user@example.com", "uri": "https://example.com", "url": "https://example.com",
              "uuid": "00000000-0000-4000-8000-000000000000", "ipv4": "127.0.0.1", "ipv6": "::1",
              "hostname": "example.com"}
_MAX_DEPTH = 8  # a recursive schema ($ref to itself) still ends
#: At most this many values per input, and strings at most this long: a schema asking for
#: millions of items gets a (too) short input, not an emulator out of memory.
_MAX_VALUES = 1000
_MAX_STRING = 100_000


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asks for."""

    name: str
    arguments: dict


@dataclass(frozen=True)
class Tool:
    """A tool the request offers: its name and the JSON schema of its input."""

    name: str
    schema: Any = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class Choice:
    """The request's tool choice: ``auto``, ``any``, ``tool`` (with ``name``) or ``none``."""

    mode: str = "auto"
    name: Optional[str] = None


AUTO = Choice()
ANY = Choice("any")
NONE = Choice("none")


def named(name: str) -> Choice:
    return Choice("tool", name)


def choose(user_text: str, tools: Sequence[Tool], choice: Choice = AUTO, *, after_tool_results: bool = False,
           ) -> Optional[ToolCall]:
    """The call the model makes without a directive (None: it answers in text)."""
    tool = _chosen_tool(user_text, tools, choice, after_tool_results)
    if tool is None:
        return None
    arguments = _Generator(tool.schema, user_text).value(tool.schema, "", 0)
    return ToolCall(tool.name, arguments if isinstance(arguments, dict) else {})


def _chosen_tool(user_text: str, tools: Sequence[Tool], choice: Choice, after_tool_results: bool) -> Optional[Tool]:
    if not tools or choice.mode == "none":
        return None
    if choice.mode == "any":
        return tools[0]
    if choice.mode == "tool":
        # A name the request does not offer is the family's validation's business; call it with no schema.
        return next((tool for tool in tools if tool.name == choice.name), Tool(choice.name or tools[0].name))
    if after_tool_results:
        return None
    return next((tool for tool in tools if mentions(user_text, tool.name)), None)


def name_words(name: str) -> list[str]:
    """``get_weather`` / ``get-weather`` / ``getWeather`` -> ``["get", "weather"]`` (lower case)."""
    return [word.lower() for part in re.split(r"[_\-\s.:]+", name) for word in _NAME_WORD.findall(part)]


def mentions(user_text: str, tool_name: str) -> bool:
    """Whether every word of ``tool_name`` is a word of ``user_text`` (case-insensitive)."""
    wanted = name_words(tool_name)
    said = {word.lower() for word in _WORD.findall(_DIRECTIVES.sub(" ", user_text))}
    return bool(wanted) and all(word in said for word in wanted)


class _Generator:
    """Builds the smallest valid value for a JSON schema, its strings from the user's message."""

    def __init__(self, root: Any, user_text: str) -> None:
        self.root = root
        self.text = " ".join(_DIRECTIVES.sub(" ", user_text).split())
        self.proper_nouns = _proper_nouns(self.text)
        self.proper_nouns_used = 0
        self.values_left = _MAX_VALUES

    def value(self, schema: Any, name: str, depth: int) -> Any:
        schema = self._resolved(schema)
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return None
        self.values_left -= 1
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            alternatives = [alt for alt in schema.get(key) or [] if self._resolved(alt) != {"type": "null"}]
            if alternatives:
                return self.value(alternatives[0], name, depth + 1)
        if isinstance(schema.get("allOf"), list):
            schema = _merged([schema, *map(self._resolved, schema["allOf"])])
        kind = _type_of(schema)
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            count = min(_whole(schema.get("minItems")) or 0, max(self.values_left, 0))
            return [self.value(schema.get("items", {}), name, depth + 1) for _ in range(count)]
        if kind in ("integer", "number"):
            return _number(schema)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema, name)

    def _object(self, schema: dict, depth: int) -> dict:
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = schema.get("required")
        names = [name for name in required if isinstance(name, str)] if isinstance(required, list) else []
        return {name: self.value(properties.get(name, {}), name, depth + 1) for name in names}

    def _string(self, schema: dict, name: str) -> str:
        if schema.get("format") in _FORMATTED:
            return _FORMATTED[schema["format"]]
        if _PROPER_NOUN_WORDS.intersection(name_words(name)) and self.proper_nouns:
            # origin and destination get the message's first and second proper nouns, and so on
            text = self.proper_nouns[self.proper_nouns_used % len(self.proper_nouns)]
            self.proper_nouns_used += 1
        else:
            text = self.text or "text"
        minimum, maximum = _whole(schema.get("minLength")), _whole(schema.get("maxLength"))
        if maximum is not None and len(text) > maximum:
            text = text[:maximum]
        if minimum is not None and len(text) < minimum:
            text = text.ljust(min(minimum, _MAX_STRING), "x")
        return text

    def _resolved(self, schema: Any) -> Any:
        """``{"$ref": "#/$defs/X"}`` -> the schema it points to (one level; local refs only)."""
        if not isinstance(schema, dict) or not isinstance(schema.get("$ref"), str):
            return schema
        target: Any = self.root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            if not part:
                continue
            target = target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
        return target if isinstance(target, dict) else {}


def _proper_nouns(text: str) -> list[str]:
    """The capitalised words that do not start a sentence, in order ("Weather in Paris?" -> Paris);
    without any, the message's last word, capitalised ("weather in paris" -> Paris)."""
    words = []
    for match in _LETTER_WORD.finditer(text):
        word = match.group().strip("'-")
        before = text[:match.start()].rstrip()
        starts_sentence = not before or before[-1] in _SENTENCE_END
        if word[:1].isupper() and word != "I" and not starts_sentence and word not in words:
            words.append(word)
    if words:
        return words
    last = [match.group().strip("'-") for match in _LETTER_WORD.finditer(text)]
    return [last[-1][:1].upper() + last[-1][1:]] if last and last[-1] else []


def _whole(value: Any) -> Optional[int]:
    """A schema's count (``minItems``, ``maxLength``...) when it is one: a non-negative integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _type_of(schema: dict) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        kind = kinds[0] if kinds else None
    if isinstance(kind, str):
        return kind
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _number(schema: dict) -> int:
    """1, moved inside ``minimum`` / ``maximum`` (and their exclusive forms) when they exclude it."""
    low, high = _bound(schema.get("minimum")), _bound(schema.get("maximum"))
    above, below = _bound(schema.get("exclusiveMinimum")), _bound(schema.get("exclusiveMaximum"))
    value = 1
    if low is not None and value < low:
        value = math.ceil(low)
    if above is not None and value <= above:
        value = math.floor(above) + 1
    if high is not None and value > high:
        value = math.floor(high)
    if below is not None and value >= below:
        value = math.ceil(below) - 1
    return value


def _bound(value: Any) -> Optional[float]:
    """A finite numeric bound (a boolean ``exclusiveMinimum`` is the old draft-4 form: no bound)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def _merged(schemas: list) -> dict:
    """allOf: one schema with every part's keys, properties and required names."""
    merged: dict = {}
    properties: dict = {}
    required: list = []
    for part in schemas:
        if not isinstance(part, dict):
            continue
        merged.update({key: value for key, value in part.items() if key not in ("allOf", "properties", "required")})
        if isinstance(part.get("properties"), dict):
            properties.update(part["properties"])
        if isinstance(part.get("required"), list):
            required += [name for name in part["required"] if isinstance(name, str) and name not in required]
    if properties:
        merged["properties"] = properties
    if required:
        merged["required"] = required
    return merged


# -- each family's native tool shapes -> Tool / Choice ---------------------------------------


def function_tools(tools: Any) -> list[Tool]:
    """OpenAI-style ``[{"type": "function", "function": {"name", "parameters"}}]`` (Mistral, gpt-oss, Jamba)."""
    return [Tool(tool["function"]["name"], tool["function"].get("parameters") or {"type": "object"})
            for tool in tools or [] if isinstance(tool, dict) and isinstance(tool.get("function"), dict)]


_COHERE_TYPES = {"str": "string", "string": "string", "int": "integer", "integer": "integer", "float": "number",
                 "number": "number", "bool": "boolean", "boolean": "boolean", "dict": "object", "object": "object"}


def cohere_tools(tools: Any) -> list[Tool]:
    """Cohere's ``parameter_definitions`` (Python-ish type names) as JSON schemas."""
    result = []
    for tool in tools or []:
        definitions = tool.get("parameter_definitions") or {}
        properties = {name: {"type": _cohere_type(definition.get("type", "str"))} for name, definition in definitions.items()}
        required = [name for name, definition in definitions.items() if definition.get("required")]
        result.append(Tool(tool["name"], {"type": "object", "properties": properties, "required": required}))
    return result


def _cohere_type(name: str) -> str:
    lowered = name.strip().lower()
    if lowered.startswith(("list", "array", "tuple")):
        return "array"
    return _COHERE_TYPES.get(lowered, "string")
