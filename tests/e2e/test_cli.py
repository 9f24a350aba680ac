"""`litebed embed` run as a subprocess against the in-process emulator."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

TITAN = "bedrock/amazon.titan-embed-text-v2:0"


@pytest.fixture
def run(emu, tmp_path):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": emu.credentials["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": emu.credentials["aws_secret_access_key"], "AWS_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)

    def command(input_path, *extra):
        return [sys.executable, "-m", "litebed.cli", "embed", str(input_path), "--model", TITAN,
                "--output", str(tmp_path / "out.jsonl"), "--endpoint-url", emu.base_url, "--dimensions", "256", *extra]

    def run(input_path, *extra):
        return subprocess.run(command(input_path, *extra), env=env, capture_output=True, text=True, timeout=30)

    run.command, run.env = command, env
    return run


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_text_file(run, tmp_path, emu):
    (tmp_path / "in.txt").write_text("alpha\nbeta\ngamma\n")
    done = run(tmp_path / "in.txt")
    assert done.returncode == 0, done.stderr
    rows = read_jsonl(tmp_path / "out.jsonl")
    assert sorted(r["id"] for r in rows) == [1, 2, 3] and all(len(r["embedding"]) == 256 for r in rows)
    assert "done 3, failed 0" in done.stderr and "requests 3" in done.stderr and "tokens 6" in done.stderr
    assert {r["body"]["inputText"] for r in emu.requests()} == {"alpha", "beta", "gamma"}
    again = run(tmp_path / "in.txt")  # resumable: nothing left to do
    assert again.returncode == 0 and "skipped 3" in again.stderr and len(read_jsonl(tmp_path / "out.jsonl")) == 3


def test_jsonl_with_id_field_and_bad_lines(run, tmp_path):
    lines = [b'{"key": "a", "body": "first"}', b'{"key": "b", "body": ""}', b"not json",
             b'{"key": "c"}', b'{"key": "d", "body": "caf\xff"}', b'{"key": "a", "body": "dup"}',
             b'{"key": "e", "body": "last"}']
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    done = run(tmp_path / "in.jsonl", "--id-field", "key", "--text-field", "body")
    assert done.returncode == 1
    assert sorted(r["id"] for r in read_jsonl(tmp_path / "out.jsonl")) == ["a", "e"]
    failed = {f["line"]: f for f in read_jsonl(tmp_path / "out.failed.jsonl")}
    assert sorted(failed) == [2, 3, 4, 5, 6]
    assert failed[2]["error"] == "empty text" and failed[2]["id"] == "b"
    assert "invalid JSON" in failed[3]["error"] and "missing field 'body'" in failed[4]["error"]
    assert "invalid UTF-8" in failed[5]["error"] and failed[6]["error"] == "duplicate id"
    assert "failed 5" in done.stderr


def test_csv(run, tmp_path):
    (tmp_path / "in.csv").write_text('id,text\nx1,"hello, world"\nx2,second\n')
    done = run(tmp_path / "in.csv", "--id-field", "id")
    assert done.returncode == 0, done.stderr
    assert sorted(r["id"] for r in read_jsonl(tmp_path / "out.jsonl")) == ["x1", "x2"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_sigint_then_resume_completes_without_duplicates(signum, run, tmp_path, emu):
    (tmp_path / "in.txt").write_text("".join(f"line {i}\n" for i in range(1, 301)))
    emu.configure(latency_ms=50)
    process = subprocess.Popen(run.command(tmp_path / "in.txt", "--concurrency", "4", "--progress-interval", "0.05"),
                               env=run.env, stderr=subprocess.PIPE, text=True)
    out = tmp_path / "out.jsonl"
    deadline = time.monotonic() + 10
    while (not out.exists() or out.stat().st_size < 2000) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)  # SIGTERM stops a run as Ctrl-C does
    stderr = process.communicate(timeout=10)[1]
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    partial = read_jsonl(out)
    assert 0 < len(partial) < 300
    emu.configure(latency_ms=0)
    done = run(tmp_path / "in.txt")
    assert done.returncode == 0, done.stderr
    ids = [r["id"] for r in read_jsonl(out)]
    assert sorted(ids) == list(range(1, 301))
    assert f"skipped {len(partial)}" in done.stderr


def test_torn_last_line_is_cut_and_redone(run, tmp_path):
    (tmp_path / "in.txt").write_text("one\ntwo\n")
    assert run(tmp_path / "in.txt").returncode == 0
    out = tmp_path / "out.jsonl"
    rows = out.read_text().splitlines()
    out.write_text(rows[0] + "\n" + rows[1][:20])  # killed mid-write
    assert run(tmp_path / "in.txt").returncode == 0
    assert sorted(r["id"] for r in read_jsonl(out)) == [1, 2]


def test_bad_model_is_a_usage_error(run, tmp_path):
    (tmp_path / "in.txt").write_text("x\n")
    done = subprocess.run(run.command(tmp_path / "in.txt")[:5] + ["--model", "bedrock/anthropic.claude-v2",
                          "--output", str(tmp_path / "o.jsonl")], env=run.env, capture_output=True, text=True)
    assert done.returncode == 2 and "not an embedding model" in done.stderr


def test_a_clean_run_leaves_no_failed_items_file_and_a_failing_one_names_it(run, tmp_path):
    (tmp_path / "in.txt").write_text("alpha\nbeta\n")
    assert run(tmp_path / "in.txt").returncode == 0
    assert not (tmp_path / "out.failed.jsonl").exists()
    (tmp_path / "out.jsonl").unlink()  # a new job into the same OUT (line numbers 1 and 2 again)
    (tmp_path / "bad.jsonl").write_text('{"text": "fine"}\nnot json\n')
    done = run(tmp_path / "bad.jsonl")
    assert done.returncode == 1
    assert f"failed items are listed in {tmp_path / 'out.failed.jsonl'}" in done.stderr
    assert (tmp_path / "out.failed.jsonl").read_text().count("\n") == 1


def test_csv_keeps_quoted_newlines_and_takes_fields_over_128_kib(run, tmp_path, emu):
    big = "word " * 40_000  # 200 KB, over the csv module's default field limit
    (tmp_path / "in.csv").write_text(f'id,text\na,"first line\nsecond line, with a comma"\nb,"{big}"\n')
    done = run(tmp_path / "in.csv", "--id-field", "id")
    assert done.returncode in (0, 1), done.stderr  # the long text may be refused by the model, never crash
    assert "Traceback" not in done.stderr
    sent = [r["body"]["inputText"] for r in emu.requests() if r["operation"] == "InvokeModel"]
    assert "first line\nsecond line, with a comma" in sent


def test_a_resume_with_other_settings_is_refused_and_nothing_is_mixed(run, tmp_path, emu):
    (tmp_path / "in.txt").write_text("alpha\nbeta\n")
    assert run(tmp_path / "in.txt").returncode == 0  # --dimensions 256
    before = (tmp_path / "out.jsonl").read_text()
    (tmp_path / "in.txt").write_text("alpha\nbeta\ngamma\n")
    command = run.command(tmp_path / "in.txt")
    command[command.index("--dimensions") + 1] = "512"
    done = subprocess.run(command, env=run.env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "dimensions 256 (this run: 512)" in done.stderr, done.stderr
    assert (tmp_path / "out.jsonl").read_text() == before
    assert run(tmp_path / "in.txt").returncode == 0  # the same settings resume
    assert {len(r["embedding"]) for r in read_jsonl(tmp_path / "out.jsonl")} == {256}
