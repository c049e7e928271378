"""Benchmark: the sweep's "what is due now" query over many deadlines.

Run:  python bench/bench_due_query.py [--pg-rows 1000000] [--sqlite-rows 100000] [--runs 50]

PostgreSQL: the server of `BENCH_DATABASE_URL` (default
`postgresql+psycopg://postgres@127.0.0.1:5432/test`); the benchmark creates its own database
there and drops it afterwards. SQLite: a temporary file. Both get the real schema (the models'
tables and indexes) and are filled in the database itself (generate_series / a recursive CTE):

* 1,000 vendors; deadlines spread over them, numbered per vendor;
* 60 % done (next_reminder_at NULL), the rest open with their next reminder up to 180 days
  ahead — except ~200 whose step came due in the last 10 minutes, as between two sweeps.

Measured (wall clock, time.perf_counter, median and p90 of --runs):

* `query`  — the sweep's due query exactly as `remind_due` sends it (`due_query`: range on
  next_reminder_at, ORDER BY, LIMIT 500, FOR UPDATE SKIP LOCKED on PostgreSQL), rows fetched;
* `step`   — the whole sweep step `remind_due` on those due rows (load, compute the steps,
  enqueue ~200 reminders into the outbox), rolled back after each run so every run sees the
  same data.

Target: `query` < 10 ms on PostgreSQL with 1 M deadlines. The EXPLAIN plan is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.app.config import Settings
from bot.app.runtime import build_runtime
from bot.delivery.sweep import SweepContext
from bot.services.deadlines.reminders import due_query, remind_due
from bot.time.clock import ManualClock
from storage.db import Database, normalize_url
from storage.models import Base, Vendor

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
VENDORS = 1000
DUE_NOW = 200  # deadlines whose reminder step came due since the last sweep
TARGET_MS = 10.0


@dataclass
class Result:
    backend: str
    rows: int
    due: int
    query_median: float
    query_p90: float
    step_median: float
    step_enqueued: int
    fill_seconds: float


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def _vendors(engine: Engine) -> None:
    rows = [
        {
            "team_id": "T_BENCH",
            "channel_id": f"C{i:06d}",
            "name": f"Vendor {i}",
            "tz": "UTC",
            "is_ext_shared": False,
            "external_team_ids": [],
            "created_by": "U_BENCH",
            "created_at": NOW - timedelta(days=60),
            "next_deadline_number": 1,
        }
        for i in range(1, VENDORS + 1)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Vendor), rows)


PG_FILL = """
INSERT INTO deadlines (vendor_id, number, title, due_at, owner_user_id, milestone, state,
                       created_by, created_at, next_reminder_at, revision)
SELECT ((i - 1) % :vendors) + 1,
       ((i - 1) / :vendors) + 1,
       'Deadline ' || i,
       CASE WHEN r < 0.6 + :due_frac AND r >= 0.6 THEN nr + interval '1 day'
            ELSE :now + (random() * 375 - 10) * interval '1 day' END,
       'U_OWNER', false,
       CASE WHEN r < 0.6 THEN 'done' ELSE 'open' END,
       'U_BENCH', :now - interval '30 days',
       CASE WHEN r < 0.6 THEN NULL
            WHEN r < 0.6 + :due_frac THEN nr
            ELSE :now + random() * interval '180 days' END,
       0
FROM (SELECT i, random() AS r, :now - random() * interval '10 minutes' AS nr
      FROM generate_series(1, :n) AS i) AS s
"""

# SQLite keeps instants as naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'.
SQLITE_FILL = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n),
s AS MATERIALIZED (
  SELECT i, (abs(random()) % 1000000) / 1000000.0 AS r,
         (abs(random()) % 1000000) / 1000000.0 AS r2,
         (abs(random()) % 1000000) / 1000000.0 AS r3
  FROM seq
)
INSERT INTO deadlines (vendor_id, number, title, due_at, owner_user_id, milestone, state,
                       created_by, created_at, next_reminder_at, revision)
SELECT ((i - 1) % :vendors) + 1,
       ((i - 1) / :vendors) + 1,
       'Deadline ' || i,
       CASE WHEN r >= 0.6 AND r < 0.6 + :due_frac
            THEN strftime('%Y-%m-%d %H:%M:%S.000000', :now, '-' || CAST(r2 * 600 AS INT)
                          || ' seconds', '+1 day')
            ELSE strftime('%Y-%m-%d %H:%M:%S.000000', :now, CAST((r3 * 375 - 10) * 86400 AS INT)
                          || ' seconds') END,
       'U_OWNER', 0,
       CASE WHEN r < 0.6 THEN 'done' ELSE 'open' END,
       'U_BENCH', strftime('%Y-%m-%d %H:%M:%S.000000', :now, '-30 days'),
       CASE WHEN r < 0.6 THEN NULL
            WHEN r < 0.6 + :due_frac
            THEN strftime('%Y-%m-%d %H:%M:%S.000000', :now, '-' || CAST(r2 * 600 AS INT)
                          || ' seconds')
            ELSE strftime('%Y-%m-%d %H:%M:%S.000000', :now, '+' || CAST(r3 * 180 * 86400 AS INT)
                          || ' seconds') END,
       0
FROM s;
"""


def _fill(engine: Engine, n: int) -> float:
    started = time.perf_counter()
    Base.metadata.create_all(engine)
    _vendors(engine)
    params: dict[str, Any] = {"n": n, "vendors": VENDORS, "due_frac": DUE_NOW / n}
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setseed(0.42)"))
            conn.execute(text(PG_FILL), {**params, "now": NOW})
        else:
            conn.execute(text(SQLITE_FILL), {**params, "now": NOW.strftime("%Y-%m-%d %H:%M:%S")})
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _time(fn: Callable[[], Any], runs: int) -> list[float]:
    fn()  # warm the caches and the statement cache once
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _explain(engine: Engine) -> str:
    pg = engine.dialect.name == "postgresql"
    stmt = due_query(NOW, for_update=pg)
    compiled = stmt.compile(dialect=engine.dialect)
    with engine.connect() as conn:
        if pg:
            rows = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + str(compiled), compiled.params
            ).all()
            conn.rollback()
            return "\n".join(r[0] for r in rows)
        names = compiled.positiontup or []
        values = tuple(
            NOW.strftime("%Y-%m-%d %H:%M:%S.000000") if "next_reminder_at" in name else 500
            for name in names
        )
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), values).all()
        return str(compiled).replace("\n", " ") + "\n" + "\n".join(f"  {r[-1]}" for r in rows)


def _measure(name: str, url: str, n: int, runs: int) -> tuple[Result, str]:
    db = Database(url)
    engine = db.engine
    fill = _fill(engine, n)
    pg = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        due = conn.execute(
            text("SELECT count(*) FROM deadlines WHERE next_reminder_at <= :now"),
            {"now": NOW if pg else NOW.strftime("%Y-%m-%d %H:%M:%S.999999")},
        ).scalar_one()

    # The due query as the sweep runs it: inside the step's transaction (on PostgreSQL the
    # rows stay locked until the end of it; every run rolls back so each sees the same rows).
    stmt = due_query(NOW, for_update=pg)
    query_ms: list[float] = []
    with engine.connect() as conn:
        for i in range(runs + 1):
            with conn.begin() as tx:
                started = time.perf_counter()
                conn.execute(stmt).all()
                elapsed = (time.perf_counter() - started) * 1000
                tx.rollback()
            if i:  # the first run warms the statement cache
                query_ms.append(elapsed)

    runtime = build_runtime(
        Settings(database_url=url, slack_bot_token="xoxb-bench"), clock=ManualClock(NOW), db=db
    )
    enqueued = 0

    def step() -> None:
        nonlocal enqueued
        session = Session(engine)
        try:
            enqueued = remind_due(session, SweepContext(runtime=runtime, now=NOW))
        finally:
            session.rollback()
            session.close()

    step_ms = _time(step, max(3, runs // 10))
    plan = _explain(engine)
    db.dispose()
    return (
        Result(
            backend=name,
            rows=n,
            due=int(due),
            query_median=statistics.median(query_ms),
            query_p90=_p90(query_ms),
            step_median=statistics.median(step_ms),
            step_enqueued=enqueued,
            fill_seconds=fill,
        ),
        plan,
    )


def bench_postgres(n: int, runs: int) -> tuple[Result, str] | None:
    base = normalize_url(os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"bench_due_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server: say so and go on with SQLite
        print(f"PostgreSQL not available at {make_url(base).render_as_string()}: {exc}")
        admin.dispose()
        return None
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        return _measure("PostgreSQL", url, n, runs)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_sqlite(n: int, runs: int) -> tuple[Result, str]:
    with tempfile.TemporaryDirectory() as tmp:
        return _measure("SQLite", f"sqlite:///{tmp}/bench.db", n, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--sqlite-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    results: list[Result] = []
    for label, run in (
        ("PostgreSQL", lambda: bench_postgres(args.pg_rows, args.runs)),
        ("SQLite", lambda: bench_sqlite(args.sqlite_rows, args.runs)),
    ):
        print(f"== {label}: filling and measuring …", flush=True)
        out = run()
        if out is None:
            continue
        result, plan = out
        results.append(result)
        print(f"-- plan of the due query ({label}):\n{plan}\n", flush=True)

    print(
        f"{'backend':<11} {'deadlines':>10} {'due':>5} {'query median':>13} {'query p90':>10} "
        f"{'sweep step':>11} {'enqueued':>9} {'fill':>7}"
    )
    for r in results:
        print(
            f"{r.backend:<11} {r.rows:>10,} {r.due:>5} {r.query_median:>10.2f} ms "
            f"{r.query_p90:>7.2f} ms {r.step_median:>8.1f} ms {r.step_enqueued:>9} "
            f"{r.fill_seconds:>6.1f}s"
        )
    pg = next((r for r in results if r.backend == "PostgreSQL"), None)
    if pg is not None:
        verdict = "meets" if pg.query_median < TARGET_MS else "MISSES"
        print(
            f"PostgreSQL due query median {pg.query_median:.2f} ms {verdict} "
            f"the {TARGET_MS:g} ms target"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
