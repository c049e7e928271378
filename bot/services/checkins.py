"""Scheduled check-ins: the cadence, the post, the vendor's answer, and the SLA follow-up.

A cadence (`every mon,thu 10:00 Europe/Berlin`) fires at the local wall-clock time through
`bot.calendar.Cadence` (APScheduler's CronTrigger; weekends and the vendor country's public
holidays skipped). The sweep writes one CheckIn row per occurrence and one outbox post with the
dedupe key `checkin:<vendor>:<occurrence>`; after downtime only the newest occurrence is posted.

The vendor answers with the **Update** form or by replying in the post's thread. No answer
within the vendor's SLA (business hours, counted from when the post really went out) → one
reminder in the thread; still none another SLA period after the reminder went out → one DM to
the internal primary. Never more.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.blocks import checkins as views
from bot.blocks.checkins import UpdateForm
from bot.calendar import CHECKIN_USAGE, Cadence, parse_days
from bot.errors import NotFound, UserError
from bot.outbox import (
    PRIORITY_CHECKIN,
    PRIORITY_DUE,
    PRIORITY_NUDGE,
    PRIORITY_OVERDUE,
    enqueue,
)
from bot.runtime import Runtime
from bot.services.messages import ChannelMessage
from bot.services.responsiveness import SYSTEM, business_calendar
from bot.services.vendors import (
    internal_primary,
    require_side,
    require_vendor,
    side_of,
    vendor_primary,
)
from bot.slack import RATE_LIMITED, rate_limited
from bot.sweep import SweepContext
from bot.timeparse import format_local, parse_clock_time, resolve_zone
from storage.models import VENDOR, CheckIn, OutboxMessage, Vendor
from storage.models.checkins import CheckInAnswer
from storage.repositories import insert_ignore

log = logging.getLogger(__name__)

ANSWER_DOING = "send the check-in update"

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


def _when_label(vendor: Vendor, checkin: CheckIn) -> str:
    return format_local(checkin.scheduled_for, checkin_zone(vendor))


def _post_content(vendor: Vendor, checkin: CheckIn) -> tuple[str, list[dict[str, Any]], str]:
    primary = vendor_primary(vendor)
    return views.checkin_post(
        vendor_name=vendor.name,
        vendor_user_id=primary.user_id if primary else None,
        checkin_id=checkin.id,
        when_label=_when_label(vendor, checkin),
        scheduled=checkin.kind == "scheduled",
    )


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
    budget) are superseded by a newer one: recorded as skipped, never posted late in a burst."""
    query = select(CheckIn).where(
        CheckIn.vendor_id == vendor.id,
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
    text, blocks, summary = _post_content(vendor, checkin)
    enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=key,
        channel_id=vendor.channel_id,
        kind="checkin",
        now=now,
        text=text,
        blocks=blocks,
        not_before=latest,
        vendor_id=vendor.id,
        priority=PRIORITY_CHECKIN,
        budgeted=True,
        summary=summary,
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
    session: Session, *, actor: Actor, channel_id: str, client: WebClient, now: datetime
) -> CheckIn:
    """`checkin now`: the check-in is posted right away as the answer to the command (a
    command's reply is not held by quiet hours, pause or the budget)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    checkin = _insert_checkin(session, vendor, scheduled_for=now, kind="manual", key=None, now=now)
    if checkin is None:
        raise UserError("A check-in was posted here just now.")
    text, blocks, _ = _post_content(vendor, checkin)
    try:
        resp = client.chat_postMessage(channel=vendor.channel_id, text=text, blocks=blocks)
    except SlackApiError as exc:
        if rate_limited(exc):
            raise UserError(RATE_LIMITED) from None
        raise UserError(
            f"I couldn't post in this channel (`{exc.response.get('error')}`). Invite me with "
            "`/invite @outsource-bot` and try again; nothing was changed."
        ) from None
    checkin.message_ts = resp.get("ts")
    checkin.posted_at = now
    checkin.reminder_at = business_calendar(vendor).add_business_hours(now, vendor.sla_hours)
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="checkin.now",
        subject=f"checkin:{checkin.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"message_ts": checkin.message_ts},
    )
    return checkin


# --------------------------------------------------------------------------- SLA follow-up


def _sent_row(session: Session, key: str | None) -> OutboxMessage | None:
    if not key:
        return None
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    if row is None or row.state != "sent" or row.sent_at is None:
        return None
    return row


def sync_posted(session: Session, vendor: Vendor, checkin: CheckIn) -> bool:
    """Copy the post's ts and send time from the outbox once it went out; start the SLA."""
    if checkin.posted_at is not None:
        return False
    row = _sent_row(session, checkin.outbox_key)
    if row is None or row.sent_at is None:
        return False
    checkin.posted_at = row.sent_at
    checkin.message_ts = row.message_ts
    if checkin.state == "open":
        checkin.reminder_at = business_calendar(vendor).add_business_hours(
            row.sent_at, vendor.sla_hours
        )
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
    primary = vendor_primary(vendor)
    if checkin.reminded_at is None:
        if checkin.reminder_at is None or checkin.reminder_at > now:
            return 0
        text, summary = views.reminder_post(
            vendor_name=vendor.name, vendor_user_id=primary.user_id if primary else None
        )
        made += int(
            enqueue(
                session,
                team_id=vendor.team_id,
                dedupe_key=reminder_key(checkin),
                channel_id=vendor.channel_id,
                kind="checkin_reminder",
                now=now,
                text=text,
                thread_ts=checkin.message_ts,
                vendor_id=vendor.id,
                priority=PRIORITY_NUDGE,
                budgeted=True,
                summary=summary,
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
        text = views.escalation_dm(
            vendor_name=vendor.name,
            channel_id=vendor.channel_id,
            vendor_user_id=primary.user_id if primary else None,
            when_label=_when_label(vendor, checkin),
        )
        made += int(
            enqueue(
                session,
                team_id=vendor.team_id,
                dedupe_key=escalation_key(checkin),
                channel_id=owner.user_id,
                kind="dm",
                now=now,
                text=text,
                vendor_id=vendor.id,
                priority=PRIORITY_NUDGE,
                budgeted=False,
                summary=text[:200],
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
    view: dict[str, Any]


def _checkin_of(session: Session, vendor: Vendor, checkin_id: Any) -> CheckIn:
    try:
        cid = int(checkin_id)
    except (TypeError, ValueError):
        raise NotFound("That check-in no longer exists.") from None
    checkin = session.get(CheckIn, cid)
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
    view = views.update_modal(
        vendor_name=vendor.name,
        when_label=_when_label(vendor, checkin),
        private_metadata=metadata,
    )
    return FormRequest(view=view)


def submit_update(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    metadata: dict[str, Any],
    form: UpdateForm,
    client: WebClient,
    now: datetime,
) -> CheckInAnswer:
    """The form was submitted: store the answer, summarize it in the check-in's thread."""
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
    answer = record_answer(
        session,
        vendor=vendor,
        checkin=checkin,
        user_id=actor.user_id,
        via="form",
        message_ts=None,
        done=form.done,
        next_=form.next,
        blockers=form.blockers,
        on_track=form.on_track,
        now=now,
    )
    _post_summary(client, vendor, checkin, answer, fallback_ts=metadata.get("ts"))
    return answer


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
) -> CheckInAnswer:
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
            text = views.flag_dm(
                vendor_name=vendor.name,
                channel_id=vendor.channel_id,
                user_id=user_id,
                on_track=on_track,
                blockers=blockers,
                next_=next_,
            )
            enqueue(
                session,
                team_id=vendor.team_id,
                dedupe_key=f"checkin:{checkin.id}:flag:{answer.id}",
                channel_id=owner.user_id,
                kind="dm",
                now=now,
                text=text,
                vendor_id=vendor.id,
                priority=PRIORITY_OVERDUE if on_track == "blocked" else PRIORITY_DUE,
                budgeted=False,
                summary=text[:200],
            )
    return answer


def _post_summary(
    client: WebClient | None,
    vendor: Vendor,
    checkin: CheckIn,
    answer: CheckInAnswer,
    *,
    fallback_ts: Any = None,
) -> None:
    thread_ts = checkin.message_ts or (str(fallback_ts) if fallback_ts else None)
    if client is None or not thread_ts:
        return
    text, blocks = views.answer_summary(
        user_id=answer.user_id,
        via=answer.via,
        on_track=answer.on_track,
        done=answer.done_text,
        next_=answer.next_text,
        blockers=answer.blockers_text,
    )
    client.chat_postMessage(
        channel=vendor.channel_id, thread_ts=thread_ts, text=text, blocks=blocks
    )


def on_track_from_text(text: str) -> str | None:
    """What a free-text thread answer says about being on track, if it says so plainly."""
    if _BLOCKED.search(text):
        return "blocked"
    if _AT_RISK.search(text):
        return "at_risk"
    return None


def observe_thread_answer(session: Session, runtime: Runtime, msg: ChannelMessage) -> None:
    """A vendor-side reply in an open check-in's thread is its answer."""
    if msg.is_bot or msg.actor is None:
        return
    thread_ts = msg.thread_ts
    if not thread_ts or thread_ts == msg.ts or not msg.text.strip():
        return
    vendor = msg.vendor
    candidates = session.scalars(
        select(CheckIn)
        .where(CheckIn.vendor_id == vendor.id, CheckIn.state == "open")
        .order_by(CheckIn.scheduled_for.desc())
    ).all()
    checkin = None
    for candidate in candidates:
        sync_posted(session, vendor, candidate)
        if candidate.message_ts == thread_ts and checkin is None:
            checkin = candidate
    if checkin is None:
        return
    if side_of(runtime, vendor, msg.actor) != VENDOR:
        return
    text = msg.text.strip()
    answer = record_answer(
        session,
        vendor=vendor,
        checkin=checkin,
        user_id=msg.actor.user_id,
        via="thread",
        message_ts=msg.ts,
        done=text[:4000],
        next_=None,
        blockers=None,
        on_track=on_track_from_text(text),
        now=runtime.clock.now(),
    )
    _post_summary(runtime.client(vendor.team_id), vendor, checkin, answer)


message_observers = [observe_thread_answer]
