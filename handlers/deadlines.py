"""Deadline listeners: `deadline add|list|show|done|move`, `change`, and the buttons on
reminders (Acknowledge, Mark done) and change requests (Approve/Decline for each side)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import outbox
from bot.actors import Actor
from bot.blocks import deadlines as views
from bot.blocks import kit
from bot.blocks.ids import Action
from bot.commands import (
    ChangeRequestCmd,
    DeadlineAdd,
    DeadlineDone,
    DeadlineList,
    DeadlineMove,
    DeadlineShow,
)
from bot.errors import UserError
from bot.runtime import Runtime
from bot.services import deadlines as service
from handlers.routing import CommandRequest, Reply, subcommand
from storage.models import INTERNAL, VENDOR, Deadline

log = logging.getLogger(__name__)

NOT_IN_CHANNEL = (
    "I couldn't post in this channel ({error}). Invite me with `/invite @outsource-bot` "
    "and try again; nothing was changed."
)


def register(app: App) -> None:
    app.action(Action.DEADLINE_ACK_VENDOR)(on_acknowledge)
    app.action(Action.DEADLINE_DONE)(on_mark_done)
    app.action(Action.CHANGE_APPROVE_INTERNAL)(on_change_decision)
    app.action(Action.CHANGE_DECLINE_INTERNAL)(on_change_decision)
    app.action(Action.CHANGE_APPROVE_VENDOR)(on_change_decision)
    app.action(Action.CHANGE_DECLINE_VENDOR)(on_change_decision)


# --------------------------------------------------------------------------- slash subcommands


@subcommand(DeadlineAdd)
def add(cmd: DeadlineAdd, req: CommandRequest) -> Reply:
    added = service.add_from_command(
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
    text, blocks = views.added_reply(added)
    # Both sides see the new deadline in the channel (and the vendor can acknowledge it now):
    # posted after the commit, by the outbox.
    vendor = added.vendor
    outbox.reply(
        req.session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=f"announce:deadline:{added.deadline.id}",
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
    listing = service.list_deadlines(
        req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id
    )
    text, blocks = views.listing(listing)
    return Reply(text=text, blocks=blocks)


@subcommand(DeadlineShow)
def show(cmd: DeadlineShow, req: CommandRequest) -> Reply:
    detail = service.show_deadline(
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
    deadline = service.complete(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        number=cmd.number,
    )
    return Reply(text=views.done_reply(deadline))


@subcommand(DeadlineMove)
def move(cmd: DeadlineMove, req: CommandRequest) -> Reply:
    view = service.request_move(
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


@subcommand(ChangeRequestCmd)
def change(cmd: ChangeRequestCmd, req: CommandRequest) -> Reply:
    view = service.request_change(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        description=cmd.description,
    )
    _post_change(req, view)
    return Reply(text=views.change_requested_reply(view))


def _post_change(req: CommandRequest, view: service.ChangeView) -> None:
    """The change request message is the direct answer to the command: written to the outbox
    with the change, posted right after the commit (its approvals update it in place)."""
    cr, vendor = view.change, view.vendor
    outbox.reply(
        req.session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=service.change_post_key(cr.id),
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
    deadline = service.acknowledge(
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
    deadline = service.complete(
        session, runtime=runtime, actor=actor, channel_id=channel, deadline_id=_int(value.get("d"))
    )
    _update_reminder(session, runtime, body, deadline)


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
    view = service.decide_change(
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
    outbox.update_message(
        session,
        team_id=view.vendor.team_id,
        channel_id=cr.channel_id or channel,
        of=service.change_post_key(cr.id),
        now=runtime.clock.now(),
        kind="change_request",
        render={"kind": "change.request", "change": cr.id},
    )
