"""``make demo``: litebed's main jobs against the embedded Bedrock emulator, no AWS account needed.

Starts the emulator in-process (a real HTTP server on loopback that checks
SigV4 signatures and native request bodies as Bedrock does), then shows a chat
completion, a streamed completion, a Converse tool call, an embedding batch
and a generated image written to ``demo-output/``.
"""

from __future__ import annotations

import base64
import pathlib
import sys
import time

import litebed

from .emulator import Emulator


def _title(text: str) -> None:
    print(f"\n== {text} ==")


def main(output_dir: str = "demo-output") -> int:
    with Emulator() as emu:
        aws = dict(api_base=emu.base_url, **emu.credentials)
        print(f"Bedrock emulator listening on {emu.base_url}")
        print("The answers below are the emulator's placeholders (echoes of the prompt, solid-colour images),\n"
              "produced over real HTTP with Bedrock's bodies, signatures, streams and errors; with AWS\n"
              "credentials instead, the same calls reach Bedrock.")

        _title("chat completion: bedrock/anthropic.claude-3-haiku-20240307-v1:0")
        response = litebed.completion(
            model="bedrock/anthropic.claude-3-haiku-20240307-v1:0",
            messages=[
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "What is Amazon Bedrock?"},
            ],
            max_tokens=100,
            **aws,
        )
        print("content:      ", response.choices[0].message.content)
        print("finish_reason:", response.choices[0].finish_reason)
        print("usage:        ", response.usage.model_dump(exclude_none=True))

        _title("streamed completion: bedrock/meta.llama3-8b-instruct-v1:0 (stop applied client-side)")
        stream = litebed.completion(
            model="bedrock/meta.llama3-8b-instruct-v1:0",
            messages=[{"role": "user", "content": "Count: one two three four five"}],
            stream=True,
            stop=["four"],
            stream_options={"include_usage": True},
            **aws,
        )
        with stream:
            for chunk in stream:
                if chunk.choices:
                    piece = chunk.choices[0].delta.content
                    if piece:
                        print(piece, end="|", flush=True)
                    if chunk.choices[0].finish_reason:
                        print(f"\nfinish_reason: {chunk.choices[0].finish_reason}")
                elif chunk.usage:
                    print("usage:", chunk.usage.model_dump(exclude_none=True))

        _title("tool call over Converse: bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0")
        tools = [{"type": "function", "function": {
            "name": "get_weather", "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        }}]
        tool_response = litebed.completion(
            model="bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0",
            messages=[{"role": "user", "content": 'Weather in Paris? [[tool:get_weather {"city": "Paris"}]]'}],
            tools=tools,
            **aws,
        )
        call = tool_response.choices[0].message.tool_calls[0]
        print(f"tool call: {call.function.name}({call.function.arguments})  finish_reason: "
              f"{tool_response.choices[0].finish_reason}")

        _title("embedding batch: bedrock/amazon.titan-embed-text-v2:0, 200 texts")
        texts = [f"document number {i}" for i in range(200)]
        started = time.perf_counter()
        embeddings = litebed.embedding(model="bedrock/amazon.titan-embed-text-v2:0", input=texts, dimensions=256, **aws)
        elapsed = time.perf_counter() - started
        print(f"{len(embeddings.data)} vectors of {len(embeddings.data[0].embedding)} dims in {elapsed:.2f}s; "
              f"usage: {embeddings.usage.model_dump()}")

        _title("image generation: bedrock/amazon.titan-image-generator-v2:0")
        images = litebed.image_generation(
            prompt="a lighthouse at dusk", model="bedrock/amazon.titan-image-generator-v2:0", size="512x512", **aws
        )
        out = pathlib.Path(output_dir)
        out.mkdir(exist_ok=True)
        path = out / "lighthouse.png"
        path.write_bytes(base64.b64decode(images.data[0].b64_json))
        print(f"wrote {path} ({path.stat().st_size} bytes)")

        _title("embed_batch (what `litebed embed` runs): 50 records with 20% injected throttling")
        emu.configure(throttle=0.2, seed=7)
        records = [{"id": f"doc-{i}", "text": f"record {i}"} for i in range(50)]
        batch = litebed.embed_batch(records, model="bedrock/amazon.titan-embed-text-v2:0", dimensions=256, **aws)
        results = list(batch)
        emu.configure(throttle=0.0)
        done = sum(1 for r in results if r.ok)
        print(f"{done} done, {len(results) - done} failed, {batch.stats.requests} requests, "
              f"{batch.stats.tokens} tokens; throttled requests were retried")

        _title("what the emulator saw")
        seen: dict = {}
        for entry in emu.requests():
            key = (entry["operation"], entry["model_id"], entry["status"])
            seen[key] = seen.get(key, 0) + 1
        widths = [max(len(str(key[i])) for key in seen) for i in (0, 1)]
        for (operation, model_id, status), count in seen.items():
            print(f"{count:>4} x {operation:<{widths[0]}}  {model_id!s:<{widths[1]}}  {status}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
