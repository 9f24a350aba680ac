"""Cohere Command (generate): command-text-v14, command-light-text-v14
(docs/bedrock.md §5.5).

Command takes a bare prompt with no required template. litebed flattens the
conversation to a transcript: system text, a blank line, then
``User: ...`` / ``Chatbot: ...`` lines ending with ``Chatbot:`` (a trailing
assistant message is a pre-fill after it). ``User:`` / ``Chatbot:`` typed at the
start of a line inside message text get a space before the colon.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import BadRequestError
from .answers import AnswerReader
from .base import ChatParams, Completion, StreamPiece, StreamState, always, fixed_params
from .requests import apply_extra_body, native_stops, prompt_turns

FAMILY = "cohere-command"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n"})
PROVIDER_PARAMS = frozenset({"k", "return_likelihoods", "truncate"})
NATIVE_N = True
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

MAX_GENERATIONS = 5  # num_generations range 1-5 (§5.5)

_SPEAKER_AT_LINE_START = re.compile(r"(^|\n)(User|Chatbot):")
_STOP_REASONS = {"COMPLETE": "stop", "MAX_TOKENS": "length", "ERROR_TOXIC": "content_filter"}
_read = AnswerReader(FAMILY)


def build_prompt(messages: list[dict]) -> str:
    """``[system\\n\\n]User: q1\\nChatbot: a1\\nUser: q2\\nChatbot:``."""
    system, turns, prefill = prompt_turns(messages)
    lines = [f"{'User' if role == 'user' else 'Chatbot'}: {_clean(text)}" for role, text in turns]
    lines.append(f"Chatbot: {_clean(prefill)}" if prefill else "Chatbot:")
    transcript = "\n".join(lines)
    return f"{system}\n\n{transcript}" if system else transcript


def _clean(text: str) -> str:
    return _SPEAKER_AT_LINE_START.sub(r"\1\2 :", text)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for Cohere Command; ``"stream": true`` only when streaming."""
    if params.n > MAX_GENERATIONS:
        raise BadRequestError(f"n must be at most {MAX_GENERATIONS} for Cohere Command models, got {params.n}")
    body: dict[str, Any] = {"prompt": build_prompt(messages), "max_tokens": params.max_tokens}
    if params.temperature is not None:
        body["temperature"] = params.temperature  # Cohere takes 0-5: OpenAI's 0-2 fits as is
    if params.top_p is not None:
        body["p"] = params.top_p
    if params.stop:
        body["stop_sequences"] = native_stops(FAMILY, params.stop)
    if params.n > 1:
        body["num_generations"] = params.n
    for key in PROVIDER_PARAMS:
        if key in params.extra:
            body[key] = params.extra[key]
    if params.stream:
        body["stream"] = True  # §5.5: required by InvokeModelWithResponseStream
    return apply_extra_body(body, params)


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    choices = [
        _read.text_choice(generation, "text", "finish_reason", map_stop_reason, where, _read.index(generation, i, where))
        for i, generation, where in _read.choices(body, "generations")
    ]
    return Completion(choices=choices, id=_read.get(body, "id"))


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    index = _read.index(event, 0)
    started = state.data.setdefault("started", set())
    delta = StreamPiece(index=index, content=_read.get(event, "text") or None)
    if index not in started:
        started.add(index)
        delta.role = "assistant"
    if event.get("is_finished"):
        reason = _read.get(event, "finish_reason")
        delta.finish_reason = map_stop_reason(reason)
        delta.native_finish_reason = reason
        if "index" not in event and len(started) > 1:
            # One closing chunk for several generations: finish every choice.
            others = [StreamPiece(index=i, finish_reason=delta.finish_reason, native_finish_reason=reason)
                      for i in sorted(started) if i != index]
            return [delta, *others]
    if delta.role is None and delta.content is None and delta.finish_reason is None:
        return []
    return [delta]
