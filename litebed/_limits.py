"""What the model catalog says a call may ask for: the context window and the output cap.

Checked before sending, so an over-long prompt or an impossible ``max_tokens``
costs no request (and no reserved throughput quota). Token counts are
litebed's offline estimate (``token_counter``), so the window check refuses
only prompts the estimate puts over the window; counting is skipped when the
prompt's bytes cannot reach the window (a token is at least one byte), which is
every ordinary call.
"""

from __future__ import annotations

from typing import Any, Optional

from .errors import BadRequestError, ContextWindowExceededError


def _info(base_model_id: str) -> Optional[dict]:
    from ._catalog import lookup

    try:
        return lookup(base_model_id)
    except BadRequestError:  # not in the catalog: nothing to check against
        return None


def _text_bytes(messages: list) -> int:
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            total += len(content.encode("utf-8", "replace"))
        elif isinstance(content, list):
            for part in content:
                text = part.get("text") if isinstance(part, dict) else part
                if isinstance(text, str):
                    total += len(text.encode("utf-8", "replace"))
    return total


def check_request(base_model_id: str, messages: list, max_tokens: int, max_tokens_given: bool, model: str) -> Any:
    """Raise before sending when ``messages`` or ``max_tokens`` cannot fit ``base_model_id``.

    Returns the catalog entry (or None when the model is not in the catalog).
    """
    info = _info(base_model_id)
    if info is None:
        return None
    cap = info.get("max_output_tokens")
    if max_tokens_given and isinstance(cap, int) and max_tokens > cap:
        raise BadRequestError(
            f"max_tokens: {max_tokens} is over {base_model_id}'s maximum output of {cap} tokens; pass at most {cap}",
            model=model,
        )
    window = info.get("max_input_tokens")
    if isinstance(window, int) and _text_bytes(messages) > window:
        from ._tokens import token_counter

        prompt = token_counter(messages=messages)
        if prompt > window:
            raise ContextWindowExceededError(
                f"messages: about {prompt} tokens, over {base_model_id}'s context window of {window} tokens "
                "(litebed's estimate, checked before sending); shorten the conversation",
                model=model,
            )
    return info
