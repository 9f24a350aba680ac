"""OpenAI gpt-oss (``openai.gpt-oss-20b-1:0``, ``openai.gpt-oss-120b-1:0``) — from AWS's "OpenAI models" page.

The page says the InvokeModel body is OpenAI's Create chat completion request,
that ``model`` must match the model of the request (or be omitted), that
``stream`` must be false for InvokeModel and true for
InvokeModelWithResponseStream (or be omitted), that the models take text
input only, and that the answer is OpenAI's chat completion object, whose
text, with InvokeModel, is preceded by the model's reasoning wrapped in
``<reasoning>`` tags. The request members accepted here are OpenAI's Create
chat completion members (any other is rejected, as Bedrock's schemas reject
extraneous keys); ranges are OpenAI's: ``temperature`` 0-2, ``top_p`` 0-1,
penalties -2 to 2, ``stop`` a string or at most 4 strings. A ``tool`` message
must answer a tool call of an earlier assistant message.

The emulated model writes ``<reasoning>`` + a fixed sentence + ``</reasoning>``
then the brain's reply (or tool calls when tools are offered and
``tool_choice`` is not ``none``); ``max_completion_tokens`` (or the older
``max_tokens``) bounds the whole text, stop sequences apply to the reply.
Streams send ``chat.completion.chunk`` objects: a role delta, one content
delta per piece of that text, tool calls as OpenAI streams them (a delta with
id and name, then argument fragments), and a last delta with
``finish_reason``; ``stream_options.include_usage`` adds OpenAI's usage chunk.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from .. import brain, tooluse
from ..tokens import count_tokens, truncate_to_tokens
from .base import Family, Generation
from .validation import (
    anything,
    array,
    boolean,
    either,
    enum,
    free_object,
    integer,
    invalid,
    number,
    obj,
    string,
    validate,
)

TEXT_PART = obj({"type": enum("text"), "text": string()}, required=("type", "text"))
CONTENT = either(string(), array(TEXT_PART), enum(None), wanted="String or JSONArray of text parts")
TOOL_CALL = obj({"id": string(min_len=1), "type": enum("function"),
                 "function": obj({"name": string(min_len=1), "arguments": string()}, required=("name", "arguments"))},
                required=("id", "type", "function"))
MESSAGE = obj({"role": enum("system", "developer", "user", "assistant", "tool"), "content": anything(), "name": string(),
               "tool_calls": array(TOOL_CALL), "tool_call_id": string(min_len=1), "refusal": anything()},
              required=("role",))
TOOL = obj({"type": enum("function"), "function": obj(
    {"name": string(min_len=1), "description": string(), "parameters": free_object(), "strict": boolean()},
    required=("name",))}, required=("type", "function"))
TOOL_CHOICE = either(enum("none", "auto", "required"),
                     obj({"type": enum("function"), "function": obj({"name": string(min_len=1)}, required=("name",))},
                         required=("type", "function")),
                     wanted="String or JSONObject")
SCHEMA = obj({
    "messages": array(MESSAGE, 1),
    "model": string(),
    "stream": boolean(),
    "stream_options": obj({"include_usage": boolean()}),
    "max_completion_tokens": integer(1),
    "max_tokens": integer(1),
    "temperature": number(0, 2),
    "top_p": number(0, 1),
    "stop": either(string(), array(string(), 0, 4), enum(None), wanted="String or JSONArray"),
    "n": integer(1, 8),
    "presence_penalty": number(-2, 2),
    "frequency_penalty": number(-2, 2),
    "seed": integer(),
    "tools": array(TOOL),
    "tool_choice": TOOL_CHOICE,
    "parallel_tool_calls": boolean(),
    "reasoning_effort": enum("low", "medium", "high"),
    "response_format": free_object(),
    "user": string(),
    "logprobs": boolean(),
    "top_logprobs": integer(0, 20),
    "logit_bias": free_object(),
}, required=("messages",))

#: What the emulated model reasons before every answer.
REASONING = "Thinking about the request."
REASONING_BLOCK = f"<reasoning>{REASONING}</reasoning>"
DEFAULT_MAX_TOKENS = 4096
CREATED = 1754352000  # a fixed creation time (2025-08-05, the models' release date): answers stay deterministic


def text_of(content: Any) -> str:
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def check_messages(messages: list[dict]) -> None:
    known: set[str] = set()
    for index, message in enumerate(messages):
        if isinstance(message.get("content"), list) and any(
                isinstance(part, dict) and part.get("type") != "text" for part in message["content"]):
            invalid(f"messages.{index}.content: the OpenAI models support only text input.")
        CONTENT(message.get("content"), f"#/messages/{index}/content")
        if message.get("content") is None and not (message["role"] == "assistant" and message.get("tool_calls")):
            invalid(f"messages.{index}: content is required (only an assistant message with tool_calls may omit it).")
        if message["role"] != "assistant" and "tool_calls" in message:
            invalid(f"messages.{index}: only assistant messages can have tool_calls.")
        if message["role"] == "tool" and message.get("tool_call_id") not in known:
            invalid(f"messages.{index}: tool message tool_call_id [{message.get('tool_call_id')}] does not answer "
                    "a tool call of an earlier assistant message.")
        known |= {call["id"] for call in message.get("tool_calls") or []}


def check_tools(body: dict) -> None:
    choice = body.get("tool_choice")
    if choice is not None and not body.get("tools") and choice != "none":
        invalid("tool_choice is only allowed when tools are specified.")
    if isinstance(choice, dict):
        names = [tool["function"]["name"] for tool in body.get("tools", [])]
        if choice["function"]["name"] not in names:
            invalid(f"tool_choice names the function [{choice['function']['name']}], which is not one of the tools.")


def openai_choice(choice: Any) -> tooluse.Choice:
    """OpenAI's ``tool_choice``: ``auto`` (default), ``required`` (any tool), a named function, or ``none``."""
    if isinstance(choice, dict):
        return tooluse.named(choice["function"]["name"])
    return {"required": tooluse.ANY, "none": tooluse.NONE}.get(choice or "auto", tooluse.AUTO)


class OpenAIChat(Family):
    name = "openai-chat"

    def validate(self, body: Any, *, model_id: str, stream: bool) -> None:
        validate(body, SCHEMA)
        if "model" in body and body["model"] != model_id:
            invalid(f"The model [{body['model']}] in the request body does not match the model of the request [{model_id}].")
        if body.get("stream", stream) is not stream:
            invalid(f"stream must be {str(stream).lower()} for "
                    f"{'InvokeModelWithResponseStream' if stream else 'InvokeModel'} (or be omitted).")
        if body.get("stream_options") is not None and not stream:
            invalid("stream_options is only allowed for a streamed request.")
        check_messages(body["messages"])
        check_tools(body)

    def generate(self, body: dict, *, model_id: str, stream: bool, stream_words: Optional[int] = None) -> Generation:
        messages = body["messages"]
        last = next((m for m in reversed(messages) if m["role"] in ("user", "tool")), messages[-1])
        limit = body.get("max_completion_tokens", body.get("max_tokens", DEFAULT_MAX_TOKENS))
        stops = body.get("stop") or []
        stops = [stops] if isinstance(stops, str) else stops
        # tool_choice "none" takes the tools away, directives included
        tools = tooluse.function_tools(body.get("tools")) if body.get("tool_choice") != "none" else []
        response_id = "chatcmpl-" + brain.stable_id(model_id, body, length=24)
        budget = limit - count_tokens(REASONING_BLOCK)
        if budget < 0:
            content, finish, calls, output_tokens = truncate_to_tokens(REASONING_BLOCK, limit), "length", [], limit
        else:
            reply = brain.respond(text_of(last.get("content")), max_tokens=budget, stop_sequences=stops,
                                  tools=tools, tool_choice=openai_choice(body.get("tool_choice")),
                                  after_tool_results=last["role"] == "tool", stream_words=stream_words)
            calls = [{"id": "call_" + brain.stable_id(model_id, body, index, length=24), "type": "function",
                      "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
                     for index, call in enumerate(reply.tool_calls)]
            content = REASONING_BLOCK + reply.text
            finish = "tool_calls" if calls else ("length" if reply.finish == "length" else "stop")
            output_tokens = count_tokens(REASONING_BLOCK) + reply.output_tokens
        input_tokens = count_tokens("\n".join(text_of(m.get("content")) for m in messages))
        usage = {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                 "total_tokens": input_tokens + output_tokens}
        count = body.get("n", 1)
        message = {"role": "assistant", "content": content, **({"tool_calls": calls} if calls else {})}
        head = {"id": response_id, "created": CREATED, "model": model_id}
        answer = {**head, "object": "chat.completion",
                  "choices": [{"index": i, "message": message, "finish_reason": finish} for i in range(count)],
                  "usage": usage}
        chunks = self._chunks(head, content, calls, finish, count)
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**head, "object": "chat.completion.chunk", "choices": [], "usage": usage})
        return Generation(body=answer, chunks=chunks, input_tokens=input_tokens, output_tokens=output_tokens * count)

    @staticmethod
    def _chunks(head: dict, content: str, calls: list[dict], finish: str, count: int) -> list[dict]:
        def chunk(index: int, delta: dict, reason: Optional[str] = None) -> dict:
            return {**head, "object": "chat.completion.chunk",
                    "choices": [{"index": index, "delta": delta, "finish_reason": reason}]}

        chunks = []
        for index in range(count):
            chunks.append(chunk(index, {"role": "assistant", "content": ""}))
            chunks += [chunk(index, {"content": piece}) for piece in brain.pieces(content)]
            for position, call in enumerate(calls):
                chunks.append(chunk(index, {"tool_calls": [{"index": position, "id": call["id"], "type": "function",
                                                            "function": {"name": call["function"]["name"], "arguments": ""}}]}))
                chunks += [chunk(index, {"tool_calls": [{"index": position, "function": {"arguments": fragment}}]})
                           for fragment in brain.json_fragments(json.loads(call["function"]["arguments"]))]
            chunks.append(chunk(index, {}, finish))
        return chunks
