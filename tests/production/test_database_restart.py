"""A production week, the database part: PostgreSQL restarts under a running app, and is down
for a while. Requests whose connection turns out dead are run again on a fresh one, unseen by
the person; while the database is really down, people are told within 3 s that nothing was
changed, events are answered 503 (Slack delivers them again), /healthz says 503 and a sweep
fails with one clear error; afterwards everything is delivered exactly once.

A throw-away cluster (tests/pg_cluster.py), never the shared server.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.fakeslack import FakeSlack
from bot.fakeslack.signing import message_event
from bot.unit_of_work import DatabaseUnavailable
from storage.db import upgrade
from storage.models import Deadline, OutboxMessage
from tests.harness import PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness
from tests.pg_cluster import ThrowawayCluster


@pytest.fixture
def cluster() -> Iterator[ThrowawayCluster]:
    # Not under pytest's tmp folder: that one is private to root, and PostgreSQL runs as
    # the postgres user.
    c = ThrowawayCluster(Path(tempfile.mkdtemp(prefix="ob-pg-")))
    try:
        upgrade(c.url)
        yield c
    finally:
        c.destroy()


@pytest.fixture
def h(slack: FakeSlack, cluster: ThrowawayCluster) -> Iterator[Harness]:
    harness = Harness(slack, cluster.url)
    harness.make_vendor()
    yield harness
    harness.close()


def _add_many(h: Harness, n: int, prefix: str) -> list[tuple[float, str]]:
    """n `deadline add` commands at once: (seconds to answer, the answer) each."""

    def one(i: int) -> tuple[float, str]:
        started = time.monotonic()
        resp = h.command(f'deadline add "{prefix} {i}" 2027-04-{10 + i % 15:02d}')
        return time.monotonic() - started, h.reply_text(resp) if resp.status == 200 else ""

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def _deadlines(h: Harness, prefix: str) -> int:
    with h.session() as s:
        return int(s.scalar(select(func.count()).where(Deadline.title.like(prefix + "%"))) or 0)


def test_commands_sent_just_after_a_restart_all_take_effect(
    h: Harness, cluster: ThrowawayCluster
) -> None:
    # The pool holds connections from before the restart, as a running app's does.
    assert all("added" in text for _, text in _add_many(h, 8, "warm"))

    cluster.restart()
    time.sleep(1)
    answers = _add_many(h, 16, "after")

    assert [text for _, text in answers if "added" not in text] == []
    assert _deadlines(h, "after") == 16


def test_while_the_database_is_down_people_are_told_at_once_and_nothing_is_lost(
    h: Harness, cluster: ThrowawayCluster
) -> None:
    h.command('deadline add "Before the outage" 2027-03-05')
    cluster.stop()
    try:
        started = time.monotonic()
        resp = h.command('deadline add "During the outage" 2027-04-01')
        elapsed = time.monotonic() - started
        assert resp.status == 200 and elapsed < 3
        assert "database is unavailable" in h.reply_text(resp).lower()
        assert "nothing was changed" in h.reply_text(resp)

        # An event is answered 503, so that Slack delivers it again later.
        stored = h.fake.workspace.add_message(SHARED_CHANNEL, text="status?", user=PRIYA)
        event = message_event(
            "status?", user=PRIYA, channel=SHARED_CHANNEL, ts=stored.ts, user_team=VENDOR_TEAM
        )
        assert h.event(event).status == 503

        started = time.monotonic()
        assert h.sender.get("/healthz").status == 503
        assert time.monotonic() - started < 3

        # The sweep fails with one clear error (the CLI prints it and exits non-zero).
        with pytest.raises(DatabaseUnavailable):
            h.sweep("2027-03-02T16:00Z")
    finally:
        cluster.start()
        cluster.wait_ready()

    # Back: the due reminder goes out once, however many sweeps run.
    h.sweep("2027-03-02T16:00Z")
    h.sweep("2027-03-02T16:00Z")
    with h.session() as s:
        sent = s.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.like("deadline:%"), OutboxMessage.state == "sent"
            )
        ).all()
    [key] = sent  # (PostgreSQL ids may skip a number: a run that was repeated used one)
    assert key.endswith(":due-72h")
    reminders = [
        m for m in h.fake.messages(SHARED_CHANNEL) if key in json.dumps(m.get("metadata") or {})
    ]
    assert len(reminders) == 1
    assert _deadlines(h, "During") == 0
