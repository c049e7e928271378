"""Deadline listeners: `deadline add|list|show|done|move|cancel|rename|owner`,
`change [withdraw]`, and the buttons on reminders (Acknowledge, Mark done), change requests
(Approve/Decline for each side) and `deadline add`'s confirmation (Undo)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks import deadlines as views
from bot.blocks import kit
from bot.blocks.ids import Action
from bot.delivery import outbox
from bot.delivery.unit_of_work import after_commit
from bot.errors import UserError
from bot.services.deadlines.change_requests import (
    ChangeView,
    change_post_key,
    decide_change,
    refresh_change_message,
    request_change,
    request_move,
    withdraw_change,
)
from bot.services.deadlines.corrections import (
    UNDO_WINDOW,
    Cancelled,
    Corrected,
    cancel_deadline,
    rename_deadline,
    set_owner,
    undo_add,
)
from bot.services.deadlines.creation import add_from_command
from bot.services.deadlines.listing import list_deadlines, show_deadline
from bot.services.deadlines.progress import acknowledge, complete
from bot.text.commands import (
    ChangeRequestCmd,
    ChangeWithdraw,
    DeadlineAdd,
    DeadlineCancel,
    DeadlineDone,
    DeadlineList,
    DeadlineMove,
    DeadlineOwner,
    DeadlineRename,
    DeadlineShow,
)
from handlers.routing import CommandRequest, Reply, subcommand
from storage.models import INTERNAL, VENDOR, Deadline

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(Action.DEADLINE_ACK_VENDOR)(on_acknowledge)
    app.action(Action.DEADLINE_DONE)(on_mark_done)
    app.action(Action.DEADLINE_UNDO_INTERNAL)(on_undo)
    app.action(Action.CHANGE_APPROVE_INTERNAL)(on_change_decision)
    app.action(Action.CHANGE_DECLINE_INTERNAL)(on_change_decision)
    app.action(Action.CHANGE_APPROVE_VENDOR)(on_change_decision)
    app.action(Action.CHANGE_DECLINE_VENDOR)(on_change_decision)


# --------------------------------------------------------------------------- slash subcommands


@subcommand(DeadlineAdd)
def add(cmd: DeadlineAdd, req: CommandRequest) -> Reply:
    added = add_from_command(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        title=cmd.title,
        when_text=cmd.when,
        owner_user_id=cmd.owner_user_id,
        milestone=cmd.milestone,
        parent_number=cmd.parent_number,
    )
    text, blocks = views.added_reply(added, undo_minutes=int(UNDO_WINDOW.total_seconds() // 60))
    # Both sides see the new deadline in the channel (and the vendor can acknowledge it now):
    # posted after the commit, by the outbox.
    vendor = added.vendor
    outbox.reply(
        req.session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=announcement_key(added.deadline.id),
        kind="deadline_added",
        now=req.runtime.clock.now(),
        render={
            "kind": "deadline.announcement",
            "deadline": added.deadline.id,
            "actor": req.actor.user_id,
        },
        vendor_id=vendor.id,
    )
    return Reply(text=text, blocks=blocks)


@subcommand(DeadlineList)
def list_(cmd: DeadlineList, req: CommandRequest) -> Reply:
    listing = list_deadlines(
        req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id
    )
    text, blocks = views.listing(listing)
    return Reply(text=text, blocks=blocks)


@subcommand(DeadlineShow)
def show(cmd: DeadlineShow, req: CommandRequest) -> Reply:
    detail = show_deadline(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
    )
    text, blocks = views.detail(detail)
    return Reply(text=text, blocks=blocks)


@subcommand(DeadlineDone)
def done(cmd: DeadlineDone, req: CommandRequest) -> Reply:
    deadline = complete(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
    )
    return Reply(text=views.done_reply(deadline))


@subcommand(DeadlineMove)
def move(cmd: DeadlineMove, req: CommandRequest) -> Reply:
    view = request_move(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
        when_text=cmd.when,
        reason=cmd.reason,
    )
    _post_change(req, view)
    return Reply(text=views.move_requested_reply(view))


@subcommand(DeadlineCancel)
def cancel(cmd: DeadlineCancel, req: CommandRequest) -> Reply:
    result = cancel_deadline(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
        reason=cmd.reason,
    )
    _tell_cancelled(req.session, req.runtime, result)
    return Reply(text=views.cancelled_reply(result.deadline))


@subcommand(DeadlineRename)
def rename(cmd: DeadlineRename, req: CommandRequest) -> Reply:
    result = rename_deadline(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
        title=cmd.title,
    )
    _tell_corrected(req, result, "rename", "deadline.renamed")
    return Reply(text=views.renamed_reply(result.deadline))


@subcommand(DeadlineOwner)
def owner(cmd: DeadlineOwner, req: CommandRequest) -> Reply:
    result = set_owner(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
        user_id=cmd.user_id,
    )
    _tell_corrected(req, result, "owner", "deadline.owner")
    return Reply(text=views.owner_reply(result.deadline))


def announcement_key(deadline_id: int) -> str:
    """The outbox key of the in-channel note that a deadline was set."""
    return f"announce:deadline:{deadline_id}"


def _tell_cancelled(session: Session, runtime: Runtime, result: Cancelled) -> None:
    """After a cancel, the channel is told (an Undo only rewrites the deadline's note), the
    note loses its buttons, and the change requests it closed say so."""
    deadline, vendor = result.deadline, result.vendor
    now = runtime.clock.now()
    if not result.undo:
        outbox.reply(
            session,
            team_id=vendor.team_id,
            channel_id=vendor.channel_id,
            key=f"cancel:deadline:{deadline.id}",
            kind="deadline_cancelled",
            now=now,
            render={"kind": "deadline.cancelled", "deadline": deadline.id},
            vendor_id=vendor.id,
        )
    outbox.update_message(
        session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        of=announcement_key(deadline.id),
        now=now,
        kind="deadline_added",
        render={
            "kind": "deadline.announcement",
            "deadline": deadline.id,
            "actor": deadline.created_by,
            "update": True,
        },
    )
    for change_id in result.closed_changes:
        refresh_change_message(
            session,
            team_id=vendor.team_id,
            channel_id=vendor.channel_id,
            change_id=change_id,
            now=now,
        )


def _tell_corrected(req: CommandRequest, result: Corrected, what: str, kind: str) -> None:
    """The channel's note of a rename or a new owner, rendered from its audit row (one note per
    correction: the key is the audit row's)."""
    vendor = result.vendor
    outbox.reply(
        req.session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=f"{what}:deadline:{result.deadline.id}:{result.audit_id}",
        kind=f"deadline_{what}",
        now=req.runtime.clock.now(),
        render={"kind": kind, "audit": result.audit_id},
        vendor_id=vendor.id,
    )


@subcommand(ChangeRequestCmd)
def change(cmd: ChangeRequestCmd, req: CommandRequest) -> Reply:
    view = request_change(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        description=cmd.description,
    )
    _post_change(req, view)
    return Reply(text=views.change_requested_reply(view))


@subcommand(ChangeWithdraw)
def withdraw(cmd: ChangeWithdraw, req: CommandRequest) -> Reply:
    view = withdraw_change(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
    )
    cr = view.change
    refresh_change_message(
        req.session,
        team_id=view.vendor.team_id,
        channel_id=cr.channel_id or view.vendor.channel_id,
        change_id=cr.id,
        now=req.runtime.clock.now(),
    )
    return Reply(text=views.withdrawn_reply(view))


def _post_change(req: CommandRequest, view: ChangeView) -> None:
    """The change request message is the direct answer to the command: written to the outbox
    with the change, posted right after the commit (its approvals update it in place)."""
    cr, vendor = view.change, view.vendor
    outbox.reply(
        req.session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=change_post_key(cr.id),
        kind="change_request",
        now=req.runtime.clock.now(),
        render={"kind": "change.request", "change": cr.id},
        vendor_id=vendor.id,
    )


# --------------------------------------------------------------------------- buttons


def _clicked(body: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(channel id, decoded button value, action id) of a block_actions payload."""
    action = (body.get("actions") or [{}])[0]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return str(channel), kit.decode(action.get("value")), str(action.get("action_id", ""))


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UserError("That button is out of date; nothing was changed.")


def _update_reminder(
    session: Session, runtime: Runtime, body: dict[str, Any], deadline: Deadline
) -> None:
    """The clicked reminder shows the deadline's new state (after the commit)."""
    message = body.get("message")
    channel, _, _ = _clicked(body)
    if not message or not message.get("ts") or not channel:
        return
    outbox.update_message(
        session,
        team_id=deadline.vendor.team_id,
        channel_id=channel,
        ts=str(message["ts"]),
        now=runtime.clock.now(),
        kind="deadline_refresh",
        render={
            "kind": "deadline.refresh",
            "deadline": deadline.id,
            "text": message.get("text") or "",
            "blocks": list(message.get("blocks") or []),
        },
    )


def on_acknowledge(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    session: Session,
    runtime: Runtime,
    actor: Actor,
) -> None:
    ack()
    channel, value, _ = _clicked(body)
    deadline = acknowledge(
        session, runtime=runtime, actor=actor, deadline_id=_int(value.get("d")), channel_id=channel
    )
    _update_reminder(session, runtime, body, deadline)


def on_mark_done(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    session: Session,
    runtime: Runtime,
    actor: Actor,
) -> None:
    ack()
    channel, value, _ = _clicked(body)
    deadline = complete(
        session, runtime=runtime, actor=actor, channel_id=channel, deadline_id=_int(value.get("d"))
    )
    _update_reminder(session, runtime, body, deadline)


def on_undo(
    ack: Ack,
    body: dict[str, Any],
    respond: Respond,
    session: Session,
    runtime: Runtime,
    actor: Actor,
) -> None:
    """Undo on `deadline add`'s (ephemeral) confirmation: the deadline is taken back and the
    confirmation says so in place."""
    ack()
    channel, value, _ = _clicked(body)
    result = undo_add(
        session, runtime=runtime, actor=actor, deadline_id=_int(value.get("d")), channel_id=channel
    )
    _tell_cancelled(session, runtime, result)
    text = views.undone_reply(result.deadline)
    after_commit(
        session,
        lambda: respond(text=text, response_type="ephemeral", replace_original=True),
    )


DECISIONS = {
    Action.CHANGE_APPROVE_INTERNAL: (INTERNAL, True),
    Action.CHANGE_DECLINE_INTERNAL: (INTERNAL, False),
    Action.CHANGE_APPROVE_VENDOR: (VENDOR, True),
    Action.CHANGE_DECLINE_VENDOR: (VENDOR, False),
}


def on_change_decision(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    session: Session,
    runtime: Runtime,
    actor: Actor,
) -> None:
    ack()
    channel, value, action_id = _clicked(body)
    side, approve = DECISIONS[Action(action_id)]
    view = decide_change(
        session,
        runtime=runtime,
        actor=actor,
        change_id=_int(value.get("c")),
        channel_id=channel,
        side=side,
        approve=approve,
        message_ts=(body.get("message") or {}).get("ts")
        or (body.get("container") or {}).get("message_ts"),
    )
    cr = view.change
    refresh_change_message(
        session,
        team_id=view.vendor.team_id,
        channel_id=cr.channel_id or channel,
        change_id=cr.id,
        now=runtime.clock.now(),
    )
