"""Meta Llama 3 / 3.1 / 3.2 / 3.3 Instruct (docs/bedrock.md §5.9).

The header-token template, ending with the open assistant header and a blank
line. A trailing assistant message is a pre-fill: its text follows that open
header with no ``<|eot_id|>``. Special tokens typed inside message text
(anything shaped ``<|name|>``) get a space after ``<``: they would otherwise
be read as real tokens and forge turns. The body and answer are Llama 2's.
"""

from __future__ import annotations

import re
from typing import Any

from . import llama2
from .answers import AnswerReader
from .base import ChatParams, Completion, StreamPiece, StreamState, always, fixed_params
from .llama2 import (  # Llama 3 shares Llama 2's body and answers
    PROVIDER_PARAMS,
    SUPPORTED_PARAMS,
    llama_body,
    map_stop_reason,
)
from .requests import apply_extra_body, prompt_turns

__all__ = [
    "FAMILY", "NATIVE_N", "NATIVE_N_STREAM", "NATIVE_STOP", "PROVIDER_PARAMS", "STREAMING", "SUPPORTED_PARAMS",
    "build_prompt", "build_request", "map_stop_reason", "parse_response", "parse_stream_event",
    "stream_tools_supported", "supported_params",
]

FAMILY = "llama3"
NATIVE_N = False
NATIVE_STOP = False
STREAMING = True
NATIVE_N_STREAM = NATIVE_N
supported_params = fixed_params(SUPPORTED_PARAMS)
stream_tools_supported = always(True)  # no tools here: nothing to synthesise

_SPECIAL_TOKEN = re.compile(r"<(\|[A-Za-z0-9_]+\|>)")


def _clean(text: str) -> str:
    return _SPECIAL_TOKEN.sub(r"< \1", text)


def _header(role: str) -> str:
    return f"<|start_header_id|>{role}<|end_header_id|>\n\n"


def build_prompt(messages: list[dict]) -> str:
    """Format OpenAI messages with the Llama 3 Instruct template."""
    system, turns, prefill = prompt_turns(messages)
    pieces = ["<|begin_of_text|>"]
    if system:
        pieces.append(f"{_header('system')}{_clean(system)}<|eot_id|>")
    for role, text in turns:
        pieces.append(f"{_header(role)}{_clean(text)}<|eot_id|>")
    pieces.append(_header("assistant") + _clean(prefill))
    return "".join(pieces)


def build_request(model_id: str, messages: list[dict], params: ChatParams) -> dict:
    """The InvokeModel body for Llama 3.x."""
    return apply_extra_body(llama_body(build_prompt(messages), params), params)


_read = AnswerReader(FAMILY)


def parse_response(body: Any) -> Completion:
    return llama2.parse_response(body, read=_read)


def parse_stream_event(event: Any, state: StreamState) -> list[StreamPiece]:
    return llama2.parse_stream_event(event, state, read=_read)
