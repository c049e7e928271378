"""The noise budget: quiet hours, pause, and at most N bot posts per vendor channel per day.

`NoisePolicy` is the outbox's `DeliveryPolicy`. The outbox asks it, per channel and delivery
pass, whether budgeted posts must wait (quiet hours, pause) and how many more posts the channel
may get today; when none, the posts wait for the next local day. Several posts due at once
already go out as one bundled message (the outbox does that), so a day's budget of 3 means at
most 3 Slack messages in the channel, however many items they carry. Held rows only get a later
`not_before`: nothing is dropped, and each row is sent once.

All day and hour arithmetic is in the vendor's timezone through `bot.time.calendar`.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.time.calendar import in_quiet_hours, local_day_bounds, quiet_hours_end
from storage.models import OutboxMessage, Vendor

DEFAULT_DAILY_BUDGET = 3


def vendor_of_row(session: Session, row: OutboxMessage) -> Vendor | None:
    """The vendor whose channel the row is for (by `vendor_id`, else by channel)."""
    if row.vendor_id is not None:
        vendor = session.get(Vendor, row.vendor_id)
        if vendor is not None and vendor.channel_id == row.channel_id:
            return vendor
    return session.scalar(
        select(Vendor).where(
            Vendor.team_id == row.team_id,
            Vendor.channel_id == row.channel_id,
            Vendor.archived_at.is_(None),
        )
    )


def _zone(vendor: Vendor) -> ZoneInfo:
    return ZoneInfo(vendor.tz or "UTC")


def quiet_span(vendor: Vendor) -> tuple[time, time] | None:
    if not vendor.quiet_start or not vendor.quiet_end:
        return None
    start = time.fromisoformat(vendor.quiet_start)
    end = time.fromisoformat(vendor.quiet_end)
    if start == end:
        return None
    return start, end


def allowed_from(vendor: Vendor, at: datetime) -> datetime:
    """The first instant at or after `at` when the vendor's channel may get automatic posts:
    after any pause, outside quiet hours."""
    quiet = quiet_span(vendor)
    tz = _zone(vendor)
    t = at
    for _ in range(4):  # a pause ending in quiet hours: pause end, then quiet end; settles fast
        moved = False
        if vendor.paused_until is not None and t < vendor.paused_until:
            t = vendor.paused_until
            moved = True
        if quiet is not None and in_quiet_hours(t, tz, *quiet):
            t = quiet_hours_end(t, tz, *quiet)
            moved = True
        if not moved:
            break
    return t


def posts_today(
    session: Session, vendor: Vendor, channel_id: str, team_id: str, now: datetime
) -> int:
    """Distinct Slack messages of budgeted outbox rows sent to the channel in the vendor's local
    day so far (a bundle of several rows is one message)."""
    day_start, _ = local_day_bounds(now, _zone(vendor))
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.message_ts, OutboxMessage.bundled_into).where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.budgeted.is_(True),
            OutboxMessage.state == "sent",
            OutboxMessage.sent_at >= day_start,
            OutboxMessage.sent_at <= now,
        )
    ).all()
    messages = {ts or f"row:{bundled or row_id}" for row_id, ts, bundled in rows}
    return len(messages)


class NoisePolicy:
    """The vendor channel's noise budget, read from the Vendor row on every decision."""

    def hold_until(self, session: Session, row: OutboxMessage, now: datetime) -> datetime | None:
        vendor = vendor_of_row(session, row)
        if vendor is None:
            return None
        until = allowed_from(vendor, now)
        return until if until > now else None

    def remaining(self, session: Session, row: OutboxMessage, now: datetime) -> int | None:
        vendor = vendor_of_row(session, row)
        if vendor is None:
            return None
        budget = vendor.daily_post_budget
        if budget is None:
            budget = DEFAULT_DAILY_BUDGET
        if budget <= 0:
            return None  # 0 or less switches the budget off for this vendor
        return budget - posts_today(session, vendor, row.channel_id, row.team_id, now)

    def next_window(self, session: Session, row: OutboxMessage, now: datetime) -> datetime:
        vendor = vendor_of_row(session, row)
        if vendor is None:
            return now
        _, day_end = local_day_bounds(now, _zone(vendor))
        return allowed_from(vendor, day_end)
