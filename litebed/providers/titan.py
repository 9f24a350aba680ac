"""Amazon Titan Text: Express, Lite, Premier (docs/bedrock.md §5.3).

Titan has no system field, so system text is prepended to the conversational
``User: ...\\nBot:`` transcript, separated by a blank line. ``User:`` / ``Bot:``
typed at the start of a line inside message text get a space before the colon,
so they cannot open a fake turn.
"""

from __future__ import annotations

import re
from typing import Any

from .answers import AnswerReader
from .base import ChatParams, Completion, StreamPiece, StreamState, always, fixed_params
from .requests import apply_extra_body, clamp, prompt_turns

FAMILY = "titan"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n"})
PROVIDER_PARAMS: frozenset[str] = frozenset()
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

_SPEAKER_AT_LINE_START = re.compile(r"(^|\n)(User|Bot):")

# §8.2; FINISH and FINISHED both mean a normal end (§9.12).
_STOP_REASONS = {
    "FINISH": "stop",
    "FINISHED": "stop",
    "STOP_CRITERIA_MET": "stop",
    "LENGTH": "length",
    "CONTENT_FILTERED": "content_filter",
}
_read = AnswerReader(FAMILY)


def _clean(text: str) -> str:
    return _SPEAKER_AT_LINE_START.sub(r"\1\2 :", text)


def build_prompt(messages: list[dict]) -> str:
    """``[system\\n\\n]User: q1\\nBot: a1\\nUser: q2\\nBot:`` (a trailing assistant
    message is a pre-fill after the final ``Bot:``)."""
    system, turns, prefill = prompt_turns(messages)
    lines = [f"{'User' if role == 'user' else 'Bot'}: {_clean(text)}" for role, text in turns]
    lines.append(f"Bot: {_clean(prefill)}" if prefill else "Bot:")
    transcript = "\n".join(lines)
    return f"{system}\n\n{transcript}" if system else transcript


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for a Titan Text model."""
    config: dict[str, Any] = {"maxTokenCount": params.max_tokens}
    if params.temperature is not None:
        config["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        config["topP"] = params.top_p
    if params.stop:
        config["stopSequences"] = list(params.stop)
    return apply_extra_body({"inputText": build_prompt(messages), "textGenerationConfig": config}, params)


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    choices, counts = [], []  # counts: each result's tokenCount, when it has one
    for i, result, where in _read.choices(body, "results"):
        choices.append(_read.text_choice(result, "outputText", "completionReason", map_stop_reason, where, i))
        count = _read.count(result, "tokenCount", where)
        if count is not None:
            counts.append(count)
    completion_tokens = sum(counts) if len(counts) == len(choices) else None
    return Completion(
        choices=choices, prompt_tokens=_read.count(body, "inputTextTokenCount"), completion_tokens=completion_tokens
    )


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    delta = StreamPiece(
        content=_read.get(event, "outputText") or None,
        prompt_tokens=_read.count(event, "inputTextTokenCount"),
        completion_tokens=_read.count(event, "totalOutputTextTokenCount"),
    )
    if not state.data.get("started"):
        state.data["started"] = True
        delta.role = "assistant"
    reason = _read.get(event, "completionReason")
    if reason is not None:
        delta.finish_reason = map_stop_reason(reason)
        delta.native_finish_reason = reason
    return [delta]
