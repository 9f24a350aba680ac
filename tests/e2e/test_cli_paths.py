"""`litebed embed` refuses paths that would lose or corrupt data, before any request, with one line."""

import os
import subprocess
import sys

import pytest

TITAN = "bedrock/amazon.titan-embed-text-v2:0"


@pytest.fixture
def embed(emu, tmp_path):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": emu.credentials["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": emu.credentials["aws_secret_access_key"], "AWS_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)

    def embed(input_path, output):
        return subprocess.run([sys.executable, "-m", "litebed", "embed", str(input_path), "--model", TITAN,
                               "--output", str(output), "--endpoint-url", emu.base_url],
                              env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    return embed


def runtime_requests(emu):
    return [r for r in emu.requests() if r["operation"].startswith("Invoke")]


def refused(done, emu, words):
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert words in done.stderr
    assert runtime_requests(emu) == []


@pytest.mark.parametrize("spelling", ["same", "dot-slash", "symlink", "hard link"])
def test_an_output_that_is_the_input_is_refused(spelling, embed, emu, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("alpha\nbeta\n")
    output = {"same": "notes.txt", "dot-slash": "./notes.txt"}.get(spelling)
    if spelling == "symlink":
        output = "link.txt"
        os.symlink(notes, tmp_path / output)
    elif spelling == "hard link":
        output = "hard.txt"
        os.link(notes, tmp_path / output)
    refused(embed("notes.txt", output), emu, "is the input file")
    assert notes.read_text() == "alpha\nbeta\n"


def test_the_failed_items_file_as_input_is_refused(embed, emu, tmp_path):
    failed = tmp_path / "out.failed.jsonl"  # the failed-items file of out.jsonl
    failed.write_text('{"id": 1, "error": "x", "line": 1}\n')
    refused(embed(failed, tmp_path / "out.jsonl"), emu, "failed-items file")
    assert failed.read_text().startswith('{"id": 1')  # not truncated


def test_a_directory_or_a_missing_directory_as_output_is_one_line(embed, emu, tmp_path):
    (tmp_path / "in.txt").write_text("alpha\n")
    (tmp_path / "outdir").mkdir()
    refused(embed("in.txt", tmp_path / "outdir"), emu, "is a directory")
    refused(embed("in.txt", tmp_path / "missing" / "out.jsonl"), emu, "does not exist")


def test_an_unwritable_output_is_one_line(embed, emu, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    (tmp_path / "in.txt").write_text("alpha\n")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    refused(embed("in.txt", locked / "out.jsonl"), emu, "cannot write")


def test_only_one_run_writes_an_output_and_a_killed_runs_lock_is_taken_over(embed, emu, tmp_path):
    import fcntl

    (tmp_path / "in.txt").write_text("alpha\nbeta\n")
    lock_path = tmp_path / "out.jsonl.lock"
    with open(lock_path, "w") as held:  # a run in progress holds the lock
        held.write("litebed embed, process 4242\n")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        refused(embed("in.txt", tmp_path / "out.jsonl"), emu, "is being written by litebed embed, process 4242")
    # Released (as when that run was killed): the leftover lock file is taken over.
    assert lock_path.exists()
    done = embed("in.txt", tmp_path / "out.jsonl")
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
    assert not lock_path.exists()  # removed at the end of the run
