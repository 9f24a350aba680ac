"""`make demo` runs end to end against the embedded emulator and writes its image."""

import struct

from litebed import demo


def test_demo_runs_and_writes_a_png(tmp_path, capsys):
    assert demo.main(str(tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert "finish_reason: stop" in out
    assert "tool call: get_weather" in out
    assert "50 done, 0 failed" in out
    png = (tmp_path / "out" / "lighthouse.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (512, 512)
