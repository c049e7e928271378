"""The weekly digest: Monday 09:00 in each internal contact's own timezone, one DM per vendor.

Each internal contact (primary or backup) of an active vendor gets, on Monday at 09:00 on their
own Slack clock (users.info `tz`, else `OUTSOURCE_DEFAULT_TZ`), a DM about the past week of that
vendor: what got done, what slipped, changes approved or declined, recaps confirmed or still
unconfirmed, response times against the SLA, check-in answers, and what is due in the coming
week. It goes through the outbox with the dedupe key `digest:<vendor id>:<user>:<ISO week>`, so
a sweep that runs twice (or on several workers) sends it once; the row names the vendor, the
reader and the week, and the message is rendered when it is delivered (`bot.posts.overview`).
A week with nothing to say is recorded as a skipped outbox row under the same key: nothing is
posted and nothing is computed again that week. A digest is sent up to 12 hours late (the bot
was down on Monday morning); after that the week is let go rather than delivered stale.

This module is also the overview capability's entry in `bot.delivery.sweep.STEP_MODULES`: its
`sweep_steps` include the export retries and the App Home refresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.delivery.sweep import SweepContext
from bot.services.overview import ResponseFigures, response_figures, zone_named
from bot.services.vendors.lookup import active_contacts
from bot.slack.client import LookupDeferred
from bot.time.timeparse import wall_to_utc
from storage.models import (
    INTERNAL,
    ChangeRequest,
    CheckIn,
    Deadline,
    OutboxMessage,
    Recap,
    Vendor,
)

log = logging.getLogger(__name__)

DIGEST_WEEKDAY = 0  # Monday
DIGEST_AT = time(9, 0)
CATCH_UP = timedelta(hours=12)
KIND = "digest"


@dataclass
class Digest:
    vendor: Vendor
    user_id: str
    reader_tz: ZoneInfo
    since: datetime
    until: datetime
    done: list[Deadline] = field(default_factory=list)
    slipped: list[Deadline] = field(default_factory=list)
    changes_approved: list[ChangeRequest] = field(default_factory=list)
    changes_declined: list[ChangeRequest] = field(default_factory=list)
    recaps_confirmed: list[Recap] = field(default_factory=list)
    recaps_unconfirmed: list[Recap] = field(default_factory=list)
    response: ResponseFigures = field(
        default_factory=lambda: ResponseFigures(0, None, None, 0, 0, 0.0)
    )
    checkins_answered: list[CheckIn] = field(default_factory=list)
    checkins_missed: list[CheckIn] = field(default_factory=list)
    upcoming: list[Deadline] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.done
            or self.slipped
            or self.changes_approved
            or self.changes_declined
            or self.recaps_confirmed
            or self.recaps_unconfirmed
            or self.response.count
            or self.checkins_answered
            or self.checkins_missed
            or self.upcoming
        )


def latest_digest_time(now: datetime, tz: ZoneInfo) -> datetime:
    """The most recent Monday 09:00 on the wall clock of `tz`, at or before `now` (UTC)."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - DIGEST_WEEKDAY) % 7)
    at = wall_to_utc(datetime.combine(day, DIGEST_AT), tz)
    if at > now:
        at = wall_to_utc(datetime.combine(day - timedelta(days=7), DIGEST_AT), tz)
    return at


def iso_week(at: datetime, tz: ZoneInfo) -> str:
    year, week, _ = at.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(vendor_id: int, user_id: str, week: str) -> str:
    return f"digest:{vendor_id}:{user_id}:{week}"


def _maybe_monday_somewhere(now: datetime) -> bool:
    """Monday 09:00 happens between Sunday 19:00 UTC (in UTC+14) and Monday 21:00 UTC (in
    UTC-12); with the catch-up window a digest can be due only from Sunday 19:00 UTC until
    Tuesday 09:00 UTC. Outside it the step returns at once, without looking anyone up."""
    utc = now.astimezone(UTC)
    sunday = utc.date() - timedelta(days=(utc.weekday() - 6) % 7)
    start = datetime.combine(sunday, time(19), tzinfo=UTC)
    return start <= utc < start + timedelta(hours=26) + CATCH_UP


def build_digest(
    session: Session,
    *,
    vendor: Vendor,
    user_id: str,
    reader_tz: ZoneInfo,
    since: datetime,
    until: datetime,
) -> Digest:
    d = Digest(vendor=vendor, user_id=user_id, reader_tz=reader_tz, since=since, until=until)

    def in_week(col: Any) -> Any:
        return and_(col >= since, col < until)

    d.done = list(
        session.scalars(
            select(Deadline)
            .where(
                Deadline.vendor_id == vendor.id, Deadline.state == "done", in_week(Deadline.done_at)
            )
            .order_by(Deadline.done_at)
        )
    )
    # Slipped: due this week and missed (still open, or done after the due time).
    d.slipped = list(
        session.scalars(
            select(Deadline)
            .where(
                Deadline.vendor_id == vendor.id,
                in_week(Deadline.due_at),
                or_(
                    Deadline.state == "open",
                    and_(Deadline.done_at.is_not(None), Deadline.done_at > Deadline.due_at),
                ),
            )
            .order_by(Deadline.due_at)
        )
    )
    changes = list(
        session.scalars(
            select(ChangeRequest)
            .where(ChangeRequest.vendor_id == vendor.id, in_week(ChangeRequest.resolved_at))
            .order_by(ChangeRequest.resolved_at)
        )
    )
    d.changes_approved = [c for c in changes if c.state == "approved"]
    d.changes_declined = [c for c in changes if c.state == "declined"]
    recaps = list(
        session.scalars(
            select(Recap)
            .where(
                Recap.vendor_id == vendor.id,
                or_(
                    in_week(Recap.created_at),
                    Recap.internal_confirmed_at.is_(None),
                    Recap.vendor_confirmed_at.is_(None),
                ),
            )
            .order_by(Recap.call_at)
        )
    )
    for r in recaps:
        if r.internal_confirmed_at is None or r.vendor_confirmed_at is None:
            if r.created_at < until:
                d.recaps_unconfirmed.append(r)
        elif max(r.internal_confirmed_at, r.vendor_confirmed_at) >= since:
            d.recaps_confirmed.append(r)
    d.response = response_figures(session, vendor=vendor, since=since)
    checkins = list(
        session.scalars(
            select(CheckIn)
            .where(CheckIn.vendor_id == vendor.id, in_week(CheckIn.scheduled_for))
            .order_by(CheckIn.scheduled_for)
        )
    )
    d.checkins_answered = [c for c in checkins if c.answered_at is not None]
    # Every check-in of the week that was posted and never answered — also those a later
    # answer covered ("superseded"); not those never posted ("skipped").
    d.checkins_missed = [
        c
        for c in checkins
        if c.answered_at is None
        and c.state in ("open", "superseded")
        and (c.message_ts or c.posted_at)
    ]
    d.upcoming = list(
        session.scalars(
            select(Deadline)
            .where(
                Deadline.vendor_id == vendor.id,
                Deadline.state == "open",
                Deadline.due_at >= until,
                Deadline.due_at < until + timedelta(days=7),
            )
            .order_by(Deadline.due_at)
        )
    )
    return d


def _reader_zone(runtime: Runtime, team_id: str, user_id: str) -> ZoneInfo | None:
    """The contact's own Slack timezone; None when they are gone (deleted) or unknown."""
    try:
        user = runtime.directory.user(team_id, user_id)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError):
        log.warning("digest: could not look up %s; trying again next sweep", user_id)
        return None
    if user is None or user.deleted:
        return None
    return zone_named(user.tz, runtime.settings.default_tz)


def _already(session: Session, key: str) -> bool:
    return (
        session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None
    )


def digest_step(session: Session, ctx: SweepContext) -> int:
    """Sweep step: enqueue every digest whose Monday 09:00 (reader's time) has come."""
    now = ctx.now
    if not _maybe_monday_somewhere(now):
        return 0
    made = 0
    deferred: LookupDeferred | None = None
    vendors = session.scalars(
        select(Vendor).where(Vendor.archived_at.is_(None)).order_by(Vendor.id)
    ).all()
    for vendor in vendors:
        readers = {c.user_id for c in active_contacts(vendor, INTERNAL)}
        for user_id in sorted(readers):
            try:
                tz = _reader_zone(ctx.runtime, vendor.team_id, user_id)
            except LookupDeferred as exc:
                deferred = exc  # note every reader to look up; the unit runs again after
                continue
            if tz is None:
                continue
            due = latest_digest_time(now, tz)
            if now - due >= CATCH_UP or vendor.created_at >= due:
                continue  # too late for this week's, or the week ended before the vendor began
            key = digest_key(vendor.id, user_id, iso_week(due, tz))
            if _already(session, key):
                continue
            digest = build_digest(
                session,
                vendor=vendor,
                user_id=user_id,
                reader_tz=tz,
                since=due - timedelta(days=7),
                until=due,
            )
            if digest.empty:
                outbox.record_skipped(
                    session,
                    team_id=vendor.team_id,
                    dedupe_key=key,
                    channel_id=user_id,
                    kind=KIND,
                    now=now,
                    vendor_id=vendor.id,
                    reason="nothing to say",
                )
                continue
            made += outbox.enqueue(
                session,
                team_id=vendor.team_id,
                dedupe_key=key,
                channel_id=user_id,
                kind=KIND,
                now=now,
                render={
                    "kind": "overview.digest",
                    "vendor": vendor.id,
                    "user": user_id,
                    "tz": tz.key,
                    "since": digest.since.isoformat(),
                    "until": digest.until.isoformat(),
                },
                vendor_id=vendor.id,
                budgeted=False,
            )
    if deferred is not None:
        raise deferred
    return made


def _export_step(session: Session, ctx: SweepContext) -> int:
    from bot.services.export import export_step

    return export_step(session, ctx)


def _home_step(session: Session, ctx: SweepContext) -> int:
    from bot.services.overview import refresh_homes

    return refresh_homes(session, ctx)


sweep_steps = [
    ("digest", digest_step),
    ("exports", _export_step),
    ("home", _home_step),
]
