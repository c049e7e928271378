"""Check-in posts, rendered when delivered: the check-in with its Update button, the reminder in
its thread, the summary of an answer, and the DMs (an answer flagging risk, an unanswered
check-in, a slow reply, a long silence).

Each says what is true when it goes out: a reminder or escalation about a check-in answered
meanwhile, a slow-reply DM about a clock the vendor stopped meanwhile (a reply, a click, a form
answer), a silence DM about a vendor heard from meanwhile — none of these is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks import checkins as views
from bot.posts import Message, RenderContext, on_sent, renderer
from bot.services import checkins as service
from bot.services import responsiveness
from bot.services.vendors.lookup import active_contacts, internal_primary, vendor_primary
from bot.slack.client import LookupDeferred
from bot.text.escaping import mention_ids
from bot.time.timeparse import format_local
from storage.models import CheckIn, ResponseClock, Vendor


def _vendor_contact(vendor: Vendor) -> str | None:
    primary = vendor_primary(vendor)
    return primary.user_id if primary else None


def _open(ctx: RenderContext) -> tuple[CheckIn, Vendor] | None:
    """The check-in of a follow-up while it still waits for an answer."""
    found = service.postable(ctx.session, ctx.data.get("checkin"))
    if found is None or found[0].state != "open":
        return None
    return found


@renderer(service.POST)
def checkin_post(ctx: RenderContext) -> Message | None:
    """The check-in with its Update button (none once it was skipped or its vendor archived)."""
    found = service.postable(ctx.session, ctx.data.get("checkin"))
    if found is None:
        return None
    checkin, vendor = found
    text, blocks, summary = views.checkin_post(
        vendor_name=vendor.name,
        vendor_user_id=_vendor_contact(vendor),
        checkin_id=checkin.id,
        when_label=service.when_label(vendor, checkin),
        scheduled=checkin.kind == "scheduled",
    )
    return Message(text, blocks, summary)


@on_sent(service.POST)
def checkin_posted(session: Session, data: dict[str, Any], channel_id: str, ts: str) -> None:
    """Where the check-in is: thread replies to it are answers; its SLA starts now."""
    service.record_posted(session, data.get("checkin"), ts=ts)


@renderer(service.REMINDER)
def reminder(ctx: RenderContext) -> Message | None:
    found = _open(ctx)
    if found is None:
        return None
    _, vendor = found
    text, summary = views.reminder_post(
        vendor_name=vendor.name, vendor_user_id=_vendor_contact(vendor)
    )
    return Message(text, summary=summary)


@renderer(service.ESCALATION)
def escalation(ctx: RenderContext) -> Message | None:
    found = _open(ctx)
    if found is None:
        return None
    checkin, vendor = found
    return Message(
        views.escalation_dm(
            vendor_name=vendor.name,
            channel_id=vendor.channel_id,
            vendor_user_id=_vendor_contact(vendor),
            when_label=service.when_label(vendor, checkin),
        )
    )


def _live_users(ctx: RenderContext, vendor: Vendor, texts: Iterable[str | None]) -> set[str]:
    """Who of those the answer mentions may be mentioned live: the people in the channel (the
    contacts when the channel's members cannot be read). Asked only when there are mentions."""
    mentioned = {uid for t in texts if t for uid in mention_ids(t)}
    if not mentioned:
        return set()
    members = {c.user_id for c in active_contacts(vendor)}
    if ctx.runtime is not None:
        try:
            members |= set(ctx.runtime.directory.channel_members(vendor.team_id, vendor.channel_id))
        except LookupDeferred:
            raise  # read after the claim's transaction; the claim runs again
        except (SlackApiError, LookupError):
            pass
    return mentioned & members


@renderer(service.SUMMARY)
def summary(ctx: RenderContext) -> Message | None:
    """An answer as the vendor wrote it, shown inert, in the check-in's thread."""
    found = service.answer_of(ctx.session, ctx.data.get("answer"))
    if found is None:
        return None
    answer, vendor = found
    fields = (answer.done_text, answer.next_text, answer.blockers_text)
    text, blocks = views.answer_summary(
        user_id=answer.user_id,
        via=answer.via,
        on_track=answer.on_track,
        done=answer.done_text,
        next_=answer.next_text,
        blockers=answer.blockers_text,
        live_users=_live_users(ctx, vendor, fields),
    )
    return Message(text, blocks)


@renderer(service.FLAG)
def flag(ctx: RenderContext) -> Message | None:
    """An answer that says "at risk" or "blocked", to the internal primary."""
    found = service.answer_of(ctx.session, ctx.data.get("answer"))
    if found is None or found[0].on_track not in ("at_risk", "blocked"):
        return None
    answer, vendor = found
    return Message(
        views.flag_dm(
            vendor_name=vendor.name,
            channel_id=vendor.channel_id,
            user_id=answer.user_id,
            on_track=str(answer.on_track),
            blockers=answer.blockers_text,
            next_=answer.next_text,
        )
    )


@renderer(responsiveness.BREACH)
def breach(ctx: RenderContext) -> Message | None:
    """A message still unanswered past the SLA — unless the vendor answered meanwhile."""
    clock = ctx.session.get(ResponseClock, int(ctx.data.get("clock") or 0))
    if clock is None or clock.stopped_at is not None:
        return None
    vendor = ctx.session.get(Vendor, clock.vendor_id)
    if vendor is None or not vendor.active or internal_primary(vendor) is None:
        return None
    return Message(
        views.breach_dm(
            vendor_name=vendor.name,
            channel_id=vendor.channel_id,
            started_by=clock.started_by,
            started_label=format_local(clock.started_at, responsiveness.vendor_tz(vendor)),
            sla_hours=clock.sla_hours or vendor.sla_hours,
        )
    )


@renderer(responsiveness.SILENCE)
def silence(ctx: RenderContext) -> Message | None:
    """Five business days without a word — unless the vendor was heard from meanwhile, or no
    deadline is open any more."""
    vendor = ctx.session.get(Vendor, int(ctx.data.get("vendor") or 0))
    if vendor is None or not vendor.active:
        return None
    try:
        since = datetime.fromisoformat(str(ctx.data.get("since")))
    except ValueError:
        return None
    if responsiveness.silence_started(vendor) > since:
        return None
    open_deadlines = responsiveness.open_deadline_count(ctx.session, vendor.id)
    if not open_deadlines:
        return None
    return Message(
        views.silence_dm(
            vendor_name=vendor.name,
            channel_id=vendor.channel_id,
            since_label=format_local(since, responsiveness.vendor_tz(vendor)),
            open_deadlines=open_deadlines,
        )
    )
