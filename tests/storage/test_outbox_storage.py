"""The outbox's storage contract on SQLite and PostgreSQL: idempotent enqueue, claims that
skip locked rows, spread over channels and leave busy channels alone."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from bot.delivery.outbox import CLAIMED, PENDING, SENDING, DeliveryReport, Outbox, enqueue
from storage.db import Database
from storage.models import OutboxMessage

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def put(db: Database, key: str, channel: str, *, budgeted: bool = False) -> bool:
    with db.transaction() as s:
        return enqueue(
            s,
            team_id="T1",
            dedupe_key=key,
            channel_id=channel,
            kind="test",
            now=NOW,
            text=key,
            budgeted=budgeted,
        )


def claim(db: Database, batch_size: int = 500) -> list[list[str]]:
    """One claim as a worker makes it: the posts (lists of dedupe keys) it took."""
    outbox = Outbox(db, lambda team: None, batch_size=batch_size)
    posts, _ = outbox._claim_and_plan(NOW, DeliveryReport())
    return [[r.dedupe_key for r in p.rows] for p in posts]


def states(db: Database) -> dict[str, str]:
    with db.transaction() as s:
        return dict(s.execute(select(OutboxMessage.dedupe_key, OutboxMessage.state)).all())


@pytest.fixture
def db(any_db_url: str) -> Iterator[Database]:
    database = Database(any_db_url)
    yield database
    database.dispose()


def test_enqueue_is_idempotent_by_dedupe_key(db: Database) -> None:
    assert put(db, "deadline:1:due-24h", "C1") is True
    assert put(db, "deadline:1:due-24h", "C1") is False
    assert put(db, "deadline:1:due-24h", "C2") is False  # the key decides, not the content
    with db.transaction() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    assert [(r.dedupe_key, r.channel_id, r.state) for r in rows] == [
        ("deadline:1:due-24h", "C1", PENDING)
    ]


def test_a_claim_takes_the_next_post_of_many_channels_and_bundles_budgeted_rows(
    db: Database,
) -> None:
    for i in range(5):
        put(db, f"a{i}", "CA")
    put(db, "b0", "CB")
    put(db, "c0", "CC", budgeted=True)
    put(db, "c1", "CC", budgeted=True)
    taken = claim(db, batch_size=4)
    assert sorted(taken) == [["a0"], ["b0"], ["c0", "c1"]]
    assert {k for k, v in states(db).items() if v == CLAIMED} == {"a0", "b0", "c0", "c1"}


def test_a_bundle_cut_by_the_batch_limit_is_still_claimed_whole(db: Database) -> None:
    put(db, "a0", "CA")
    put(db, "a1", "CA")
    put(db, "c0", "CC", budgeted=True)
    put(db, "c1", "CC", budgeted=True)
    put(db, "c2", "CC", budgeted=True)
    # The limit takes a0 and c0 only; c1 and c2 belong to the same message.
    assert sorted(claim(db, batch_size=2)) == [["a0"], ["c0", "c1", "c2"]]
    assert states(db)["a1"] == PENDING


def test_a_channel_another_worker_is_claiming_is_skipped_not_split(pg_url: str) -> None:
    """PostgreSQL: while one worker's claim transaction holds channel CC, a second worker
    takes nothing of CC (not even the bundle rows the first did not lock) and says so."""
    db = Database(pg_url)
    put(db, "b0", "CB")
    for i in range(3):
        put(db, f"c{i}", "CC", budgeted=True)
    first = Outbox(db, lambda team: None, batch_size=500)
    second = Outbox(db, lambda team: None, batch_size=500)
    with db.transaction() as holding:
        mine, contended = first._claimable_rows(holding, NOW)
        assert sorted(r.dedupe_key for r in mine) == ["b0", "c0", "c1", "c2"]
        assert contended is False
        with db.transaction() as other:
            assert second._claimable_rows(other, NOW) == ([], True)
    with db.transaction() as after:  # the first committed nothing: the channels are free again
        rows, contended = second._claimable_rows(after, NOW)
        assert len(rows) == 4
    assert contended is False
    db.dispose()


def test_a_channel_with_a_post_in_flight_is_not_claimed(db: Database) -> None:
    put(db, "a0", "CA")
    put(db, "a1", "CA")
    put(db, "b0", "CB")
    with db.transaction() as s:
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "a0"))
        assert row is not None
        row.state, row.attempt_id = SENDING, "999.x"
    assert claim(db) == [["b0"]]


def test_enqueue_races_end_with_one_row(pg_url: str) -> None:
    """Two sweeps enqueue the same key at once: the second waits for the first and adds
    nothing (ON CONFLICT DO NOTHING), on PostgreSQL where they really run in parallel."""
    db = Database(pg_url)
    results: list[bool] = []
    with db.transaction() as first:
        assert enqueue(
            first, team_id="T1", dedupe_key="k", channel_id="C1", kind="t", now=NOW, text="1"
        )

        def second() -> None:
            with db.transaction() as s:
                results.append(
                    enqueue(
                        s,
                        team_id="T1",
                        dedupe_key="k",
                        channel_id="C1",
                        kind="t",
                        now=NOW,
                        text="2",
                    )
                )

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive()  # blocked on the first transaction's row
    thread.join(10)
    assert results == [False]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    db.dispose()


def test_claims_skip_rows_another_worker_has_locked(pg_url: str) -> None:
    db = Database(pg_url)
    for i in range(3):
        put(db, f"a{i}", f"CA{i}")
        put(db, f"b{i}", f"CB{i}")
    taken: list[list[list[str]]] = []
    with db.engine.connect() as other:
        other.execute(
            text("SELECT id FROM outbox WHERE dedupe_key LIKE 'a%' FOR UPDATE")
        ).all()  # another worker's claim transaction, still open
        thread = threading.Thread(target=lambda: taken.append(claim(db)))
        thread.start()
        thread.join(10)
        assert not thread.is_alive(), "the claim waited for locked rows instead of skipping"
        other.rollback()
    assert sorted(taken[0]) == [["b0"], ["b1"], ["b2"]]
    assert sorted(claim(db)) == [["a0"], ["a1"], ["a2"]]  # free again after the rollback
    db.dispose()
