"""Claude text completions: Claude v1, v2, v2.1 and Instant (docs/bedrock.md §5.1).

The conversation is flattened to ``\\n\\nHuman: ...\\n\\nAssistant:`` turns. Bedrock
requires the prompt to start with ``\\n\\nHuman:``, except that Claude 2.1 takes a
system prompt before the first Human turn (Anthropic's documented 2.1 form), so
system text goes there for ``claude-v2:1`` and opens the first Human turn for the
older models. Role markers typed inside message text
(``"\\n\\nHuman:"``, ``"\\n\\nAssistant:"``) get a space before the colon, so they
cannot open a fake turn (Bedrock validates the turn structure).
"""

from __future__ import annotations

from typing import Any

from .answers import AnswerReader
from .base import ChatParams, Completion, StreamPiece, StreamState, always, fixed_params
from .requests import apply_extra_body, clamp, merge_turns, neutralize, require_user_first

FAMILY = "anthropic-text"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n"})
PROVIDER_PARAMS = frozenset({"top_k"})
NATIVE_N = False
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

HUMAN = "\n\nHuman:"
ASSISTANT = "\n\nAssistant:"
_MARKERS = {HUMAN: "\n\nHuman :", ASSISTANT: "\n\nAssistant :"}

# §8.2: "stop_sequence" covers both a natural end and a caller's stop sequence.
_STOP_REASONS = {"stop_sequence": "stop", "max_tokens": "length"}
_read = AnswerReader(FAMILY)


def build_prompt(messages: list[dict], *, system_before_human: bool = True) -> str:
    """Flatten OpenAI messages into a Claude text-completions prompt.

    ``system_before_human`` False puts system text at the start of the first
    Human turn (for models that refuse text before it).
    """
    require_user_first(messages)
    system, turns = merge_turns(messages)
    prefill = None
    if turns[-1][0] == "assistant":
        # A trailing assistant message is a pre-fill; trailing whitespace would
        # end the prompt mid-token, so it is trimmed.
        prefill = turns.pop()[1].rstrip()
    if system and not system_before_human:
        turns[0] = ("user", f"{system}\n\n{turns[0][1]}")
        system = ""
    pieces = [_clean(system)] if system else []
    for role, text in turns:
        pieces.append(f"{HUMAN if role == 'user' else ASSISTANT} {_clean(text)}")
    pieces.append(f"{ASSISTANT} {_clean(prefill)}" if prefill else ASSISTANT)
    return "".join(pieces)


def _clean(text: str) -> str:
    # Merged texts are joined with a blank line, which could itself form a marker
    # ("a" + "\n\n" + "Human: b"), so neutralise the merged text.
    return neutralize(text, _MARKERS)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for a Claude text-completions model."""
    body: dict[str, Any] = {
        "prompt": build_prompt(messages, system_before_human="claude-v2:1" in model_id),
        "max_tokens_to_sample": params.max_tokens,
    }
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if params.stop:
        body["stop_sequences"] = list(params.stop)
    if "top_k" in params.extra:
        body["top_k"] = params.extra["top_k"]
    return apply_extra_body(body, params)


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def parse_response(body: Any) -> Completion:
    return Completion(choices=[_read.text_choice(_read.body(body), "completion", "stop_reason", map_stop_reason)])


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    event = _read.body(event, "a stream event")
    delta = StreamPiece(content=_read.get(event, "completion") or None)
    if not state.data.get("started"):
        state.data["started"] = True
        delta.role = "assistant"
    reason = _read.get(event, "stop_reason")
    if reason is not None:
        delta.finish_reason = map_stop_reason(reason)
        delta.native_finish_reason = reason
    if delta.role is None and delta.content is None and delta.finish_reason is None:
        return []
    return [delta]
