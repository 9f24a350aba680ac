"""``python -m litebed.emulator --port 0``: serve until SIGINT/SIGTERM.

The first line on stdout is the base URL (``http://127.0.0.1:PORT``), flushed,
so a parent process can read it and start sending requests. The lines after it
are ``export`` lines (``startup_lines``): pasted into a shell, they point boto3
and litebed at the emulator. ``main(argv, prog=...)`` is what a CLI subcommand calls.
"""

from __future__ import annotations

import argparse
import errno
import signal
import sys
import textwrap
import threading
from collections.abc import Sequence
from typing import Optional

from . import Emulator, EmulatorConfig, startup_lines
from .faults import PROBABILITY_FIELDS

PROG = "python -m litebed.emulator"
_DEFAULTS = EmulatorConfig()


class _HelpFormatter(argparse.HelpFormatter):
    """Help lines wrapped at spaces only: a default such as ``litebed-emulator-secret`` stays whole."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The options; every help line shows its default."""
    description = ("Serve the litebed Bedrock emulator on this machine. "
                   "It prints its URL, then export lines that point boto3 and litebed at it.")
    parser = argparse.ArgumentParser(prog=prog, formatter_class=_HelpFormatter, description=description)
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default: %(default)s; anything but loopback prints a warning)")
    parser.add_argument("--port", type=int, default=0, help="the port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument("--access-key-id", default=_DEFAULTS.access_key_id,
                        help="the access key id accepted (default: %(default)s)")
    parser.add_argument("--secret-access-key", default=_DEFAULTS.secret_access_key,
                        help="the secret access key accepted (default: %(default)s)")
    parser.add_argument("--session-token", default=None,
                        help="a static session token required with those keys (default: none)")
    parser.add_argument("--bearer-token", action="append", default=[],
                        help="an accepted Bedrock API key, repeatable (default: none)")
    parser.add_argument("--region", default=None, help="the only signing region accepted (default: any; "
                        "the export lines say us-east-1)")
    parser.add_argument("--latency-ms", type=float, default=0, help="latency added to each runtime answer (default: %(default)s)")
    parser.add_argument("--jitter-ms", type=float, default=0,
                        help="uniform random extra latency, up to this (default: %(default)s)")
    for name in PROBABILITY_FIELDS:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, default=0.0, metavar="P",
                            help=f"probability of the {name} fault per runtime request (default: %(default)s)")
    parser.add_argument("--script", default="",
                        help="comma-separated outcomes consumed one per runtime request (default: none)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault and jitter RNG (default: unseeded)")
    parser.add_argument("--sts-credential-seconds", type=int, default=_DEFAULTS.sts_credential_seconds,
                        help="the longest lifetime of STS-issued credentials (default: %(default)s)")
    parser.add_argument("--head-timeout", type=float, default=_DEFAULTS.head_timeout,
                        help="seconds a connection may take to send a request head before it is closed "
                        "(default: %(default)s)")
    parser.add_argument("--max-body-bytes", type=int, default=_DEFAULTS.max_body_bytes,
                        help="larger request bodies get 413 (default: %(default)s)")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """An EmulatorConfig from parsed command-line arguments."""
    return EmulatorConfig(
        access_key_id=args.access_key_id, secret_access_key=args.secret_access_key,
        session_token=args.session_token, bearer_tokens=tuple(args.bearer_token), region=args.region,
        latency_ms=args.latency_ms, jitter_ms=args.jitter_ms, seed=args.seed,
        script=[item.strip() for item in args.script.split(",") if item.strip()],
        sts_credential_seconds=args.sts_credential_seconds,
        head_timeout=args.head_timeout, max_body_bytes=args.max_body_bytes,
        **{name: getattr(args, name) for name in PROBABILITY_FIELDS},
    )


def serve(emulator: Emulator) -> None:
    """Print the started ``emulator``'s startup lines and serve until SIGINT or SIGTERM, then stop it."""
    stopped = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stopped.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        for line in startup_lines(emulator):
            print(line, flush=True)
        while not stopped.wait(0.5):  # a timeout keeps the wait interruptible everywhere (Windows too)
            pass
    finally:
        emulator.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Optional[Sequence[str]] = None, *, prog: str = PROG) -> int:
    """Run the emulator as a command: 0 after SIGINT/SIGTERM, 2 for bad options or an address in use."""
    args = build_parser(prog).parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    emulator = Emulator(config, host=args.host, port=args.port)
    try:
        emulator.start()
    except OSError as exc:  # the socket could not be bound: say so in one line, no traceback
        reason = "the address is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        print(f"{prog}: error: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return 2
    serve(emulator)
    return 0


if __name__ == "__main__":
    sys.exit(main())
