"""Check-in listeners: `checkin every|off|now`, the Update button and its form.

No Slack call is made here before the commit: posts are outbox rows (bot/services/checkins.py,
rendered by bot/posts/checkins.py), the form opens after the commit (`open_modal`)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks import checkins as views
from bot.blocks import kit
from bot.blocks.checkins import read_update_form
from bot.blocks.ids import Action, BlockId, Callback
from bot.errors import UserError
from bot.services import checkins as service
from bot.text.commands import CheckinEvery, CheckinNow, CheckinOff
from handlers.routing import CommandRequest, Reply, open_modal, subcommand


def register(app: App) -> None:
    app.action(Action.CHECKIN_UPDATE_VENDOR)(on_update_button)
    app.view(Callback.CHECKIN_MODAL)(on_update_submitted)


# --------------------------------------------------------------------------- slash subcommands


@subcommand(CheckinEvery)
def every(cmd: CheckinEvery, req: CommandRequest) -> Reply:
    result = service.set_cadence(
        req.session,
        actor=req.actor,
        channel_id=req.channel_id,
        days=cmd.days,
        at=cmd.at,
        tz=cmd.tz,
        now=req.runtime.clock.now(),
    )
    text = f"Check-ins for *{result.vendor.name}*: {result.description}."
    if result.next_label:
        text += f"\nNext check-in: {result.next_label}."
    return Reply(text=text)


@subcommand(CheckinOff)
def off(cmd: CheckinOff, req: CommandRequest) -> Reply:
    changed = service.cadence_off(
        req.session, actor=req.actor, channel_id=req.channel_id, now=req.runtime.clock.now()
    )
    if not changed:
        return Reply(text="There are no scheduled check-ins in this channel; nothing changed.")
    return Reply(text="Scheduled check-ins are off for this channel.")


@subcommand(CheckinNow)
def now(cmd: CheckinNow, req: CommandRequest) -> Reply:
    service.checkin_now(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        now=req.runtime.clock.now(),
    )
    # Said before the post leaves (a slow or rate-limited Slack never delays this answer).
    return Reply(text="Check-in posted in this channel; it shows up in a moment if Slack is slow.")


# --------------------------------------------------------------------------- the form


def on_update_button(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    session: Session,
    runtime: Runtime,
    actor: Actor,
) -> None:
    ack()
    action = (body.get("actions") or [{}])[0]
    container = body.get("container") or {}
    channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    message_ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    form = service.open_update_form(
        session,
        runtime=runtime,
        actor=actor,
        channel_id=channel_id,
        value=kit.decode(action.get("value")),
        message_ts=message_ts,
    )
    view = views.update_modal(
        vendor_name=form.vendor_name,
        when_label=form.when_label,
        private_metadata=form.metadata,
    )
    open_modal(session, client, body["trigger_id"], view)


def on_update_submitted(
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    session: Session,
    runtime: Runtime,
    actor: Actor,
) -> None:
    form, errors = read_update_form(view)
    if form is None:
        ack(response_action="errors", errors=errors)
        return
    try:
        service.submit_update(
            session,
            runtime=runtime,
            actor=actor,
            metadata=kit.decode(view.get("private_metadata")),
            done=form.done,
            next_=form.next,
            blockers=form.blockers,
            on_track=form.on_track,
            now=runtime.clock.now(),
        )
    except UserError as exc:
        # A modal shows errors next to a field; nothing this request did is kept.
        context["failed"] = True
        ack(response_action="errors", errors={BlockId.CHECKIN_ON_TRACK: exc.message[:150]})
        return
    ack()
