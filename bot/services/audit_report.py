"""Reading the audit log: `outsource-bot audit [--vendor NAME] [--since ISO]` and the export.

The log itself is append-only (bot/audit.py only inserts; nothing updates or deletes rows — a
test checks the source tree and the database). This module only reads, streaming rows in
batches so a long history prints without loading it all.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from bot.app.config import Settings
from storage.db import Database
from storage.models import AuditEntry, Vendor

BATCH = 1000


def audit_entries(
    session: Session,
    *,
    vendor_ids: list[int] | None = None,
    since: datetime | None = None,
) -> Iterator[AuditEntry]:
    """Audit rows, oldest first, optionally for some vendors and from an instant on."""
    query = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id)
    if vendor_ids is not None:
        query = query.where(AuditEntry.vendor_id.in_(vendor_ids))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    yield from session.scalars(query.execution_options(yield_per=BATCH))


def iso(at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def detail_text(entry: AuditEntry) -> str:
    if not entry.detail:
        return ""
    return json.dumps(entry.detail, ensure_ascii=False, sort_keys=True, default=str)


def format_entry(entry: AuditEntry, vendor_name: str) -> str:
    parts = [iso(entry.at), vendor_name or "-", entry.actor, entry.action, entry.subject]
    detail = detail_text(entry)
    if detail:
        parts.append(detail)
    return "  ".join(parts)


def find_vendors(session: Session, name: str) -> list[Vendor]:
    """Vendors with this name (case-insensitive, archived ones included)."""
    return list(
        session.scalars(
            select(Vendor)
            .where(func.lower(Vendor.name) == name.strip().lower())
            .order_by(Vendor.id)
        )
    )


def print_audit(
    settings: Settings,
    *,
    vendor: str | None = None,
    since: datetime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the audit log, one entry a line: `at  vendor  actor  action  subject  {detail}`.

    Returns the process exit code: 0, or 1 when the vendor is unknown or the database has no
    schema yet.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    db = Database(settings.database_url)
    try:
        if not inspect(db.engine).has_table(AuditEntry.__tablename__):
            print(
                "outsource-bot: this database has no schema yet; run `outsource-bot db upgrade`.",
                file=err,
            )
            return 1
        with db.transaction() as session:
            names = {v.id: v.name for v in session.scalars(select(Vendor))}
            vendor_ids: list[int] | None = None
            if vendor is not None:
                found = find_vendors(session, vendor)
                if not found:
                    known = ", ".join(sorted(set(names.values()))) or "none yet"
                    print(
                        f"outsource-bot: no vendor named {vendor!r} (vendors: {known}).", file=err
                    )
                    return 1
                vendor_ids = [v.id for v in found]
            count = 0
            for entry in audit_entries(session, vendor_ids=vendor_ids, since=since):
                name = names.get(entry.vendor_id, "") if entry.vendor_id else ""
                print(format_entry(entry, name), file=out)
                count += 1
            if count == 0:
                print("(no audit entries match)", file=err)
        return 0
    finally:
        db.dispose()
