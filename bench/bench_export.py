"""How long the written-record export of a big vendor takes (target: 10,000 deadlines < 5 s).

    python bench/bench_export.py [--deadlines 10000] [--db sqlite:///path.db]

Builds a vendor with N deadlines (a fifth of them moved by a change request), N/20 recaps with
a revision each, N/10 check-ins and one audit row per deadline, then writes the Markdown and the
CSV export to temporary files the way the bot does (streaming, no Slack calls: user names fall
back to ids) and prints the time, the size and the peak Python memory of each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from bot.services.export import Names, write_export
from storage.db import Database
from storage.models import (
    AuditEntry,
    ChangeRequest,
    CheckIn,
    Deadline,
    Recap,
    RecapRevision,
    Vendor,
)

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


def populate(db: Database, n: int) -> int:
    with db.transaction() as s:
        vendor = Vendor(
            team_id="T1",
            channel_id="C1",
            name="Big Vendor",
            tz="Europe/Berlin",
            created_by="U1",
            created_at=NOW,
        )
        s.add(vendor)
        s.flush()
        vid = vendor.id
        s.execute(
            insert(Deadline),
            [
                {
                    "vendor_id": vid,
                    "number": i,
                    "title": f"Deliverable {i} — a realistic title of some length",
                    "due_at": NOW + timedelta(hours=i),
                    "owner_user_id": "U2",
                    "state": "done" if i % 3 == 0 else "open",
                    "done_at": NOW + timedelta(hours=i) if i % 3 == 0 else None,
                    "done_by": "U2" if i % 3 == 0 else None,
                    "created_by": "U1",
                    "created_at": NOW,
                }
                for i in range(1, n + 1)
            ],
        )
        ids = list(s.scalars(select(Deadline.id).where(Deadline.vendor_id == vid)))
        s.execute(
            insert(ChangeRequest),
            [
                {
                    "vendor_id": vid,
                    "deadline_id": d,
                    "kind": "move",
                    "description": "Move by a week",
                    "reason": "QA found a blocker",
                    "old_due_at": NOW,
                    "new_due_at": NOW + timedelta(days=7),
                    "state": "approved",
                    "requested_by": "U1",
                    "requested_at": NOW,
                    "internal_approved_by": "U1",
                    "internal_approved_at": NOW,
                    "vendor_approved_by": "U2",
                    "vendor_approved_at": NOW,
                    "resolved_at": NOW,
                }
                for d in ids[::5]
            ],
        )
        s.execute(
            insert(Recap),
            [
                {
                    "vendor_id": vid,
                    "channel_id": "C1",
                    "source": "modal",
                    "text": "Decisions:\n- ship it\nAction items:\n- Priya to fix the build\n" * 5,
                    "call_at": NOW,
                    "participants": ["U1", "U2"],
                    "extracted": {"decisions": [{"text": "ship it"}]},
                    "revision": 2,
                    "created_by": "U1",
                    "created_at": NOW,
                }
                for _ in range(max(1, n // 20))
            ],
        )
        recap_ids = list(s.scalars(select(Recap.id).where(Recap.vendor_id == vid)))
        s.execute(
            insert(RecapRevision),
            [
                {
                    "recap_id": r,
                    "revision": 1,
                    "text": "first draft",
                    "extracted": {},
                    "edited_by": "U1",
                    "edited_at": NOW,
                }
                for r in recap_ids
            ],
        )
        s.execute(
            insert(CheckIn),
            [
                {
                    "vendor_id": vid,
                    "scheduled_for": NOW + timedelta(days=i),
                    "channel_id": "C1",
                    "state": "answered",
                    "answered_by": "U2",
                    "answered_at": NOW + timedelta(days=i, hours=1),
                    "done_text": "things",
                    "on_track": "yes",
                }
                for i in range(max(1, n // 10))
            ],
        )
        s.execute(
            insert(AuditEntry),
            [
                {
                    "team_id": "T1",
                    "vendor_id": vid,
                    "actor": "U1",
                    "action": "deadline.add",
                    "subject": f"deadline #{i}",
                    "detail": {"deadline_id": i},
                    "at": NOW,
                }
                for i in range(1, n + 1)
            ],
        )
        return vid


def run(db: Database, vid: int, fmt: str, path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    with db.transaction() as s:
        vendor = s.get(Vendor, vid)
        assert vendor is not None
        items = write_export(
            s,
            vendor=vendor,
            fmt=fmt,
            path=path,
            now=NOW,
            requested_by="U1",
            names=Names(None, "T1"),
        )
    return time.perf_counter() - started, items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadlines", type=int, default=10_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/bench.db"
        db = Database(url)
        db.upgrade()
        started = time.perf_counter()
        vid = populate(db, args.deadlines)
        print(f"populated {args.deadlines} deadlines in {time.perf_counter() - started:.1f}s")
        for fmt in ("md", "csv"):
            path = Path(tmp) / f"export.{fmt}"
            seconds, items = run(db, vid, fmt, path)
            # Memory is measured in a second pass: tracemalloc slows everything down a lot.
            tracemalloc.start()
            run(db, vid, fmt, path)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = path.stat().st_size / 1e6
            print(
                f"{fmt}: {items} items, {size:.1f} MB in {seconds:.2f}s "
                f"(peak Python memory {peak / 1e6:.1f} MB)"
            )
        db.dispose()


if __name__ == "__main__":
    main()
