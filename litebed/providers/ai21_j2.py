"""AI21 Jurassic-2 Mid / Ultra (docs/bedrock.md §5.7).

J2 is a completion model with no chat template; litebed flattens the
conversation like Cohere Command: system text, a blank line, then
``User: ...`` / ``Assistant: ...`` lines ending with ``Assistant:``.
Bedrock documents no ``numResults`` for J2, so ``n`` is fanned out by main.py,
and J2 has no streaming (§5.7).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import BadRequestError
from .answers import AnswerReader, describe
from .base import (
    ChatParams,
    Choice,
    Completion,
    StreamPiece,
    StreamState,
    always,
    fixed_params,
)
from .requests import apply_extra_body, clamp, prompt_turns

FAMILY = "ai21-j2"
SUPPORTED_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "n", "presence_penalty", "frequency_penalty"}
)
PROVIDER_PARAMS = frozenset({"countPenalty"})
NATIVE_N = False
NATIVE_STOP = True
STREAMING = False
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

_SPEAKER_AT_LINE_START = re.compile(r"(^|\n)(User|Assistant):")
_STOP_REASONS = {"endoftext": "stop", "stop": "stop", "length": "length"}
_read = AnswerReader(FAMILY)


def _clean(text: str) -> str:
    return _SPEAKER_AT_LINE_START.sub(r"\1\2 :", text)


def build_prompt(messages: list[dict]) -> str:
    """``[system\\n\\n]User: q1\\nAssistant: a1\\nUser: q2\\nAssistant:``."""
    system, turns, prefill = prompt_turns(messages)
    lines = [f"{'User' if role == 'user' else 'Assistant'}: {_clean(text)}" for role, text in turns]
    lines.append(f"Assistant: {_clean(prefill)}" if prefill else "Assistant:")
    transcript = "\n".join(lines)
    return f"{system}\n\n{transcript}" if system else transcript


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for Jurassic-2."""
    body: dict[str, Any] = {"prompt": build_prompt(messages), "maxTokens": params.max_tokens}
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["topP"] = params.top_p
    if params.stop:
        body["stopSequences"] = list(params.stop)
    # OpenAI penalties run -2..2; J2's scales start at 0 (presence 0-5, frequency 0-500).
    if params.presence_penalty is not None:
        body["presencePenalty"] = {"scale": clamp(params.presence_penalty, 0.0, 5.0)}
    if params.frequency_penalty is not None:
        body["frequencyPenalty"] = {"scale": clamp(params.frequency_penalty, 0.0, 500.0)}
    if "countPenalty" in params.extra:
        body["countPenalty"] = params.extra["countPenalty"]
    return apply_extra_body(body, params)


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    choices = []
    completion_tokens = 0
    for i, completion, where in _read.choices(body, "completions"):
        data = _read.get(completion, "data", dict, where, required=True)
        finish = _read.get(completion, "finishReason", dict, where) or {}
        reason = _read.get(finish, "reason", str, where + "finishReason.")
        choices.append(
            Choice(
                index=i,
                content=_read.get(data, "text", str, where + "data.", required=True),
                finish_reason=map_stop_reason(reason),
                native_finish_reason=reason,
            )
        )
        completion_tokens += len(_read.get(data, "tokens", list, where + "data.") or [])
    prompt_tokens = _read.get(_read.get(body, "prompt", dict) or {}, "tokens", list, "prompt.")
    answer_id = body.get("id")
    if answer_id is not None and (type(answer_id) is not int and not isinstance(answer_id, str)):
        raise _read.error(f"id is {describe(answer_id)}, expected a string or a number")
    return Completion(
        choices=choices,
        prompt_tokens=len(prompt_tokens) if prompt_tokens else None,
        completion_tokens=completion_tokens or None,
        id=str(answer_id) if answer_id is not None else None,
    )


def parse_stream_event(event: dict, state: StreamState) -> list[StreamPiece]:
    """J2 has no streaming on Bedrock; main.py never streams it (``STREAMING`` is False)."""
    raise BadRequestError("AI21 Jurassic-2 models do not support streaming")
