"""Deadline posts, rendered when delivered: reminders, escalations, announcements, change
requests, and the refresh of a reminder after a click."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import deadlines as views
from bot.posts import Message, RenderContext, on_sent, renderer
from bot.services.deadlines.change_requests import ChangeView
from bot.services.deadlines.common import APPROVED, CANCELLED, OPEN
from bot.services.deadlines.schedule import STEP_BY_NAME
from bot.services.deadlines.zones import deadline_zone
from bot.services.vendors.lookup import vendor_primary
from storage.models import AuditEntry, ChangeRequest, Deadline, Vendor


def _zone(ctx: RenderContext, vendor: Vendor) -> ZoneInfo:
    if ctx.runtime is not None:
        return deadline_zone(ctx.runtime, vendor)
    return ZoneInfo(vendor.tz or "UTC")


def _open_deadline(session: Session, data: dict[str, Any]) -> Deadline | None:
    """The deadline a post is about, while a post about it still makes sense."""
    deadline = session.get(Deadline, int(data.get("deadline") or 0))
    if deadline is None or deadline.state != OPEN:
        return None
    if deadline.vendor.archived_at is not None:
        return None
    return deadline


@renderer("deadline.reminder")
def reminder(ctx: RenderContext) -> Message | None:
    """A reminder step, as true as of delivery; none once the deadline is done, cancelled,
    moved to another date (a new revision has reminders of its own) or its vendor archived."""
    deadline = _open_deadline(ctx.session, ctx.data)
    if deadline is None or deadline.revision != int(ctx.data.get("revision") or 0):
        return None
    step = STEP_BY_NAME.get(str(ctx.data.get("step")))
    if step is None:
        return None
    vendor = deadline.vendor
    tz = _zone(ctx, vendor)
    owner = deadline.owner_user_id or (p.user_id if (p := vendor_primary(vendor)) else None)
    message = views.reminder_message(
        deadline,
        vendor,
        step,
        tz=tz,
        owner_user_id=owner,
        next_at=deadline.next_reminder_at,
        now=ctx.now,
    )
    return Message(message["text"], message["blocks"], message["summary"])


@renderer("deadline.escalations")
def escalations(ctx: RenderContext) -> Message | None:
    """The day's one DM to an internal contact: the deadlines escalated to them that day that
    are still open and overdue now. None when all were done (or moved) meanwhile."""
    ids = [int(i) for i in ctx.data.get("deadlines") or []]
    rows = ctx.session.scalars(
        select(Deadline)
        .where(Deadline.id.in_(ids), Deadline.state == OPEN, Deadline.due_at < ctx.now)
        .order_by(Deadline.due_at, Deadline.id)
    ).all()
    items: list[tuple[Deadline, Vendor, ZoneInfo, int, str | None]] = []
    for deadline in rows:
        vendor = deadline.vendor
        if vendor.archived_at is not None:
            continue
        tz = _zone(ctx, vendor)
        days = views.days_from_due(deadline.due_at, ctx.now, tz)
        if days < 1:
            continue  # moved to a later date meanwhile
        owner = deadline.owner_user_id or (p.user_id if (p := vendor_primary(vendor)) else None)
        items.append((deadline, vendor, tz, days, owner))
    if not items:
        return None
    text, blocks = views.escalation_dm(items)
    return Message(text, blocks)


@renderer("deadline.announcement")
def announcement(ctx: RenderContext) -> Message | None:
    """The in-channel note when a deadline is set (none if it was cancelled meanwhile). With
    `update` (a cancel or an Undo), the note as it is now: it says so and loses its buttons."""
    if ctx.data.get("update"):
        deadline = ctx.session.get(Deadline, int(ctx.data.get("deadline") or 0))
    else:
        deadline = _open_deadline(ctx.session, ctx.data)
    if deadline is None:
        return None
    note = views.announcement(
        deadline,
        deadline.vendor,
        tz=_zone(ctx, deadline.vendor),
        actor_user_id=str(ctx.data.get("actor") or deadline.created_by),
    )
    return Message(note["text"], note["blocks"])


@renderer("deadline.cancelled")
def cancelled(ctx: RenderContext) -> Message | None:
    """Both sides are told in the channel that a deadline was cancelled, and why."""
    deadline = ctx.session.get(Deadline, int(ctx.data.get("deadline") or 0))
    if deadline is None or deadline.state != CANCELLED:
        return None
    vendor = deadline.vendor
    owner = deadline.owner_user_id or (p.user_id if (p := vendor_primary(vendor)) else None)
    text, blocks = views.cancelled_notice(deadline, tz=_zone(ctx, vendor), owner_user_id=owner)
    return Message(text, blocks)


def _correction(ctx: RenderContext, action: str) -> tuple[Deadline, AuditEntry] | None:
    """The deadline and the audit row of a rename or an owner change (which holds the old and
    the new value, as they were at that moment)."""
    entry = ctx.session.get(AuditEntry, int(ctx.data.get("audit") or 0))
    if entry is None or entry.action != action:
        return None
    deadline = ctx.session.get(Deadline, int((entry.detail or {}).get("deadline_id") or 0))
    if deadline is None:
        return None
    return deadline, entry


@renderer("deadline.renamed")
def renamed(ctx: RenderContext) -> Message | None:
    found = _correction(ctx, "deadline.rename")
    if found is None:
        return None
    deadline, entry = found
    text, blocks = views.renamed_notice(
        deadline,
        old_title=str(entry.detail.get("old_title") or ""),
        new_title=str(entry.detail.get("new_title") or deadline.title),
        actor_user_id=entry.actor,
    )
    return Message(text, blocks)


@renderer("deadline.owner")
def owner_changed(ctx: RenderContext) -> Message | None:
    found = _correction(ctx, "deadline.owner")
    if found is None:
        return None
    deadline, entry = found
    old = entry.detail.get("old_owner")
    text, blocks = views.owner_notice(
        deadline,
        old_owner=str(old) if old else None,
        new_owner=str(entry.detail.get("new_owner") or deadline.owner_user_id),
        actor_user_id=entry.actor,
    )
    return Message(text, blocks)


@renderer("deadline.refresh")
def refresh(ctx: RenderContext) -> Message | None:
    """A reminder (or a bundle holding one) after a click: this deadline's status and buttons
    as they are now, everything else in the message as it was."""
    deadline = ctx.session.get(Deadline, int(ctx.data.get("deadline") or 0))
    if deadline is None:
        return None
    blocks = views.refresh_reminder_blocks(
        list(ctx.data.get("blocks") or []), deadline, _zone(ctx, deadline.vendor)
    )
    return Message(str(ctx.data.get("text") or ""), blocks)


@renderer("change.request")
def change_request(ctx: RenderContext) -> Message | None:
    """A change request with Approve/Decline for each side, in its current state."""
    cr = ctx.session.get(ChangeRequest, int(ctx.data.get("change") or 0))
    if cr is None:
        return None
    vendor = ctx.session.get(Vendor, cr.vendor_id)
    if vendor is None:
        return None
    deadline = ctx.session.get(Deadline, cr.deadline_id) if cr.deadline_id else None
    view = ChangeView(
        change=cr,
        vendor=vendor,
        deadline=deadline,
        vendor_tz=_zone(ctx, vendor),
        moved=cr.state == APPROVED and cr.new_due_at is not None,
    )
    message = views.change_message(view)
    return Message(message["text"], message.get("blocks"))


@on_sent("change.request")
def change_request_posted(session: Session, data: dict[str, Any], channel_id: str, ts: str) -> None:
    """Remember where the change request's message is."""
    cr = session.get(ChangeRequest, int(data.get("change") or 0))
    if cr is not None and cr.message_ts is None:
        cr.message_ts = ts
