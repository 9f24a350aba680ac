"""Meta Llama 2 Chat (docs/bedrock.md §5.9).

The prompt uses Meta's template, the system block inside the first ``[INST]``::

    <s>[INST] <<SYS>>\\n{system}\\n<</SYS>>\\n\\n{user_1} [/INST] {assistant_1} </s><s>[INST] {user_2} [/INST]

A trailing assistant message is a pre-fill written after the final ``[/INST]``.
Template markers typed inside message text (``[INST]``, ``[/INST]``, ``<<SYS>>``,
``<</SYS>>``, ``<s>``, ``</s>``) get a space after their first character:
Bedrock would accept them, but they would open fake turns.

Bedrock's Llama body has no stop field (``NATIVE_STOP`` False: main.py trims),
and the body and answer are shared by Llama 3 (:mod:`.llama3`).
"""

from __future__ import annotations

from typing import Any

from .answers import AnswerReader
from .base import ChatParams, Completion, StreamPiece, StreamState, always, fixed_params
from .requests import apply_extra_body, clamp, merge_turns, neutralize, require_user_first

FAMILY = "llama2"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n"})
PROVIDER_PARAMS: frozenset[str] = frozenset()
NATIVE_N = False
NATIVE_STOP = False
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

MAX_GEN_LEN = 2048  # §5.9 (unverified upper bound); completion() refuses more, build_request clamps
_MARKERS = {m: m[0] + " " + m[1:] for m in ("[INST]", "[/INST]", "<<SYS>>", "<</SYS>>", "<s>", "</s>")}
_STOP_REASONS = {"stop": "stop", "length": "length"}
_read = AnswerReader(FAMILY)


def build_prompt(messages: list[dict]) -> str:
    """Format OpenAI messages with the Llama 2 Chat template."""
    require_user_first(messages)
    system, turns = merge_turns(messages)
    clean = {i: neutralize(text, _MARKERS) for i, (_, text) in enumerate(turns)}
    if system:
        clean[0] = f"<<SYS>>\n{neutralize(system, _MARKERS)}\n<</SYS>>\n\n{clean[0]}"
    pieces = []
    for i, (role, _) in enumerate(turns):
        if role == "user":
            pieces.append(f"<s>[INST] {clean[i]} [/INST]")
        elif i == len(turns) - 1:
            prefill = clean[i].rstrip()
            if prefill:
                pieces.append(f" {prefill}")
        else:
            pieces.append(f" {clean[i]} </s>")
    return "".join(pieces)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for Llama 2 Chat."""
    return apply_extra_body(llama_body(build_prompt(messages), params), params)


def llama_body(prompt: str, params: ChatParams) -> dict:
    """The Llama body shared by every Llama version (no stop field exists)."""
    body: dict[str, Any] = {"prompt": prompt, "max_gen_len": min(params.max_tokens, MAX_GEN_LEN)}
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["top_p"] = params.top_p
    return body


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any, *, read: AnswerReader = _read) -> Completion:
    """A Llama answer (Llama 3 passes its own ``read``, to be named in errors)."""
    body = read.body(body)
    return Completion(
        choices=[read.text_choice(body, "generation", "stop_reason", map_stop_reason)],
        prompt_tokens=read.count(body, "prompt_token_count"),
        completion_tokens=read.count(body, "generation_token_count"),
    )


def parse_stream_event(event: Any, state: StreamState, *, read: AnswerReader = _read) -> list[StreamPiece]:
    event = read.body(event, "a stream event")
    delta = StreamPiece(content=read.get(event, "generation") or None, prompt_tokens=read.count(event, "prompt_token_count"))
    # generation_token_count is cumulative in Llama stream chunks.
    delta.completion_tokens = read.count(event, "generation_token_count")
    if not state.data.get("started"):
        state.data["started"] = True
        delta.role = "assistant"
    reason = read.get(event, "stop_reason")
    if reason is not None:
        delta.finish_reason = map_stop_reason(reason)
        delta.native_finish_reason = reason
    return [delta]
