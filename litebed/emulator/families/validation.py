"""Small JSON-schema-like checkers for native request bodies.

Bedrock validates native bodies against a JSON schema per model and answers
``ValidationException`` with messages such as ``Malformed input request: #:
extraneous key [stream_options] is not permitted, please reformat your input and
try again.`` (docs/bedrock.md §5, general rules). The paths are JSON pointers
rooted at ``#`` so every message names the offending field.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, NoReturn, Optional

from .base import ValidationFailed

Check = Callable[[Any, str], None]


def fail(path: str, detail: str) -> NoReturn:
    """Raise the schema-style ValidationFailed for ``path``."""
    raise ValidationFailed(f"Malformed input request: {path}: {detail}, please reformat your input and try again.")


def invalid(message: str) -> NoReturn:
    """Raise a ValidationFailed with a plain (semantic) message."""
    raise ValidationFailed(message)


def type_name(value: Any) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "JSONArray"
    return "JSONObject"


def _expect(value: Any, path: str, wanted: str, ok: bool) -> None:
    if not ok:
        fail(path, f"expected type: {wanted}, found: {type_name(value)}")


def _bounds(value: float, path: str, lo: Optional[float], hi: Optional[float]) -> None:
    if lo is not None and value < lo:
        fail(path, f"{value} is not greater or equal to {lo}")
    if hi is not None and value > hi:
        fail(path, f"{value} is not less or equal to {hi}")


def integer(lo: Optional[int] = None, hi: Optional[int] = None) -> Check:
    def check(value: Any, path: str) -> None:
        _expect(value, path, "Integer", isinstance(value, int) and not isinstance(value, bool))
        _bounds(value, path, lo, hi)
    return check


def number(lo: Optional[float] = None, hi: Optional[float] = None) -> Check:
    def check(value: Any, path: str) -> None:
        _expect(value, path, "Number", isinstance(value, (int, float)) and not isinstance(value, bool))
        _bounds(value, path, lo, hi)
    return check


def string(max_len: Optional[int] = None, min_len: int = 0) -> Check:
    def check(value: Any, path: str) -> None:
        _expect(value, path, "String", isinstance(value, str))
        if len(value) < min_len:
            fail(path, f"expected minLength: {min_len}, actual: {len(value)}")
        if max_len is not None and len(value) > max_len:
            fail(path, f"expected maxLength: {max_len}, actual: {len(value)}")
    return check


def boolean() -> Check:
    def check(value: Any, path: str) -> None:
        _expect(value, path, "Boolean", isinstance(value, bool))
    return check


def enum(*values: Any) -> Check:
    def check(value: Any, path: str) -> None:
        if not any(value == v and type(value) is type(v) for v in values):
            fail(path, f"{value} is not a valid enum value")
    return check


def base64_string() -> Check:
    def check(value: Any, path: str) -> None:
        _expect(value, path, "String", isinstance(value, str))
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            fail(path, "string is not valid base64")
    return check


def anything() -> Check:
    def check(value: Any, path: str) -> None:
        return None
    return check


def array(item: Check, min_items: int = 0, max_items: Optional[int] = None) -> Check:
    def check(value: Any, path: str) -> None:
        _expect(value, path, "JSONArray", isinstance(value, list))
        if len(value) < min_items:
            fail(path, f"expected minimum item count: {min_items}, found: {len(value)}")
        if max_items is not None and len(value) > max_items:
            fail(path, f"expected maximum item count: {max_items}, found: {len(value)}")
        for index, element in enumerate(value):
            item(element, f"{path}/{index}")
    return check


def obj(fields: dict[str, Check], required: tuple[str, ...] = (), *, closed: bool = True) -> Check:
    """An object with known ``fields``; unknown keys are rejected unless ``closed=False``."""
    def check(value: Any, path: str) -> None:
        _expect(value, path, "JSONObject", isinstance(value, dict))
        for key in required:
            if key not in value:
                fail(path, f"required key [{key}] not found")
        for key, element in value.items():
            if key not in fields:
                if closed:
                    fail(path, f"extraneous key [{key}] is not permitted")
                continue
            fields[key](element, f"{path}/{key}")
    return check


def free_object() -> Check:
    """Any JSON object (e.g. a JSON schema or tool input)."""
    return obj({}, closed=False)


def either(*checks: Check, wanted: str) -> Check:
    """The first of ``checks`` that accepts the value; otherwise a type error naming ``wanted``."""
    def check(value: Any, path: str) -> None:
        errors = []
        for candidate in checks:
            try:
                candidate(value, path)
                return
            except ValidationFailed as exc:
                errors.append(exc.message)
        if isinstance(value, (str, list, dict)) and len(errors) == len(checks):
            # the value had a plausible type: the most specific failure helps more
            matching = [e for e in errors if "expected type" not in e]
            if matching:
                raise ValidationFailed(matching[0])
        fail(path, f"expected type: {wanted}, found: {type_name(value)}")
    return check


def validate(body: Any, check: Check) -> None:
    """Run ``check`` on the whole body (path ``#``)."""
    check(body, "#")
