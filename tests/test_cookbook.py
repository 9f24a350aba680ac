"""The cookbook's examples run as documented."""

import pathlib
import subprocess
import sys

COOKBOOK = pathlib.Path(__file__).resolve().parent.parent / "cookbook"


def test_streaming_chat_runs():
    out = subprocess.run([sys.executable, str(COOKBOOK / "streaming_chat.py")], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert "sync:  The Nile, the Amazon and the Danube." in out
    assert "async: The Nile, the Amazon and the Danube." in out
    assert "usage:" in out


def test_embed_batch_runs():
    result = subprocess.run([sys.executable, str(COOKBOOK / "embed_batch.py")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_emulator_fixture_example_passes():
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(COOKBOOK / "test_with_the_emulator.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_mock_transport_example_passes():
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(COOKBOOK / "test_with_mock_transport.py")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
