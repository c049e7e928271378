"""Dialect-sensitive repository helpers behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage.db import Database
from storage.models import ProcessedEvent
from storage.repositories import claim_event, forget_events_before

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_an_event_id_is_claimed_once_per_team(any_db_url: str) -> None:
    """The de-duplication of Slack retries: on PostgreSQL psycopg reports no rowcount for
    INSERT … ON CONFLICT DO NOTHING, so a second claim must still be seen as a duplicate."""
    db = Database(any_db_url)
    with db.transaction() as s:
        assert claim_event(s, team_id="T1", event_id="Ev1", at=NOW) is True
    with db.transaction() as s:
        assert claim_event(s, team_id="T1", event_id="Ev1", at=NOW) is False
        assert claim_event(s, team_id="T2", event_id="Ev1", at=NOW) is True
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 2
    db.dispose()


def test_old_event_ids_are_forgotten(any_db_url: str) -> None:
    db = Database(any_db_url)
    with db.transaction() as s:
        claim_event(s, team_id="T1", event_id="old", at=NOW - timedelta(days=4))
        claim_event(s, team_id="T1", event_id="new", at=NOW)
    with db.transaction() as s:
        assert forget_events_before(s, NOW - timedelta(days=3)) == 1
        assert list(s.scalars(select(ProcessedEvent.event_id))) == ["new"]
    db.dispose()
