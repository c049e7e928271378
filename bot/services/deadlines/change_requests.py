"""Change requests: a deadline's move (`deadline move`) or a change of scope or priority
(`/outsource change`), approved or declined by each side with buttons, or withdrawn by the side
that asked; the request's message, kept current; the requests a closed deadline closes.

A `move` never edits the date: it opens a change request that both sides approve with buttons;
the date changes (revision + 1, reminders recomputed) when the second side approves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery.outbox import update_message
from bot.errors import NotAllowed, NotFound, UserError
from bot.services.deadlines.common import (
    APPROVED,
    CANCELLED,
    DECLINED,
    DONE,
    PENDING,
    WITHDRAWN,
    by_number,
    cancel_pending_reminders,
    require_open,
)
from bot.services.deadlines.schedule import next_reminder_after
from bot.services.deadlines.zones import deadline_zone, reading_zone, user_zone
from bot.services.vendors.lookup import (
    require_bot_in_channel,
    require_side,
    require_vendor,
    side_of,
)
from bot.slack.client import LookupDeferred
from bot.text.commands import USAGE
from bot.text.escaping import slack_escape
from bot.time.calendar import day_off_note
from bot.time.timeparse import format_local, parse_when
from storage.models import INTERNAL, VENDOR, ChangeRequest, Deadline, OutboxMessage, Vendor

MAX_DESCRIPTION = 2000


@dataclass
class ChangeView:
    """A change request with what its message needs."""

    change: ChangeRequest
    vendor: Vendor
    deadline: Deadline | None
    vendor_tz: ZoneInfo
    user_tz: ZoneInfo | None = None
    moved: bool = False
    day_off: str | None = None  # the new date is a weekend day or a public holiday


def pending_change(session: Session, deadline: Deadline) -> ChangeRequest | None:
    return session.scalar(
        select(ChangeRequest)
        .where(ChangeRequest.deadline_id == deadline.id, ChangeRequest.state == PENDING)
        .order_by(ChangeRequest.id)
        .limit(1)
    )


def request_move(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    number: int,
    when_text: str,
    reason: str,
) -> ChangeView:
    """`deadline move <n> <when> reason "<why>"`: a change request, not an edit."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_bot_in_channel(runtime, vendor)  # the answer is a post there
    deadline = by_number(session, vendor, number, usage="deadline move")
    if deadline.state == CANCELLED:
        require_open(deadline, "move")
    if deadline.state == DONE:
        raise UserError(f"#{deadline.number} {deadline.title} is done; there is nothing to move.")
    now = runtime.clock.now()
    tz = reading_zone(runtime, vendor, actor)
    when = parse_when(when_text, tz=tz, now=now)
    vtz = deadline_zone(runtime, vendor)
    if when.at == deadline.due_at:
        raise UserError(
            f"#{deadline.number} is already due {format_local(deadline.due_at, vtz)}.",
            usage=USAGE["deadline move"],
        )
    existing = pending_change(session, deadline)
    if existing is not None:
        raise UserError(
            f"#{deadline.number} already has a change waiting for approval (to "
            f"{format_local(existing.new_due_at, vtz) if existing.new_due_at else '?'}, asked by "
            f"<@{existing.requested_by}>). Approve or decline that one first."
        )
    reason = " ".join(reason.split())
    cr = _open_request(
        session,
        vendor,
        actor,
        now,
        what=f"move deadline #{deadline.number}",
        detail={
            "deadline_id": deadline.id,
            "old_due_at": deadline.due_at.isoformat(),
            "new_due_at": when.at.isoformat(),
            "reason": reason,
        },
        deadline_id=deadline.id,
        kind="move",
        description=f"Move #{deadline.number} {deadline.title}",
        reason=reason,
        old_due_at=deadline.due_at,
        new_due_at=when.at,
    )
    return ChangeView(
        change=cr,
        vendor=vendor,
        deadline=deadline,
        vendor_tz=vtz,
        user_tz=user_zone(runtime, actor.team_id, actor.user_id),
        day_off=day_off_note(when.at, vtz, vendor.country),
    )


def _open_request(
    session: Session,
    vendor: Vendor,
    actor: Actor,
    now: datetime,
    *,
    what: str,
    detail: dict[str, Any],
    **fields: Any,
) -> ChangeRequest:
    """A pending change request of the actor's, in the vendor's channel, written with its
    audit row (both carry the request's id, known once it is flushed)."""
    cr = ChangeRequest(
        vendor_id=vendor.id,
        state=PENDING,
        requested_by=actor.user_id,
        requested_at=now,
        channel_id=vendor.channel_id,
        **fields,
    )
    session.add(cr)
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="change.request",
        subject=f"change #{cr.id}: {what}",
        at=now,
        vendor_id=vendor.id,
        detail={"change_id": cr.id, **detail},
    )
    return cr


def request_change(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, description: str
) -> ChangeView:
    """`/outsource change "<what changes>"`: a scope or priority change both sides approve."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_bot_in_channel(runtime, vendor)  # the answer is a post there
    description = description.strip()
    if not description:
        raise UserError("Describe the change.", usage=USAGE["change"])
    if len(description) > MAX_DESCRIPTION:
        raise UserError(
            f"Keep the change description under {MAX_DESCRIPTION:,} characters.",
            usage=USAGE["change"],
        )
    now = runtime.clock.now()
    cr = _open_request(
        session,
        vendor,
        actor,
        now,
        what=description[:150],
        detail={"description": description},
        kind="scope",
        description=description,
    )
    return ChangeView(
        change=cr, vendor=vendor, deadline=None, vendor_tz=deadline_zone(runtime, vendor)
    )


def withdraw_change(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int
) -> ChangeView:
    """`change withdraw <n>`: the side that asked for the change takes it back. Its message then
    says so and its buttons change nothing."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    cr = session.get(ChangeRequest, number, with_for_update=True)
    if cr is None or cr.vendor_id != vendor.id:
        raise NotFound(
            f"There is no change request #{number} in this channel. The number is on the "
            "request's message (📝 Change request #…).",
            usage=USAGE["change withdraw"],
        )
    asking = _requesting_side(runtime, vendor, cr)
    mine = side_of(runtime, vendor, actor)
    if mine is None or (actor.user_id != cr.requested_by and mine != asking):
        party = {VENDOR: f" ({slack_escape(vendor.name)}'s side)", INTERNAL: " (the internal team)"}
        raise NotAllowed(
            f"Only the side that asked for change request #{cr.id}{party.get(asking or '', '')} "
            "can withdraw it; "
            "nothing was changed. To turn it down, use its Decline button."
        )
    if cr.state == WITHDRAWN:
        raise UserError(f"<@{cr.withdrawn_by}> withdrew change request #{cr.id} already.")
    if cr.state == CANCELLED:
        raise UserError(
            f"Change request #{cr.id} was closed already: its deadline is no longer open."
        )
    if cr.state != PENDING:
        raise UserError(
            f"Change request #{cr.id} was {cr.state} already; there is nothing to withdraw. "
            "To change things again, make a new request."
        )
    now = runtime.clock.now()
    cr.state = WITHDRAWN
    cr.withdrawn_by = actor.user_id
    cr.withdrawn_at = now
    cr.resolved_at = now
    deadline = session.get(Deadline, cr.deadline_id) if cr.deadline_id else None
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="change.withdraw",
        subject=f"change #{cr.id}" + (f": move deadline #{deadline.number}" if deadline else ""),
        at=now,
        vendor_id=vendor.id,
        detail={"change_id": cr.id, "side": mine},
    )
    return ChangeView(
        change=cr, vendor=vendor, deadline=deadline, vendor_tz=deadline_zone(runtime, vendor)
    )


def _requesting_side(runtime: Runtime, vendor: Vendor, cr: ChangeRequest) -> str | None:
    """The side of the person who asked for the change (looked up now: a registered contact,
    else by their organization)."""
    try:
        user = runtime.directory.user(vendor.team_id, cr.requested_by)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError):
        user = None  # unknown: only the requester themselves may withdraw
    requester = Actor(
        user_id=cr.requested_by,
        user_team_id=user.team_id if user is not None else None,
        team_id=vendor.team_id,
        team_known=user is not None,
    )
    return side_of(runtime, vendor, requester)


def decide_change(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    change_id: int,
    channel_id: str,
    side: str,
    approve: bool,
    message_ts: str | None = None,
) -> ChangeView:
    """An Approve or Decline button of one side. Both approvals apply the change; one decline
    closes it. The wrong side's click is refused and changes nothing.

    The button must be on the message that was posted for this change request (`message_ts`
    of the click): a stale or forged message's buttons change nothing."""
    # Locked: a withdraw and an approval at once are one after the other.
    cr = session.get(ChangeRequest, change_id, with_for_update=True)
    vendor = session.get(Vendor, cr.vendor_id) if cr is not None else None
    if (
        cr is None
        or vendor is None
        or vendor.team_id != actor.team_id
        or vendor.channel_id != channel_id
        or (message_ts is not None and message_ts != _change_message_ts(session, cr))
    ):
        raise NotFound("That change request is not one of this channel's; nothing was changed.")
    doing = "approve" if approve else "decline"
    party = f"{vendor.name}'s" if side == VENDOR else "the internal team's"
    require_side(runtime, vendor, actor, side, f"{doing} this change on {party} behalf")
    vtz = deadline_zone(runtime, vendor)
    if cr.state == CANCELLED:
        closed = cr.deadline.state if cr.deadline is not None else DONE
        how = "cancelled" if closed == CANCELLED else "marked done"
        raise UserError(
            f"This change request was closed: its deadline was {how}. Nothing was changed."
        )
    if cr.state == WITHDRAWN:
        raise UserError(
            f"<@{cr.withdrawn_by}> withdrew this change request; there is nothing to "
            f"{doing} and nothing was changed."
        )
    if cr.state != PENDING:
        raise UserError(f"This change request is {cr.state} already; nothing was changed.")
    now = runtime.clock.now()
    deadline = session.get(Deadline, cr.deadline_id) if cr.deadline_id else None
    view = ChangeView(change=cr, vendor=vendor, deadline=deadline, vendor_tz=vtz)
    subject = f"change #{cr.id}" + (f": move deadline #{deadline.number}" if deadline else "")
    if not approve:
        cr.state = DECLINED
        cr.declined_by = actor.user_id
        cr.declined_at = now
        cr.resolved_at = now
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=actor.user_id,
            action="change.decline",
            subject=subject,
            at=now,
            vendor_id=vendor.id,
            detail={"change_id": cr.id, "side": side},
        )
        return view
    if side == INTERNAL:
        if cr.internal_approved_by:
            raise UserError(f"<@{cr.internal_approved_by}> approved this for the internal side.")
        cr.internal_approved_by = actor.user_id
        cr.internal_approved_at = now
    else:
        if cr.vendor_approved_by:
            raise UserError(f"<@{cr.vendor_approved_by}> approved this for {vendor.name}.")
        cr.vendor_approved_by = actor.user_id
        cr.vendor_approved_at = now
    detail: dict[str, object] = {"change_id": cr.id, "side": side}
    if cr.internal_approved_by and cr.vendor_approved_by:
        if deadline is not None and deadline.state == DONE:
            raise UserError(
                f"#{deadline.number} {deadline.title} is done already; there is nothing to move."
            )
        cr.state = APPROVED
        cr.resolved_at = now
        detail["result"] = APPROVED
        if deadline is not None and cr.new_due_at is not None:
            old = deadline.due_at
            _apply_move(session, deadline, cr.new_due_at, vtz, now)
            view.moved = True
            detail.update(
                {
                    "deadline_id": deadline.id,
                    "old_due_at": old.isoformat(),
                    "new_due_at": cr.new_due_at.isoformat(),
                    "reason": cr.reason,
                    "approvers": [cr.internal_approved_by, cr.vendor_approved_by],
                }
            )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="change.approve",
        subject=subject,
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    return view


def _apply_move(
    session: Session, deadline: Deadline, new_due: datetime, tz: ZoneInfo, now: datetime
) -> None:
    """Both sides approved: the new date, a new revision, reminders follow the new date.

    Steps of the new date already in the past are not sent (they would arrive late); the next
    step ahead is. Reminders still waiting in the outbox for the old date are dropped. (An
    acknowledgement stands: the vendor side approved the new date.)
    """
    deadline.due_at = new_due
    deadline.revision += 1
    deadline.next_reminder_at = next_reminder_after(new_due, tz, now)
    cancel_pending_reminders(session, deadline, "deadline moved")


def close_pending_changes(session: Session, deadline: Deadline, now: datetime) -> list[int]:
    """A move still waiting for approval has nothing left to move: closed, ids returned."""
    closed = []
    for cr in session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.deadline_id == deadline.id, ChangeRequest.state == PENDING
        )
    ):
        cr.state = CANCELLED
        cr.resolved_at = now
        closed.append(cr.id)
    return closed


def _change_message_ts(session: Session, cr: ChangeRequest) -> str | None:
    """Where the change request's message is (posted by the outbox after its commit)."""
    ts = session.scalar(
        select(OutboxMessage.message_ts).where(
            OutboxMessage.dedupe_key == change_post_key(cr.id), OutboxMessage.state == "sent"
        )
    )
    return ts or cr.message_ts


def refresh_change_message(
    session: Session, *, team_id: str, channel_id: str, change_id: int, now: datetime
) -> None:
    """The change request's message shows its current state (chat.update after the commit,
    rendered when delivered): a decision, a withdrawal, a close."""
    update_message(
        session,
        team_id=team_id,
        channel_id=channel_id,
        of=change_post_key(change_id),
        now=now,
        kind="change_request",
        render={"kind": "change.request", "change": change_id},
    )


def change_post_key(change_id: int) -> str:
    """The outbox key of a change request's message (its updates and buttons refer to it)."""
    return f"change:{change_id}:post"
