"""Deadlines, milestones and the change requests that move them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base

if TYPE_CHECKING:
    from storage.models.vendors import Vendor


class Deadline(Base):
    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    owner_user_id: Mapped[str | None] = mapped_column(String(32))
    milestone: Mapped[bool] = mapped_column(default=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("deadlines.id"))
    recap_id: Mapped[int | None] = mapped_column(ForeignKey("recaps.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | done | cancelled
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(32))
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(32))
    # A cancelled deadline keeps its row (the history stays); who, when and why.
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(String(32))
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # The instant of the next reminder step not yet handled; NULL when none is left.
    # The sweep's "what is due now" is an index range scan on this column.
    next_reminder_at: Mapped[datetime | None]
    # Bumped whenever `due_at` changes (an approved move). Reminder dedupe keys carry it, so the
    # steps of a new date are new posts while the steps already sent for a date never repeat.
    revision: Mapped[int] = mapped_column(default=0)

    vendor: Mapped[Vendor] = relationship()

    __table_args__ = (
        UniqueConstraint("vendor_id", "number"),
        Index("ix_deadlines_next_reminder_at", "next_reminder_at"),
        # `deadline list`, the home tab and the digest: a vendor's open deadlines, soonest first.
        Index("ix_deadlines_vendor_state_due", "vendor_id", "state", "due_at"),
    )


class ChangeRequest(Base):
    """A proposed change (a deadline move or a scope change) that both sides must approve."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("deadlines.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # move | scope
    description: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    old_due_at: Mapped[datetime | None]
    new_due_at: Mapped[datetime | None]
    # pending | approved | declined | cancelled (its deadline was done or cancelled) | withdrawn
    state: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime]
    internal_approved_by: Mapped[str | None] = mapped_column(String(32))
    internal_approved_at: Mapped[datetime | None]
    vendor_approved_by: Mapped[str | None] = mapped_column(String(32))
    vendor_approved_at: Mapped[datetime | None]
    declined_by: Mapped[str | None] = mapped_column(String(32))
    declined_at: Mapped[datetime | None]
    # Taken back by the side that asked for it.
    withdrawn_by: Mapped[str | None] = mapped_column(String(32))
    withdrawn_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))

    deadline: Mapped[Deadline | None] = relationship()
