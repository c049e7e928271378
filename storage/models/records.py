"""Records: the access inventory, offboarding checklists, export jobs and App Home publishes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class AccessItem(Base):
    """Something a vendor can reach (a system, optionally for one person). Internal-only."""

    __tablename__ = "access_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    system: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(32))
    added_by: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(32))


class OffboardingChecklist(Base):
    """One per engagement being closed. At most one open (not completed) per vendor."""

    __tablename__ = "offboarding_checklists"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    dm_channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        # Two `offboard` runs at once still make one checklist: the second insert fails.
        Index(
            "uq_offboarding_checklists_open_vendor",
            "vendor_id",
            unique=True,
            sqlite_where=text("completed_at IS NULL"),
            postgresql_where=text("completed_at IS NULL"),
        ),
    )


class OffboardingItem(Base):
    __tablename__ = "offboarding_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("offboarding_checklists.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # access | member | deadline | recap
    ref: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(300))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("checklist_id", "kind", "ref"),)


class ExportRequest(Base):
    """A written record to upload to someone's DM. The durable job behind `export`: made by the
    command (or the end of an offboarding), uploaded at once when small, else — and after a
    failed upload — by the sweep, with backoff, until it is sent or given up."""

    __tablename__ = "export_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(32))
    fmt: Mapped[str] = mapped_column(String(8))  # md | csv
    reason: Mapped[str] = mapped_column(String(16))  # command | home | offboarding
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    file_id: Mapped[str | None] = mapped_column(String(32))
    filename: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_export_requests_state_next_attempt_at", "state", "next_attempt_at"),
    )


class HomePublish(Base):
    """The last App Home published to a user: at most one `views.publish` per user a minute.

    `audit_watermark` is the newest audit row id seen when it was built (any newer state change
    may change the view); `pending` asks the sweep to publish once the minute has passed.
    """

    __tablename__ = "home_publishes"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    published_at: Mapped[datetime | None]
    # When the view was last built and compared (published or found unchanged).
    checked_at: Mapped[datetime | None]
    view_hash: Mapped[str | None] = mapped_column(String(64))
    audit_watermark: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("team_id", "user_id"),)
