"""Scheduled check-ins: the cadence, the post, the vendor's answer, and the SLA follow-up.

A cadence (`every mon,thu 10:00 Europe/Berlin`) fires at the local wall-clock time through
`bot.time.calendar.Cadence` (APScheduler's CronTrigger; weekends and the vendor country's public
holidays skipped). The sweep writes one CheckIn row per occurrence and one outbox post with the
dedupe key `checkin:<vendor>:<occurrence>`; after downtime only the newest occurrence is posted.
`checkin now` writes the same, as a reply to the command (never held by quiet hours, a pause or
the budget).

Nothing here calls Slack: every post is an outbox row naming what to say (rendered when it is
delivered, `bot.posts.checkins`), written in the transaction of the change it reports. The
check-in's message ts is recorded when its post is sent (`record_posted`): thread replies are
matched against it.

The vendor answers with the **Update** form or by replying in the post's thread; the summary of
an answer goes to the thread, once per answer. No answer within the vendor's SLA (business
hours, counted from when the post really went out) → one reminder in the thread; still none
another SLA period after the reminder went out → one DM to the internal primary. Never more.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.delivery.outbox import (
    PRIORITY_CHECKIN,
    PRIORITY_DUE,
    PRIORITY_NUDGE,
    PRIORITY_OVERDUE,
    enqueue,
)
from bot.delivery.sweep import SweepContext
from bot.errors import NotFound, UserError
from bot.services.messages import ChannelMessage
from bot.services.responsiveness import SYSTEM, business_calendar, enqueue_dm, vendor_heard
from bot.services.vendors.lookup import (
    internal_primary,
    require_bot_in_channel,
    require_side,
    require_vendor,
    side_of,
)
from bot.text import escaping as texts
from bot.time.calendar import CHECKIN_USAGE, Cadence, parse_days
from bot.time.timeparse import format_local, parse_clock_time, resolve_zone
from storage.models import VENDOR, CheckIn, OutboxMessage, Vendor
from storage.models.checkins import CheckInAnswer
from storage.repositories import insert_ignore

log = logging.getLogger(__name__)

ANSWER_DOING = "send the check-in update"
MAX_THREAD_ANSWER = 4000

# Render kinds (bot/posts/checkins.py).
POST = "checkin.post"
REMINDER = "checkin.reminder"
ESCALATION = "checkin.escalation"
SUMMARY = "checkin.summary"
FLAG = "checkin.flag"

NOT_IN_CHANNEL = (
    "I can't post in this channel yet. Invite me with `/invite @outsource-bot` and try "
    "again; nothing was changed."
)

_BLOCKED = re.compile(r"(?<!not )(?<!n't )(?<!no longer )\bblocked\b", re.IGNORECASE)
_AT_RISK = re.compile(r"(?<!not )(?<!n't )(?<!no longer )\bat[- ]risk\b", re.IGNORECASE)


# --------------------------------------------------------------------------- cadence


def checkin_zone(vendor: Vendor) -> ZoneInfo:
    return ZoneInfo(vendor.checkin_tz or vendor.tz or "UTC")


def cadence_of(vendor: Vendor) -> Cadence | None:
    if not vendor.checkin_days or not vendor.checkin_time:
        return None
    at = time.fromisoformat(vendor.checkin_time)
    try:
        return Cadence(vendor.checkin_days, at, checkin_zone(vendor), vendor.country)
    except NotImplementedError:  # a country the holidays package doesn't know: weekends only
        return Cadence(vendor.checkin_days, at, checkin_zone(vendor), None)


def describe_cadence(vendor: Vendor) -> str | None:
    """`every mon,thu at 10:00 Europe/Berlin (no check-ins on weekends or DE holidays)`, or
    None when the vendor has no cadence. For status views."""
    if not vendor.checkin_days or not vendor.checkin_time:
        return None
    days = "working day" if vendor.checkin_days == "mon-fri" else vendor.checkin_days
    holidays = f" or {vendor.country} public holidays" if vendor.country else ""
    return (
        f"every {days} at {vendor.checkin_time} {checkin_zone(vendor).key} "
        f"(none on weekends{holidays})"
    )


@dataclass(frozen=True)
class CadenceResult:
    vendor: Vendor
    description: str
    next_at: datetime | None
    next_label: str | None


def set_cadence(
    session: Session,
    *,
    actor: Actor,
    channel_id: str,
    days: str,
    at: str,
    tz: str | None,
    now: datetime,
) -> CadenceResult:
    """`checkin every <days> <HH:MM> [<IANA zone>]`. Every bad part is named in one message."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    problems: list[str] = []
    days_expr = at_time = zone = None
    try:
        days_expr = parse_days(days)
    except UserError as exc:
        problems.append(exc.message)
    try:
        at_time = parse_clock_time(at)
    except UserError as exc:
        problems.append(exc.message)
    if tz:
        try:
            zone = resolve_zone(tz)
        except UserError as exc:
            problems.append(exc.message)
    if problems or days_expr is None or at_time is None:
        raise UserError(" ".join(problems), usage=CHECKIN_USAGE)
    old = describe_cadence(vendor)
    vendor.checkin_days = days_expr
    vendor.checkin_time = f"{at_time:%H:%M}"
    vendor.checkin_tz = zone.key if zone is not None and zone.key != vendor.tz else None
    vendor.checkin_since = now
    description = describe_cadence(vendor) or ""
    cadence = cadence_of(vendor)
    next_at = cadence.next_after(now) if cadence else None
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="checkin.cadence_set",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "from": old,
            "days": days_expr,
            "time": vendor.checkin_time,
            "tz": checkin_zone(vendor).key,
        },
    )
    return CadenceResult(
        vendor=vendor,
        description=description,
        next_at=next_at,
        next_label=format_local(next_at, checkin_zone(vendor)) if next_at else None,
    )


def cadence_off(session: Session, *, actor: Actor, channel_id: str, now: datetime) -> bool:
    """Stop scheduled check-ins; a scheduled post not delivered yet is dropped (recorded as
    skipped). False when there was no cadence."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    old = describe_cadence(vendor)
    if old is None:
        return False
    vendor.checkin_days = vendor.checkin_time = vendor.checkin_tz = None
    vendor.checkin_since = None
    skipped = _skip_unposted(session, vendor, before=None, now=now, actor=actor.user_id)
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="checkin.cadence_off",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"was": old, "skipped": skipped},
    )
    return True


# --------------------------------------------------------------------------- posting


def when_label(vendor: Vendor, checkin: CheckIn) -> str:
    return format_local(checkin.scheduled_for, checkin_zone(vendor))


def _insert_checkin(
    session: Session,
    vendor: Vendor,
    *,
    scheduled_for: datetime,
    kind: str,
    key: str | None,
    now: datetime,
) -> CheckIn | None:
    inserted = insert_ignore(
        session,
        CheckIn,
        {
            "vendor_id": vendor.id,
            "scheduled_for": scheduled_for,
            "kind": kind,
            "outbox_key": key,
            "created_at": now,
            "channel_id": vendor.channel_id,
            "state": "open",
        },
        ["vendor_id", "scheduled_for"],
    )
    if not inserted:
        return None
    return session.scalar(
        select(CheckIn).where(
            CheckIn.vendor_id == vendor.id, CheckIn.scheduled_for == scheduled_for
        )
    )


def checkin_key(vendor: Vendor, scheduled_for: datetime) -> str:
    return f"checkin:{vendor.id}:{scheduled_for.isoformat()}"


def _skip_unposted(
    session: Session, vendor: Vendor, *, before: datetime | None, now: datetime, actor: str
) -> int:
    """Scheduled check-ins still waiting in the outbox (held by a pause, quiet hours or the
    budget) are superseded by a newer one: recorded as skipped, never posted late in a burst.
    (A `checkin now` is a reply on its way out: it stays.)"""
    query = select(CheckIn).where(
        CheckIn.vendor_id == vendor.id,
        CheckIn.kind == "scheduled",
        CheckIn.state == "open",
        CheckIn.posted_at.is_(None),
        CheckIn.outbox_key.is_not(None),
    )
    if before is not None:
        query = query.where(CheckIn.scheduled_for < before)
    skipped = 0
    for checkin in session.scalars(query).all():
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.dedupe_key == checkin.outbox_key, OutboxMessage.state == "pending")
            .values(state="skipped", last_error="superseded by a newer check-in")
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            continue  # being sent right now, or sent: it stays
        checkin.state = "skipped"
        skipped += 1
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=actor,
            action="checkin.skipped",
            subject=f"checkin:{checkin.id}",
            at=now,
            vendor_id=vendor.id,
            detail={"scheduled_for": checkin.scheduled_for.isoformat()},
        )
    return skipped


def post_due_checkin(
    session: Session, vendor: Vendor, now: datetime, *, last_scheduled: datetime | None = None
) -> bool:
    """Enqueue the newest occurrence of the vendor's cadence at or before `now`, once.

    `last_scheduled` (the newest scheduled check-in already written) saves the insert attempt
    on the many sweeps in which nothing new is due."""
    cadence = cadence_of(vendor)
    if cadence is None:
        return False
    latest = cadence.latest_at_or_before(now)
    if latest is None or (vendor.checkin_since is not None and latest < vendor.checkin_since):
        return False
    if last_scheduled is not None and latest <= last_scheduled:
        return False
    key = checkin_key(vendor, latest)
    checkin = _insert_checkin(
        session, vendor, scheduled_for=latest, kind="scheduled", key=key, now=now
    )
    if checkin is None:
        return False  # this occurrence exists already
    _skip_unposted(session, vendor, before=latest, now=now, actor=SYSTEM)
    enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=key,
        channel_id=vendor.channel_id,
        kind="checkin",
        now=now,
        render={"kind": POST, "checkin": checkin.id},
        not_before=latest,
        vendor_id=vendor.id,
        priority=PRIORITY_CHECKIN,
        budgeted=True,
    )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=SYSTEM,
        action="checkin.due",
        subject=f"checkin:{checkin.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"scheduled_for": latest.isoformat()},
    )
    return True


def checkin_now(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, now: datetime
) -> CheckIn:
    """`checkin now`: the check-in post leaves right after the commit, as the answer to the
    command (not held by quiet hours, pause or the budget). One post, however the delivery
    goes (a 5xx that Slack had accepted is reconciled, a 429 waits in the outbox)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_bot_in_channel(runtime, vendor, message=NOT_IN_CHANNEL)
    key = checkin_key(vendor, now)
    checkin = _insert_checkin(session, vendor, scheduled_for=now, kind="manual", key=key, now=now)
    if checkin is None:
        raise UserError("A check-in was posted here just now.")
    outbox.reply(
        session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=key,
        now=now,
        kind="checkin",
        render={"kind": POST, "checkin": checkin.id},
        vendor_id=vendor.id,
    )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="checkin.now",
        subject=f"checkin:{checkin.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"key": key},
    )
    return checkin


def postable(session: Session, checkin_id: Any) -> tuple[CheckIn, Vendor] | None:
    """The check-in and its vendor while its post still makes sense (not skipped, the vendor
    not archived)."""
    checkin = _get_checkin(session, checkin_id)
    if checkin is None or checkin.state == "skipped":
        return None
    vendor = session.get(Vendor, checkin.vendor_id)
    if vendor is None or not vendor.active:
        return None
    return checkin, vendor


def _get_checkin(session: Session, checkin_id: Any) -> CheckIn | None:
    try:
        return session.get(CheckIn, int(checkin_id))
    except (TypeError, ValueError):
        return None


def record_posted(session: Session, checkin_id: Any, *, ts: str) -> None:
    """The check-in's post is in Slack (run in the transaction that marks its outbox row sent):
    remember its ts (thread replies are matched against it) and start the SLA from the send."""
    checkin = _get_checkin(session, checkin_id)
    if checkin is None:
        return
    if ts and checkin.message_ts is None:
        checkin.message_ts = ts
    if checkin.posted_at is None and checkin.outbox_key:
        sent_at = session.scalar(
            select(OutboxMessage.sent_at).where(OutboxMessage.dedupe_key == checkin.outbox_key)
        )
        vendor = session.get(Vendor, checkin.vendor_id)
        if sent_at is not None and vendor is not None:
            _start_sla(vendor, checkin, sent_at)


def _start_sla(vendor: Vendor, checkin: CheckIn, sent_at: datetime) -> None:
    checkin.posted_at = sent_at
    if checkin.state == "open":
        checkin.reminder_at = business_calendar(vendor).add_business_hours(
            sent_at, vendor.sla_hours
        )


# --------------------------------------------------------------------------- SLA follow-up


def _sent_row(session: Session, key: str | None) -> OutboxMessage | None:
    if not key:
        return None
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    if row is None or row.state != "sent" or row.sent_at is None:
        return None
    return row


def sync_posted(session: Session, vendor: Vendor, checkin: CheckIn) -> bool:
    """Copy the post's ts and send time from the outbox once it went out, where the sent hook
    did not (a row marked sent by an older build); start the SLA."""
    if checkin.posted_at is not None:
        return False
    row = _sent_row(session, checkin.outbox_key)
    if row is None or row.sent_at is None:
        return False
    checkin.message_ts = checkin.message_ts or row.message_ts
    _start_sla(vendor, checkin, row.sent_at)
    return True


def reminder_key(checkin: CheckIn) -> str:
    return f"checkin:{checkin.id}:reminder"


def escalation_key(checkin: CheckIn) -> str:
    return f"checkin:{checkin.id}:escalation"


def follow_up(session: Session, vendor: Vendor, checkin: CheckIn, now: datetime) -> int:
    """One step of the unanswered check-in's life: reminder in thread, then DM, then nothing."""
    made = 0
    sync_posted(session, vendor, checkin)
    if checkin.state != "open" or checkin.posted_at is None:
        return 0
    if checkin.reminded_at is None:
        if checkin.reminder_at is None or checkin.reminder_at > now:
            return 0
        made += int(
            enqueue(
                session,
                team_id=vendor.team_id,
                dedupe_key=reminder_key(checkin),
                channel_id=vendor.channel_id,
                kind="checkin_reminder",
                now=now,
                render={"kind": REMINDER, "checkin": checkin.id},
                thread_ts=checkin.message_ts,
                vendor_id=vendor.id,
                priority=PRIORITY_NUDGE,
                budgeted=True,
            )
        )
        checkin.reminded_at = now
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=SYSTEM,
            action="checkin.reminder",
            subject=f"checkin:{checkin.id}",
            at=now,
            vendor_id=vendor.id,
        )
        return made
    if checkin.escalate_at is None:
        # The second SLA period runs from when the reminder really went out.
        row = _sent_row(session, reminder_key(checkin))
        if row is None or row.sent_at is None:
            return 0
        checkin.escalate_at = business_calendar(vendor).add_business_hours(
            row.sent_at, vendor.sla_hours
        )
    if checkin.escalated_at is not None or checkin.escalate_at > now:
        return 0
    checkin.escalated_at = now
    owner = internal_primary(vendor)
    if owner is not None:
        made += int(
            enqueue_dm(
                session,
                vendor=vendor,
                user_id=owner.user_id,
                key=escalation_key(checkin),
                render={"kind": ESCALATION, "checkin": checkin.id},
                now=now,
            )
        )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=SYSTEM,
        action="checkin.escalation",
        subject=f"checkin:{checkin.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"notified": owner.user_id if owner else None},
    )
    return made


def step_checkins(session: Session, ctx: SweepContext) -> int:
    now = ctx.now
    made = 0
    vendors = session.scalars(
        select(Vendor).where(
            Vendor.checkin_days.is_not(None),
            Vendor.archived_at.is_(None),
        )
    ).all()
    last_scheduled: dict[int, datetime] = {
        vendor_id: at
        for vendor_id, at in session.execute(
            select(CheckIn.vendor_id, func.max(CheckIn.scheduled_for))
            .where(CheckIn.kind == "scheduled")
            .group_by(CheckIn.vendor_id)
        ).all()
        if at is not None
    }
    for vendor in vendors:
        made += int(
            post_due_checkin(session, vendor, now, last_scheduled=last_scheduled.get(vendor.id))
        )
    open_checkins = session.scalars(
        select(CheckIn)
        .where(CheckIn.state == "open", CheckIn.escalated_at.is_(None))
        .order_by(CheckIn.id)
    ).all()
    for checkin in open_checkins:
        owner = session.get(Vendor, checkin.vendor_id)
        if owner is None or not owner.active:
            continue
        made += follow_up(session, owner, checkin, now)
    return made


sweep_steps = [("checkins", step_checkins)]


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class FormRequest:
    """What the Update form shows and carries (the handler builds the view)."""

    vendor_name: str
    when_label: str
    metadata: dict[str, Any]


def _checkin_of(session: Session, vendor: Vendor, checkin_id: Any) -> CheckIn:
    checkin = _get_checkin(session, checkin_id)
    if checkin is None or checkin.vendor_id != vendor.id:
        raise NotFound("That check-in no longer exists.")
    return checkin


def open_update_form(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    value: dict[str, Any],
    message_ts: str | None,
) -> FormRequest:
    """The vendor pressed **Update**: the form, with the host team and channel in its
    private_metadata (an external user's submission may name their own team)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    checkin = _checkin_of(session, vendor, value.get("c"))
    require_side(runtime, vendor, actor, VENDOR, ANSWER_DOING)
    metadata = {
        "team": vendor.team_id,
        "channel": vendor.channel_id,
        "checkin": checkin.id,
        "ts": message_ts or checkin.message_ts,
    }
    return FormRequest(
        vendor_name=vendor.name, when_label=when_label(vendor, checkin), metadata=metadata
    )


def submit_update(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    metadata: dict[str, Any],
    done: str,
    next_: str,
    blockers: str | None,
    on_track: str,
    now: datetime,
) -> CheckInAnswer:
    """The form was submitted: store the answer and summarize it in the check-in's thread,
    once (the same answer submitted again changes nothing and posts nothing)."""
    team_id = str(metadata.get("team") or "")
    channel_id = str(metadata.get("channel") or "")
    if not team_id or not channel_id:
        raise UserError("This form has expired. Press *Update* on the check-in again.")
    if team_id != actor.team_id:
        raise UserError("This form belongs to another workspace's check-in.")
    vendor = require_vendor(session, team_id=team_id, channel_id=channel_id)
    checkin = _checkin_of(session, vendor, metadata.get("checkin"))
    require_side(runtime, vendor, actor, VENDOR, ANSWER_DOING)
    sync_posted(session, vendor, checkin)
    answer, new = record_answer(
        session,
        vendor=vendor,
        checkin=checkin,
        user_id=actor.user_id,
        via="form",
        message_ts=None,
        done=texts.clean(done, multiline=True),
        next_=texts.clean(next_, multiline=True),
        blockers=texts.clean(blockers or "", multiline=True) or None,
        on_track=on_track,
        now=now,
    )
    vendor_heard(session, vendor, user_id=actor.user_id, now=now, via="form")
    if new:
        fallback = metadata.get("ts")
        _post_summary(
            session,
            vendor,
            checkin,
            answer,
            thread_ts=checkin.message_ts or (str(fallback) if fallback else None),
            now=now,
        )
    return answer


def _same_answer(
    answer: CheckInAnswer,
    *,
    user_id: str,
    via: str,
    done: str | None,
    next_: str | None,
    blockers: str | None,
    on_track: str | None,
) -> bool:
    return (
        answer.user_id,
        answer.via,
        answer.done_text,
        answer.next_text,
        answer.blockers_text,
        answer.on_track,
    ) == (user_id, via, done, next_, blockers, on_track)


def record_answer(
    session: Session,
    *,
    vendor: Vendor,
    checkin: CheckIn,
    user_id: str,
    via: str,
    message_ts: str | None,
    done: str | None,
    next_: str | None,
    blockers: str | None,
    on_track: str | None,
    now: datetime,
) -> tuple[CheckInAnswer, bool]:
    """Store an answer; returns it and whether it is new. The same answer again (a form
    submitted twice, a message delivered twice) is the one stored already."""
    # Answers to one check-in are taken one at a time: this no-op write takes the check-in's
    # row lock (PostgreSQL) or the write lock (SQLite) before the latest answer is read, so two
    # copies of one submission arriving together still store one answer.
    session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id)
        .values(state=CheckIn.state)
        .execution_options(synchronize_session=False)
    )
    latest = session.scalar(
        select(CheckInAnswer)
        .where(CheckInAnswer.checkin_id == checkin.id)
        .order_by(CheckInAnswer.id.desc())
        .limit(1)
    )
    if latest is not None and (
        (message_ts is not None and latest.message_ts == message_ts)
        or _same_answer(
            latest,
            user_id=user_id,
            via=via,
            done=done,
            next_=next_,
            blockers=blockers,
            on_track=on_track,
        )
    ):
        return latest, False
    answer = CheckInAnswer(
        checkin_id=checkin.id,
        vendor_id=vendor.id,
        user_id=user_id,
        via=via,
        message_ts=message_ts,
        done_text=done,
        next_text=next_,
        blockers_text=blockers,
        on_track=on_track,
        answered_at=now,
    )
    session.add(answer)
    first = checkin.state != "answered"
    checkin.state = "answered"
    checkin.answered_by = user_id
    checkin.answered_at = now
    checkin.via = via
    checkin.done_text = done
    checkin.next_text = next_
    checkin.blockers_text = blockers
    checkin.on_track = on_track
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=user_id,
        action="checkin.answer" if first else "checkin.answer_updated",
        subject=f"checkin:{checkin.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"via": via, "on_track": on_track, "answer_id": answer.id},
    )
    # An answer covers older check-ins still waiting: no reminders about those any more.
    for older in session.scalars(
        select(CheckIn).where(
            CheckIn.vendor_id == vendor.id,
            CheckIn.state == "open",
            CheckIn.scheduled_for < checkin.scheduled_for,
        )
    ).all():
        older.state = "superseded"
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=user_id,
            action="checkin.superseded",
            subject=f"checkin:{older.id}",
            at=now,
            vendor_id=vendor.id,
            detail={"answered": checkin.id},
        )
    if on_track in ("at_risk", "blocked"):
        owner = internal_primary(vendor)
        if owner is not None:
            enqueue_dm(
                session,
                vendor=vendor,
                user_id=owner.user_id,
                key=f"checkin:{checkin.id}:flag:{answer.id}",
                render={"kind": FLAG, "answer": answer.id},
                now=now,
                priority=PRIORITY_OVERDUE if on_track == "blocked" else PRIORITY_DUE,
            )
    return answer, True


def summary_key(checkin: CheckIn, answer: CheckInAnswer) -> str:
    return f"checkin:{checkin.id}:summary:{answer.id}"


def _post_summary(
    session: Session,
    vendor: Vendor,
    checkin: CheckIn,
    answer: CheckInAnswer,
    *,
    thread_ts: str | None,
    now: datetime,
) -> None:
    """The answer's summary in the check-in's thread: a reply to the person, once."""
    if not thread_ts:
        log.info("check-in %s has no message to answer in; no summary", checkin.id)
        return
    outbox.reply(
        session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=summary_key(checkin, answer),
        now=now,
        kind="checkin_summary",
        render={"kind": SUMMARY, "answer": answer.id},
        thread_ts=thread_ts,
        vendor_id=vendor.id,
    )


def answer_of(session: Session, answer_id: Any) -> tuple[CheckInAnswer, Vendor] | None:
    """An answer and its vendor, for its summary and DM (None once the vendor is archived)."""
    try:
        answer = session.get(CheckInAnswer, int(answer_id))
    except (TypeError, ValueError):
        return None
    if answer is None:
        return None
    vendor = session.get(Vendor, answer.vendor_id)
    if vendor is None or not vendor.active:
        return None
    return answer, vendor


def on_track_from_text(text: str) -> str | None:
    """What a free-text thread answer says about being on track, if it says so plainly."""
    if _BLOCKED.search(text):
        return "blocked"
    if _AT_RISK.search(text):
        return "at_risk"
    return None


def _checkin_of_thread(session: Session, vendor: Vendor, thread_ts: str) -> CheckIn | None:
    """The open check-in whose post started this thread."""
    checkin = session.scalar(
        select(CheckIn)
        .where(
            CheckIn.vendor_id == vendor.id,
            CheckIn.state == "open",
            CheckIn.message_ts == thread_ts,
        )
        .order_by(CheckIn.scheduled_for.desc())
        .limit(1)
    )
    if checkin is not None:
        return checkin
    # Posts the sent hook did not record (marked sent by an older build).
    for candidate in session.scalars(
        select(CheckIn).where(
            CheckIn.vendor_id == vendor.id,
            CheckIn.state == "open",
            CheckIn.posted_at.is_(None),
            CheckIn.outbox_key.is_not(None),
        )
    ).all():
        sync_posted(session, vendor, candidate)
        if candidate.message_ts == thread_ts:
            return candidate
    return None


def observe_thread_answer(session: Session, runtime: Runtime, msg: ChannelMessage) -> None:
    """A vendor-side reply in an open check-in's thread is its answer."""
    if msg.is_bot or msg.actor is None:
        return
    thread_ts = msg.thread_ts
    if not thread_ts or thread_ts == msg.ts or not msg.text.strip():
        return
    vendor = msg.vendor
    checkin = _checkin_of_thread(session, vendor, thread_ts)
    if checkin is None:
        return
    if side_of(runtime, vendor, msg.actor) != VENDOR:
        return
    # Decoded once on the way in (Slack's entities and markup → plain text).
    text = texts.clean(texts.from_slack(msg.text), multiline=True)[:MAX_THREAD_ANSWER]
    if not text:
        return
    now = runtime.clock.now()
    answer, new = record_answer(
        session,
        vendor=vendor,
        checkin=checkin,
        user_id=msg.actor.user_id,
        via="thread",
        message_ts=msg.ts,
        done=text,
        next_=None,
        blockers=None,
        on_track=on_track_from_text(text),
        now=now,
    )
    if new:
        _post_summary(session, vendor, checkin, answer, thread_ts=thread_ts, now=now)


message_observers = [observe_thread_answer]
