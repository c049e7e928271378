"""Must-show on PostgreSQL: several worker processes, a worker killed mid-delivery, a 429
storm — every due message posted exactly once. (Skipped without TEST_DATABASE_URL.)

The workers are real `outsource-bot sweep` processes posting to the fake Slack over HTTP;
"exactly once" is counted from what the fake accepted, per dedupe key, using the metadata
every outbox post carries.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.fakeslack import FakeSlack
from storage.db import Database
from storage.models import OutboxMessage
from tests.scale.helpers import (
    add_channels,
    enqueue_rows,
    env,
    owners_of_posts,
    posted_keys,
    row_states,
    run,
    start,
)


def due_now() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


def sweep_until_done(
    fake: FakeSlack, db: Database, e: dict[str, str], cwd: Path, rounds: int = 8
) -> None:
    for _ in range(rounds):
        if set(row_states(db)) == {"sent"}:
            return
        result = run(["sweep"], e, cwd)
        assert result.returncode == 0, result.stdout + result.stderr
        time.sleep(float(e.get("OUTSOURCE_OUTBOX_GRACE_SECONDS", "0")) + 0.2)


def assert_exactly_once(fake: FakeSlack, db: Database, keys: list[str]) -> None:
    counts = posted_keys(fake)
    missing = set(keys) - set(counts)
    if missing:
        with db.transaction() as s:
            found = s.execute(
                select(
                    OutboxMessage.dedupe_key,
                    OutboxMessage.state,
                    OutboxMessage.attempt_id,
                    OutboxMessage.last_error,
                ).where(OutboxMessage.dedupe_key.in_(missing))
            ).all()
        raise AssertionError(f"{len(missing)} never posted: {found}")
    twice = {k: n for k, n in counts.items() if n > 1}
    assert twice == {}, f"{len(twice)} keys posted more than once"
    assert row_states(db) == Counter({"sent": len(keys)})


def test_four_workers_deliver_2000_due_rows_each_exactly_once(
    slack: FakeSlack, pg_url: str, tmp_path: Path
) -> None:
    db = Database(pg_url)
    channels = add_channels(slack, 400)
    keys = enqueue_rows(db, channels, per_channel=3, budgeted_per_channel=2, now=due_now())
    assert len(keys) == 2000

    e = env(slack, pg_url, OUTSOURCE_OUTBOX_GRACE_SECONDS="1")
    # Slack's ~30 ms per post: one worker alone would need > 6 s, so a slow start of the
    # others (a loaded machine) cannot leave the whole job to the first one.
    slack.delay("chat.postMessage", 0.03)
    workers = [start(["sweep"], e, tmp_path) for _ in range(4)]
    outputs = [w.communicate(timeout=150)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], "\n".join(outputs)
    # 32 connections at once sometimes overflow the fake's accept queue: a reset connection is
    # an ambiguous answer, checked against history after the grace period, then resent.
    sweep_until_done(slack, db, e, tmp_path)

    assert_exactly_once(slack, db, keys)
    # 3 single posts + 1 bundle of 2 per channel: a bundle split between batches or workers
    # would still post every key once, but as two messages.
    per_channel = Counter(p["channel"] for p in slack.posts())
    split = {c: n for c, n in per_channel.items() if n != 4}
    assert split == {}, [
        (c.params["metadata"]["event_payload"]["keys"], c.at)
        for c in slack.calls("chat.postMessage")
        if c.ok and c.params["channel"] in split
    ]
    assert len(slack.posts()) == 400 * 4
    assert len(owners_of_posts(slack)) >= 2, "\n".join(outputs)  # the work was shared
    db.dispose()


def test_a_worker_killed_mid_delivery_then_restarted_posts_everything_once(
    slack: FakeSlack, pg_url: str, tmp_path: Path
) -> None:
    db = Database(pg_url)
    channels = add_channels(slack, 60)
    keys = enqueue_rows(db, channels, per_channel=4, now=due_now())
    e = env(slack, pg_url, OUTSOURCE_OUTBOX_GRACE_SECONDS="2")
    slack.delay("chat.postMessage", 0.4)  # Slack is slow: several posts are in flight

    worker = start(["sweep"], e, tmp_path)
    deadline = time.monotonic() + 90
    while len(slack.posts()) < 24:
        assert worker.poll() is None, "the worker finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at = time.time()
    time.sleep(0.6)  # the requests in flight land: Slack accepted them, nobody marked them
    slack.delay("chat.postMessage", 0)
    landed_after = [
        c for c in slack.calls("chat.postMessage") if c.ok and not c.faulted and c.at > killed_at
    ]
    assert landed_after, "no post was in flight when the worker died"
    states = row_states(db)
    assert states["sending"] >= 1 and states["claimed"] >= 1  # in flight, and claimed

    sweep_until_done(slack, db, e, tmp_path)

    assert_exactly_once(slack, db, keys)
    with db.transaction() as s:  # the in-flight posts were found in history, not reposted
        for call in landed_after:
            key = call.params["metadata"]["event_payload"]["keys"]
            r = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
            assert r is not None and r.message_ts == call.response["ts"]
    db.dispose()


def test_a_429_and_5xx_storm_loses_nothing_and_posts_nothing_twice(
    slack: FakeSlack, pg_url: str, tmp_path: Path
) -> None:
    db = Database(pg_url)
    channels = add_channels(slack, 100)
    keys = enqueue_rows(db, channels, per_channel=4, now=due_now())
    slack.fail_every("chat.postMessage", 3, status=429, retry_after=1)  # a third of all calls
    slack.fail_every("chat.postMessage", 10, status=503)  # and Slack having a bad day
    e = env(slack, pg_url, OUTSOURCE_OUTBOX_GRACE_SECONDS="1")

    workers = [start(["sweep"], e, tmp_path) for _ in range(2)]
    outputs = [w.communicate(timeout=150)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], "\n".join(outputs)
    sweep_until_done(slack, db, e, tmp_path)  # the 503s are checked against history first

    assert_exactly_once(slack, db, keys)
    faulted = Counter(c.status for c in slack.calls("chat.postMessage") if c.faulted)
    assert faulted[429] >= len(keys) // 3 and faulted[503] >= 1
    db.dispose()
