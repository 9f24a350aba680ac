"""The ``litebed`` command line: ``litebed embed INPUT --model ... --output OUT.jsonl``.

INPUT is a text file (one text per line), JSONL or CSV. Results are appended to
OUT as they arrive, so a rerun skips ids already there; records that fail go to
``OUT.failed.jsonl`` (rewritten each run). Ctrl-C stops cleanly (exit 130).
Credentials come from the environment or ``--profile``, never from arguments.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any, Optional

__all__ = ["main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
_FLUSH_SECONDS = 0.5


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="litebed", description="litebed: Amazon Bedrock from the command line.")
    parser.add_argument("--version", action="version", version=f"litebed {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    # Listed here for --help; its own options are parsed by litebed.emulator's command line.
    commands.add_parser("emulator", help="serve a local Bedrock (the emulator); prints the export lines to use it",
                        add_help=False)
    embed = commands.add_parser("embed", help="embed every line/record of a file into a JSONL file")
    embed.add_argument("input", help="a .txt (one text per line), .jsonl or .csv file")
    embed.add_argument("--model", required=True, help='for example "bedrock/amazon.titan-embed-text-v2:0"')
    embed.add_argument("--output", "-o", required=True, help="JSONL file, appended to; ids already in it are skipped")
    embed.add_argument("--concurrency", type=int, default=None, help="requests in flight (default 32)")
    embed.add_argument("--dimensions", type=int, default=None)
    embed.add_argument("--input-type", default=None, help="Cohere input_type (default search_document)")
    embed.add_argument("--id-field", default=None, help="JSONL/CSV field holding the id (default: the line number)")
    embed.add_argument("--text-field", default="text", help="JSONL/CSV field holding the text (default: text)")
    embed.add_argument("--format", choices=("text", "jsonl", "csv"), default=None, help="default: from the extension")
    embed.add_argument("--region", default=None, help="AWS region (default: the environment's)")
    embed.add_argument("--endpoint-url", default=None, help="bedrock-runtime endpoint (for example an emulator)")
    embed.add_argument("--profile", default=None, help="a named AWS profile")
    embed.add_argument("--progress-interval", type=float, default=None, help=argparse.SUPPRESS)
    return parser


# --- input ---------------------------------------------------------------------------

class BadLine(Exception):
    """An input line that cannot become a record."""


def detect_format(path: str, first_line: bytes, text_field: str) -> str:
    extension = os.path.splitext(path)[1].lower()
    if extension in (".jsonl", ".ndjson"):
        return "jsonl"
    if extension in (".csv", ".tsv"):
        return "csv"
    if extension == ".txt":
        return "text"
    stripped = first_line.strip()
    if stripped.startswith(b"{"):
        return "jsonl"
    if text_field.encode() in stripped.split(b","):
        return "csv"
    return "text"


def _numbered_lines(handle, *, keep_newlines: bool = False) -> Iterator[tuple[int, Any]]:
    """``(line number, decoded line or BadLine)``; bytes are decoded one line at a time.

    ``keep_newlines`` leaves each line's terminator on, as the csv module needs it to keep
    the newlines inside a quoted field."""
    for number, raw in enumerate(handle, start=1):
        try:
            text = raw.decode("utf-8")
            yield number, text if keep_newlines else text.rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield number, BadLine(f"invalid UTF-8 at byte {exc.start}")


def _text_of(value: Any, field: str) -> str:
    if value is None:
        raise BadLine(f"missing field {field!r}")
    if not isinstance(value, str):
        raise BadLine(f"field {field!r} is not a string")
    if not value.strip():
        raise BadLine("empty text")
    return value


def read_records(handle, fmt: str, *, id_field: Optional[str], text_field: str) -> Iterator[tuple[int, Any, Any]]:
    """``(line number, id, text or BadLine)`` for each record of a binary file handle."""
    if fmt == "csv":
        yield from _read_csv(handle, id_field=id_field, text_field=text_field)
        return
    for number, line in _numbered_lines(handle):
        if isinstance(line, BadLine):
            yield number, number, line
        elif fmt == "text":
            yield number, number, line if line.strip() else BadLine("empty text")
        else:
            yield (number, *_jsonl_record(number, line, id_field, text_field))


def _jsonl_record(number: int, line: str, id_field: Optional[str], text_field: str) -> tuple[Any, Any]:
    if not line.strip():
        return number, BadLine("empty line")
    try:
        record = json.loads(line)
    except ValueError as exc:
        return number, BadLine(f"invalid JSON: {exc}")
    if not isinstance(record, dict):
        return number, BadLine("not a JSON object")
    record_id = number
    try:
        if id_field:
            if record.get(id_field) is None:
                raise BadLine(f"missing field {id_field!r}")
            record_id = record[id_field]
        return record_id, _text_of(record.get(text_field), text_field)
    except BadLine as bad:
        return record_id, bad


def _read_csv(handle, *, id_field: Optional[str], text_field: str) -> Iterator[tuple[int, Any, Any]]:
    # A text to embed may be long: no field-size limit but memory (the csv module's default is 128 KiB).
    csv.field_size_limit(sys.maxsize)
    lines = _numbered_lines(handle, keep_newlines=True)
    bad_lines: list[tuple[int, BadLine]] = []

    def good_lines() -> Iterator[str]:
        for number, line in lines:
            if isinstance(line, BadLine):
                bad_lines.append((number, line))
            else:
                yield line

    reader = csv.reader(good_lines())
    header = next(reader, None)
    if header is None:
        return
    if text_field not in header:
        raise SystemExit(f"litebed embed: the CSV header has no {text_field!r} column (see --text-field)")
    for row in reader:
        while bad_lines:
            number, bad = bad_lines.pop(0)
            yield number, number, bad
        number = reader.line_num
        # A short row leaves fields missing (a BadLine below names them); extra cells are ignored.
        fields = dict(zip(header, row, strict=False))
        record_id: Any = number
        try:
            if id_field:
                if not fields.get(id_field):
                    raise BadLine(f"missing field {id_field!r}")
                record_id = fields[id_field]
            yield number, record_id, _text_of(fields.get(text_field), text_field)
        except BadLine as problem:
            yield number, record_id, problem
    for number, bad in bad_lines:
        yield number, number, bad


# --- output --------------------------------------------------------------------------

def failed_path(output: str) -> str:
    stem = output[: -len(".jsonl")] if output.endswith(".jsonl") else output
    return stem + ".failed.jsonl"


def _key(record_id: Any) -> str:
    return json.dumps(record_id, sort_keys=True)


def load_done(output: str) -> set[str]:
    """Ids already in ``output``. A torn last line (a run killed mid-write) is cut off."""
    done: set[str] = set()
    if not os.path.exists(output):
        return done
    with open(output, "rb+") as handle:
        lines = handle.readlines()
        offset = 0
        for position, line in enumerate(lines):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no newline")
                done.add(_key(json.loads(line)["id"]))
            except (ValueError, KeyError, TypeError):
                if position == len(lines) - 1:
                    handle.truncate(offset)
            offset += len(line)
    return done


class Progress:
    """A bar on a terminal, plain periodic lines otherwise, and the final summary."""

    def __init__(self, stream, total: int, *, interval: Optional[float] = None) -> None:
        self.stream = stream
        self.total = total
        self.tty = stream.isatty()
        self.interval = interval if interval is not None else (0.1 if self.tty else 2.0)
        self.started = time.monotonic()
        self._last = 0.0

    def update(self, processed: int, new: int, failed: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        elapsed = max(now - self.started, 1e-9)
        rate = new / elapsed
        left = max(self.total - processed, 0)
        eta = f"{left / rate:.0f}s" if rate > 0 else "?"
        if self.tty:
            filled = int(30 * processed / self.total) if self.total else 30
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(f"\r[{bar}] {processed}/{self.total} {rate:.0f}/s ETA {eta} failed {failed} ")
        else:
            self.stream.write(f"litebed embed: {processed}/{self.total} processed, {failed} failed, {rate:.0f}/s, ETA {eta}\n")
        self.stream.flush()

    def summary(self, *, done: int, skipped: int, failed: int, requests: int, tokens: int, interrupted: bool) -> None:
        if self.tty:
            self.stream.write("\n")
        wall = time.monotonic() - self.started
        state = "interrupted" if interrupted else "finished"
        self.stream.write(
            f"litebed embed {state}: done {done}, failed {failed}, skipped {skipped} (already in output), "
            f"requests {requests}, tokens {tokens}, wall time {wall:.2f}s\n"
        )
        self.stream.flush()


# --- the command ---------------------------------------------------------------------

def _count_lines(path: str) -> int:
    count = 0
    last = b"\n"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


class _SigintGuard:
    """Defers Ctrl-C (and SIGTERM, which stops a run the same way) while a line is being
    written, so no result is half-written."""

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.writing = False
        self.pending = False
        self._previous: dict = {}

    def __enter__(self) -> _SigintGuard:
        for signum in self._SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)

    def _handle(self, signum, frame) -> None:
        if self.writing:
            self.pending = True
        else:
            raise KeyboardInterrupt

    def check(self) -> None:
        if self.pending:
            raise KeyboardInterrupt


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: the same resolved path, or (links) the same inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def check_paths(input_path: str, output: str) -> Optional[str]:
    """Why INPUT and OUT cannot be used together (None when they can), before any request.

    OUT is appended to and the failed-items file rewritten: either being INPUT (by any
    spelling, symlink or hard link) would feed the run its own output or erase its input.
    """
    failed = failed_path(output)
    if _same_file(input_path, output):
        return f"the output {output} is the input file; choose another --output"
    if _same_file(input_path, failed):
        return f"the input {input_path} is the failed-items file of --output {output}; choose another --output"
    if os.path.isdir(output):
        return f"the output {output} is a directory; give a file path"
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        return f"the output's directory {parent} does not exist; create it first"
    return None


def lock_output(output: str) -> tuple[Optional[Any], Optional[str]]:
    """Take the exclusive lock beside OUT (``OUT.lock``): (the open lock file, None), or
    (None, why not). The lock is the operating system's (``flock``): a run that was killed
    holds nothing, so its leftover lock file is simply taken over."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): run unlocked
        return None, None
    path = output + ".lock"
    try:
        handle = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        return None, f"cannot create the lock file {path}: {exc.strerror}"
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another run"
        handle.close()
        return None, f"{output} is being written by {holder} (lock {path}); wait for it, or choose another --output"
    handle.seek(0)
    handle.truncate()
    handle.write(f"litebed embed, process {os.getpid()}\n")
    handle.flush()
    return handle, None


def check_settings(args: argparse.Namespace) -> Optional[str]:
    """OUT records what produced it in ``OUT.settings.json``; a run with other settings is refused
    (why, or None), so one file never mixes vectors of different models or sizes."""
    wanted = {"model": args.model, "dimensions": args.dimensions, "input_type": args.input_type}
    path = args.output + ".settings.json"
    try:
        with open(path, encoding="utf-8") as handle:
            recorded = json.load(handle)
    except FileNotFoundError:
        recorded = None
    except (OSError, ValueError) as exc:
        return f"cannot read {path}: {exc}; remove it only if {args.output} was made with this run's settings"
    if isinstance(recorded, dict):
        differ = [f"{key} {recorded.get(key)!r} (this run: {value!r})" for key, value in wanted.items()
                  if recorded.get(key) != value]
        if differ:
            return (f"{args.output} was made with other settings: {'; '.join(differ)}; "
                    "rerun with the same settings, or choose another --output")
        return None
    try:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(wanted, handle)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror}"
    return None


def run_embed(args: argparse.Namespace, stderr=None) -> int:
    """``litebed embed``: returns the exit status."""
    stderr = stderr or sys.stderr
    aws: dict[str, Any] = {}
    if args.region:
        aws["aws_region_name"] = args.region
    if args.endpoint_url:
        aws["api_base"] = args.endpoint_url
    if args.profile:
        aws["aws_profile_name"] = args.profile
    try:
        with open(args.input, "rb") as probe:
            first = probe.readline()
    except OSError as exc:
        print(f"litebed embed: cannot read {args.input}: {exc.strerror}", file=stderr)
        return EXIT_USAGE
    refusal = check_paths(args.input, args.output)
    lock = None
    if not refusal:
        lock, refusal = lock_output(args.output)
    if not refusal:
        refusal = check_settings(args)
    if refusal:
        print(f"litebed embed: {refusal}", file=stderr)
        return EXIT_USAGE
    try:
        return _embed_locked(args, stderr, first, aws)
    finally:
        if lock is not None:
            os.remove(lock.name)  # while still held: no other run can have taken it
            lock.close()


def _embed_locked(args: argparse.Namespace, stderr: Any, first: bytes, aws: dict[str, Any]) -> int:
    """The run itself, once OUT is locked for it."""
    from ._client import embed_batch
    from .errors import LitebedError

    fmt = args.format or detect_format(args.input, first, args.text_field)
    done_keys = load_done(args.output)
    total = _count_lines(args.input) - (1 if fmt == "csv" else 0)

    lines: dict[str, int] = {}   # id key -> line number, for records in flight
    seen: set[str] = set()
    counts = {"skipped": 0, "bad": 0, "processed": 0}
    guard = _SigintGuard()
    try:
        out = open(args.output, "a", encoding="utf-8")
    except OSError as exc:
        print(f"litebed embed: cannot write {args.output}: {exc.strerror}", file=stderr)
        return EXIT_USAGE
    try:
        failed = open(failed_path(args.output), "w", encoding="utf-8")
    except OSError as exc:
        out.close()
        print(f"litebed embed: cannot write {failed_path(args.output)}: {exc.strerror}", file=stderr)
        return EXIT_USAGE

    def write(handle, payload: dict) -> None:
        guard.writing = True
        handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
        guard.writing = False

    def records(handle) -> Iterator[tuple[Any, str]]:
        for number, record_id, text in read_records(handle, fmt, id_field=args.id_field, text_field=args.text_field):
            key = _key(record_id)
            if key in done_keys:
                counts["skipped"] += 1
                counts["processed"] += 1
                continue
            if isinstance(text, BadLine) or key in seen:
                error = str(text) if isinstance(text, BadLine) else "duplicate id"
                write(failed, {"id": record_id, "error": error, "line": number})
                counts["bad"] += 1
                counts["processed"] += 1
                continue
            seen.add(key)
            lines[key] = number
            yield record_id, text

    progress = Progress(stderr, total, interval=args.progress_interval)
    interrupted = False
    source = open(args.input, "rb")
    try:
        batch = embed_batch(records(source), args.model, concurrency=args.concurrency,
                            dimensions=args.dimensions, input_type=args.input_type, **aws)
    except LitebedError as exc:
        for handle in (source, out, failed):
            handle.close()
        print(f"litebed embed: {exc}", file=stderr)
        return EXIT_USAGE
    last_flush = time.monotonic()
    with guard:
        try:
            for result in batch:
                number = lines.pop(_key(result.id), None)
                if result.ok:
                    write(out, {"id": result.id, "embedding": result.embedding})
                else:
                    write(failed, {"id": result.id, "error": result.error, "line": number})
                counts["processed"] += 1
                guard.check()
                if time.monotonic() - last_flush >= _FLUSH_SECONDS:
                    out.flush()
                    failed.flush()
                    last_flush = time.monotonic()
                progress.update(counts["processed"], batch.stats.done + batch.stats.failed, batch.stats.failed + counts["bad"])
        except KeyboardInterrupt:
            interrupted = True
        finally:
            batch.close()
            for handle in (source, out, failed):
                handle.close()
    stats = batch.stats
    failures = stats.failed + counts["bad"]
    failed_file = failed_path(args.output)
    if not failures and os.path.exists(failed_file) and os.path.getsize(failed_file) == 0:
        os.remove(failed_file)  # a clean run leaves no empty failed-items file behind
    progress.update(counts["processed"], stats.done + stats.failed, failures, force=True)
    progress.summary(done=stats.done, skipped=counts["skipped"], failed=failures,
                     requests=stats.requests, tokens=stats.tokens, interrupted=interrupted)
    if failures:
        print(f"litebed embed: the failed items are listed in {failed_file}", file=stderr)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if stats.failed or counts["bad"] else 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("litebed")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``litebed`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["emulator"]:
        from .emulator.__main__ import main as emulator_main

        return emulator_main(argv[1:], prog="litebed emulator")
    args = build_parser().parse_args(argv)
    if args.command == "embed":
        return run_embed(args)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
