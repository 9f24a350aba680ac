"""The benchmark's plumbing: the emulator subprocess, repetitions, the table.

Kept apart from ``run.py`` so that file reads as the list of figures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

REGION = "us-east-1"
ACCESS_KEY_ID = "AKIALITEBEDEMULATOR1"
SECRET_ACCESS_KEY = "litebed-emulator-secret"


class EmulatorProcess:
    """``python -m litebed.emulator --port 0`` in its own process, plus its admin endpoints."""

    def __init__(self, *args: str) -> None:
        self._args = args
        self._process: Optional[subprocess.Popen] = None
        self.url = ""

    def __enter__(self) -> "EmulatorProcess":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "litebed.emulator", "--port", "0", *self._args],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.__exit__()
            raise RuntimeError(f"the emulator did not start (first line: {self.url!r})")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None

    def _admin(self, method: str, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        request.add_header("X-Litebed-Emulator", "1")  # the admin endpoints refuse requests without it
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"null")

    def configure(self, **fields: Any) -> None:
        """``POST /_emulator/config``: latency and faults from now on."""
        self._admin("POST", "/_emulator/config", fields)

    def reset(self) -> None:
        """``POST /_emulator/reset``: clear the log; latency and faults back to zero."""
        self._admin("POST", "/_emulator/reset", {})

    def requests(self) -> list[dict]:
        """``GET /_emulator/requests``: the request log, oldest first."""
        return self._admin("GET", "/_emulator/requests")

    @property
    def litebed_kwargs(self) -> dict:
        """Credentials and endpoint, passed to litebed exactly as a user would."""
        return {
            "aws_access_key_id": ACCESS_KEY_ID,
            "aws_secret_access_key": SECRET_ACCESS_KEY,
            "aws_region_name": REGION,
            "api_base": self.url,
        }

    def boto3_client(self, **config: Any):
        """A ``bedrock-runtime`` boto3 client aimed at this emulator (created once per figure)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "bedrock-runtime",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
            config=Config(**config),
        )


# --- repetitions and statistics ------------------------------------------------------


@dataclass
class Summary:
    """One measured quantity over its repetitions."""

    median: float
    min: float
    max: float
    runs: list[float]

    @classmethod
    def of(cls, runs: list[float]) -> "Summary":
        return cls(statistics.median(runs), min(runs), max(runs), runs)


def repeat(measure: Callable[[], dict[str, float]], times: int) -> dict[str, Summary]:
    """Call ``measure`` ``times`` times; each call returns named numbers. Summarise each name."""
    results = [measure() for _ in range(times)]
    return {name: Summary.of([r[name] for r in results]) for name in results[0]}


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation, as numpy's default."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def per_call(samples: list[float]) -> dict[str, float]:
    """Mean, p50 and p99 of per-call seconds, in milliseconds."""
    ms = [s * 1000 for s in samples]
    return {"mean": statistics.fmean(ms), "p50": percentile(ms, 50), "p99": percentile(ms, 99)}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# --- the table -----------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a figure, both sides, the target and whether it holds."""

    figure: str
    unit: str
    litebed: Optional[Summary]
    boto3: Optional[Summary] = None
    target: str = ""
    passed: Optional[bool] = None
    higher_is_better: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> Optional[float]:
        if self.litebed is None or self.boto3 is None or not self.boto3.median:
            return None
        return self.litebed.median / self.boto3.median


def _fmt(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(summary: Optional[Summary], unit: str) -> str:
    if summary is None:
        return "-"
    if summary.min == summary.max:
        return f"{_fmt(summary.median)} {unit}"
    return f"{_fmt(summary.median)} {unit} [{_fmt(summary.min)}-{_fmt(summary.max)}]"


def render(rows: list[Row]) -> str:
    """The table as fixed-width text (median [min-max] per side)."""
    header = ("figure", "litebed", "boto3", "ratio", "target", "pass")
    lines = [
        (
            row.figure,
            _cell(row.litebed, row.unit),
            _cell(row.boto3, row.unit),
            f"{row.ratio:.2f}x" if row.ratio is not None else "-",
            row.target or "-",
            {True: "PASS", False: "FAIL", None: "-"}[row.passed],
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    out = [" | ".join(h.ljust(w) for h, w in zip(header, widths)), "-+-".join("-" * w for w in widths)]
    out += [" | ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    notes = [f"  {row.figure}: {row.note}" for row in rows if row.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def write_json(path: str, rows: list[Row], meta: dict) -> None:
    payload = {
        "meta": meta,
        "figures": [{**asdict(row), "ratio": row.ratio} for row in rows],
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
