"""Every Python example in README.md and docs/*.md runs as written, and prints what its comments say.

A reader runs a file's blocks in order, in one session, with the emulator's
``export`` lines pasted (AWS_ENDPOINT_URL_BEDROCK_RUNTIME, the keys and the
region): so does this test, one namespace per file. A block preceded by an
HTML comment ``<!-- not run: why -->`` is skipped (rare: say why). Signature
listings are not Python to run: they use a ```text fence. A ``print(...)``
whose line ends in ``# text`` must print that text; a block with such comments
prints exactly those lines.
"""

import contextlib
import io
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
#: Docs whose examples another change is making runnable (emptied as that lands).
PENDING: frozenset[str] = frozenset()
_BLOCK = re.compile(r"(<!--\s*not run:[^>]*-->\s*)?```python\n(.*?)```", re.S)
_PRINT_COMMENT = re.compile(r"^\s*print\(.*\)\s+#\s*(.+)$")


def blocks(name: str) -> list[str]:
    return [code for skipped, code in _BLOCK.findall((ROOT / name).read_text()) if not skipped]


@pytest.fixture
def pasted_exports(emulator, monkeypatch):
    """The environment a reader has after pasting the emulator's export lines."""
    emulator.reset()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    creds = emulator.credentials
    for name, value in {
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator.base_url,
        "AWS_ENDPOINT_URL_BEDROCK": emulator.base_url,
        "AWS_ENDPOINT_URL_STS": emulator.base_url,
        "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
        "AWS_REGION": creds["aws_region_name"],
        "AWS_DEFAULT_REGION": creds["aws_region_name"],
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }.items():
        monkeypatch.setenv(name, value)
    from litebed._client import clear_default_clients

    clear_default_clients()  # the module functions' client sees this environment afresh
    yield
    clear_default_clients()


@pytest.mark.parametrize("name", [d for d in DOCS if d not in PENDING])
def test_every_python_example_runs_as_written(name, pasted_exports, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    namespace: dict = {"__name__": "__docs__"}
    for number, code in enumerate(blocks(name), start=1):
        expected = [m.group(1).strip() for m in map(_PRINT_COMMENT.match, code.splitlines()) if m]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"<{name} example {number}>", "exec"), namespace)
        if expected:
            printed = [line.strip() for line in out.getvalue().splitlines()]
            assert printed == expected, f"{name} example {number}"


def test_the_docs_have_examples_and_no_placeholders():
    found = {name: blocks(name) for name in DOCS}
    assert sum(len(b) for b in found.values()) >= 15
    for name, codes in found.items():
        for code in codes:
            assert "[...]" not in code and "<model-id>" not in code, f"{name}: a placeholder in a Python example"


_SHELL_BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def litebed_shell_lines() -> list:
    """Every ``litebed ...`` command in a ```sh block (continuation lines joined, comments cut)."""
    found = []
    for name in DOCS:
        for block in _SHELL_BLOCK.findall((ROOT / name).read_text()):
            for command in block.replace("\\\n", " ").splitlines():
                command = command.split("  #")[0].strip()
                if command.startswith("litebed "):
                    found.append(pytest.param(command, id=f"{name}: {command[:60]}"))
    return found


@pytest.mark.parametrize("command", litebed_shell_lines())
def test_every_litebed_command_in_the_docs_runs(command, pasted_exports, emulator, tmp_path):
    import shlex
    import subprocess
    import sys

    argv = shlex.split(command)[1:]
    if "--endpoint-url" in argv:  # the doc's emulator port: this test's emulator instead
        argv[argv.index("--endpoint-url") + 1] = emulator.base_url
    if argv[0] == "embed" and not (tmp_path / argv[1]).exists():  # the input a reader would have
        (tmp_path / argv[1]).write_text("".join(f"document number {i}\n" for i in range(1, 6)))
    done = subprocess.run([sys.executable, "-m", "litebed", *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_docs_name_litebed_commands():
    assert len(litebed_shell_lines()) >= 2
