"""Vendor health: the one set of figures behind `/outsource status`, the App Home and the digest.

`vendor_health` reads the tables other capabilities own (deadlines, check-ins, response clocks,
recaps, change requests, access rows) and computes what a manager looks at first. The App Home
is built from it per viewer: an internal contact sees the full health line of the vendors they
are a contact for; an external (vendor-side) user sees only their own vendor's deadlines, recaps
and check-ins — never SLA/response figures, access rows or status, which are internal-only
(DESIGN §5).

Publishing is cheap but rate-limited: at most one `views.publish` per user per minute
(`HomePublish`). A view identical to the one last published is not published again. The sweep
republishes a user's Home when a state change happened since (an audit row newer than the view),
when a publish was deferred by the one-minute limit, or hourly (time moves deadlines into the
14-day window and makes them overdue).

The view is built (by its renderer, `bot.posts.overview`) and the minute claimed inside the
unit of work; `views.publish` itself runs after the commit, never with a transaction open. A
publish that Slack refuses marks the row pending again, in a unit of its own, and the sweep
retries it once the minute is over.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot import posts
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery.unit_of_work import after_commit, run_unit
from bot.errors import NotFound
from bot.services.vendors.lookup import active_contacts, require_side, require_vendor
from bot.slack.client import LookupDeferred
from storage.models import (
    INTERNAL,
    VENDOR,
    AccessItem,
    AuditEntry,
    ChangeRequest,
    CheckIn,
    Deadline,
    Recap,
    Vendor,
)
from storage.models.records import HomePublish
from storage.repositories import insert_ignore

if TYPE_CHECKING:
    from bot.delivery.sweep import SweepContext

log = logging.getLogger(__name__)

HOME_WINDOW = timedelta(days=14)
RESPONSE_WINDOW = timedelta(days=30)
PUBLISH_INTERVAL = timedelta(minutes=1)
HOME_STALE_AFTER = timedelta(hours=1)
HOME_LIST_LIMIT = 15


# --------------------------------------------------------------------------- response times


@dataclass(frozen=True)
class ResponseFigures:
    """Vendor reply times (business seconds) of clocks stopped in a window, against the SLA."""

    count: int
    median_seconds: float | None
    p90_seconds: float | None
    breaches: int
    waiting: int
    sla_hours: float
    # The same replies by the wall clock (nights, weekends, holidays included).
    median_calendar_seconds: float | None = None
    p90_calendar_seconds: float | None = None

    @property
    def within_sla(self) -> bool | None:
        if self.median_seconds is None:
            return None
        return self.median_seconds <= self.sla_hours * 3600


def response_figures(session: Session, *, vendor: Vendor, since: datetime) -> ResponseFigures:
    """Median and p90 of the vendor's reply times for clocks started since `since`, from the
    responsiveness capability's `response_stats` (so status, Home and digest show its figures):
    business time in the vendor's calendar, a breach being a reply slower than the SLA in force
    when its clock started; `waiting` counts those clocks still running."""
    from bot.services.responsiveness import response_stats

    stats = response_stats(session, vendor, since=since)
    return ResponseFigures(
        count=stats.count,
        median_seconds=None if stats.median_hours is None else stats.median_hours * 3600,
        p90_seconds=None if stats.p90_hours is None else stats.p90_hours * 3600,
        breaches=stats.breaches,
        waiting=stats.running,
        sla_hours=float(stats.sla_hours),
        median_calendar_seconds=_seconds(stats.median_calendar_hours),
        p90_calendar_seconds=_seconds(stats.p90_calendar_hours),
    )


def _seconds(hours: float | None) -> float | None:
    return None if hours is None else hours * 3600


# --------------------------------------------------------------------------- vendor health


@dataclass
class VendorHealth:
    """What `status`, Home and the digest show about one vendor at `now`.

    `response`, `access_active` and `settings_line` are internal-only; they are None in a
    health built for an external viewer, so nothing downstream can show them by mistake.
    """

    vendor: Vendor
    now: datetime
    next_deadline: Deadline | None
    overdue: int
    open_deadlines: int
    due_soon: int
    last_answer: CheckIn | None
    open_checkin: CheckIn | None
    recaps_waiting_internal: int
    recaps_waiting_vendor: int
    recaps_unconfirmed: int
    pending_changes: int
    internal: bool = True
    response: ResponseFigures | None = None
    access_active: int | None = None
    settings_line: str | None = None  # SLA, quiet hours, pause, noise budget

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.vendor.tz)


def zone_named(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The zone of that IANA name; `default` when it is empty or unknown."""
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


_zone = zone_named


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def vendor_health(
    session: Session, *, vendor: Vendor, now: datetime, internal: bool = True
) -> VendorHealth:
    open_deadline = (Deadline.vendor_id == vendor.id, Deadline.state == "open")
    next_deadline = session.scalar(
        select(Deadline)
        .where(*open_deadline, Deadline.due_at >= now)
        .order_by(Deadline.due_at, Deadline.number)
        .limit(1)
    )
    overdue = _count(
        session, select(func.count(Deadline.id)).where(*open_deadline, Deadline.due_at < now)
    )
    open_deadlines = _count(session, select(func.count(Deadline.id)).where(*open_deadline))
    due_soon = _count(
        session,
        select(func.count(Deadline.id)).where(
            *open_deadline, Deadline.due_at >= now, Deadline.due_at < now + HOME_WINDOW
        ),
    )
    last_answer = session.scalar(
        select(CheckIn)
        .where(CheckIn.vendor_id == vendor.id, CheckIn.answered_at.is_not(None))
        .order_by(CheckIn.answered_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    open_checkin = session.scalar(
        select(CheckIn)
        .where(
            CheckIn.vendor_id == vendor.id,
            CheckIn.state == "open",
            CheckIn.message_ts.is_not(None),
        )
        .order_by(CheckIn.scheduled_for.desc())
        .limit(1)
    )
    recap = Recap.vendor_id == vendor.id
    waiting_internal = _count(
        session,
        select(func.count(Recap.id)).where(recap, Recap.internal_confirmed_at.is_(None)),
    )
    waiting_vendor = _count(
        session, select(func.count(Recap.id)).where(recap, Recap.vendor_confirmed_at.is_(None))
    )
    unconfirmed = _count(
        session,
        select(func.count(Recap.id)).where(
            recap,
            or_(Recap.internal_confirmed_at.is_(None), Recap.vendor_confirmed_at.is_(None)),
        ),
    )
    pending_changes = _count(
        session,
        select(func.count(ChangeRequest.id)).where(
            ChangeRequest.vendor_id == vendor.id, ChangeRequest.state == "pending"
        ),
    )
    health = VendorHealth(
        vendor=vendor,
        now=now,
        next_deadline=next_deadline,
        overdue=overdue,
        open_deadlines=open_deadlines,
        due_soon=due_soon,
        last_answer=last_answer,
        open_checkin=open_checkin,
        recaps_waiting_internal=waiting_internal,
        recaps_waiting_vendor=waiting_vendor,
        recaps_unconfirmed=unconfirmed,
        pending_changes=pending_changes,
        internal=internal,
    )
    if internal:
        from bot.services.responsiveness import describe_settings

        health.response = response_figures(session, vendor=vendor, since=now - RESPONSE_WINDOW)
        health.settings_line = describe_settings(vendor, now)
        health.access_active = _count(
            session,
            select(func.count(AccessItem.id)).where(
                AccessItem.vendor_id == vendor.id, AccessItem.revoked_at.is_(None)
            ),
        )
    return health


def status_for(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, now: datetime
) -> VendorHealth:
    """`/outsource status`: the health of this channel's vendor, for its internal side only."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_side(runtime, vendor, actor, INTERNAL, "see the status")
    return vendor_health(session, vendor=vendor, now=now)


def status_for_vendor_id(
    session: Session, *, runtime: Runtime, actor: Actor, vendor_id: int, now: datetime
) -> VendorHealth:
    """The same, from a button on the App Home (the vendor travels in the button value)."""
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or vendor.team_id != actor.team_id or vendor.archived_at is not None:
        raise NotFound("That vendor is no longer active.")
    require_side(runtime, vendor, actor, INTERNAL, "see the status")
    return vendor_health(session, vendor=vendor, now=now)


# --------------------------------------------------------------------------- viewers


@dataclass(frozen=True)
class Viewer:
    user_id: str
    team_id: str  # the installing workspace
    user_team_id: str | None
    internal: bool
    tz: ZoneInfo


def resolve_viewer(runtime: Runtime, *, team_id: str, user_id: str) -> Viewer:
    """Who is looking, from users.info: app_home_opened events do not say the user's team.

    Internal means a full member of the installing team (a guest of ours is the vendor side,
    as in `side_of`). When Slack cannot tell us, the viewer is treated as external: they then see
    at most the vendor-side items of vendors they are a registered vendor contact for.
    """
    default_tz = runtime.settings.default_tz
    try:
        user = runtime.directory.user(team_id, user_id)
    except LookupDeferred:
        raise  # read after the transaction; the unit runs again
    except (SlackApiError, LookupError):
        log.warning("could not look up %s for the App Home", user_id, exc_info=True)
        user = None
    if user is None:
        return Viewer(user_id, team_id, None, False, _zone(default_tz))
    internal = (user.team_id in (None, team_id)) and not user.is_guest
    return Viewer(user_id, team_id, user.team_id, internal, _zone(user.tz, default_tz))


def vendors_for_viewer(session: Session, viewer: Viewer) -> list[Vendor]:
    """The active vendors the viewer is a contact for (internal viewer: internal contact;
    external viewer: vendor-side contact, or a member of a team the vendor channel is shared
    with)."""
    vendors = session.scalars(
        select(Vendor)
        .where(Vendor.team_id == viewer.team_id, Vendor.archived_at.is_(None))
        .order_by(Vendor.name, Vendor.id)
    ).all()
    side = INTERNAL if viewer.internal else VENDOR
    mine: list[Vendor] = []
    for vendor in vendors:
        if any(c.user_id == viewer.user_id for c in active_contacts(vendor, side)) or (
            not viewer.internal
            and vendor.is_ext_shared
            and viewer.user_team_id
            and viewer.user_team_id in (vendor.external_team_ids or [])
        ):
            mine.append(vendor)
    return mine


# --------------------------------------------------------------------------- App Home data


@dataclass
class HomeData:
    viewer: Viewer
    now: datetime
    vendors: list[VendorHealth] = field(default_factory=list)
    # Open deadlines overdue or due within 14 days, soonest first (capped; `more_*` counts rest).
    upcoming: list[tuple[Vendor, Deadline]] = field(default_factory=list)
    more_upcoming: int = 0
    # Recaps the viewer's side has not confirmed yet.
    recaps_waiting: list[tuple[Vendor, Recap]] = field(default_factory=list)
    more_recaps: int = 0


def home_data(session: Session, *, runtime: Runtime, viewer: Viewer, now: datetime) -> HomeData:
    vendors = vendors_for_viewer(session, viewer)
    data = HomeData(viewer=viewer, now=now)
    if not vendors:
        return data
    data.vendors = [
        vendor_health(session, vendor=v, now=now, internal=viewer.internal) for v in vendors
    ]
    by_id = {v.id: v for v in vendors}
    ids = list(by_id)
    upcoming = (
        Deadline.vendor_id.in_(ids),
        Deadline.state == "open",
        Deadline.due_at < now + HOME_WINDOW,
    )
    rows = session.scalars(
        select(Deadline)
        .where(*upcoming)
        .order_by(Deadline.due_at, Deadline.id)
        .limit(HOME_LIST_LIMIT)
    ).all()
    data.upcoming = [(by_id[d.vendor_id], d) for d in rows]
    total = _count(session, select(func.count(Deadline.id)).where(*upcoming))
    data.more_upcoming = max(0, total - len(rows))
    unconfirmed = (
        Recap.internal_confirmed_at.is_(None)
        if viewer.internal
        else Recap.vendor_confirmed_at.is_(None)
    )
    recaps = session.scalars(
        select(Recap)
        .where(Recap.vendor_id.in_(ids), unconfirmed)
        .order_by(Recap.call_at.desc(), Recap.id.desc())
        .limit(HOME_LIST_LIMIT)
    ).all()
    data.recaps_waiting = [(by_id[r.vendor_id], r) for r in recaps]
    total = _count(
        session, select(func.count(Recap.id)).where(Recap.vendor_id.in_(ids), unconfirmed)
    )
    data.more_recaps = max(0, total - len(recaps))
    return data


# --------------------------------------------------------------------------- publishing


HOME_FOOTER = "home_footer"  # the block saying when the view was built: not compared


def _view_hash(blocks: list[dict[str, Any]]) -> str:
    content = [b for b in blocks if b.get("block_id") != HOME_FOOTER]
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _home_row(session: Session, team_id: str, user_id: str) -> HomePublish:
    insert_ignore(
        session,
        HomePublish,
        {
            "team_id": team_id,
            "user_id": user_id,
            "audit_watermark": 0,
            "pending": False,
        },
        ["team_id", "user_id"],
    )
    row = session.scalar(
        select(HomePublish).where(HomePublish.team_id == team_id, HomePublish.user_id == user_id)
    )
    assert row is not None
    return row


def _audit_high(session: Session, team_id: str) -> int:
    return _count(session, select(func.max(AuditEntry.id)).where(AuditEntry.team_id == team_id))


def home_view(
    session: Session, *, runtime: Runtime, team_id: str, user_id: str, now: datetime
) -> dict[str, Any]:
    """The user's Home view as of `now` (rendered by `bot.posts.overview`)."""
    message = posts.render(
        {"kind": "overview.home", "user": user_id},
        posts.RenderContext(
            session=session, runtime=runtime, now=now, channel_id=user_id, team_id=team_id
        ),
    )
    return {"type": "home", "blocks": message.blocks if message is not None else []}


def publish_home(
    session: Session,
    *,
    runtime: Runtime,
    team_id: str,
    user_id: str,
    now: datetime,
    force: bool = False,
) -> str:
    """Build this user's Home and have it published after the commit. Returns "published"
    (views.publish follows the commit), "unchanged" (same view as the last one: not sent
    again), or "deferred" (published less than a minute ago: the sweep sends it once the
    minute is over)."""
    row = _home_row(session, team_id, user_id)
    watermark = _audit_high(session, team_id)
    view = home_view(session, runtime=runtime, team_id=team_id, user_id=user_id, now=now)
    digest = _view_hash(view["blocks"])
    row.checked_at = now
    if digest == row.view_hash and not force:
        row.audit_watermark = watermark
        row.pending = False
        return "unchanged"
    # Claim the minute atomically, so two requests at once still make one publish.
    claimed = session.execute(
        update(HomePublish)
        .where(
            HomePublish.id == row.id,
            or_(
                HomePublish.published_at.is_(None),
                HomePublish.published_at <= now - PUBLISH_INTERVAL,
            ),
        )
        .values(published_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        row.pending = True
        return "deferred"
    # Recorded as published now; a publish that fails after the commit undoes it.
    row.published_at = now
    row.view_hash = digest
    row.audit_watermark = watermark
    row.pending = False
    after_commit(
        session,
        partial(
            _publish,
            runtime,
            row_id=row.id,
            team_id=team_id,
            user_id=user_id,
            view=view,
            digest=digest,
        ),
    )
    return "published"


def _publish(
    runtime: Runtime,
    *,
    row_id: int,
    team_id: str,
    user_id: str,
    view: dict[str, Any],
    digest: str,
) -> None:
    """After the commit: views.publish. Refused → the row is pending again (the sweep
    retries once the minute is over)."""
    client = runtime.client(team_id)
    error: str | None = "no installation for this workspace"
    if client is not None:
        try:
            client.views_publish(user_id=user_id, view=view)
            return
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
        except (SlackClientError, URLError, OSError) as exc:
            error = type(exc).__name__
    log.warning("views.publish for %s failed: %s", user_id, error)
    run_unit(runtime, partial(_publish_failed, row_id=row_id, digest=digest))


def _publish_failed(session: Session, *, row_id: int, digest: str) -> None:
    session.execute(
        update(HomePublish)
        .where(HomePublish.id == row_id, HomePublish.view_hash == digest)
        .values(view_hash=None, pending=True)
        .execution_options(synchronize_session=False)
    )


def refresh_homes(session: Session, ctx: SweepContext) -> int:
    """Sweep step: republish Homes that may have changed, at most once a minute per user."""
    now = ctx.now
    newest_audit = (
        select(func.max(AuditEntry.id))
        .where(AuditEntry.team_id == HomePublish.team_id)
        .correlate(HomePublish)
        .scalar_subquery()
    )
    rows = session.scalars(
        select(HomePublish)
        .where(
            or_(
                HomePublish.published_at.is_(None),
                HomePublish.published_at <= now - PUBLISH_INTERVAL,
            ),
            or_(
                HomePublish.pending.is_(True),
                HomePublish.published_at.is_(None),
                HomePublish.checked_at.is_(None),
                HomePublish.checked_at <= now - HOME_STALE_AFTER,
                HomePublish.audit_watermark < func.coalesce(newest_audit, 0),
            ),
        )
        .order_by(HomePublish.id)
        .limit(500)
    ).all()
    published = 0
    deferred: LookupDeferred | None = None
    for row in rows:
        try:
            outcome = publish_home(
                session, runtime=ctx.runtime, team_id=row.team_id, user_id=row.user_id, now=now
            )
        except LookupDeferred as exc:
            # Note every user still to look up, then let the unit make the reads and run again.
            deferred = exc
            continue
        published += outcome == "published"
    if deferred is not None:
        raise deferred
    return published
