"""Mistral text completion: 7B Instruct, Mixtral 8x7B, Small 2402, Large 2402
(docs/bedrock.md §5.10).

The documented multi-turn template, system text prepended to the first user turn::

    <s>[INST] {system}\\n\\n{q1} [/INST] {a1}</s> [INST] {q2} [/INST]

A trailing assistant message is a pre-fill written after the final ``[/INST]``.
``[INST]``, ``[/INST]``, ``<s>`` and ``</s>`` typed inside message text get a
space after their first character so they cannot forge turns.
"""

from __future__ import annotations

from typing import Any

from .answers import AnswerReader
from .base import ChatParams, Completion, StreamPiece, StreamState, always, fixed_params
from .requests import apply_extra_body, clamp, merge_turns, native_stops, neutralize, require_user_first

FAMILY = "mistral-text"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n"})
PROVIDER_PARAMS = frozenset({"top_k"})
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

_MARKERS = {m: m[0] + " " + m[1:] for m in ("[INST]", "[/INST]", "<s>", "</s>")}
_STOP_REASONS = {"stop": "stop", "length": "length"}
_read = AnswerReader(FAMILY)


def build_prompt(messages: list[dict]) -> str:
    """Format OpenAI messages with Mistral's ``[INST]`` template."""
    require_user_first(messages)
    system, turns = merge_turns(messages)
    texts = [neutralize(text, _MARKERS) for _, text in turns]
    if system:
        texts[0] = f"{neutralize(system, _MARKERS)}\n\n{texts[0]}"
    pieces = ["<s>"]
    for i, (role, _) in enumerate(turns):
        if role == "user":
            pieces.append(f"{' ' if i else ''}[INST] {texts[i]} [/INST]")
        elif i == len(turns) - 1:
            prefill = texts[i].rstrip()
            if prefill:
                pieces.append(f" {prefill}")
        else:
            pieces.append(f" {texts[i]}</s>")
    return "".join(pieces)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for a Mistral text-completion model."""
    body: dict[str, Any] = {"prompt": build_prompt(messages), "max_tokens": params.max_tokens}
    if params.stop:
        body["stop"] = native_stops(FAMILY, params.stop)
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if "top_k" in params.extra:
        body["top_k"] = params.extra["top_k"]
    return apply_extra_body(body, params)


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    outputs = _read.choices(_read.body(body), "outputs")
    return Completion(
        choices=[_read.text_choice(output, "text", "stop_reason", map_stop_reason, where, i) for i, output, where in outputs]
    )


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    deltas = []
    for i, output, where in _read.objects(event, "outputs", required=False):
        reason = _read.get(output, "stop_reason", str, where)
        delta = StreamPiece(
            index=i,
            content=_read.get(output, "text", str, where) or None,
            finish_reason=map_stop_reason(reason) if reason else None,
            native_finish_reason=reason,
        )
        if not state.data.get("started"):
            state.data["started"] = True
            delta.role = "assistant"
        deltas.append(delta)
    return deltas
