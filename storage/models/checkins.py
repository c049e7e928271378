"""Scheduled check-ins and their answers, and response-time clocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class CheckIn(Base):
    """One check-in post. `scheduled_for` is the cadence occurrence (or the instant of `now`).

    The SLA clock starts when the post went out (`posted_at`), not when it was scheduled: a
    post held by quiet hours, a pause or the noise budget gives the vendor no less time.
    """

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    scheduled_for: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16), default="scheduled")  # scheduled | manual
    # The outbox row that carries the post (None when posted directly as a command reply).
    outbox_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # open | answered | superseded (a newer check-in was answered) | skipped (never posted)
    state: Mapped[str] = mapped_column(String(16), default="open")
    answered_by: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None]
    via: Mapped[str | None] = mapped_column(String(16))  # form | thread
    done_text: Mapped[str | None] = mapped_column(Text)
    next_text: Mapped[str | None] = mapped_column(Text)
    blockers_text: Mapped[str | None] = mapped_column(Text)
    on_track: Mapped[str | None] = mapped_column(String(16))  # yes | at_risk | blocked
    reminder_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("vendor_id", "scheduled_for"),
        Index("ix_checkins_state_reminder_at", "state", "reminder_at"),
    )


class CheckInAnswer(Base):
    """Every answer to a check-in, kept verbatim (a form submission or a thread reply)."""

    __tablename__ = "checkin_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    via: Mapped[str] = mapped_column(String(16))  # form | thread
    message_ts: Mapped[str | None] = mapped_column(String(32))
    done_text: Mapped[str | None] = mapped_column(Text)
    next_text: Mapped[str | None] = mapped_column(Text)
    blockers_text: Mapped[str | None] = mapped_column(Text)
    on_track: Mapped[str | None] = mapped_column(String(16))  # yes | at_risk | blocked
    answered_at: Mapped[datetime]


class ResponseClock(Base):
    """Started by an internal message that asks the vendor something; stopped by their reply."""

    __tablename__ = "response_clocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    started_by: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    # The vendor's SLA when the clock started, so old measurements keep their yardstick.
    sla_hours: Mapped[float | None]
    breach_at: Mapped[datetime | None] = mapped_column(index=True)
    stopped_at: Mapped[datetime | None]
    stopped_by: Mapped[str | None] = mapped_column(String(32))
    stop_ts: Mapped[str | None] = mapped_column(String(32))
    business_seconds: Mapped[float | None]
    breach_notified_at: Mapped[datetime | None]
