"""The append-only audit log. There is deliberately no update or delete here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import AuditEntry


def record(
    session: Session,
    *,
    team_id: str,
    actor: str,
    action: str,
    subject: str,
    at: datetime,
    vendor_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        team_id=team_id,
        vendor_id=vendor_id,
        actor=actor,
        action=action,
        subject=subject,
        detail=detail or {},
        at=at,
    )
    session.add(entry)
    return entry
