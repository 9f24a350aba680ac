"""``make bench``: what litebed costs beside raw boto3, measured in one run.

The emulator runs in its own process (``python -m litebed.emulator --port 0``);
litebed and boto3 are measured in this process, one after the other, against
that same emulator. Each figure is repeated and reported as median [min-max].
LiteLLM is compared only when it happens to be installed (it never is a
dependency). The benchmark never fails: it prints one table and writes it to
``bench/results.json``. docs/benchmark.md explains each figure.

    python bench/run.py [--quick] [--out PATH] [--only 2,3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from harness import EmulatorProcess, Row, Summary, per_call, render, repeat, timed, write_json

HERE = os.path.dirname(os.path.abspath(__file__))
NO_RETRIES = {"retries": {"total_max_attempts": 1}}  # botocore: max_attempts=1 would still retry once

CHAT_MODELS = {
    "Claude text": "anthropic.claude-v2",
    "Claude Messages": "anthropic.claude-3-haiku-20240307-v1:0",
    "Titan": "amazon.titan-text-express-v1",
}
MESSAGES = [{"role": "user", "content": "Say hello to the benchmark."}]


def _native_body(emu: EmulatorProcess, call) -> dict:
    """The exact native body litebed sent for ``call()``: boto3 then sends the same one."""
    emu.reset()
    call()
    return emu.requests()[-1]["body"]


# --- 1. import ---------------------------------------------------------------------------

_CHILD = (
    "import time, sys; t = time.perf_counter(); {stmt}; t = time.perf_counter() - t\n"
    "rss = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
    "print(t, int(rss) / 1024)"
)


def _child(stmt: str) -> dict:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD.format(stmt=stmt)], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    inner, rss = map(float, out.stdout.split())
    return {"wall": wall, "inner": inner, "rss": rss}


def figure_import(reps: int) -> list[Row]:
    bare = repeat(lambda: _child("pass"), reps)
    rows = []
    for name in ("litebed", "boto3"):
        stats = repeat(lambda: _child(f"import {name}"), reps)
        stats["net"] = Summary.of([w - bare["wall"].median for w in stats["wall"].runs])
        stats["name"] = name
        rows.append(stats)
    lite, boto = rows
    return [
        Row("1. import time (minus bare python)", "ms", _ms(lite["net"]), _ms(boto["net"]),
            target="<= 20 ms", passed=lite["net"].median <= 0.020,
            note=f"bare interpreter {bare['wall'].median * 1000:.0f} ms; in-process import time "
                 f"litebed {lite['inner'].median * 1000:.0f} ms, boto3 {boto['inner'].median * 1000:.0f} ms"),
        Row("1. peak RSS after import", "MB", lite["rss"], boto["rss"], target="<= 50 MB",
            passed=lite["rss"].median <= 50, note=f"bare interpreter {bare['rss'].median:.1f} MB (VmHWM)"),
    ]


def _ms(summary: Summary) -> Summary:
    return Summary.of([v * 1000 for v in summary.runs])


# --- 2. sequential completions ------------------------------------------------------------


def figure_sequential(emu: EmulatorProcess, reps: int, calls: int) -> list[Row]:
    import litebed

    emu.reset()
    runtime = emu.boto3_client(**NO_RETRIES)
    rows = []
    for label, model_id in CHAT_MODELS.items():
        def lite():
            return litebed.completion(model="bedrock/" + model_id, messages=MESSAGES, max_tokens=50, **emu.litebed_kwargs)

        body = json.dumps(_native_body(emu, lite))

        def boto():
            response = runtime.invoke_model(modelId=model_id, body=body)
            return json.loads(response["body"].read())

        for fn in (lite, boto):  # warm up: pools, lazy imports, botocore's loaders
            for _ in range(30):
                fn()

        def sample(fn):
            times = []
            for _ in range(calls):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            return per_call(times)

        # Interleave the two so drift (thermal, the emulator's log) hits both alike.
        results = {"lite": [], "boto": []}
        for _ in range(reps):
            results["lite"].append(sample(lite))
            results["boto"].append(sample(boto))
        for stat in ("mean", "p50", "p99"):
            l_sum = Summary.of([r[stat] for r in results["lite"]])
            b_sum = Summary.of([r[stat] for r in results["boto"]])
            rows.append(Row(
                f"2. {label} {stat} per call", "ms", l_sum, b_sum,
                target="<= 0.5x boto3" if stat == "mean" else "",
                passed=(l_sum.median <= 0.5 * b_sum.median) if stat == "mean" else None,
            ))
    rows[0].note = f"{calls} sequential calls per repetition, 0 ms emulator latency, after 30 warm-up calls each"
    return rows


# --- 3. one long stream ---------------------------------------------------------------------


def figure_stream(emu: EmulatorProcess, reps: int, words: int) -> list[Row]:
    import litebed

    emu.reset()
    # Claude 3.7 Sonnet: a long answer needs an output cap above Claude 3 Haiku's 4,096 tokens.
    model_id = "anthropic.claude-3-7-sonnet-20250219-v1:0"
    runtime = emu.boto3_client(**NO_RETRIES)
    messages = [{"role": "user", "content": f"[[words:{words}]]"}]

    def lite():
        count = 0
        for _ in litebed.completion(model="bedrock/" + model_id, messages=messages, max_tokens=4096 * 8,
                                    stream=True, **emu.litebed_kwargs):
            count += 1
        return count

    body = json.dumps(_native_body(emu, lite))

    def boto():
        count = 0
        response = runtime.invoke_model_with_response_stream(modelId=model_id, body=body)
        for event in response["body"]:
            if "chunk" in event:
                json.loads(event["chunk"]["bytes"])
                count += 1
        return count

    def measure():
        out = {}
        for name, fn in (("lite", lite), ("boto", boto)):
            seconds, _ = timed(fn)
            out[name + "_s"] = seconds
            out[name + "_cps"] = words / seconds
        return out

    measure()  # warm-up
    stats = repeat(measure, reps)
    return [
        Row(f"3. {words}-word stream, total", "s", stats["lite_s"], stats["boto_s"]),
        Row(f"3. {words}-word stream, chunks/s", "/s", stats["lite_cps"], stats["boto_cps"],
            target=">= 1.2x boto3", passed=stats["lite_cps"].median >= 1.2 * stats["boto_cps"].median, higher_is_better=True,
            note=f"Claude 3.7 Sonnet (Messages); {words} native text chunks (boto3 json-decodes each); "
                 "litebed yields OpenAI chunks (plus role/finish chunks); chunks/s counts the model's words"),
    ]


# --- 4. concurrency ----------------------------------------------------------------------


def figure_concurrent(emu: EmulatorProcess, reps: int, n: int, latency_ms: int) -> list[Row]:
    import litebed

    emu.reset()
    emu.configure(latency_ms=latency_ms)
    model = "bedrock/" + CHAT_MODELS["Claude Messages"]

    async def lite_rounds() -> list[float]:
        async def one_round() -> float:
            start = time.perf_counter()
            await asyncio.gather(*(
                litebed.acompletion(model=model, messages=MESSAGES, max_tokens=50, **emu.litebed_kwargs)
                for _ in range(n)
            ))
            return time.perf_counter() - start

        cold = await one_round()
        return [cold] + [await one_round() for _ in range(reps)]

    lite_runs = asyncio.run(lite_rounds())
    body = json.dumps(emu.requests()[-1]["body"])
    runtime = emu.boto3_client(max_pool_connections=n, **NO_RETRIES)
    model_id = CHAT_MODELS["Claude Messages"]

    def boto_call(_):
        return json.loads(runtime.invoke_model(modelId=model_id, body=body)["body"].read())

    boto_runs = []
    with ThreadPoolExecutor(max_workers=n) as pool:
        for _ in range(reps + 1):
            seconds, _ = timed(lambda: list(pool.map(boto_call, range(n))))
            boto_runs.append(seconds)
    emu.reset()
    lite, boto = Summary.of(lite_runs[1:]), Summary.of(boto_runs[1:])
    return [Row(
        f"4. {n} concurrent acompletion @{latency_ms}ms", "s", lite, boto,
        target="<= 0.35 s", passed=lite.median <= 0.35,
        note=f"warm pools (the first round, {lite_runs[0]:.2f} s litebed / {boto_runs[0]:.2f} s boto3, opens the "
             f"connections and is left out); boto3 = {n}-thread pool, max_pool_connections={n}; "
             f"floor {latency_ms / 1000:.1f} s",
    )]


# --- 5. embeddings ------------------------------------------------------------------------


def figure_embeddings(emu: EmulatorProcess, reps: int, texts: int, latency_ms: int) -> list[Row]:
    import litebed

    titan, cohere = "amazon.titan-embed-text-v1", "cohere.embed-english-v3"
    inputs = [f"benchmark text number {i}" for i in range(texts)]
    emu.reset()
    emu.configure(latency_ms=latency_ms)
    runtime = emu.boto3_client(max_pool_connections=32, **NO_RETRIES)

    def lite_titan():
        return litebed.embedding(model="bedrock/" + titan, input=inputs, **emu.litebed_kwargs)

    def boto_titan(text):
        body = json.dumps({"inputText": text})
        return json.loads(runtime.invoke_model(modelId=titan, body=body)["body"].read())

    def lite_cohere():
        return litebed.embedding(model="bedrock/" + cohere, input=inputs, **emu.litebed_kwargs)

    lite_titan()  # warm-up (connections, imports)
    boto_titan(inputs[0])
    lite = repeat(lambda: {"s": timed(lite_titan)[0]}, reps)["s"]
    sample = 100
    sequential = repeat(lambda: {"s": timed(lambda: [boto_titan(t) for t in inputs[:sample]])[0] * texts / sample}, reps)["s"]
    with ThreadPoolExecutor(max_workers=32) as pool:
        pooled = repeat(lambda: {"s": timed(lambda: list(pool.map(boto_titan, inputs)))[0]}, reps)["s"]

    def cohere_run():
        emu.reset()
        emu.configure(latency_ms=latency_ms)
        seconds, response = timed(lite_cohere)
        assert len(response.data) == texts
        return {"s": seconds, "requests": float(sum(r["operation"] == "InvokeModel" for r in emu.requests()))}

    co = repeat(cohere_run, reps)
    requests = co["requests"].median
    emu.reset()
    return [
        Row(f"5. {texts} Titan embeddings @{latency_ms}ms", "s", lite, pooled, target="<= 2.5 s", passed=lite.median <= 2.5,
            note="litebed.embedding() defaults (32 in flight) vs boto3 in a 32-thread pool",
            extra={"boto3_sequential_estimate": sequential.__dict__}),
        Row(f"5. {texts} Titan, boto3 sequential (est.)", "s", None, sequential,
            note=f"{sample} sequential invoke_model calls timed, scaled x{texts // sample}"),
        Row(f"5. {texts} Cohere embeddings @{latency_ms}ms", "s", co["s"], None,
            target="21 requests", passed=requests == 21,
            note=f"requests sent (GET /_emulator/requests): {requests:.0f}"),
    ]


# --- 6. throttling -----------------------------------------------------------------------


def figure_throttling(emu: EmulatorProcess, reps: int, n: int, throttle: float) -> list[Row]:
    import litebed
    from litebed import APIError

    model = CHAT_MODELS["Claude Messages"]
    runtime = emu.boto3_client(max_pool_connections=32, retries={"mode": "standard"})  # 3 attempts in all
    emu.reset()
    body = json.dumps(_native_body(emu, lambda: litebed.completion(
        model="bedrock/" + model, messages=MESSAGES, max_tokens=50, **emu.litebed_kwargs)))

    def lite_call(_):
        try:
            litebed.completion(model="bedrock/" + model, messages=MESSAGES, max_tokens=50, **emu.litebed_kwargs)
            return True
        except APIError:
            return False

    def boto_call(_):
        try:
            json.loads(runtime.invoke_model(modelId=model, body=body)["body"].read())
            return True
        except runtime.exceptions.ThrottlingException:
            return False

    def measure():
        out = {}
        for name, fn in (("lite", lite_call), ("boto", boto_call)):
            emu.reset()
            emu.configure(throttle=throttle)
            with ThreadPoolExecutor(max_workers=32) as pool:
                seconds, ok = timed(lambda: list(pool.map(fn, range(n))))
            out[name + "_ok"], out[name + "_s"] = float(sum(ok)), seconds
        return out

    stats = repeat(measure, reps)
    emu.reset()
    return [
        Row(f"6. {n} calls, {throttle:.0%} throttled: successes", "ok", stats["lite_ok"], stats["boto_ok"],
            target=f"{n} of {n}", passed=stats["lite_ok"].min == n, higher_is_better=True,
            note="litebed default retries (throttling: 6 retries, 7 attempts, full-jitter backoff from 0.5 s); "
                 "boto3 retry mode 'standard' (3 attempts); 32 threads each. With 7 attempts a call fails "
                 f"with p = {throttle}^7, so {n} of {n} holds with p = {(1 - throttle ** 7) ** n:.3f} per run "
                 f"(with 3 attempts: {(1 - throttle ** 3) ** n:.2f})"),
        Row(f"6. {n} calls, {throttle:.0%} throttled: wall", "s", stats["lite_s"], stats["boto_s"]),
    ]


# --- 7. LiteLLM (only if installed) ----------------------------------------------------------


def litellm_row() -> Row:
    if importlib.util.find_spec("litellm") is None:
        return Row("LiteLLM", "", None, note="not installed: skipped (never a dependency)")
    return Row("LiteLLM", "", None, note="installed, but no LiteLLM figures are implemented in this run")


# --- main -------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and calls (a smoke run)")
    parser.add_argument("--out", default=os.path.join(HERE, "results.json"))
    parser.add_argument("--only", default="", help="comma-separated figure numbers (default: all)")
    args = parser.parse_args(argv)
    quick = args.quick
    only = {int(x) for x in args.only.split(",") if x}

    figures = [
        (1, lambda emu: figure_import(3 if quick else 7)),
        (2, lambda emu: figure_sequential(emu, 2 if quick else 5, 50 if quick else 200)),
        (3, lambda emu: figure_stream(emu, 1 if quick else 3, 5000)),
        (4, lambda emu: figure_concurrent(emu, 2 if quick else 5, 500, 200)),
        (5, lambda emu: figure_embeddings(emu, 1 if quick else 3, 2000, 20)),
        (6, lambda emu: figure_throttling(emu, 1 if quick else 3, 200, 0.2)),
    ]
    rows: list[Row] = []
    with EmulatorProcess("--seed", "7") as emu:
        for number, figure in figures:
            if only and number not in only:
                continue
            started = time.perf_counter()
            try:
                rows.extend(figure(emu))
            except Exception as exc:  # the benchmark reports; it never fails the build
                traceback.print_exc()
                rows.append(Row(f"{number}. (failed)", "", None, note=f"{type(exc).__name__}: {exc}"))
            print(f"figure {number} done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    rows.append(litellm_row())
    print(render(rows))
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "quick": quick,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "versions": _versions(),
    }
    write_json(args.out, rows, meta)
    print(f"\nwritten: {os.path.relpath(args.out)}")
    return 0


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("litebed", "boto3", "botocore", "httpx", "httpcore", "pydantic"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    sys.exit(main())
