"""`GET /healthz` says 200 only when the database answers and takes a write; 503 when it is
read-only, write-locked past the probe's bound, or down."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy.engine import make_url

from storage.db import BUSY_TIMEOUT_SECONDS, Database
from tests.harness import Harness

BOUND_SECONDS = 3.5  # the probe gives up after 2 s; the rest is slack for a busy machine


def _health(h: Harness) -> tuple[int, dict, float]:
    started = time.monotonic()
    resp = h.sender.get("/healthz")
    return resp.status, resp.json(), time.monotonic() - started


def _sqlite_path(h: Harness) -> str:
    path = make_url(h.db.url).database
    assert path
    return path


def test_a_writable_sqlite_database_is_healthy(harness: Harness) -> None:
    status, body, _ = _health(harness)
    assert (status, body) == (200, {"status": "ok", "database": "up"})


def test_a_read_only_sqlite_database_is_503(harness: Harness) -> None:
    path = _sqlite_path(harness)
    harness.runtime.db = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        status, body, _ = _health(harness)
    finally:
        harness.runtime.db.dispose()
    assert (status, body) == (503, {"status": "unavailable", "database": "read-only"})


def test_a_write_locked_sqlite_database_is_503_within_the_bound(harness: Harness) -> None:
    other = sqlite3.connect(_sqlite_path(harness), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        status, body, took = _health(harness)
        assert status == 503 and body["database"] in ("read-only", "timeout")
        assert took < BOUND_SECONDS
        # Reads still work meanwhile (WAL): the probe found the database up but not writable.
    finally:
        other.execute("ROLLBACK")
        other.close()
    status, body, _ = _health(harness)
    assert (status, body["database"]) == (200, "up")


def test_the_probe_leaves_the_connection_s_busy_timeout_as_it_was(harness: Harness) -> None:
    assert _health(harness)[0] == 200
    with harness.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == int(
            BUSY_TIMEOUT_SECONDS * 1000
        )


def test_postgresql_healthy_then_read_only_then_down(pg_harness: Harness, pg_url: str) -> None:
    h = pg_harness
    status, body, _ = _health(h)
    assert (status, body) == (200, {"status": "ok", "database": "up"})

    # A session in read-only transaction mode (what a standby or a read-only role looks like).
    h.runtime.db = Database(pg_url, connect_args={"options": "-c default_transaction_read_only=on"})
    try:
        status, body, took = _health(h)
    finally:
        h.runtime.db.dispose()
    assert (status, body) == (503, {"status": "unavailable", "database": "read-only"})
    assert took < BOUND_SECONDS

    nowhere = make_url(pg_url).set(port=1).render_as_string(hide_password=False)
    h.runtime.db = Database(nowhere)
    try:
        status, body, took = _health(h)
    finally:
        h.runtime.db.dispose()
    assert (status, body["database"]) == (503, "down")
    assert took < BOUND_SECONDS
