"""How responsive the vendor is: response-time clocks, silence, and the channel's settings for
the SLA, quiet hours and pause.

Response-time clock: an internal-side message in the vendor channel that mentions a vendor
contact or asks a question starts a clock; the first vendor-side message in the channel (or in
that thread) stops it. Only business hours count (Mon–Fri 09:00–17:00 in the vendor's zone,
public holidays of the vendor's country excluded). Every measurement is stored; a clock still
running when its SLA runs out DMs the internal primary once.

Silence: no vendor-side message for 5 business days while deadlines are open → one DM to the
internal primary per silence spell.

The vendor is heard through messages, and also through their clicks on the bot's buttons and
their check-in form answers (`vendor_heard`): those stop running clocks too and end a silence.
The DMs are outbox rows rendered when delivered (`bot.posts.checkins`): one whose clock was
stopped, or whose silence ended, in the meantime is dropped.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery.outbox import PRIORITY_NUDGE, enqueue
from bot.delivery.sweep import SweepContext
from bot.errors import UserError
from bot.services.messages import ChannelMessage
from bot.services.noise import allowed_from
from bot.services.vendors.lookup import (
    active_contacts,
    internal_primary,
    require_vendor,
    side_of,
    vendor_for_channel,
)
from bot.time.calendar import BusinessCalendar, local_day_bounds
from bot.time.timeparse import format_local, parse_duration, parse_quiet_hours
from storage.models import (
    INTERNAL,
    VENDOR,
    CheckIn,
    Deadline,
    OutboxMessage,
    ResponseClock,
    Vendor,
)

log = logging.getLogger(__name__)

SYSTEM = "system"
SILENCE_BUSINESS_DAYS = 5
LAST_MESSAGE_PRECISION = timedelta(minutes=1)  # how often a chatty vendor row is rewritten
SLA_USAGE = "/outsource sla <hours>"
QUIET_USAGE = "/outsource quiet <HH:MM>-<HH:MM>  (or: quiet off)"
PAUSE_USAGE = "/outsource pause <duration>  (e.g. 3d, 12h)"
MAX_SLA_HOURS = 200.0

_MENTION = re.compile(r"<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>")
_CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`]*`")
_ANGLE = re.compile(r"<[^>]*>")  # links, mentions, channels: a `?` inside is no question
_QUOTE_LINE = re.compile(r"^&gt;.*$|^>.*$", re.MULTILINE)
_BARE_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)


# --------------------------------------------------------------------------- calendars


def vendor_tz(vendor: Vendor) -> ZoneInfo:
    return ZoneInfo(vendor.tz or "UTC")


def business_calendar(vendor: Vendor) -> BusinessCalendar:
    """Mon–Fri 09:00–17:00 in the vendor's zone, without the public holidays of its country."""
    try:
        return BusinessCalendar(vendor_tz(vendor), vendor.country)
    except (NotImplementedError, KeyError):  # a country the holidays package doesn't know
        log.warning("no holidays for country %r of vendor %s", vendor.country, vendor.id)
        return BusinessCalendar(vendor_tz(vendor), None)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SettingResult:
    vendor: Vendor
    changed: bool
    released: int = 0


def _held_instants(vendor: Vendor, now: datetime) -> set[datetime]:
    """The instants the noise policy may have held this channel's posts until, under the
    vendor's current settings (pause end, quiet hours end, next day's window)."""
    tz = vendor_tz(vendor)
    _, day_end = local_day_bounds(now, tz)
    instants = {allowed_from(vendor, now), allowed_from(vendor, day_end)}
    if vendor.paused_until is not None:
        instants.add(vendor.paused_until)
    return {i for i in instants if i > now}


def release_held(session: Session, vendor: Vendor, instants: set[datetime], now: datetime) -> int:
    """Make posts held until one of `instants` due now; the policy decides again at delivery.

    Only rows whose `not_before` is exactly such an instant are touched, so a post scheduled
    for a later time of its own (a reminder step) keeps its time.
    """
    if not instants:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.team_id == vendor.team_id,
            OutboxMessage.channel_id == vendor.channel_id,
            OutboxMessage.state == "pending",
            OutboxMessage.budgeted.is_(True),
            OutboxMessage.not_before.in_(sorted(instants)),
        )
        .values(not_before=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_sla(
    session: Session, *, actor: Actor, channel_id: str, hours: float, now: datetime
) -> SettingResult:
    """The vendor's expected reply time in business hours (default 8)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    if not (0 < hours <= MAX_SLA_HOURS) or math.isnan(hours):
        raise UserError(
            f"The SLA must be between 0 and {MAX_SLA_HOURS:g} business hours.", usage=SLA_USAGE
        )
    old = vendor.sla_hours
    if old == hours:
        return SettingResult(vendor, changed=False)
    vendor.sla_hours = hours
    cal = business_calendar(vendor)
    for clock in session.scalars(
        select(ResponseClock).where(
            ResponseClock.vendor_id == vendor.id,
            ResponseClock.stopped_at.is_(None),
            ResponseClock.breach_notified_at.is_(None),
        )
    ):
        clock.sla_hours = hours
        clock.breach_at = cal.add_business_hours(clock.started_at, hours)
    # Unanswered check-ins follow the new SLA too: the reminder from the post's send time, the
    # escalation (recomputed by the next sweep) from the reminder's.
    for checkin in session.scalars(
        select(CheckIn).where(
            CheckIn.vendor_id == vendor.id,
            CheckIn.state == "open",
            CheckIn.escalated_at.is_(None),
        )
    ):
        if checkin.reminded_at is None and checkin.posted_at is not None:
            checkin.reminder_at = cal.add_business_hours(checkin.posted_at, hours)
        elif checkin.reminded_at is not None:
            checkin.escalate_at = None
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="vendor.sla_set",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"from": old, "to": hours},
    )
    return SettingResult(vendor, changed=True)


def set_quiet_hours(
    session: Session, *, actor: Actor, channel_id: str, spec: str | None, now: datetime
) -> SettingResult:
    """`19:00-08:00` (vendor's local time, may wrap midnight) or None to switch them off."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    if spec is None:
        start = end = None
    else:
        try:
            parsed = parse_quiet_hours(spec)
        except UserError as exc:
            raise UserError(exc.message, usage=QUIET_USAGE) from None
        start, end = (f"{t:%H:%M}" for t in parsed)
    if (vendor.quiet_start, vendor.quiet_end) == (start, end):
        return SettingResult(vendor, changed=False)
    held = _held_instants(vendor, now)
    old = (
        f"{vendor.quiet_start}-{vendor.quiet_end}"
        if vendor.quiet_start and vendor.quiet_end
        else None
    )
    vendor.quiet_start, vendor.quiet_end = start, end
    released = release_held(session, vendor, held, now)
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="vendor.quiet_set" if start else "vendor.quiet_off",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"from": old, "to": f"{start}-{end}" if start else None, "released": released},
    )
    return SettingResult(vendor, changed=True, released=released)


def pause(
    session: Session, *, actor: Actor, channel_id: str, duration: str, now: datetime
) -> SettingResult:
    """Hold every automatic post to the vendor channel for `duration` (at most 90 days)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    try:
        length = parse_duration(duration)
    except UserError as exc:
        raise UserError(exc.message, usage=PAUSE_USAGE) from None
    held = _held_instants(vendor, now)
    old = vendor.paused_until
    vendor.paused_until = now + length
    # Posts held until the old pause end are looked at again under the new one.
    released = release_held(session, vendor, held, now)
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="vendor.pause",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "until": vendor.paused_until.isoformat(),
            "previous_until": old.isoformat() if old and old > now else None,
        },
    )
    return SettingResult(vendor, changed=True, released=released)


def resume(session: Session, *, actor: Actor, channel_id: str, now: datetime) -> SettingResult:
    """End a pause: every post it held goes out at the next delivery, once."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    if vendor.paused_until is None or vendor.paused_until <= now:
        return SettingResult(vendor, changed=False)
    held = _held_instants(vendor, now)
    old = vendor.paused_until
    vendor.paused_until = None
    released = release_held(session, vendor, held, now)
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="vendor.resume",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"was_paused_until": old.isoformat(), "released": released},
    )
    return SettingResult(vendor, changed=True, released=released)


# --------------------------------------------------------------------------- the message observer


def asks_question(text: str) -> bool:
    """A `?` in the words of the message (not in links, mentions, code or quotes)."""
    stripped = _CODE_BLOCK.sub(" ", text)
    stripped = _INLINE_CODE.sub(" ", stripped)
    stripped = _QUOTE_LINE.sub(" ", stripped)
    stripped = _ANGLE.sub(" ", stripped)
    stripped = _BARE_URL.sub(" ", stripped)
    return "?" in stripped


def mentions_vendor_side(runtime: Runtime, vendor: Vendor, text: str) -> bool:
    mentioned = set(_MENTION.findall(text))
    if not mentioned:
        return False
    if mentioned & {c.user_id for c in active_contacts(vendor, VENDOR)}:
        return True
    if not vendor.external_team_ids:
        return False
    for user_id in mentioned:
        try:
            user = runtime.directory.user(vendor.team_id, user_id)
        except Exception:  # a lookup failure must not lose the message event
            log.warning("could not look up mentioned user %s", user_id, exc_info=True)
            continue
        if user is not None and user.team_id in vendor.external_team_ids:
            return True
    return False


def _thread_of(msg: ChannelMessage) -> str | None:
    """The thread a reply is in; None for a top-level message (or a thread's parent)."""
    thread_ts = msg.thread_ts
    if thread_ts and thread_ts != msg.ts:
        return thread_ts
    return None


def observe_message(session: Session, runtime: Runtime, msg: ChannelMessage) -> None:
    if msg.is_bot or msg.actor is None:
        return
    vendor = msg.vendor
    side = side_of(runtime, vendor, msg.actor)
    now = runtime.clock.now()
    if side == VENDOR:
        _note_heard(vendor, now)
        stop_clocks(session, vendor=vendor, msg=msg, now=now)
    elif side == INTERNAL and (
        asks_question(msg.text) or mentions_vendor_side(runtime, vendor, msg.text)
    ):
        start_clock(session, vendor=vendor, msg=msg, now=now)


def _note_heard(vendor: Vendor, now: datetime) -> None:
    last = vendor.last_vendor_message_at
    # Silence is measured in business days: a busy channel need not rewrite the vendor row on
    # every message.
    if last is None or now - last >= LAST_MESSAGE_PRECISION or now < last:
        vendor.last_vendor_message_at = now


def vendor_heard(
    session: Session, vendor: Vendor, *, user_id: str, now: datetime, via: str
) -> list[ResponseClock]:
    """The vendor side answered without a message — a click on one of the bot's buttons, a
    check-in form (`via`): like a top-level message, it ends a silence and stops the running
    clocks (the vendor is there and answering; nobody is told they went quiet)."""
    _note_heard(vendor, now)
    clocks = list(
        session.scalars(_RUNNING_CLOCKS, {"clock_vendor_id": vendor.id, "clock_now": now})
    )
    _stop(session, vendor, clocks, user_id=user_id, stop_ts=None, now=now, via=via)
    return clocks


def observe_click(
    session: Session,
    runtime: Runtime,
    *,
    team_id: str,
    channel_id: str,
    actor: Actor,
    now: datetime,
) -> bool:
    """A click in a vendor channel by someone on the vendor side is the vendor being heard.
    True when it was."""
    vendor = vendor_for_channel(session, team_id=team_id, channel_id=channel_id)
    if vendor is None or side_of(runtime, vendor, actor) != VENDOR:
        return False
    vendor_heard(session, vendor, user_id=actor.user_id, now=now, via="click")
    return True


def start_clock(
    session: Session, *, vendor: Vendor, msg: ChannelMessage, now: datetime
) -> ResponseClock | None:
    thread_ts = _thread_of(msg)
    if msg.may_have_running_clocks:
        running = session.scalar(
            select(ResponseClock.id).where(
                ResponseClock.vendor_id == vendor.id,
                ResponseClock.stopped_at.is_(None),
                ResponseClock.thread_ts.is_(None)
                if thread_ts is None
                else ResponseClock.thread_ts == thread_ts,
            )
        )
        if running is not None:
            return None  # the vendor owes an answer here already: one clock, one measurement
    assert msg.actor is not None
    clock = ResponseClock(
        vendor_id=vendor.id,
        channel_id=vendor.channel_id,
        message_ts=msg.ts,
        thread_ts=thread_ts,
        started_by=msg.actor.user_id,
        started_at=now,
        sla_hours=vendor.sla_hours,
        breach_at=business_calendar(vendor).add_business_hours(now, vendor.sla_hours),
    )
    session.add(clock)
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=msg.actor.user_id,
        action="response_clock.start",
        subject=f"response_clock:{clock.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"message_ts": msg.ts, "thread_ts": thread_ts},
    )
    return clock


# Built once: every vendor-side message runs one of these, and constructing a statement costs
# more CPU than running it.
_RUNNING_CLOCKS = (
    select(ResponseClock)
    .where(
        ResponseClock.vendor_id == bindparam("clock_vendor_id"),
        ResponseClock.stopped_at.is_(None),
        ResponseClock.started_at <= bindparam("clock_now"),
    )
    .order_by(ResponseClock.id)
)
_RUNNING_CLOCKS_OF_THREAD = _RUNNING_CLOCKS.where(
    or_(
        ResponseClock.message_ts == bindparam("clock_thread_ts"),
        ResponseClock.thread_ts == bindparam("clock_thread_ts"),
    )
)


def stop_clocks(
    session: Session, *, vendor: Vendor, msg: ChannelMessage, now: datetime
) -> list[ResponseClock]:
    """A vendor-side message stops the running clocks it answers: a top-level message every
    running clock of the vendor, a thread reply the clocks of that thread."""
    if not msg.may_have_running_clocks:
        return []  # the vendor lookup saw none running
    thread_ts = _thread_of(msg)
    if thread_ts is None:
        query = _RUNNING_CLOCKS
        params: dict[str, object] = {"clock_vendor_id": vendor.id, "clock_now": now}
    else:
        query = _RUNNING_CLOCKS_OF_THREAD
        params = {"clock_vendor_id": vendor.id, "clock_now": now, "clock_thread_ts": thread_ts}
    clocks = list(session.scalars(query, params))
    assert msg.actor is not None
    _stop(session, vendor, clocks, user_id=msg.actor.user_id, stop_ts=msg.ts, now=now)
    return clocks


def _stop(
    session: Session,
    vendor: Vendor,
    clocks: list[ResponseClock],
    *,
    user_id: str,
    stop_ts: str | None,
    now: datetime,
    via: str | None = None,
) -> None:
    if not clocks:
        return
    cal = business_calendar(vendor)
    for clock in clocks:
        clock.stopped_at = now
        clock.stopped_by = user_id
        clock.stop_ts = stop_ts
        clock.business_seconds = cal.business_seconds_between(clock.started_at, now)
        detail: dict[str, object] = {"business_hours": round(clock.business_seconds / 3600, 3)}
        if via is not None:
            detail["via"] = via
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=user_id,
            action="response_clock.stop",
            subject=f"response_clock:{clock.id}",
            at=now,
            vendor_id=vendor.id,
            detail=detail,
        )


message_observers = [observe_message]


# --------------------------------------------------------------------------- sweep steps


BREACH = "responsiveness.breach"  # render kinds (bot/posts/checkins.py)
SILENCE = "responsiveness.silence"


def enqueue_dm(
    session: Session,
    *,
    vendor: Vendor,
    user_id: str,
    key: str,
    render: dict[str, object],
    now: datetime,
    priority: int = PRIORITY_NUDGE,
) -> bool:
    """A DM about the vendor to one internal person (rendered when delivered). It is not
    counted against the vendor channel's noise budget: it is not posted there."""
    return enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=key,
        channel_id=user_id,
        kind="dm",
        now=now,
        render=render,
        vendor_id=vendor.id,
        priority=priority,
        budgeted=False,
    )


def step_breaches(session: Session, ctx: SweepContext) -> int:
    """Running clocks past their SLA: one DM to the internal primary per clock."""
    now = ctx.now
    made = 0
    clocks = session.scalars(
        select(ResponseClock)
        .where(
            ResponseClock.stopped_at.is_(None),
            ResponseClock.breach_notified_at.is_(None),
            ResponseClock.breach_at <= now,
        )
        .order_by(ResponseClock.id)
    ).all()
    for clock in clocks:
        vendor = session.get(Vendor, clock.vendor_id)
        if vendor is None or not vendor.active:
            continue
        clock.breach_notified_at = now
        owner = internal_primary(vendor)
        sent = False
        if owner is not None:
            sent = enqueue_dm(
                session,
                vendor=vendor,
                user_id=owner.user_id,
                key=f"response:{clock.id}:breach",
                render={"kind": BREACH, "clock": clock.id},
                now=now,
            )
            made += int(sent)
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=SYSTEM,
            action="response_clock.breach",
            subject=f"response_clock:{clock.id}",
            at=now,
            vendor_id=vendor.id,
            detail={"notified": owner.user_id if owner else None},
        )
    return made


def open_deadline_count(session: Session, vendor_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Deadline)
            .where(Deadline.vendor_id == vendor_id, Deadline.state == "open")
        )
        or 0
    )


def silence_started(vendor: Vendor) -> datetime:
    """When the current silence spell began: the last vendor-side message, else registration."""
    return vendor.last_vendor_message_at or vendor.created_at


def step_silence(session: Session, ctx: SweepContext) -> int:
    """Vendors silent for 5 business days while deadlines are open: one DM per spell."""
    now = ctx.now
    made = 0
    open_counts = dict(
        session.execute(
            select(Deadline.vendor_id, func.count())
            .where(Deadline.state == "open")
            .group_by(Deadline.vendor_id)
        ).all()
    )
    if not open_counts:
        return 0
    vendors = session.scalars(
        select(Vendor).where(Vendor.id.in_(list(open_counts)), Vendor.archived_at.is_(None))
    ).all()
    for vendor in vendors:
        if vendor.paused_until is not None and vendor.paused_until > now:
            continue  # a paused relationship is quiet on purpose
        since = silence_started(vendor)
        if vendor.silence_notified_at is not None and vendor.silence_notified_at >= since:
            continue  # this spell was reported already
        if business_calendar(vendor).add_business_days(since, SILENCE_BUSINESS_DAYS) > now:
            continue
        vendor.silence_notified_at = now
        owner = internal_primary(vendor)
        if owner is not None:
            made += int(
                enqueue_dm(
                    session,
                    vendor=vendor,
                    user_id=owner.user_id,
                    key=f"silence:{vendor.id}:{since.isoformat()}",
                    render={"kind": SILENCE, "vendor": vendor.id, "since": since.isoformat()},
                    now=now,
                )
            )
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=SYSTEM,
            action="vendor.silence",
            subject=f"vendor:{vendor.id}",
            at=now,
            vendor_id=vendor.id,
            detail={"since": since.isoformat(), "notified": owner.user_id if owner else None},
        )
    return made


sweep_steps = [("response-breaches", step_breaches), ("silence", step_silence)]


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class ResponseStats:
    """Measured vendor reply times in business hours. Unpacks as (median, p90, count).

    The calendar figures are the same replies timed by the wall clock (weekends, nights and
    holidays included): a question asked on Friday evening and answered on Monday at 09:01
    is one business minute and 2 days 15 h on the calendar. Each median and p90 is taken over
    its own measure.
    """

    median_hours: float | None
    p90_hours: float | None
    count: int
    breaches: int  # measured replies slower than the SLA in force when the clock started
    running: int  # clocks still waiting for a vendor reply
    sla_hours: float
    median_calendar_hours: float | None = None
    p90_calendar_hours: float | None = None

    def __iter__(self) -> Iterator[float | int | None]:
        yield self.median_hours
        yield self.p90_hours
        yield self.count


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def response_stats(
    session: Session, vendor: Vendor, *, since: datetime | None = None
) -> ResponseStats:
    """Median and p90 of the vendor's measured reply times (business hours), their count, how
    many were slower than the SLA, and how many clocks are still running.

    `since` limits the figures to clocks started at or after that instant.
    """
    query = select(ResponseClock).where(ResponseClock.vendor_id == vendor.id)
    if since is not None:
        query = query.where(ResponseClock.started_at >= since)
    clocks = list(session.scalars(query))
    done = [c for c in clocks if c.stopped_at is not None and c.business_seconds is not None]
    hours = sorted((c.business_seconds or 0.0) / 3600 for c in done)
    calendar = sorted(
        max(0.0, (c.stopped_at - c.started_at).total_seconds()) / 3600
        for c in done
        if c.stopped_at is not None
    )
    breaches = sum(
        1 for c in done if (c.business_seconds or 0.0) > (c.sla_hours or vendor.sla_hours) * 3600
    )
    return ResponseStats(
        median_hours=statistics.median(hours) if hours else None,
        p90_hours=_percentile(hours, 0.9) if hours else None,
        count=len(hours),
        breaches=breaches,
        running=len(clocks) - len(done),
        sla_hours=vendor.sla_hours,
        median_calendar_hours=statistics.median(calendar) if calendar else None,
        p90_calendar_hours=_percentile(calendar, 0.9) if calendar else None,
    )


def format_hours(hours: float) -> str:
    return f"{hours:g}"


def describe_settings(vendor: Vendor, now: datetime) -> str:
    """One line for status views: SLA, quiet hours, pause, budget (internal-only)."""
    sla = format_hours(vendor.sla_hours)
    parts = [f"SLA {sla} business hour{'' if vendor.sla_hours == 1 else 's'}"]
    if vendor.quiet_start and vendor.quiet_end:
        parts.append(f"quiet {vendor.quiet_start}–{vendor.quiet_end}")
    if vendor.paused_until is not None and vendor.paused_until > now:
        parts.append(f"paused until {format_local(vendor.paused_until, vendor_tz(vendor))}")
    budget = vendor.daily_post_budget
    parts.append(f"at most {budget} post{'' if budget == 1 else 's'} a day")
    return " · ".join(parts)
