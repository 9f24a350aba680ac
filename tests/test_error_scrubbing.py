"""Secrets a server echoes back never reach an exception.

Every ``APIError`` scrubs its message, code and request id through
``litebed._auth.redact.scrub`` when it is made: registered secrets (raw and
URL-encoded) and the values after secret-bearing names are masked in ``str``,
``repr``, ``.message`` and ``.args``, whichever path built the exception
(``error_from_bedrock``, an exception or error frame, a family parser).
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

import litebed
from litebed._auth import redact
from litebed._streaming.events import decode_event
from litebed._streaming.eventstream import EventStreamDecoder, raise_for_message
from litebed.emulator.eventstream import encode_frame
from litebed.errors import APIError, error_from_bedrock
from litebed.providers import images


@pytest.fixture
def creds():
    """A secret key, session token and bearer token, registered as litebed registers them."""
    values = {
        "secret": "wJalr" + secrets.token_urlsafe(30) + "/K7+q",
        "token": "FwoGZXIvYXdzE" + secrets.token_urlsafe(120) + "//=",
        "bearer": "ABSK" + secrets.token_urlsafe(60),
    }
    redact.register(*values.values())
    return values


def leaked(exc: BaseException, values) -> list[str]:
    """The secrets (or any 8-character piece of one) visible anywhere on ``exc``."""
    views = [str(exc), repr(exc), str(exc.args)]
    if isinstance(exc, APIError):
        views += [exc.message or "", str(exc.bedrock_code), str(exc.request_id)]
    text = "\n".join(views)
    found = []
    for value in values:
        pieces = {value, quote(value, safe="")} | {value[i : i + 8] for i in range(0, len(value) - 8, 4)}
        if any(piece in text for piece in pieces):
            found.append(value)
    return found


def echo(values: dict) -> str:
    return (
        f"bad token {values['token']}; the key {values['secret']} (url-encoded: {quote(values['secret'], safe='')}) "
        f"and Authorization: Bearer {values['bearer']} were refused"
    )


# --- error_from_bedrock -------------------------------------------------------------


@pytest.mark.parametrize(
    "status,code",
    [(400, "ValidationException"), (403, "AccessDeniedException"), (429, "ThrottlingException"),
     (500, None), (408, "ModelTimeoutException"), (None, None), (418, "SomethingNew")],
)
def test_error_from_bedrock_scrubs_its_message(creds, status, code):
    exc = error_from_bedrock(status, code, echo(creds), request_id="req-1")
    assert leaked(exc, creds.values()) == []
    assert redact.MASK in exc.message and "were refused" in exc.message


def test_each_secret_alone(creds):
    for value in creds.values():
        exc = error_from_bedrock(400, "ValidationException", f"bad token {value}")
        assert leaked(exc, [value]) == []
        assert exc.message == f"bad token {redact.MASK}"
        assert exc.args == (exc.message,)


def test_echoed_code_and_request_id_are_scrubbed(creds):
    exc = error_from_bedrock(400, f"Bad{creds['token']}", "m", request_id=creds["secret"])
    assert leaked(exc, creds.values()) == []


@pytest.mark.parametrize(
    "line",
    [
        '{"SecretAccessKey": "AbCdEfGh1234567890unregistered"}',
        "<SessionToken>AbCdEfGh1234567890unregistered</SessionToken>",
        "aws_secret_access_key=AbCdEfGh1234567890unregistered",
        "aws_session_token = AbCdEfGh1234567890unregistered",
        "X-Amz-Security-Token: AbCdEfGh1234567890unregistered",
        "x-amz-security-token=AbCdEfGh1234567890unregistered&X-Amz-Date=1",
        "Authorization: Bearer AbCdEfGh1234567890unregistered",
        "'access_token': 'AbCdEfGh1234567890unregistered'",
    ],
)
def test_secret_looking_fields_are_masked_even_unregistered(line):
    exc = error_from_bedrock(400, "ValidationException", f"request refused: {line}")
    assert leaked(exc, ["AbCdEfGh1234567890unregistered"]) == []
    assert redact.MASK in str(exc)


def test_context_window_detection_still_works(creds):
    exc = error_from_bedrock(400, "ValidationException", f"Input is too long for requested model ({creds['token']})")
    assert isinstance(exc, litebed.ContextWindowExceededError)
    assert leaked(exc, creds.values()) == []


def test_non_string_message_and_status_are_tolerated():
    exc = error_from_bedrock("500", b"Code", {"message": 5})
    assert isinstance(exc, litebed.APIStatusError) and isinstance(exc.message, str)
    assert error_from_bedrock(True, None, None).status_code is None


def test_any_api_error_is_scrubbed(creds):
    for cls in (APIError, litebed.BadRequestError, litebed.APIConnectionError, litebed.RateLimitError):
        exc = cls(echo(creds), bedrock_code=creds["bearer"], request_id=creds["token"])
        assert leaked(exc, creds.values()) == []


def test_messages_without_secrets_are_unchanged():
    text = "max_tokens must be at most 4096; messages[0].content: a part of type 'audio' cannot be sent"
    assert str(error_from_bedrock(400, "ValidationException", text)) == f"ValidationException: {text}"


# --- stream frames ------------------------------------------------------------------


def frame_message(headers: tuple, payload: bytes):
    (message,) = EventStreamDecoder().feed(encode_frame(headers, payload))
    return message


def exception_message(payload: bytes, exception_type: str = "validationException"):
    headers = ((":message-type", "exception"), (":exception-type", exception_type), (":content-type", "application/json"))
    return frame_message(headers, payload)


@pytest.mark.parametrize(
    "make_payload",
    [
        lambda text: json.dumps({"message": text}).encode(),
        lambda text: json.dumps({"Message": text, "originalStatusCode": 400}).encode(),
        lambda text: text.encode(),  # not JSON
        lambda text: json.dumps([text]).encode(),  # JSON, not an object
        lambda text: json.dumps({"message": {"nested": text}}).encode(),
        lambda text: json.dumps({"message": "x" * 985 + " " + text}).encode(),  # a secret across the cut
        lambda text: (" " * 990 + text).encode(),
    ],
)
def test_exception_frame_echoing_secrets(creds, make_payload):
    message = exception_message(make_payload(echo(creds)))
    for raise_it in (lambda: raise_for_message(message, model="m"), lambda: decode_event(message, "m", True)):
        with pytest.raises(APIError) as info:
            raise_it()
        assert leaked(info.value, creds.values()) == []


def test_error_frame_headers_echoing_secrets(creds):
    headers = ((":message-type", "error"), (":error-code", "InternalServerException"), (":error-message", echo(creds)))
    with pytest.raises(litebed.InternalServerError) as info:
        raise_for_message(frame_message(headers, b""))
    assert leaked(info.value, creds.values()) == []


def test_exception_type_header_echoing_a_secret(creds):
    message = exception_message(b'{"message": "m"}', exception_type="x" + creds["token"])
    with pytest.raises(APIError) as info:
        raise_for_message(message)
    assert leaked(info.value, creds.values()) == []


def test_unknown_message_type_echoing_a_secret(creds):
    message = frame_message(((":message-type", creds["bearer"]),), b"{}")
    with pytest.raises(APIError) as info:
        decode_event(message, "m", True)
    assert leaked(info.value, creds.values()) == []


def test_image_failure_reason_echoing_secrets(creds):
    model = images.image_model_for("amazon.titan-image-generator-v1")
    with pytest.raises(APIError) as info:
        images.parse_response(model, {"images": [], "error": echo(creds)})
    assert leaked(info.value, creds.values()) == []


# --- cost and import weight -------------------------------------------------------------


def _best_time(text: str) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        redact.scrub(text)
        best = min(best, time.perf_counter() - start)
    return best


def test_scrub_is_cheap_and_linear_with_nothing_registered(monkeypatch):
    monkeypatch.setattr(redact, "_secret_pattern", None)
    plain = "ValidationException: max_tokens must be at most 4096. " * 20_000  # ~1 MB, no secret-bearing name
    assert redact.scrub(plain) == plain
    # Text that makes the field patterns run, including their worst case for backtracking.
    for unit in ("bearer" + " " * 50, "session_token" + " " * 50, "SessionToken=" * 4, "Bearer abcdefgh " * 4):
        small, large = unit * 1_000, unit * 16_000
        ratio = _best_time(large) / max(_best_time(small), 1e-6)
        # 16x the text: about 16x the time if linear, 256x if quadratic (a complexity check, not a speed one).
        assert ratio < 64, (unit[:14], ratio)


def test_import_litebed_does_not_load_redact():
    code = "import sys, litebed; print('litebed._auth.redact' in sys.modules, 'logging' in sys.modules)"
    before = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert before[0] == "False"
    code = (
        "import sys, litebed; from litebed.errors import error_from_bedrock; "
        "print(error_from_bedrock(400, 'ValidationException', 'Bearer abcdefgh').message)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "Bearer ***"


def test_converse_event_type_echoing_a_secret(creds):
    headers = ((":message-type", "event"), (":event-type", "contentBlock" + creds["token"]))
    with pytest.raises(APIError) as info:
        decode_event(frame_message(headers, b"{not json"), "m", False)
    assert leaked(info.value, creds.values()) == []
