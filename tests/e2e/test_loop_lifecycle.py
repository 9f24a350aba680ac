"""Each event loop's connections close with the loop: no sockets, loops or warnings left behind."""

import asyncio
import gc
import os
import subprocess
import sys
import textwrap
import time

import litebed

MESSAGES = [{"role": "user", "content": "Hi"}]


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_300_asyncio_runs_leave_no_sockets_or_loops(emu):
    kwargs = dict(model="bedrock/anthropic.claude-v2", messages=MESSAGES, api_base=emu.base_url, **emu.credentials)
    asyncio.run(litebed.acompletion(**kwargs))  # warm: imports, default client, sync-free path
    gc.collect()
    before = _open_fds()
    for _ in range(300):
        asyncio.run(litebed.acompletion(**kwargs))
    gc.collect()
    after = _open_fds()
    assert after - before <= 2, f"{after - before} file descriptors leaked over 300 event loops"
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and not o.is_running()]
    assert len([loop for loop in loops if not loop.is_closed()]) == 0
    assert len(loops) <= 2, f"{len(loops)} event loops kept alive"


def test_no_resource_warning_at_exit(emulator):
    script = textwrap.dedent(
        f"""
        import asyncio, warnings
        warnings.simplefilter("error", ResourceWarning)
        import litebed
        kwargs = dict(model="bedrock/anthropic.claude-v2", messages=[{{"role": "user", "content": "Hi"}}],
                      api_base={emulator.base_url!r}, **{emulator.credentials!r})
        for _ in range(5):
            asyncio.run(litebed.acompletion(**kwargs))
            for chunk in litebed.completion(stream=True, **kwargs):
                pass
        stream = litebed.completion(stream=True, **kwargs)
        next(stream)  # abandoned mid-stream
        async def main():
            async with litebed.Client(api_base={emulator.base_url!r}, **{emulator.credentials!r}) as client:
                await client.acompletion(model=kwargs["model"], messages=kwargs["messages"])
        asyncio.run(main())
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-X", "dev", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert "ResourceWarning" not in result.stderr, result.stderr


class SlowSTS:
    """A loopback proxy to the emulator's STS that takes ``delay`` seconds per call."""

    def __init__(self, target: str, delay: float) -> None:
        import http.server
        import threading
        import urllib.request

        proxy = self
        self.calls = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.calls += 1
                time.sleep(delay)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}  # Host kept: it is signed
                request = urllib.request.Request(target + self.path, data=body, headers=headers, method="POST")
                try:
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status, payload, kind = answer.status, answer.read(), answer.headers["Content-Type"]
                except urllib.error.HTTPError as error:
                    status, payload, kind = error.code, error.read(), error.headers["Content-Type"]
                self.send_response(status)
                self.send_header("Content-Type", kind or "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _ticker(gaps: list, stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


class EmulatorSubprocess:
    """The emulator in its own process: its CPU work must not share this process's GIL
    when what is measured is whether this process's event loop stalls."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "litebed.emulator", "--port", "0"],
                                         stdout=subprocess.PIPE, text=True)
        self.base_url = self.process.stdout.readline().strip()
        from litebed.emulator import EmulatorConfig

        self.credentials = {"aws_access_key_id": EmulatorConfig.access_key_id,
                            "aws_secret_access_key": EmulatorConfig.secret_access_key, "aws_region_name": "us-east-1"}

    def configure(self, **fields) -> None:
        import json
        import urllib.request

        request = urllib.request.Request(self.base_url + "/_emulator/config", data=json.dumps(fields).encode(),
                                         headers={"Content-Type": "application/json", "X-Litebed-Emulator": "1"}, method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()


async def test_slow_sts_and_refreshes_never_stall_the_event_loop():
    """20 acompletion calls waiting on a slow STS (first resolution, then refreshes) while a 10 ms ticker runs."""
    from litebed import Client

    emu = EmulatorSubprocess()
    emu.configure(sts_credential_seconds=900)  # inside botocore's 15-minute refresh window: every call refreshes
    sts = SlowSTS(emu.base_url, delay=0.3)
    try:
        # Warm up first: a fresh process imports pydantic, httpx and botocore, and parses botocore's
        # data files, once (CPU work that holds the GIL); what is measured is waiting on STS.
        warm = Client(aws_role_name="arn:aws:iam::123456789012:role/litebed-warm", aws_sts_endpoint=emu.base_url,
                      api_base=emu.base_url, **emu.credentials)
        await warm.acompletion(model="bedrock/anthropic.claude-v2", messages=MESSAGES)
        client = Client(aws_role_name="arn:aws:iam::123456789012:role/litebed-test", aws_sts_endpoint=sts.url,
                        api_base=emu.base_url, **emu.credentials)
        gaps: list = []
        stop = asyncio.Event()
        ticker = asyncio.ensure_future(_ticker(gaps, stop))
        results = await asyncio.gather(*(client.acompletion(model="bedrock/anthropic.claude-v2", messages=MESSAGES) for _ in range(20)))
        emu.configure(sts_credential_seconds=3600)
        for _ in range(3):  # later calls find the credentials due for refresh
            await client.acompletion(model="bedrock/anthropic.claude-v2", messages=MESSAGES)
        stop.set()
        await ticker
    finally:
        sts.close()
        emu.close()
    assert len(results) == 20
    assert sts.calls >= 2, "the credentials were never refreshed"
    worst = max(range(len(gaps)), key=gaps.__getitem__)
    assert max(gaps) < 0.1, f"the event loop stalled for {max(gaps):.3f} s (tick {worst} of {len(gaps)})"
