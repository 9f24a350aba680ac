"""Tool calling on Bedrock's Converse route, end to end, against the local emulator.

    python cookbook/tool_calling.py

The emulated model calls a tool when the user turn holds a directive
``[[tool:NAME {json args}]]``; against real Bedrock, drop the ``api_base`` and
emulator credentials and ask normally. The flow is OpenAI's: the model asks for
a call, we run the function, send its result back, and get the final answer.
"""

from __future__ import annotations

import json

import litebed
from litebed.emulator import Emulator

MODEL = "bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0"

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def get_weather(city: str) -> dict:
    """Our local 'tool': a fixed forecast."""
    return {"city": city, "temperature_c": 18, "sky": "clear"}


def run(aws: dict) -> str:
    messages = [{"role": "user", "content": 'What is the weather in Paris? [[tool:get_weather {"city": "Paris"}]]'}]

    first = litebed.completion(model=MODEL, messages=messages, tools=TOOLS, **aws)
    message = first.choices[0].message
    print("finish_reason:", first.choices[0].finish_reason)
    messages.append(
        {
            "role": "assistant",
            "content": message.content,
            "tool_calls": [
                {"id": c.id, "type": "function", "function": {"name": c.function.name, "arguments": c.function.arguments}}
                for c in message.tool_calls
            ],
        }
    )
    for call in message.tool_calls:
        arguments = json.loads(call.function.arguments)
        print(f"model asks for {call.function.name}({arguments})")
        result = get_weather(**arguments)
        messages.append({"role": "tool", "tool_call_id": call.id, "content": json.dumps(result)})

    # Streamed this time: tool results in, the final answer out as content deltas.
    answer = []
    for chunk in litebed.completion(model=MODEL, messages=messages, tools=TOOLS, stream=True, **aws):
        if chunk.choices and chunk.choices[0].delta.content:
            answer.append(chunk.choices[0].delta.content)
    return "".join(answer)


def main() -> None:
    with Emulator() as emulator:
        print("answer:", run(dict(api_base=emulator.base_url, **emulator.credentials)))


if __name__ == "__main__":
    main()
