"""What the model catalog says a call may ask for: the context window and the output cap.

Checked before sending, so an over-long prompt or an impossible ``max_tokens``
costs no request (and no reserved throughput quota). Token counts are
litebed's offline estimate (``token_counter``), so the window check refuses
only prompts the estimate puts over the window; counting is skipped when the
prompt's bytes cannot reach the window (a token is at least one byte, a
character at most four), which is every ordinary call.
"""

from __future__ import annotations

import functools
from typing import Optional

from .errors import BadRequestError, ContextWindowExceededError


@functools.lru_cache(maxsize=1024)
def _window_and_cap(base_model_id: str) -> tuple[Optional[int], Optional[int]]:
    """(context window, output cap) from the catalog, remembered: a lookup costs ~40 us a call."""
    from ._catalog import lookup

    try:
        info = lookup(base_model_id)
    except BadRequestError:  # not a catalog id at all: nothing to check against
        info = None
    if info is None:
        return None, None
    return info.get("max_input_tokens"), info.get("max_output_tokens")


def _text_chars(messages: list) -> int:
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            for part in content:
                text = part.get("text") if isinstance(part, dict) else part
                if isinstance(text, str):
                    total += len(text)
    return total


def check_request(base_model_id: str, messages: list, max_tokens: int, max_tokens_given: bool, model: str) -> Optional[int]:
    """Raise before sending when ``messages`` or ``max_tokens`` cannot fit ``base_model_id``.

    Returns the model's output cap (None when the catalog does not give one).
    """
    window, cap = _window_and_cap(base_model_id)
    if max_tokens_given and isinstance(cap, int) and max_tokens > cap:
        raise BadRequestError(
            f"max_tokens: {max_tokens} is over {base_model_id}'s maximum output of {cap} tokens; pass at most {cap}",
            model=model,
        )
    # A token is at least one UTF-8 byte and a character at most four: count only when it could matter.
    if isinstance(window, int) and 4 * _text_chars(messages) > window:
        from ._tokens import token_counter

        prompt = token_counter(messages=messages)
        if prompt > window:
            raise ContextWindowExceededError(
                f"messages: about {prompt} tokens, over {base_model_id}'s context window of {window} tokens "
                "(litebed's estimate, checked before sending); shorten the conversation",
                model=model,
            )
    return cap
