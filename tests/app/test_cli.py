"""The command line as an operator uses it: real processes, real HTTP, the fake Slack."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.delivery.outbox import enqueue
from bot.fakeslack import FakeSlack, SlackRequestSender
from storage.db import Database
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL

SECRET = "cli-secret"


def _env(fake: FakeSlack, db_url: str, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": db_url,
    }
    env.update(extra)
    return env


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(slack: FakeSlack, sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-scheduler",
        ],
        env=_env(slack, sqlite_url),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"serve did not start:\n{out}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_serve_answers_a_signed_help_and_refuses_unsigned_or_stale(
    served: str, slack: FakeSlack
) -> None:
    sender = SlackRequestSender(SECRET, base_url=served, fake=slack, team_id=INTERNAL_TEAM)
    ok = sender.command("help", user_id=OWNER, channel_id=SHARED_CHANNEL)
    assert ok.status == 200
    assert "/outsource deadline add" in ok.json()["text"]

    calls_before = len(slack.calls())
    unsigned = sender.command(
        "vendor add Evil", user_id=OWNER, channel_id=SHARED_CHANNEL, signed=False
    )
    stale = sender.command(
        "vendor add Evil",
        user_id=OWNER,
        channel_id=SHARED_CHANNEL,
        timestamp=int(time.time()) - 600,
    )
    assert unsigned.status == 401
    assert stale.status == 401
    assert len(slack.calls()) == calls_before  # no handler ran, nothing reached Slack

    health = urllib.request.urlopen(served + "/healthz", timeout=5)
    assert json.loads(health.read()) == {"status": "ok", "database": "up"}


def test_serve_without_signing_secret_names_it_and_exits(
    slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    env = _env(slack, sqlite_url)
    del env["SLACK_SIGNING_SECRET"]
    result = _cli("serve", "--port", str(_free_port()), env=env, cwd=tmp_path)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "SLACK_SIGNING_SECRET" in lines[0]
    assert "Traceback" not in result.stderr


def test_sweep_twice_for_the_same_instant_delivers_once_even_through_429s(
    slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    db = Database(sqlite_url)
    at = datetime(2027, 3, 9, 16, 1, tzinfo=UTC)
    with db.transaction() as session:
        enqueue(
            session,
            team_id=INTERNAL_TEAM,
            dedupe_key="test:hello",
            channel_id=SHARED_CHANNEL,
            kind="test",
            now=at,
            text="Hello from the outbox",
        )
    db.dispose()
    slack.fail_next("chat.postMessage", status=429, times=2, retry_after=0)
    env = _env(slack, sqlite_url)
    first = _cli("sweep", "--at", "2027-03-09T16:01Z", env=env, cwd=tmp_path)
    second = _cli("sweep", "--at", "2027-03-09T16:01Z", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    delivered = [p for p in slack.posts(SHARED_CHANNEL) if p.get("text") == "Hello from the outbox"]
    assert len(delivered) == 1
    attempts = [
        c
        for c in slack.calls("chat.postMessage")
        if c.params.get("text") == "Hello from the outbox"
    ]
    assert len(attempts) == 3  # two 429s retried by slack_sdk's handler, one success


def test_sweep_rejects_a_bad_instant(slack: FakeSlack, sqlite_url: str, tmp_path: Path) -> None:
    result = _cli("sweep", "--at", "next tuesday", env=_env(slack, sqlite_url), cwd=tmp_path)
    assert result.returncode == 2
    assert "not an ISO-8601 instant" in result.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for args in (
        ["--help"],
        ["run", "--help"],
        ["serve", "--help"],
        ["worker", "--help"],
        ["sweep", "--help"],
        ["db", "upgrade", "--help"],
        ["playground", "--help"],
        ["audit", "--help"],
    ):
        result = _cli(*args, env={"PATH": os.environ.get("PATH", "")}, cwd=tmp_path)
        assert result.returncode == 0, (args, result.stderr)
        assert "usage: outsource-bot" in result.stdout


def test_db_upgrade_creates_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/fresh.db"
    result = _cli(
        "db", "upgrade", env={"PATH": os.environ.get("PATH", ""), "DATABASE_URL": url}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    from sqlalchemy import inspect

    db = Database(url)
    assert {"outbox", "audit_log", "vendors", "deadlines"} <= set(
        inspect(db.engine).get_table_names()
    )
    db.dispose()
