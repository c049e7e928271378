"""Vendors (one Slack channel each) and their contact points on both sides."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base

INTERNAL = "internal"
VENDOR = "vendor"
PRIMARY = "primary"
BACKUP = "backup"


class Vendor(Base):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    country: Mapped[str | None] = mapped_column(String(8))
    is_ext_shared: Mapped[bool] = mapped_column(default=False)
    external_team_ids: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    # Expected vendor reply time in business hours, and the noise budget.
    sla_hours: Mapped[float] = mapped_column(default=8.0)
    daily_post_budget: Mapped[int] = mapped_column(default=3)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    paused_until: Mapped[datetime | None]

    # Check-in cadence: CronTrigger day_of_week expression and local HH:MM.
    checkin_days: Mapped[str | None] = mapped_column(String(64))
    checkin_time: Mapped[str | None] = mapped_column(String(5))
    checkin_tz: Mapped[str | None] = mapped_column(String(64))
    checkin_since: Mapped[datetime | None]

    last_vendor_message_at: Mapped[datetime | None]
    silence_notified_at: Mapped[datetime | None]

    # Deadlines are numbered per channel: #1, #2 …
    next_deadline_number: Mapped[int] = mapped_column(default=1)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="vendor", order_by="Contact.id", lazy="selectin"
    )

    __table_args__ = (UniqueConstraint("team_id", "channel_id"),)

    @property
    def active(self) -> bool:
        return self.archived_at is None


class Contact(Base):
    """A contact point. Rows are never deleted: `ended_at` closes one, so history stays."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    side: Mapped[str] = mapped_column(String(16))  # internal | vendor
    role: Mapped[str] = mapped_column(String(16))  # primary | backup
    user_id: Mapped[str] = mapped_column(String(32))
    user_team_id: Mapped[str | None] = mapped_column(String(32))
    display_name: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(64))

    vendor: Mapped[Vendor] = relationship(back_populates="contacts")

    __table_args__ = (Index("ix_contacts_vendor_active", "vendor_id", "ended_at"),)
