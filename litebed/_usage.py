"""OpenAI ``usage`` from Bedrock's counts, with prompt-cache and reasoning details.

Bedrock (like Anthropic) counts uncached input apart from cache reads and
writes; OpenAI's ``prompt_tokens`` counts every prompt token. litebed reports
OpenAI's meaning and both ecosystems' details: ``prompt_tokens_details.cached_tokens``
(OpenAI) and ``cache_read_input_tokens`` / ``cache_creation_input_tokens``
(Anthropic's names, as LiteLLM reports them). Bedrock gives no separate count
of reasoning tokens: ``completion_tokens_details.reasoning_tokens`` is litebed's
offline count of the reasoning text it received (at most ``completion_tokens``).
"""

from __future__ import annotations

from typing import Optional

from .types import CompletionTokensDetails, PromptTokensDetails, Usage


def build_usage(
    uncached_prompt: int,
    completion: int,
    *,
    cache_read: Optional[int] = None,
    cache_write: Optional[int] = None,
    reasoning_text: str = "",
    estimated: bool = False,
) -> Usage:
    prompt = uncached_prompt + (cache_read or 0) + (cache_write or 0)
    usage = Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion, estimated=estimated)
    if cache_read is not None or cache_write is not None:
        usage.prompt_tokens_details = PromptTokensDetails(cached_tokens=cache_read or 0)
        usage.cache_read_input_tokens = cache_read or 0
        usage.cache_creation_input_tokens = cache_write or 0
    if reasoning_text:
        from ._tokens import token_counter

        reasoning = min(completion, token_counter(text=reasoning_text))
        usage.completion_tokens_details = CompletionTokensDetails(reasoning_tokens=reasoning)
    return usage


def merge_usage(usages: list[Usage]) -> Usage:
    """Usage of fanned-out requests: they share one prompt, counted once as OpenAI does for n."""
    if len(usages) == 1:
        return usages[0]
    first = max(usages, key=lambda u: u.prompt_tokens)
    completion = sum(u.completion_tokens for u in usages)
    merged = first.model_copy(update={"completion_tokens": completion,
                                      "total_tokens": first.prompt_tokens + completion,
                                      "estimated": any(u.estimated for u in usages)})
    reasoning = [u.completion_tokens_details.reasoning_tokens for u in usages if u.completion_tokens_details]
    if reasoning:
        merged.completion_tokens_details = CompletionTokensDetails(reasoning_tokens=sum(reasoning))
    return merged
