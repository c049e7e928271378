"""A deadline marked done (`deadline done <n>`, the Mark done button) and acknowledged by
the vendor side (the Acknowledge button on its reminder)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotAllowed, UserError
from bot.services.deadlines.change_requests import close_pending_changes, refresh_change_message
from bot.services.deadlines.common import (
    CANCELLED,
    DONE,
    by_number,
    cancel_pending_reminders,
    deadline_for_click,
    require_open,
)
from bot.services.deadlines.zones import deadline_zone
from bot.services.vendors.lookup import require_side, require_vendor, side_of
from bot.text.commands import USAGE
from bot.time.timeparse import format_local
from storage.models import VENDOR, Deadline


def complete(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    number: int | None = None,
    deadline_id: int | None = None,
) -> Deadline:
    """Mark a deadline done (`deadline done <n>` or the Mark done button): reminders stop.

    Either side's people may do it; a user of a third organization may not.
    """
    if deadline_id is not None:
        deadline = deadline_for_click(
            session, actor=actor, deadline_id=deadline_id, channel_id=channel_id
        )
        vendor = deadline.vendor
    else:
        vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
        if number is None:
            raise UserError("Which deadline?", usage=USAGE["deadline done"])
        deadline = by_number(session, vendor, number, usage="deadline done")
    if side_of(runtime, vendor, actor) is None:
        raise NotAllowed(
            f"Only {vendor.name}'s contacts and the internal team can mark deadlines done."
        )
    if deadline.state == CANCELLED:
        require_open(deadline, "mark done")
    if deadline.state == DONE:
        when = (
            format_local(deadline.done_at, deadline_zone(runtime, vendor))
            if deadline.done_at
            else ""
        )
        raise UserError(
            f"#{deadline.number} {deadline.title} is already done"
            + (f" (by <@{deadline.done_by}>, {when})." if deadline.done_by else ".")
        )
    now = runtime.clock.now()
    deadline.state = DONE
    deadline.done_at = now
    deadline.done_by = actor.user_id
    deadline.next_reminder_at = None
    cancel_pending_reminders(session, deadline, "deadline done")
    cancelled = close_pending_changes(session, deadline, now)
    detail: dict[str, object] = {"deadline_id": deadline.id, "due_at": deadline.due_at.isoformat()}
    if cancelled:
        detail["cancelled_change_ids"] = cancelled
    for change_id in cancelled:
        # The closed move's message says so and loses its buttons (after the commit).
        refresh_change_message(
            session,
            team_id=vendor.team_id,
            channel_id=vendor.channel_id,
            change_id=change_id,
            now=now,
        )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="deadline.done",
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    return deadline


def acknowledge(
    session: Session, *, runtime: Runtime, actor: Actor, deadline_id: int, channel_id: str
) -> Deadline:
    """The vendor side acknowledges a deadline (the Acknowledge button on its reminder)."""
    deadline = deadline_for_click(
        session, actor=actor, deadline_id=deadline_id, channel_id=channel_id
    )
    vendor = deadline.vendor
    require_side(runtime, vendor, actor, VENDOR, "acknowledge a deadline")
    if deadline.state == CANCELLED:
        require_open(deadline, "acknowledge")
    if deadline.state == DONE:
        raise UserError(f"#{deadline.number} {deadline.title} is done already.")
    if deadline.acknowledged_at is not None:
        raise UserError(
            f"#{deadline.number} was already acknowledged by <@{deadline.acknowledged_by}> "
            f"({format_local(deadline.acknowledged_at, deadline_zone(runtime, vendor))})."
        )
    now = runtime.clock.now()
    deadline.acknowledged_at = now
    deadline.acknowledged_by = actor.user_id
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="deadline.acknowledge",
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=now,
        vendor_id=vendor.id,
        detail={"deadline_id": deadline.id, "due_at": deadline.due_at.isoformat()},
    )
    return deadline
