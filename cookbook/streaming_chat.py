"""Stream a chat completion, sync and async, with usage, against the embedded emulator.

Run: python cookbook/streaming_chat.py
Against AWS, drop ``api_base`` and the emulator's keys: your usual credentials apply.
"""

import asyncio

import litebed
from litebed.emulator import Emulator

MODEL = "bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0"
MESSAGES = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name three rivers. [[reply:The Nile, the Amazon and the Danube.]]"},
]


def stream_sync(aws: dict) -> str:
    pieces = []
    with litebed.completion(model=MODEL, messages=MESSAGES, stream=True,
                            stream_options={"include_usage": True}, **aws) as stream:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
            elif chunk.usage:
                print("usage:", chunk.usage.prompt_tokens, "in,", chunk.usage.completion_tokens, "out")
    return "".join(pieces)


async def stream_async(aws: dict) -> str:
    stream = await litebed.acompletion(model=MODEL, messages=MESSAGES, stream=True, **aws)
    return "".join([chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices])


def main() -> None:
    with Emulator() as emu:
        aws = dict(api_base=emu.base_url, **emu.credentials)
        print("sync: ", stream_sync(aws))
        print("async:", asyncio.run(stream_async(aws)))


if __name__ == "__main__":
    main()
