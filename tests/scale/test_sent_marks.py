"""The `sent` marks an outbox pass batches in memory, with real processes and the fake Slack:
a process killed while holding some posts nothing twice (the posts are found in the channel's
history), and a process stopped by SIGTERM writes the marks of every post Slack accepted
before it exits."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.fakeslack import FakeSlack
from storage.db import Database
from storage.models import OutboxMessage
from tests.scale.helpers import add_channels, enqueue_rows, env, posted_keys

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


def _accepted(fake: FakeSlack) -> dict[str, str]:
    """dedupe key → ts of every post Slack accepted."""
    found: dict[str, str] = {}
    for call in fake.calls("chat.postMessage"):
        if call.ok and not call.faulted:
            keys = call.params["metadata"]["event_payload"]["keys"]
            found[str(keys)] = str(call.response["ts"])
    return found


def _rows(db: Database) -> dict[str, tuple[str, str | None]]:
    with db.transaction() as s:
        rows = s.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.state, OutboxMessage.message_ts)
        ).all()
    return {key: (state, ts) for key, state, ts in rows}


def _process(args: list[str], e: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        env={**e, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _sweep_until_done(fake: FakeSlack, db: Database, e: dict[str, str]) -> None:
    for _ in range(6):
        if {state for state, _ in _rows(db).values()} == {"sent"}:
            return
        out = _process(["-m", "bot", "sweep"], e).communicate(timeout=120)[0]
        assert "Traceback" not in out, out
        time.sleep(float(e["OUTSOURCE_OUTBOX_GRACE_SECONDS"]) + 0.2)
    raise AssertionError(f"rows left undelivered: {_rows(db)}")


def test_a_sweep_killed_with_sent_marks_unwritten_posts_nothing_twice(
    slack: FakeSlack, db_url: str
) -> None:
    db = Database(db_url)
    channels = add_channels(slack, 6, prefix="CX")
    keys = enqueue_rows(db, channels, per_channel=2, now=datetime.now(UTC) - timedelta(minutes=1))
    e = env(slack, db_url, OUTSOURCE_OUTBOX_CONCURRENCY="6", OUTSOURCE_OUTBOX_GRACE_SECONDS="1")
    slack.delay("chat.postMessage", 0.2)  # six calls in flight at once, landing together

    proc = _process(["-m", "tests.scale.sent_marks_worker"], e)
    out = proc.communicate(timeout=120)[0]
    assert proc.returncode == -signal.SIGKILL, out
    slack.delay("chat.postMessage", 0)
    accepted = _accepted(slack)
    rows = _rows(db)
    # Slack has these posts; the process died holding their marks: the table says `sending`.
    assert len(accepted) >= 2, accepted
    assert {rows[key][0] for key in accepted} == {"sending"}

    _sweep_until_done(slack, db, e)

    assert posted_keys(slack) == dict.fromkeys(keys, 1)  # nothing lost, nothing twice
    rows = _rows(db)
    # The killed process's posts were found in the history, not posted again.
    assert {key: rows[key] for key in accepted} == {
        key: ("sent", ts) for key, ts in accepted.items()
    }
    db.dispose()


@pytest.mark.parametrize("command", ["worker", "sweep"])
def test_a_process_stopped_by_sigterm_writes_the_marks_of_every_post_slack_took(
    slack: FakeSlack, db_url: str, command: str
) -> None:
    db = Database(db_url)
    channels = add_channels(slack, 20, prefix="CY")
    keys = enqueue_rows(db, channels, per_channel=5, now=datetime.now(UTC) - timedelta(minutes=1))
    e = env(slack, db_url, OUTSOURCE_OUTBOX_GRACE_SECONDS="1")
    slack.delay("chat.postMessage", 0.1)

    proc = _process(["-m", "bot", command], e)
    deadline = time.monotonic() + 60
    while len(_accepted(slack)) < 12:
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the delivery never got going"
        time.sleep(0.02)
    sent_at = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=30)[0]
    assert time.monotonic() - sent_at < 5.0, out
    assert proc.returncode == (0 if command == "worker" else 130), out
    assert "Traceback" not in out, out
    slack.delay("chat.postMessage", 0)

    accepted = _accepted(slack)
    rows = _rows(db)
    assert len(accepted) < len(keys)  # stopped part way
    # Every post Slack took is marked sent with its ts; no row is left `sending`.
    assert {key: rows[key] for key in accepted} == {
        key: ("sent", ts) for key, ts in accepted.items()
    }
    assert "sending" not in {state for state, _ in rows.values()}

    _sweep_until_done(slack, db, e)
    assert posted_keys(slack) == dict.fromkeys(keys, 1)
    db.dispose()
