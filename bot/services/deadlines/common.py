"""What the deadline modules share: the states of a deadline and of a change request, the
deadline a command (by its number) or a button (by its id) is about, the refusal to change one
that is done or cancelled, and its reminders still waiting in the outbox dropped."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.errors import NotFound, UserError
from bot.text.commands import USAGE
from bot.text.escaping import slack_escape
from storage.models import Deadline, OutboxMessage, Vendor

OPEN = "open"
DONE = "done"
PENDING = "pending"
APPROVED = "approved"
DECLINED = "declined"
# A deadline taken back (`deadline cancel`, Undo); a pending move whose deadline was done or
# cancelled.
CANCELLED = "cancelled"
WITHDRAWN = "withdrawn"  # a change request taken back by the side that asked for it


def by_number(
    session: Session, vendor: Vendor, number: int, *, usage: str, lock: bool = False
) -> Deadline:
    """The channel's deadline #number. `lock`: its row is locked until the commit (PostgreSQL),
    so two corrections of one deadline at once are one after the other: the second sees the
    first's result."""
    query = select(Deadline).where(Deadline.vendor_id == vendor.id, Deadline.number == number)
    deadline = session.scalar(query.with_for_update() if lock else query)
    if deadline is None:
        highest = vendor.next_deadline_number - 1
        hint = (
            f" This channel has #1–#{highest}; see `/outsource deadline list`."
            if highest > 0
            else " This channel has no deadlines yet."
        )
        raise NotFound(f"There is no deadline #{number} in this channel.{hint}", usage=USAGE[usage])
    return deadline


def deadline_for_click(
    session: Session,
    *,
    actor: Actor,
    deadline_id: int,
    channel_id: str | None,
    lock: bool = False,
) -> Deadline:
    deadline = session.get(Deadline, deadline_id, with_for_update=lock)
    if (
        deadline is None
        or deadline.vendor.team_id != actor.team_id
        or (channel_id is not None and deadline.vendor.channel_id != channel_id)
        or deadline.vendor.archived_at is not None
    ):
        raise NotFound("That deadline is not one of this channel's; nothing was changed.")
    return deadline


def require_open(deadline: Deadline, doing: str) -> None:
    """Corrections apply to open deadlines; a done or cancelled one keeps its record."""
    if deadline.state == CANCELLED:
        raise UserError(
            f"#{deadline.number} {slack_escape(deadline.title)} was cancelled"
            + (f" by <@{deadline.cancelled_by}>" if deadline.cancelled_by else "")
            + f"; there is nothing to {doing}."
        )
    if deadline.state == DONE:
        raise UserError(
            f"#{deadline.number} {slack_escape(deadline.title)} is done already; "
            f"there is nothing to {doing}."
        )


def cancel_pending_reminders(session: Session, deadline: Deadline, reason: str) -> None:
    """Reminders of this deadline still waiting in the outbox (e.g. held by quiet hours) are
    recorded as skipped: they must not go out after the deadline was done or moved."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.like(f"deadline:{deadline.id}:%"),
            OutboxMessage.state == "pending",
        )
        .values(state="skipped", last_error=reason)
    )
