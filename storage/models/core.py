"""Runtime tables every capability uses: the outbox, the audit log, processed events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class OutboxMessage(Base):
    """A post the bot makes on its own. Written first, delivered later, exactly once.

    `dedupe_key` is unique: enqueueing the same key twice is a no-op. `state` moves
    pending → sending → sent (or skipped when superseded, or held by the noise policy
    via `not_before`). `attempt_id` is written before the Slack call and travels in the
    message metadata so that a crash between "Slack accepted" and "marked sent" can be
    reconciled against the channel history instead of posting twice.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Lower sorts first when the noise budget has to choose: overdue < due < check-in < nudge.
    priority: Mapped[int] = mapped_column(Integer, default=50)
    payload: Mapped[dict[str, Any]]
    # Posts to a vendor channel count against its noise budget; DMs and command replies don't.
    budgeted: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    attempt_id: Mapped[str | None] = mapped_column(String(64))
    not_before: Mapped[datetime]
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # Where the message landed (a post to a user id lands in the DM channel Slack opened).
    posted_channel: Mapped[str | None] = mapped_column(String(32))
    # The row whose Slack message carried this one when several were bundled into one post.
    bundled_into: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_state_not_before", "state", "not_before"),)


class AuditEntry(Base):
    """Append-only record of every state change: who, what, when. Never updated or deleted."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), index=True)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(index=True)


class ProcessedEvent(Base):
    """Slack `event_id`s already handled, so retries and duplicates have no second effect."""

    __tablename__ = "processed_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("team_id", "event_id"),)
