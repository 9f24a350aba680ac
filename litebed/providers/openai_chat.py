"""OpenAI gpt-oss (``openai.gpt-oss-20b-1:0``, ``openai.gpt-oss-120b-1:0``): a chat-completions body.

AWS's "OpenAI models" page in the Bedrock user guide says the InvokeModel body
is OpenAI's Create chat completion request (``messages``,
``max_completion_tokens``, ``stop``, ``temperature``, ``top_p``, ...), that
``model`` may be omitted (it must match the model in the path) and that
``stream`` may be omitted (it must be false for InvokeModel and true for
InvokeModelWithResponseStream): litebed sends neither. The answer is OpenAI's
chat completion object; streams carry ``chat.completion.chunk`` objects
(``choices[].delta``). The models take and give text only, so image parts are
refused before sending.

Messages keep OpenAI's shape: system text as one ``developer`` message (the
role AWS's Converse mapping names), tool calls and ``tool`` results as OpenAI
writes them. Tools use OpenAI's function form and ``tool_choice``
(``auto``/``required``/``none`` or a named function). ``reasoning_effort``
is sent as the body's own field; other Create chat completion fields can be
sent with ``extra_body={...}``.

AWS documents that with InvokeModel the model's reasoning, wrapped in
``<reasoning>...</reasoning>``, precedes the text of the answer: that block
becomes ``reasoning_content``, never ``content``. A stream gives the reasoning
as ``reasoning_content`` deltas as it arrives (holding back only what may be
the closing tag). A reasoning block that never closes (cut by the token limit)
leaves no content.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from ..errors import BadRequestError
from .answers import AnswerReader
from .base import ChatParams, Choice, Completion, StreamPiece, StreamState, always, fixed_params
from .requests import Turn, apply_extra_body, collect_turns, function_tools, native_stops, tool_choice_mode

__all__ = [
    "FAMILY", "MAX_STOP", "NATIVE_N", "NATIVE_N_STREAM", "NATIVE_STOP", "PROVIDER_PARAMS",
    "STREAMING", "SUPPORTED_PARAMS", "build_request", "map_stop_reason", "parse_response", "parse_stream_event",
    "strip_reasoning", "stream_tools_supported", "supported_params",
]

FAMILY = "openai-chat"
SUPPORTED_PARAMS = frozenset(
    {"max_tokens", "temperature", "top_p", "stop", "n", "presence_penalty", "frequency_penalty", "tools", "tool_choice"}
)
PROVIDER_PARAMS: frozenset[str] = frozenset()  # other OpenAI fields (reasoning_effort ...): extra_body={...}
NATIVE_N = False  # n is not documented for Bedrock's gpt-oss: litebed fans out
NATIVE_STOP = True
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # tool calls stream as OpenAI deltas

MAX_STOP = 4  # OpenAI's limit for stop
OPEN, CLOSE = "<reasoning>", "</reasoning>"
_STOP_REASONS = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
                 "content_filter": "content_filter"}
_read = AnswerReader(FAMILY)


# --- the request -------------------------------------------------------------


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel (and InvokeModelWithResponseStream) body for gpt-oss."""
    system, turns = collect_turns(messages, images=False)
    if not turns:
        raise BadRequestError("messages must contain at least one user message")
    stops = native_stops(FAMILY, params.stop, model_id)
    if len(stops) > MAX_STOP:  # (requests.NATIVE_STOP_LIMITS sends the first ones and trims with the rest)
        raise BadRequestError(f"stop: at most {MAX_STOP} stop sequences are allowed, got {len(stops)}")
    native: list[dict] = [{"role": "developer", "content": system}] if system else []
    for turn in turns:
        native.extend(_messages(turn))
    body: dict[str, Any] = {"messages": native, "max_completion_tokens": params.max_tokens}
    for name in ("temperature", "top_p", "presence_penalty", "frequency_penalty"):
        if getattr(params, name) is not None:
            body[name] = getattr(params, name)  # OpenAI's own ranges, already checked
    if stops:
        body["stop"] = stops
    if params.reasoning_effort is not None:
        body["reasoning_effort"] = params.reasoning_effort
    _tools(body, params)
    return apply_extra_body(body, params)


def _messages(turn: Turn) -> list[dict]:
    text = "\n\n".join(p[1] for p in turn.parts if p[0] == "text")
    if turn.role == "assistant":
        calls = [{"id": p[1], "type": "function", "function": {"name": p[2], "arguments": json.dumps(p[3])}}
                 for p in turn.parts if p[0] == "tool_call"]
        message: dict[str, Any] = {"role": "assistant", "content": text or (None if calls else "")}
        if calls:
            message["tool_calls"] = calls
        return [message]
    # Tool results answer the assistant turn before them; any user text follows them.
    native = [{"role": "tool", "tool_call_id": p[1], "content": p[2]} for p in turn.parts if p[0] == "tool_result"]
    if text or not native:
        native.append({"role": "user", "content": text})
    return native


def _tools(body: dict, params: ChatParams) -> None:
    tools = function_tools(params.tools)
    if not tools:
        return
    mode, name = tool_choice_mode(params.tool_choice)
    if mode == "named" and name not in [t["name"] for t in tools]:
        raise BadRequestError(f"tool_choice names {name!r}, which is not one of the tools given")
    body["tools"] = [
        {"type": "function", "function": {"name": t["name"], **({"description": t["description"]} if t["description"] else {}),
                                          "parameters": t["parameters"]}}
        for t in tools
    ]
    if params.tool_choice is not None:
        body["tool_choice"] = {"type": "function", "function": {"name": name}} if mode == "named" else mode


# --- the answer --------------------------------------------------------------


def map_stop_reason(native: Any) -> str:
    return _STOP_REASONS.get(native, "stop") if isinstance(native, str) else "stop"


def split_reasoning(text: str) -> tuple[Optional[str], str]:
    """(the ``<reasoning>...</reasoning>`` block that may lead the text, the answer after it)."""
    lead = text.lstrip()
    if not lead.startswith(OPEN):
        return None, text
    reasoning, close, answer = lead[len(OPEN):].partition(CLOSE)
    return reasoning.strip() or None, answer if close else ""


def strip_reasoning(text: str) -> str:
    """The answer's text without the ``<reasoning>...</reasoning>`` block that may lead it."""
    return split_reasoning(text)[1]


def _calls(message: dict, where: str) -> list[dict]:
    calls = []
    for i, call, at in _read.objects(message, "tool_calls", where, required=False):
        function = _read.get(call, "function", dict, at, required=True)
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = json.dumps(_read.get(function, "arguments", dict, at + "function.") or {})
        calls.append({"id": _read.get(call, "id", str, at) or f"call_{i}", "type": "function",
                      "function": {"name": _read.get(function, "name", str, at + "function.", required=True),
                                   "arguments": arguments}})
    return calls


def _usage(node: dict) -> tuple[Optional[int], Optional[int]]:
    usage = _read.get(node, "usage", dict) or {}
    return _read.count(usage, "prompt_tokens", "usage."), _read.count(usage, "completion_tokens", "usage.")


def parse_response(body: Any) -> Completion:
    body = _read.body(body)
    choices = []
    for i, node, where in _read.choices(body, "choices"):
        message = _read.get(node, "message", dict, where, required=True)
        reason = _read.get(node, "finish_reason", str, where)
        tool_calls = _calls(message, where + "message.")
        reasoning, content = split_reasoning(_read.get(message, "content", str, where + "message.") or "")
        choices.append(Choice(
            index=_read.index(node, i, where), content=content if content or not tool_calls else None,
            finish_reason=map_stop_reason(reason), native_finish_reason=reason, tool_calls=tool_calls or None,
            reasoning_content=reasoning,
        ))
    prompt_tokens, completion_tokens = _usage(body)
    return Completion(choices=choices, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                      id=_read.get(body, "id"))


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    """One ``chat.completion.chunk`` -> pieces (a leading reasoning block becomes reasoning_content)."""
    event = _read.body(event, "a stream event")
    pieces: list[StreamPiece] = []
    scans = state.data.setdefault("choices", {})
    for i, node, where in _read.objects(event, "choices", required=False):
        index = _read.index(node, i, where)
        delta = _read.get(node, "delta", dict, where) or {}
        reason = _read.get(node, "finish_reason", str, where)
        scan = scans.setdefault(index, {"mode": "undecided", "held": ""})
        text = _read.get(delta, "content", str, where + "delta.") or ""
        reasoning, answer = _split(scan, text, finished=reason is not None)
        piece = StreamPiece(index=index, role=_read.get(delta, "role", str, where + "delta."),
                            content=answer or None, reasoning_content=reasoning or None,
                            tool_calls=_call_deltas(delta, where + "delta.") or None)
        if reason is not None:
            piece.finish_reason, piece.native_finish_reason = map_stop_reason(reason), reason
        pieces.append(piece)
    if event.get("usage"):
        prompt_tokens, completion_tokens = _usage(event)
        pieces.append(StreamPiece(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens))
    return pieces


def _split(scan: dict, text: str, *, finished: bool) -> tuple[str, str]:
    """(reasoning, answer) in ``text``, given what came before (``scan``), as :func:`split_reasoning`
    reads the whole; only what may still be a tag is held back."""
    if scan["mode"] == "answer":
        return "", text
    held = scan["held"] = scan["held"] + text
    if scan["mode"] == "undecided":
        lead = held.lstrip()
        if lead.startswith(OPEN):
            scan["mode"], held = "reasoning", lead[len(OPEN):]
            scan["held"] = held
        elif OPEN.startswith(lead) and not finished:
            return "", ""  # may still become the reasoning tag
        else:
            scan["mode"], scan["held"] = "answer", ""
            return "", held
    close = held.find(CLOSE)
    if close >= 0:
        scan["mode"], scan["held"] = "answer", ""
        return _trim_reasoning(scan, held[:close], end=True), held[close + len(CLOSE):]
    if finished:
        scan["mode"], scan["held"] = "answer", ""
        return _trim_reasoning(scan, held, end=True), ""
    keep = len(CLOSE) - 1  # the tail may be the start of the closing tag
    scan["held"] = held[-keep:] if len(held) > keep else held
    return _trim_reasoning(scan, held[:-keep] if len(held) > keep else "", end=False), ""


def _trim_reasoning(scan: dict, text: str, *, end: bool) -> str:
    """Reasoning text without the whitespace that surrounds it inside the tags (as split_reasoning strips it)."""
    if not scan.get("begun"):
        text = text.lstrip()
        scan["begun"] = bool(text)
    return text.rstrip() if end else text


def _call_deltas(delta: dict, where: str) -> list[dict]:
    calls = []
    for i, call, at in _read.objects(delta, "tool_calls", where, required=False):
        out: dict[str, Any] = {"index": _read.index(call, i, at)}
        call_id = _read.get(call, "id", str, at)
        if call_id is not None:
            out["id"], out["type"] = call_id, "function"
        function = _read.get(call, "function", dict, at) or {}
        fields = {key: _read.get(function, key, str, at + "function.") for key in ("name", "arguments")}
        fields = {key: value for key, value in fields.items() if value is not None}
        if fields:
            out["function"] = fields
        calls.append(out)
    return calls
