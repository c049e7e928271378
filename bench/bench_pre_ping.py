"""What SQLAlchemy's pool pre-ping would cost on the two hot paths, against what we do instead.

After a database restart, a pooled connection is dead. Two ways to survive it: ping every
connection on checkout (`pool_pre_ping=True`: one more round trip per request), or notice the
dead connection when it fails and run the unit of work once more (bot/delivery/unit_of_work.py, what
the app does). This script measures the first's price: `deadline list` and a message event
through the real app in-process (signed requests into the WSGI app), each mode in turns.

    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        python bench/bench_pre_ping.py

Prints a table: median microseconds per request and the difference.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.fakeslack import FakeSlack
from bot.fakeslack.signing import message_event
from storage.db import Database, normalize_url, upgrade
from tests.harness import PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness, populate


def timed(h: Harness, n: int, kind: str) -> list[float]:
    out: list[float] = []
    for i in range(n):
        started = time.perf_counter()
        if kind == "list":
            resp = h.command("deadline list")
        else:
            event = message_event(
                f"update {i}",
                user=PRIYA,
                channel=SHARED_CHANNEL,
                ts=f"{1_800_000_000 + i}.000100",
                user_team=VENDOR_TEAM,
            )
            resp = h.event(event)
        assert resp.status == 200
        out.append((time.perf_counter() - started) * 1e6)
    return out


def main() -> int:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        print("set TEST_DATABASE_URL to a PostgreSQL server", file=sys.stderr)
        return 2
    base = normalize_url(base)
    name = f"ob_ping_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    fake = FakeSlack().start()
    populate(fake)
    results: dict[tuple[str, bool], list[float]] = {}
    try:
        upgrade(url)
        harnesses = {}
        for ping in (False, True):
            h = Harness(fake, url)
            h.db.dispose()
            h.db = h.runtime.db = Database(url, pool_pre_ping=ping)
            harnesses[ping] = h
        harnesses[False].make_vendor()
        for _ in range(3):
            harnesses[False].command(f'deadline add "Item {_}" 2027-04-1{_}')
        for _round in range(5):
            for ping in (False, True):
                for kind in ("list", "event"):
                    results.setdefault((kind, ping), []).extend(timed(harnesses[ping], 200, kind))
        for h in harnesses.values():
            h.close()
    finally:
        fake.stop()
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    print(f"\n{'request':<16}{'retry (ours), µs':>18}{'pre-ping, µs':>16}{'pre-ping costs':>16}")
    for kind, label in (("list", "deadline list"), ("event", "message event")):
        ours = statistics.median(results[(kind, False)])
        ping = statistics.median(results[(kind, True)])
        print(f"{label:<16}{ours:>18,.0f}{ping:>16,.0f}{(ping - ours) / ours:>15.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
