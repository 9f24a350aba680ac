"""The Python examples in the docs run as written, and print what their comments say."""

import contextlib
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS_WITH_RUNNABLE_EXAMPLES = ["docs/client.md", "docs/reasoning.md", "docs/caching.md"]
#: README blocks that need no AWS account and no emulator (the others are run by issue-specific tests).
README_SELF_CONTAINED = ("fake_bedrock",)
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
_PRINT_COMMENT = re.compile(r"^\s*print\(.*\)\s+#\s*(.+)$")


def _examples():
    for name in DOCS_WITH_RUNNABLE_EXAMPLES:
        for number, block in enumerate(_BLOCK.findall((ROOT / name).read_text()), start=1):
            yield pytest.param(block, id=f"{name}#{number}")
    for number, block in enumerate(_BLOCK.findall((ROOT / "README.md").read_text()), start=1):
        if any(marker in block for marker in README_SELF_CONTAINED):
            yield pytest.param(block, id=f"README.md#{number}")


@pytest.mark.parametrize("code", list(_examples()))
def test_example_runs_and_prints_what_it_says(code):
    expected = [m.group(1).strip() for m in map(_PRINT_COMMENT.match, code.splitlines()) if m]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<docs example>", "exec"), {"__name__": "__docs__"})
    printed = [line.strip() for line in out.getvalue().splitlines()]
    assert printed == expected
