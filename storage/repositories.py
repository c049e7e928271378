"""Queries shared across services that need dialect care. Repositories never commit."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Base, ProcessedEvent


def insert_ignore(
    session: Session, model: type[Base], values: dict[str, Any], conflict: list[str]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING. True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values)
    else:  # pragma: no cover
        raise RuntimeError(f"unsupported database {dialect}")
    # RETURNING, not rowcount: psycopg reports rowcount -1 for this INSERT, which would make
    # every conflicting insert look new on PostgreSQL.
    key = list(sa_inspect(model).primary_key)
    stmt = stmt.on_conflict_do_nothing(index_elements=conflict).returning(*key)
    return session.execute(stmt).first() is not None


@cache
def _claim_event_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id for processed_events, built once per dialect.

    Every Slack event runs it, so it is not rebuilt per call; and it is a Core insert on the
    table, not an ORM one, which skips the ORM bulk-insert machinery (nothing of the row is
    kept in the session either way).
    """
    table = Base.metadata.tables[ProcessedEvent.__tablename__]
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover
        raise RuntimeError(f"unsupported database {dialect}")
    return stmt.on_conflict_do_nothing(index_elements=["team_id", "event_id"]).returning(table.c.id)


def claim_event(session: Session, *, team_id: str, event_id: str, at: Any) -> bool:
    """Record a Slack event id; False when it was seen before (a retry or duplicate)."""
    stmt = _claim_event_statement(session.get_bind().dialect.name)
    params = {"team_id": team_id, "event_id": event_id, "received_at": at}
    return session.execute(stmt, params).first() is not None


def forget_events_before(session: Session, before: Any) -> int:
    """Slack retries within minutes; event ids older than a few days need not be kept."""
    ids = list(
        session.scalars(select(ProcessedEvent.id).where(ProcessedEvent.received_at < before))
    )
    if ids:
        session.execute(delete(ProcessedEvent).where(ProcessedEvent.id.in_(ids)))
    return len(ids)
