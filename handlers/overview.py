"""Overview listeners: `status`, `access add|remove|list`, `offboard`, `export`, the App Home
and its buttons, and the Done buttons of offboarding checklists. None of them calls Slack: the
Home is published and export files are uploaded after the commit (bot/services), messages go
through the outbox."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks import kit
from bot.blocks import overview as views
from bot.blocks.ids import Action
from bot.errors import UserError
from bot.services import access, export, offboarding, overview
from bot.text import escaping as text
from bot.text.commands import AccessAdd, AccessList, AccessRemove, Export, Offboard, Status
from bot.text.escaping import mrkdwn
from handlers.middleware import installing_team
from handlers.routing import CommandRequest, Reply, open_modal, subcommand

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(Action.HOME_REFRESH)(on_home_refresh)
    app.action(Action.HOME_OPEN_CHANNEL)(on_link)
    app.action(Action.HOME_STATUS_INTERNAL)(on_home_status)
    app.action(Action.HOME_EXPORT_INTERNAL)(on_home_export)
    app.action(Action.OFFBOARD_ITEM_DONE_INTERNAL)(on_offboard_done)


# --------------------------------------------------------------------------- slash subcommands


@subcommand(Status)
def status(cmd: Status, req: CommandRequest) -> Reply:
    now = req.runtime.clock.now()
    health = overview.status_for(
        req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id, now=now
    )
    viewer = overview.resolve_viewer(req.runtime, team_id=req.team_id, user_id=req.actor.user_id)
    return Reply(text=views.status_text(health), blocks=views.status_blocks(health, viewer.tz))


@subcommand(AccessAdd)
def access_add(cmd: AccessAdd, req: CommandRequest) -> Reply:
    added = access.add_access(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        system=cmd.system,
        user_id=cmd.user_id,
        now=req.runtime.clock.now(),
    )
    system = text.mrkdwn(added.item.system)
    vendor = text.mrkdwn(added.vendor.name)
    # The person was checked to be in the channel: their mention may stay live.
    who = f" for <@{added.item.user_id}>" if added.item.user_id else ""
    if added.created:
        said = f"Recorded: *{system}*{who} for {vendor}."
    else:
        said = f"Already on record: *{system}*{who}; nothing changed."
    said += f" {added.active} on record now (`/outsource access list`). Only you can see this."
    return Reply(text=said)


@subcommand(AccessRemove)
def access_remove(cmd: AccessRemove, req: CommandRequest) -> Reply:
    removed = access.remove_access(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        system=cmd.system,
        now=req.runtime.clock.now(),
    )
    system = text.mrkdwn(removed.items[0].system)
    people = [f"<@{i.user_id}>" for i in removed.items if i.user_id]
    whom = f" (for {', '.join(people)})" if people else ""
    said = (
        f"Removed from the access inventory of {text.mrkdwn(removed.vendor.name)}: "
        f"*{system}*{whom}. {removed.active} on record now (`/outsource access list`). "
        "Only you can see this."
    )
    return Reply(text=said)


@subcommand(AccessList)
def access_list(cmd: AccessList, req: CommandRequest) -> Reply:
    vendor, items = access.list_access(
        req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id
    )
    text, blocks = views.access_list_blocks(vendor, items)
    return Reply(text=text, blocks=blocks)


@subcommand(Offboard)
def offboard(cmd: Offboard, req: CommandRequest) -> Reply:
    result = offboarding.start_offboarding(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        now=req.runtime.clock.now(),
    )
    name = mrkdwn(result.vendor.name)
    if result.resumed:
        added = f" ({result.added} new items added)" if result.added else ""
        text = (
            f"Offboarding of {name} is already under way: {result.done} of "
            f"{result.total} done{added}. I've put the checklist at the bottom of our DM."
        )
    else:
        text = (
            f"Offboarding checklist for {name} ({result.total} items) is in your DM "
            "with me. Only you can see it."
        )
    return Reply(text=text)


@subcommand(Export)
def export_record(cmd: Export, req: CommandRequest) -> Reply:
    outcome = export.request_export(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        fmt=cmd.fmt,
        now=req.runtime.clock.now(),
        request_key=req.trigger_id,
    )
    return Reply(text=outcome.message)


# --------------------------------------------------------------------------- App Home


def on_home_opened(
    event: dict[str, Any], context: BoltContext, session: Session, runtime: Runtime
) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    overview.publish_home(
        session,
        runtime=runtime,
        team_id=installing_team(context) or "",
        user_id=str(event["user"]),
        now=runtime.clock.now(),
    )


def on_home_refresh(
    ack: Ack, body: dict[str, Any], context: BoltContext, session: Session, runtime: Runtime
) -> None:
    ack()
    overview.publish_home(
        session,
        runtime=runtime,
        team_id=installing_team(context) or "",
        user_id=str((body.get("user") or {}).get("id") or ""),
        now=runtime.clock.now(),
        force=True,
    )


def on_link(ack: Ack) -> None:
    """Link buttons still send an action; acknowledge it so Slack shows no error."""
    ack()


def _vendor_id(body: dict[str, Any]) -> int:
    for action in body.get("actions") or []:
        value = kit.decode(action.get("value"))
        if isinstance(value.get("v"), int):
            return int(value["v"])
    raise UserError("That button is out of date; refresh your App Home.")


def on_home_status(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    session: Session,
    runtime: Runtime,
    actor: Actor,
) -> None:
    ack()
    health = overview.status_for_vendor_id(
        session, runtime=runtime, actor=actor, vendor_id=_vendor_id(body), now=runtime.clock.now()
    )
    viewer = overview.resolve_viewer(runtime, team_id=actor.team_id, user_id=actor.user_id)
    open_modal(session, client, body["trigger_id"], views.status_modal(health, viewer.tz))


def on_home_export(
    ack: Ack, body: dict[str, Any], session: Session, runtime: Runtime, actor: Actor
) -> None:
    ack()
    # The file follows in the DM after the commit; a long record is announced there first.
    export.request_export_for_vendor(
        session,
        runtime=runtime,
        actor=actor,
        vendor_id=_vendor_id(body),
        fmt="md",
        now=runtime.clock.now(),
        request_key=body.get("trigger_id"),
    )


# --------------------------------------------------------------------------- offboarding


def on_offboard_done(
    ack: Ack, body: dict[str, Any], session: Session, runtime: Runtime, actor: Actor
) -> None:
    ack()
    item_id = None
    for action in body.get("actions") or []:
        value = kit.decode(action.get("value"))
        if isinstance(value.get("item"), int):
            item_id = int(value["item"])
    if item_id is None:
        raise UserError("That button is out of date; run `/outsource offboard` again.")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    offboarding.mark_item_done(
        session,
        runtime=runtime,
        actor=actor,
        item_id=item_id,
        now=runtime.clock.now(),
        clicked=(str(channel), str(ts)) if channel and ts else None,
    )
