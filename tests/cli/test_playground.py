from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_playground_script_prints_the_help_reply(tmp_path: Path) -> None:
    script = tmp_path / "two.play"
    script.write_text("# say hello\n/outsource help\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "playground", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "> /outsource help" in result.stdout
    assert "only you see" in result.stdout
    assert "/outsource deadline add" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_playground_explains_bad_lines(tmp_path: Path) -> None:
    script = tmp_path / "bad.play"
    script.write_text(":click 7\n:as nobody\n:frob\n/outsource deadline add\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "playground", "--script", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "there is no button '7'" in result.stdout
    assert "nobody called 'nobody'" in result.stdout
    assert "unknown playground command :frob" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
