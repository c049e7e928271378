"""A production week, the database part: PostgreSQL restarts under a running app, and is down
for a while. Requests whose connection turns out dead are run again on a fresh one, unseen by
the person; while the database is really down, people are told within 3 s that nothing was
changed, events are answered 503 (Slack delivers them again), /healthz says 503 and a sweep
fails with one clear error; afterwards everything is delivered exactly once.

A throw-away cluster (tests/pg_cluster.py), never the shared server.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import and_, func, or_, select

from bot.delivery.outbox import IN_FLIGHT, PENDING
from bot.delivery.unit_of_work import DatabaseUnavailable
from bot.fakeslack import FakeSlack, SlackRequestSender
from bot.fakeslack.signing import message_event
from storage.db import upgrade
from storage.models import Deadline, OutboxMessage
from tests.harness import INTERNAL_TEAM, OWNER, PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness
from tests.pg_cluster import ThrowawayCluster
from tests.scale.helpers import SECRET, Output, env, free_port, posted_keys, run, start


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


# --------------------------------------------------------------------------- under `serve`


@pytest.fixture
def served(
    slack: FakeSlack, cluster: ThrowawayCluster, tmp_path: Path
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = start(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "4", "--no-scheduler"],
        env(slack, cluster.url),
        tmp_path,
    )
    Output(proc)  # drained, or a full pipe stops the workers at their next log line
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "/healthz") as r:
                if r.status == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _left_to_deliver(h: Harness, now: datetime) -> int:
    """Rows due by `now` that are not settled yet (pending, or in a worker's hands)."""
    m = OutboxMessage
    with h.session() as s:
        return int(
            s.scalar(
                select(func.count()).where(
                    or_(
                        m.state.in_(IN_FLIGHT),
                        and_(m.state == PENDING, m.not_before <= now),
                    )
                )
            )
            or 0
        )


def _healthz(base: str) -> int:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_restart_under_a_four_worker_serve(
    slack: FakeSlack,
    cluster: ThrowawayCluster,
    served: tuple[str, subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    base, _proc = served
    h = Harness(slack, cluster.url)  # for the database and the sweep
    try:
        h.make_vendor()
        sender = SlackRequestSender(SECRET, base_url=base, fake=slack, team_id=INTERNAL_TEAM)

        def add(title: str) -> tuple[float, str]:
            started = time.monotonic()
            answer = sender.command(
                f'deadline add "{title}" 2027-04-12', user_id=OWNER, channel_id=SHARED_CHANNEL
            )
            text = answer.json().get("text", "") if answer.status == 200 else ""
            return time.monotonic() - started, text

        with ThreadPoolExecutor(16) as pool:  # every worker holds pooled connections
            assert all("added" in t for _, t in pool.map(add, [f"warm {i}" for i in range(16)]))

        cluster.stop()
        try:
            during = [add("during") for _ in range(3)]
            assert all(s < 3 and "database is unavailable" in t.lower() for s, t in during)
            assert _healthz(base) == 503
            swept = run(["sweep", "--at", "2027-03-01T16:00Z"], env(slack, cluster.url), tmp_path)
            assert swept.returncode != 0
            assert len([line for line in swept.stderr.splitlines() if line.strip()]) == 1
            assert "Traceback" not in swept.stderr
        finally:
            cluster.start()
            cluster.wait_ready()
        h.db.dispose()  # the test's own pool (the app's renew themselves)
        time.sleep(1)

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(add, [f"after {i}" for i in range(16)]))
        assert [t for _, t in answers if "added" not in t] == []
        assert _deadlines(h, "after") == 16 and _deadlines(h, "during") == 0
        assert _healthz(base) == 200

        # The next sweeps deliver what came due exactly once, and every announcement is posted
        # once, those a worker had claimed when the database went away too. A sweep leaves a
        # channel alone while a worker is still posting to it (about one post a second), so
        # sweep the way the scheduler would, until nothing is left.
        at = "2027-04-09T15:00Z"
        for _ in range(60):
            swept = run(["sweep", "--at", at], env(slack, cluster.url), tmp_path)
            assert swept.returncode == 0, swept.stderr
            if _left_to_deliver(h, datetime.fromisoformat(at)) == 0:
                break
            time.sleep(2)
        assert _left_to_deliver(h, datetime.fromisoformat(at)) == 0
        run(["sweep", "--at", at], env(slack, cluster.url), tmp_path)  # and once more: nothing

        with h.session() as s:
            due = s.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.like("deadline:%:due-72h")
                )
            ).all()
            announced = [f"announce:deadline:{n}" for n in s.scalars(select(Deadline.id))]
        assert len(due) == 32 and len(announced) == 32
        posted = posted_keys(slack)
        assert {key: posted[key] for key in [*due, *announced] if posted[key] != 1} == {}
    finally:
        h.close()
