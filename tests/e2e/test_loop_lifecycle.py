"""Each event loop's connections close with the loop: no sockets, loops or warnings left behind."""

import asyncio
import gc
import os
import subprocess
import sys
import textwrap

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
