"""``python -m litebed.emulator --port 0``: serve until SIGINT/SIGTERM.

The first line on stdout is the base URL (``http://127.0.0.1:PORT``), flushed,
so a parent process can read it and start sending requests.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import Optional

from . import EmulatorConfig
from .faults import PROBABILITY_FIELDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m litebed.emulator", description="Serve the litebed Bedrock emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--access-key-id", default=EmulatorConfig.access_key_id)
    parser.add_argument("--secret-access-key", default=EmulatorConfig.secret_access_key)
    parser.add_argument("--session-token", default=None, help="an extra static session token to accept")
    parser.add_argument("--bearer-token", action="append", default=[], help="an accepted Bedrock API key (repeatable)")
    parser.add_argument("--region", default=None, help="the only signing region accepted (default: any)")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--jitter-ms", type=float, default=0)
    for name in PROBABILITY_FIELDS:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, default=0.0, metavar="P",
                            help=f"probability of a {name} fault per runtime request")
    parser.add_argument("--script", default="", help="comma-separated outcomes consumed one per runtime request")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--sts-credential-seconds", type=int, default=3600)
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """An EmulatorConfig from parsed command-line arguments."""
    return EmulatorConfig(
        access_key_id=args.access_key_id, secret_access_key=args.secret_access_key,
        session_token=args.session_token, bearer_tokens=tuple(args.bearer_token), region=args.region,
        latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, seed=args.seed,
        script=[item.strip() for item in args.script.split(",") if item.strip()],
        sts_credential_seconds=args.sts_credential_seconds,
        **{name: getattr(args, name) for name in PROBABILITY_FIELDS},
    )


async def serve(config: EmulatorConfig, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM."""
    from .server import EmulatorServer

    server = EmulatorServer(config)
    await server.start(host, port)
    print(f"http://{host}:{server.port}", flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    await server.close()


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(config, args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
