"""Vendors and contacts: `/outsource vendor add|list|remove|restore`, `contact set`, `contacts`;
the register and pick-a-contact modals; channel membership, sharing and user events.

No Slack call is made here: modals open after the commit (`open_modal`), confirmations are
outbox rows delivered after it."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.actors import Actor
from bot.blocks import kit
from bot.blocks import vendors as views
from bot.blocks.ids import Action, Callback
from bot.delivery import outbox
from bot.errors import UserError
from bot.services.vendors import contacts, events, registration
from bot.services.vendors.errors import FieldError
from bot.text.commands import (
    ContactSet,
    ContactsShow,
    VendorAdd,
    VendorList,
    VendorRemove,
    VendorRestore,
)
from handlers.middleware import installing_team
from handlers.routing import CommandRequest, Reply, open_modal, subcommand

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(Action.REGISTER_VENDOR_INTERNAL)(open_register_modal)
    app.view(Callback.REGISTER_VENDOR_MODAL)(submit_register_modal)
    app.action(Action.PICK_CONTACT_INTERNAL)(open_pick_modal)
    app.view(Callback.PICK_CONTACT_MODAL)(submit_pick_modal)
    app.event("member_joined_channel")(on_member_joined)
    app.event("member_left_channel")(on_member_left)
    app.event("channel_shared")(on_channel_shared)
    app.event("channel_unshared")(on_channel_unshared)
    app.event("user_change")(on_user_change)


# ------------------------------------------------------------------------------ commands


@subcommand(VendorAdd)
def vendor_add(cmd: VendorAdd, req: CommandRequest) -> Reply:
    change = registration.add_vendor(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        channel_name=req.body.get("channel_name"),
        name=cmd.name,
        tz=cmd.tz,
        country=cmd.country,
    )
    return Reply(*views.vendor_added(change))


@subcommand(VendorList)
def vendor_list(cmd: VendorList, req: CommandRequest) -> Reply:
    listing = registration.list_vendors(req.session, runtime=req.runtime, team_id=req.team_id)
    return Reply(*views.vendor_listing(listing))


@subcommand(VendorRemove)
def vendor_remove(cmd: VendorRemove, req: CommandRequest) -> Reply:
    vendor = registration.remove_vendor(
        req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id
    )
    return Reply(*views.vendor_removed(vendor))


@subcommand(VendorRestore)
def vendor_restore(cmd: VendorRestore, req: CommandRequest) -> Reply:
    change = registration.restore_vendor(
        req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id
    )
    return Reply(*views.vendor_added(change))


@subcommand(ContactSet)
def contact_set(cmd: ContactSet, req: CommandRequest) -> Reply:
    change = contacts.set_contact(
        req.session,
        runtime=req.runtime,
        actor=req.actor,
        channel_id=req.channel_id,
        side=cmd.side,
        user_id=cmd.user_id,
        backup=cmd.backup,
    )
    return Reply(*views.contact_changed(change))


@subcommand(ContactsShow)
def contacts_show(cmd: ContactsShow, req: CommandRequest) -> Reply:
    overview = contacts.show_contacts(
        req.session, runtime=req.runtime, team_id=req.team_id, channel_id=req.channel_id
    )
    return Reply(*views.contacts_overview(overview))


# ------------------------------------------------------------------------------ modals


def open_register_modal(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    ack()
    defaults = registration.registration_form(
        context["session"],
        runtime=context["runtime"],
        actor=context["actor"],
        channel_id=(body.get("channel") or {}).get("id", ""),
    )
    open_modal(context["session"], client, body["trigger_id"], views.register_modal(defaults))


def submit_register_modal(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    actor: Actor = context["actor"]
    channel_id = str(kit.decode(view.get("private_metadata")).get("c") or "")
    try:
        change, new_contacts = registration.register_from_form(
            context["session"],
            runtime=context["runtime"],
            actor=actor,
            channel_id=channel_id,
            fields=views.register_fields(view),
        )
    except UserError as exc:
        _refuse_form(ack, context, exc)
        return
    ack()
    # The channel's note comes from the service; the details go to the person who registered.
    outbox.ephemeral(
        context["session"],
        team_id=actor.team_id,
        channel_id=channel_id,
        user_id=actor.user_id,
        now=context["runtime"].clock.now(),
        text=views.registered(change, new_contacts),
        kind="vendor_registered",
    )


def open_pick_modal(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    ack()
    value = kit.decode((body.get("actions") or [{}])[0].get("value"))
    ctx = contacts.pick_contact_form(
        context["session"],
        runtime=context["runtime"],
        actor=context["actor"],
        vendor_id=int(value.get("v") or 0),
        side=str(value.get("s") or ""),
        role=str(value.get("r") or ""),
    )
    open_modal(context["session"], client, body["trigger_id"], views.pick_contact_modal(ctx))


def submit_pick_modal(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    actor: Actor = context["actor"]
    meta = kit.decode(view.get("private_metadata"))
    try:
        change = contacts.pick_contact(
            context["session"],
            runtime=context["runtime"],
            actor=actor,
            vendor_id=int(meta.get("v") or 0),
            side=str(meta.get("s") or ""),
            role=str(meta.get("r") or ""),
            user_id=views.picked_user(view),
        )
    except UserError as exc:
        context["failed"] = True
        ack(response_action="errors", errors=views.pick_contact_errors(exc.render()))
        return
    ack()
    key = (
        f"vendor:{change.vendor.id}:contact-set:{change.audit_id}"
        if change.audit_id is not None
        else f"vendor:{change.vendor.id}:contact-unchanged:{uuid.uuid4().hex[:16]}"
    )
    outbox.reply(
        context["session"],
        team_id=actor.team_id,
        channel_id=actor.user_id,  # a DM: the modal was opened from one
        key=key,
        now=context["runtime"].clock.now(),
        kind="vendor_contact_set",
        render={
            "kind": "vendor.contact_set",
            "vendor": change.vendor.id,
            "side": change.side,
            "role": change.role,
            "user": change.user_id,
            "unchanged": change.unchanged,
            "replaced": change.replaced,
            "moved_from": change.moved_from,
        },
        vendor_id=change.vendor.id,
    )


def _refuse_form(ack: Ack, context: BoltContext, exc: UserError) -> None:
    """Show the problem next to its field; the request's transaction is rolled back."""
    context["failed"] = True
    field_name = exc.field if isinstance(exc, FieldError) else None
    ack(response_action="errors", errors=views.field_errors(field_name, exc.render()))


# ------------------------------------------------------------------------------ events


def _event_id(body: dict[str, Any], event: dict[str, Any]) -> str:
    return str(body.get("event_id") or event.get("event_ts") or "")


def on_member_joined(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    if not event.get("user") or event.get("user") != context.bot_user_id:
        return  # someone else joined: nothing to do for vendors
    events.bot_joined(
        context["session"],
        runtime=context["runtime"],
        team_id=installing_team(context) or "",
        channel_id=str(event.get("channel") or ""),
        event_id=_event_id(body, event),
    )


def on_member_left(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    if not event.get("user") or not event.get("channel"):
        return
    events.member_left(
        context["session"],
        runtime=context["runtime"],
        team_id=installing_team(context) or "",
        channel_id=str(event["channel"]),
        user_id=str(event["user"]),
        event_id=_event_id(body, event),
    )


def on_channel_shared(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    events.channel_shared(
        context["session"],
        runtime=context["runtime"],
        team_id=installing_team(context) or "",
        channel_id=str(event.get("channel") or ""),
        connected_team_id=event.get("connected_team_id"),
        event_id=_event_id(body, event),
    )


def on_channel_unshared(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    still = event.get("is_ext_shared")
    events.channel_unshared(
        context["session"],
        runtime=context["runtime"],
        team_id=installing_team(context) or "",
        channel_id=str(event.get("channel") or ""),
        previous_team_id=event.get("previously_connected_team_id"),
        still_shared=None if still is None else bool(still),
        event_id=_event_id(body, event),
    )


def on_user_change(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    user = event.get("user") or {}
    if not isinstance(user, dict) or not user.get("id"):
        return
    events.user_changed(
        context["session"],
        runtime=context["runtime"],
        team_id=installing_team(context) or "",
        user_id=str(user["id"]),
        deleted=bool(user.get("deleted")),
        event_id=_event_id(body, event),
    )
