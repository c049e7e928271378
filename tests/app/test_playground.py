"""`outsource-bot playground`: comments, leaving, `--strict`, the clock kept with `--db`,
exports kept next to it. Run as people run it, in a process of its own (this checkout's code
first on the path); the comment rule is checked on its own too."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.playground import _next_step, strip_comment

ROOT = Path(__file__).resolve().parents[2]


def _play(
    tmp_path: Path, *args: str, script: str | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "bot", "playground", *args]
    if script is not None:
        path = tmp_path / "test.play"
        path.write_text(script, encoding="utf-8")
        argv += ["--script", str(path)]
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "PYTHONPATH": str(ROOT),
        },
    )


def test_playground_script_prints_the_help_reply(tmp_path: Path) -> None:
    result = _play(tmp_path, script="# say hello\n/outsource help\n")
    assert result.returncode == 0, result.stderr
    assert "> /outsource help" in result.stdout
    assert "only you see" in result.stdout
    assert "/outsource deadline add" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_playground_explains_bad_lines(tmp_path: Path) -> None:
    result = _play(tmp_path, script=":click 7\n:as nobody\n:frob\n/outsource deadline add\n")
    assert result.returncode == 0, result.stderr  # without --strict a refusal is no failure
    assert "there is no button '7'" in result.stdout
    assert "nobody called 'nobody'" in result.stdout
    assert "unknown playground command :frob" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("line", "runs"),
    [
        ("# a comment", ""),
        ("   # an indented comment", ""),
        ("#", ""),
        (":advance 2d            # move the clock", ":advance 2d"),
        (":advance 2d #", ":advance 2d"),
        ("/outsource deadline done #3", "/outsource deadline done #3"),
        ("/outsource deadline done 3 #3", "/outsource deadline done 3 #3"),
        (":say C# rocks, see issue#4", ":say C# rocks, see issue#4"),
        ('/outsource deadline add "Fix # handling" in 2 days', None),
        (
            "/outsource deadline add “Fix # handling” in 2 days # why",
            "/outsource deadline add “Fix # handling” in 2 days",
        ),
        ("! /outsource sla -3   # refused on purpose", "! /outsource sla -3"),
    ],
)
def test_comments_start_a_line_or_follow_a_blank(line: str, runs: str | None) -> None:
    assert strip_comment(line) == (line if runs is None else runs)


def test_sweeps_fall_on_full_and_half_hours() -> None:
    at = datetime(2027, 3, 1, 9, 10, 42, tzinfo=UTC)
    assert _next_step(at) == datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    assert _next_step(datetime(2027, 3, 1, 9, 30, tzinfo=UTC)) == datetime(
        2027, 3, 1, 10, 0, tzinfo=UTC
    )


def test_the_banner_says_how_to_leave_and_ctrl_d_leaves(tmp_path: Path) -> None:
    result = _play(tmp_path, stdin=":time   # what time is it?\n")
    assert result.returncode == 0, result.stderr
    assert ":quit or Ctrl-D leaves" in result.stdout
    assert "(now: " in result.stdout
    assert "unknown" not in result.stdout and "type /outsource" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


STRICT_SCRIPT = """\
/outsource help                                     # fine
/outsource deadline list                            # not a vendor channel yet: refused
/outsource vendor add Acme Dev tz Europe/Berlin country DE
/outsource deadline add "API v2 handover" in 4 days owner @priya
:as vendor
:click Undo                                         # our side's button: refused
:as internal
/outsource recap
:submit                                             # empty summary: a field error
! /outsource sla -3                                 # refused, as the ! says
! :time                                             # not refused, though the ! says so
:fill transcript nowhere.vtt                        # no form open / no such file
"""


def test_strict_names_every_line_that_went_otherwise(tmp_path: Path) -> None:
    result = _play(tmp_path, "--strict", "--start", "2027-03-01T09:00Z", script=STRICT_SCRIPT)
    assert result.returncode == 1, result.stderr
    problems = result.stderr.splitlines()
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in problems] == ["2", "6", "9", "11", "12"]
    assert "was refused: /outsource deadline list" in problems[0]
    assert "starts with ! but was not refused" in problems[3]
    assert "Traceback" not in result.stdout + result.stderr
    # The same script without --strict only shows what happened.
    assert _play(tmp_path, "--start", "2027-03-01T09:00Z", script=STRICT_SCRIPT).returncode == 0


def test_db_keeps_the_clock_and_the_exported_files(tmp_path: Path) -> None:
    db = tmp_path / "play.db"
    first = _play(
        tmp_path,
        "--db",
        str(db),
        "--start",
        "2027-03-01T09:00Z",
        script=(
            "/outsource vendor add Acme Dev tz Europe/Berlin country DE\n"
            ":advance 2d\n"
            "/outsource export md\n"
        ),
    )
    assert first.returncode == 0, first.stderr
    exported = tmp_path / "play-exports" / "acme-dev-record-2027-03-03.md"
    assert f"saved as {exported} " in first.stdout
    assert exported.read_text(encoding="utf-8").startswith("# Acme Dev — written record")
    assert "| # Acme Dev — written record" in first.stdout  # its first lines are printed

    again = _play(tmp_path, "--db", str(db), script=":time\n/outsource vendor list\n")
    assert again.returncode == 0, again.stderr
    assert f"the clock resumes where {db} left it" in again.stdout
    assert "(now: Wed 03 Mar 2027 09:00 UTC" in again.stdout
    assert "Acme Dev" in again.stdout

    back = _play(tmp_path, "--db", str(db), "--start", "2027-03-02T00:00Z", script=":time\n")
    assert back.returncode == 2
    assert back.stderr.count("\n") == 1 and "Traceback" not in back.stderr
    assert "--start can only move its clock forward" in back.stderr
