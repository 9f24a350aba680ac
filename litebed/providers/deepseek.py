"""DeepSeek-R1 (``deepseek.r1-v1:0``): the text-completion body AWS documents for it.

AWS's "DeepSeek models" page in the Bedrock user guide gives the InvokeModel
body ``{"prompt", "temperature", "top_p", "max_tokens", "stop"}`` (temperature
and top_p at most 1, max_tokens 1-32,768, at most 10 stop sequences) and the
answer ``{"choices": [{"text", "stop_reason"}]}`` with ``stop_reason`` ``stop``
or ``length``; its example wraps the prompt in the model's chat template::

    <｜begin▁of▁sentence｜><｜User｜>{prompt}<｜Assistant｜><think>\\n

(the markers use U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH
BLOCK). Several turns follow DeepSeek's published template: the system text
right after the begin-of-sentence token, ``<｜User｜>`` before each user turn,
``<｜Assistant｜>`` before each assistant turn and ``<｜end▁of▁sentence｜>``
after it. A trailing assistant message is a pre-fill: the prompt ends with its
text after ``<｜Assistant｜>`` (no ``<think>``).

The answer starts inside the reasoning block the prompt opened: the text up to
the first ``</think>`` is the model's reasoning (``reasoning_content``), the
rest is the answer (``content``). Streams hold text back until ``</think>``
arrives (until then it could still be a pre-fill's continuation), then give the
reasoning in one ``reasoning_content`` delta. Without any ``</think>``:

* cut by ``max_tokens`` (``length``), or opening with its own ``<think>``: the
  text is reasoning that never finished, and the content is empty;
* otherwise (``stop``: a pre-fill's continuation, or an answer written with no
  reasoning block) the text is kept whole as content, so that no answer is
  ever lost. A stop sequence met inside the reasoning therefore shows it.

Stream chunks are read with the same shape (``choices[].text`` and
``stop_reason``, null until the last chunk), as third-party clients do.
Bedrock's non-streamed answer carries no token counts; the
``x-amzn-bedrock-*-token-count`` headers and the stream's invocation metrics do.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from ..errors import BadRequestError
from .answers import AnswerReader
from .base import ChatParams, Completion, StreamPiece, StreamState, always, fixed_params
from .requests import apply_extra_body, clamp, native_stops, prompt_turns

__all__ = [
    "BEGIN", "END", "FAMILY", "MAX_STOP", "MAX_TOKENS", "NATIVE_N", "NATIVE_N_STREAM", "NATIVE_STOP", "PROVIDER_PARAMS",
    "STREAMING", "SUPPORTED_PARAMS", "build_prompt", "build_request", "map_stop_reason", "parse_response",
    "parse_stream_event", "split_reasoning", "stream_tools_supported", "supported_params",
]

FAMILY = "deepseek"
SUPPORTED_PARAMS = frozenset({"max_tokens", "temperature", "top_p", "stop", "n"})
PROVIDER_PARAMS: frozenset[str] = frozenset()
NATIVE_N = False  # the documented body has no n: litebed fans out
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

MAX_TOKENS = 32768  # documented range 1-32,768; larger values are clamped
MAX_STOP = 10  # documented: at most 10 stop sequences

BEGIN = "<\uff5cbegin\u2581of\u2581sentence\uff5c>"
END = "<\uff5cend\u2581of\u2581sentence\uff5c>"
USER = "<\uff5cUser\uff5c>"
ASSISTANT = "<\uff5cAssistant\uff5c>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"

# Any marker shaped like the template's (<｜...｜>) typed inside a message would be
# read as a real token and forge a turn: a space after "<" disarms it.
_MARKER = re.compile("<(\uff5c[^\uff5c<>]{0,40}\uff5c>)")
_STOP_REASONS = {"stop": "stop", "length": "length"}
_read = AnswerReader(FAMILY)


def _clean(text: str) -> str:
    return _MARKER.sub(r"< \1", text)


def build_prompt(messages: list[dict]) -> str:
    """OpenAI messages -> DeepSeek-R1's chat template, ending in an open reasoning block."""
    system, turns, prefill = prompt_turns(messages)
    pieces = [BEGIN, _clean(system)]
    for role, text in turns:
        if role == "user":
            pieces.append(USER + _clean(text))
        else:
            # The template keeps only an earlier answer, not the reasoning before its </think>.
            pieces.append(ASSISTANT + _clean(text.split(THINK_CLOSE)[-1].lstrip()) + END)
    pieces.append(ASSISTANT + (_clean(prefill) if prefill else THINK_OPEN + "\n"))
    return "".join(pieces)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for DeepSeek-R1."""
    stops = native_stops(FAMILY, params.stop, model_id)
    if len(stops) > MAX_STOP:  # (requests.NATIVE_STOP_LIMITS sends the first ones and trims with the rest)
        raise BadRequestError(f"stop: DeepSeek-R1 accepts at most {MAX_STOP} stop sequences, got {len(stops)}")
    body: dict[str, Any] = {"prompt": build_prompt(messages), "max_tokens": min(params.max_tokens, MAX_TOKENS)}
    if params.temperature is not None:
        body["temperature"] = clamp(params.temperature, 0.0, 1.0)
    if params.top_p is not None:
        body["top_p"] = params.top_p
    if stops:
        body["stop"] = stops
    return apply_extra_body(body, params)


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def split_reasoning(text: str, stop_reason: Any = "stop") -> tuple[Optional[str], str]:
    """An answer's text and native stop reason -> (its reasoning or None, its content),
    by the rule in the module docstring."""
    reasoning, close, answer = text.partition(THINK_CLOSE)
    if close:
        return _without_open_tag(reasoning), answer.lstrip()
    if text.lstrip().startswith(THINK_OPEN) or stop_reason == "length":
        return _without_open_tag(text), ""
    return None, text


def _without_open_tag(reasoning: str) -> str:
    stripped = reasoning.lstrip()
    return (stripped[len(THINK_OPEN):] if stripped.startswith(THINK_OPEN) else reasoning).strip()


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    choices = []
    for i, node, where in _read.choices(body, "choices"):
        choice = _read.text_choice(node, "text", "stop_reason", map_stop_reason, where, _read.index(node, i, where))
        choice.reasoning_content, choice.content = split_reasoning(choice.content or "", choice.native_finish_reason)
        choices.append(choice)
    return Completion(choices=choices)


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    """One stream chunk -> pieces; text is held back while it may still be reasoning."""
    event = _read.body(event, "a stream event")
    pieces: list[StreamPiece] = []
    scans = state.data.setdefault("choices", {})
    for i, node, where in _read.objects(event, "choices", required=False):  # other events carry nothing
        index = _read.index(node, i, where)
        text = _read.get(node, "text", str, where) or ""
        reason = _read.get(node, "stop_reason", str, where)
        pieces.append(_piece(scans.setdefault(index, {"held": "", "answering": False, "lstrip": True}), index, text, reason))
    return pieces


def _piece(scan: dict, index: int, text: str, reason: Optional[str]) -> StreamPiece:
    piece = StreamPiece(index=index)
    if not scan.get("started"):
        scan["started"] = True
        piece.role = "assistant"
    if not scan["answering"]:
        start = max(0, len(scan["held"]) - len(THINK_CLOSE) + 1)  # only new text can complete the tag
        scan["held"] += text
        close = scan["held"].find(THINK_CLOSE, start)
        if close >= 0:
            scan["answering"], text = True, scan["held"][close + len(THINK_CLOSE):]
            piece.reasoning_content = _without_open_tag(scan["held"][:close]) or None
            scan["held"] = ""
        elif reason is not None:  # the answer ended with no </think>
            reasoning, text = split_reasoning(scan["held"], reason)
            piece.reasoning_content, scan["held"] = reasoning or None, ""
        else:
            text = ""
    if scan["answering"] and scan["lstrip"]:
        text = text.lstrip()  # the blank line after </think> is not content
        scan["lstrip"] = not text
    piece.content = text or None
    if reason is not None:
        piece.finish_reason, piece.native_finish_reason = map_stop_reason(reason), reason
    return piece
