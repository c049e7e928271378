"""Corrections of a deadline: `deadline cancel`, Undo on `deadline add`'s confirmation,
`deadline rename` and `deadline owner`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotAllowed, UserError
from bot.services.deadlines.change_requests import close_pending_changes
from bot.services.deadlines.common import (
    CANCELLED,
    by_number,
    cancel_pending_reminders,
    deadline_for_click,
    require_open,
)
from bot.services.deadlines.creation import check_owner, clean_title
from bot.services.vendors.lookup import require_vendor, side_of
from bot.text.commands import USAGE
from bot.text.escaping import slack_escape
from storage.models import INTERNAL, Deadline, Vendor

# How long the Undo button on `deadline add`'s confirmation works.
UNDO_WINDOW = timedelta(minutes=10)
UNDONE = "undone"  # the reason recorded for a deadline taken back with Undo


@dataclass
class Cancelled:
    """A deadline taken back: what the channel, the announcement and the change requests that
    were waiting on it need."""

    deadline: Deadline
    vendor: Vendor
    closed_changes: list[int]  # ids of the change requests it closed
    undo: bool = False


def cancel_deadline(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int, reason: str
) -> Cancelled:
    """`deadline cancel <n> reason "<why>"`: internal side only. Reminders stop, a move waiting
    for approval is closed, the row stays (shown as cancelled by `deadline show`)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    if side_of(runtime, vendor, actor) != INTERNAL:
        raise NotAllowed(
            "Only the internal team can cancel a deadline; nothing was changed. If it is no "
            "longer needed, tell the internal contact, or propose a new date with "
            '`/outsource deadline move &lt;n&gt; &lt;when&gt; reason "…"`.'
        )
    deadline = by_number(session, vendor, number, usage="deadline cancel", lock=True)
    require_open(deadline, "cancel")
    reason = " ".join(reason.split())
    if not reason:
        raise UserError(
            "A cancel needs a reason, so both sides know why.", usage=USAGE["deadline cancel"]
        )
    return _cancel(session, deadline, vendor, actor.user_id, reason, runtime.clock.now())


def undo_add(
    session: Session, *, runtime: Runtime, actor: Actor, deadline_id: int, channel_id: str
) -> Cancelled:
    """The Undo button on `deadline add`'s confirmation: only the person who added the deadline,
    only within UNDO_WINDOW. The deadline is cancelled with the reason "undone"."""
    deadline = deadline_for_click(
        session, actor=actor, deadline_id=deadline_id, channel_id=channel_id, lock=True
    )
    vendor = deadline.vendor
    hint = f'To take it back now: `/outsource deadline cancel {deadline.number} reason "…"`.'
    if deadline.created_by != actor.user_id:
        raise NotAllowed(
            f"Only <@{deadline.created_by}>, who added #{deadline.number}, can undo it; "
            "nothing was changed."
        )
    if deadline.state == CANCELLED and deadline.cancel_reason == UNDONE:
        raise UserError(f"#{deadline.number} {slack_escape(deadline.title)} was undone already.")
    require_open(deadline, "undo")
    now = runtime.clock.now()
    if now - deadline.created_at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise UserError(
            f"Undo works for {minutes} minutes after adding a deadline, and that time is over; "
            f"#{deadline.number} stays. {hint}"
        )
    return _cancel(session, deadline, vendor, actor.user_id, UNDONE, now, undo=True)


def _cancel(
    session: Session,
    deadline: Deadline,
    vendor: Vendor,
    actor_id: str,
    reason: str,
    now: datetime,
    *,
    undo: bool = False,
) -> Cancelled:
    deadline.state = CANCELLED
    deadline.cancelled_at = now
    deadline.cancelled_by = actor_id
    deadline.cancel_reason = reason
    deadline.next_reminder_at = None
    cancel_pending_reminders(session, deadline, "deadline cancelled")
    closed = close_pending_changes(session, deadline, now)
    detail: dict[str, object] = {
        "deadline_id": deadline.id,
        "due_at": deadline.due_at.isoformat(),
        "reason": reason,
    }
    if undo:
        detail["undo"] = True
    if closed:
        detail["cancelled_change_ids"] = closed
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor_id,
        action="deadline.cancel",
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    return Cancelled(deadline=deadline, vendor=vendor, closed_changes=closed, undo=undo)


@dataclass
class Corrected:
    """A rename or a new owner: the deadline and the audit row that holds the old and new
    values (the channel's note is rendered from it)."""

    deadline: Deadline
    vendor: Vendor
    audit_id: int


def rename_deadline(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int, title: str
) -> Corrected:
    """`deadline rename <n> "<title>"`: either side's people; reminders use the new title."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    _require_party(runtime, vendor, actor, "rename deadlines")
    deadline = by_number(session, vendor, number, usage="deadline rename", lock=True)
    require_open(deadline, "rename")
    title = clean_title(title, usage="deadline rename")
    if title == deadline.title:
        raise UserError(
            f"#{deadline.number} is already called “{slack_escape(title)}”; nothing was changed."
        )
    old = deadline.title
    deadline.title = title
    return _corrected(
        session,
        runtime,
        actor,
        vendor,
        deadline,
        action="deadline.rename",
        detail={"old_title": old, "new_title": title},
    )


def set_owner(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int, user_id: str
) -> Corrected:
    """`deadline owner <n> <@user>`: the new owner is checked like a contact (one of the
    channel's two organizations, in the channel)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    _require_party(runtime, vendor, actor, "change a deadline's owner")
    deadline = by_number(session, vendor, number, usage="deadline owner", lock=True)
    require_open(deadline, "re-own")
    if deadline.owner_user_id == user_id:
        raise UserError(f"<@{user_id}> owns #{deadline.number} already; nothing was changed.")
    check_owner(runtime, vendor, user_id)
    old = deadline.owner_user_id
    deadline.owner_user_id = user_id
    return _corrected(
        session,
        runtime,
        actor,
        vendor,
        deadline,
        action="deadline.owner",
        detail={"old_owner": old, "new_owner": user_id},
    )


def _corrected(
    session: Session,
    runtime: Runtime,
    actor: Actor,
    vendor: Vendor,
    deadline: Deadline,
    *,
    action: str,
    detail: dict[str, Any],
) -> Corrected:
    """A correction made to `deadline` (already changed), audited with what it was before."""
    entry = audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action=action,
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=runtime.clock.now(),
        vendor_id=vendor.id,
        detail={"deadline_id": deadline.id, **detail},
    )
    session.flush()
    return Corrected(deadline=deadline, vendor=vendor, audit_id=entry.id)


def _require_party(runtime: Runtime, vendor: Vendor, actor: Actor, doing: str) -> None:
    if side_of(runtime, vendor, actor) is None:
        raise NotAllowed(
            f"Only {slack_escape(vendor.name)}'s contacts and the internal team can {doing}."
        )
