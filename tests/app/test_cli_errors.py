"""A command line that cannot work says so in one line on stderr and exits 2, no traceback:
a wrong DATABASE_URL, PostgreSQL without its driver, SQLite in a missing folder, a missing
playground script, missing tokens (all named at once), Slack unreachable. `audit` creates no
database, `--version` and every command's `--help` tell what they should."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scale.helpers import free_port


def _cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**base, **env},
        cwd=cwd,
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("outsource-bot: ")
    return lines[0]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "DATABASE_URL is not a database URL"),
        ("mysql://u@db.example/x", "'mysql' is not supported"),
        ("postgresql+pg8000://u@127.0.0.1/x", "its driver is not installed"),
        ("sqlite:///{tmp}/no/such/folder/x.db", "does not exist"),
    ],
)
def test_a_database_url_that_cannot_work_is_one_line(url: str, says: str, tmp_path: Path) -> None:
    for command in (["sweep"], ["db", "upgrade"], ["worker"]):
        result = _cli(
            *command, cwd=tmp_path, DATABASE_URL=url.format(tmp=tmp_path), SLACK_BOT_TOKEN="x"
        )
        assert says in _one_line(result), (command, result.stderr)
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://someone:secret@127.0.0.1:{free_port()}/x"
    line = _one_line(_cli("sweep", cwd=tmp_path, DATABASE_URL=url, SLACK_BOT_TOKEN="x"))
    assert "cannot be used" in line and "secret" not in line


def test_a_missing_playground_script_is_one_line(tmp_path: Path) -> None:
    line = _one_line(_cli("playground", "--script", "missing.play", cwd=tmp_path))
    assert "missing.play" in line


def test_missing_tokens_are_named_together(tmp_path: Path) -> None:
    line = _one_line(_cli("run", cwd=tmp_path))
    assert "SLACK_APP_TOKEN and SLACK_BOT_TOKEN" in line
    line = _one_line(_cli("serve", cwd=tmp_path))
    assert "SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN" in line
    line = _one_line(_cli("sweep", cwd=tmp_path))
    assert "needs SLACK_BOT_TOKEN," in line
    assert list(tmp_path.iterdir()) == []  # no database made on the way


def test_run_with_slack_unreachable_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    result = _cli(
        "run",
        cwd=tmp_path,
        DATABASE_URL=sqlite_url,
        SLACK_BOT_TOKEN="xoxb-x",
        SLACK_APP_TOKEN="xapp-x",
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
    )
    assert "Slack cannot be reached" in _one_line(result)


def test_audit_in_an_empty_folder_creates_no_database(tmp_path: Path) -> None:
    line = _one_line(_cli("audit", cwd=tmp_path))
    assert "no database at outsource-bot.db" in line
    assert list(tmp_path.iterdir()) == []


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = _cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"outsource-bot {version('outsource-bot')}"


@pytest.mark.parametrize(
    ("command", "names"),
    [
        (["run"], ["SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "DATABASE_URL"]),
        (["serve"], ["SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "DATABASE_URL"]),
        (["worker"], ["SLACK_BOT_TOKEN", "DATABASE_URL"]),
        (["sweep"], ["SLACK_BOT_TOKEN", "DATABASE_URL"]),
        (["db", "upgrade"], ["DATABASE_URL"]),
        (["audit"], ["DATABASE_URL"]),
        (["playground"], ["no token"]),
    ],
)
def test_every_help_names_the_environment_it_needs(
    command: list[str], names: list[str], tmp_path: Path
) -> None:
    result = _cli(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    for name in names:
        assert name in result.stdout, (command, name)
