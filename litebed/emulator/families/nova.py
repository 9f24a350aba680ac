"""Amazon Nova (Micro, Lite, Pro, Premier) native ``messages-v1`` bodies — docs/bedrock.md §5.4.

The body mirrors Converse (same message / content / tool shapes, binary data as
base64 strings); ``inferenceConfig`` adds ``topK``. The response is the Converse
shape with ``cacheRead/WriteInputTokenCount`` in ``usage``; stream chunks are
Converse events keyed by their name (``{"contentBlockDelta": {...}}``).
``maxTokens`` is capped at 10,000 (Premier 32,000) — the reference's 5,000 is
unverified and the current Nova docs raised it; we prefer not to reject valid bodies.
Prompt caching: ``cachePoint`` blocks in ``system`` and messages (not among the
tools), with Converse's layout and ``prompt_cache.py``'s rules; refusals carry
the model's own text (no Converse prefix).
"""

from __future__ import annotations

from typing import Any, Optional

from .. import brain, prompt_cache, thinking
from . import converse
from .base import Family, Generation
from .validation import array, enum, integer, invalid, number, obj, string, validate


def schema(model_id: str):
    max_tokens = 32000 if "premier" in model_id else 10000
    return obj({
        "schemaVersion": enum("messages-v1"),
        "system": array(converse.SYSTEM_BLOCK),
        "messages": array(converse.MESSAGE, 1),
        "inferenceConfig": obj({
            "maxTokens": integer(1, max_tokens), "max_new_tokens": integer(1, max_tokens),
            "temperature": number(0, 1), "topP": number(0, 1), "topK": integer(0, 128),
            "stopSequences": array(string(min_len=1), 0, 4),
        }),
        "toolConfig": converse.TOOL_CONFIG,
    }, required=("messages",))


class Nova(Family):
    name = "nova"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, schema(model_id))
        converse.check_conversation(body["messages"])  # a final assistant turn is a prefill
        converse.check_features(body, model_id, stream=False)
        try:
            prompt_cache.check(model_id, converse.cache_layout(body)[1])
        except thinking.Refused as exc:
            invalid(exc.message)

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        config = body.get("inferenceConfig", {})
        tools, tool_choice = converse.tool_offer(body.get("toolConfig") or {})
        reply = brain.respond(converse.last_user_text(body["messages"]),
                              max_tokens=config.get("maxTokens", config.get("max_new_tokens")),
                              stop_sequences=config.get("stopSequences", ()), tools=tools, tool_choice=tool_choice,
                              after_tool_results=converse.answers_tool_results(body["messages"]),
                              stream_words=stream_words)
        cache = prompt_cache.active().account(model_id, *converse.cache_layout(body))
        caches = prompt_cache.rules_for(model_id) is not None
        content, stop_reason = converse.answer_content(reply, (model_id, body))
        usage = {"inputTokens": cache.input_tokens, "outputTokens": reply.output_tokens,
                 "totalTokens": cache.input_tokens + cache.read + cache.write + reply.output_tokens,
                 "cacheReadInputTokenCount": cache.read, "cacheWriteInputTokenCount": cache.write}
        events = converse.stream_events(content, stop_reason, usage, {})
        return Generation(
            body={"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop_reason,
                  "usage": usage},
            chunks=[{kind: payload} for kind, payload in events],
            input_tokens=cache.input_tokens, output_tokens=reply.output_tokens,
            cache_read_tokens=cache.read if caches else None, cache_write_tokens=cache.write if caches else None,
        )
