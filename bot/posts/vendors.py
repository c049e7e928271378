"""Vendor and offboarding posts, rendered when delivered: the intro when the bot joins a
channel, the notes in a vendor channel when the vendor is registered, changed, archived or
restored, the DM to the internal owner when a contact leaves, the confirmation of a picked
contact, and the offboarding checklist DM with its updates as items are ticked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.blocks import overview as overview_views
from bot.blocks import vendors as views
from bot.posts import Message, RenderContext, on_sent, renderer
from bot.services import offboarding
from bot.services.vendors.contacts import ContactChange
from bot.services.vendors.lookup import ROLES, SIDES, contact, vendor_for_channel
from bot.text.escaping import mrkdwn
from storage.models import BACKUP, PRIMARY, AuditEntry, Contact, Vendor
from storage.models.records import ExportRequest, OffboardingChecklist

# What a vendor note reports, by audit action, and whether it needs the vendor active
# (True) or archived (False) to still be true when it is delivered.
NOTE_ACTIONS = {
    "vendor.add": True,
    "vendor.update": True,
    "vendor.reactivate": True,
    "vendor.restore": True,
    "vendor.archive": False,
}


def _message(made: tuple[str, list[dict[str, Any]]]) -> Message:
    text, blocks = made
    return Message(text, blocks)


@renderer("vendor.intro")
def intro(ctx: RenderContext) -> Message:
    """Hello from the bot in a channel it joined: a Register button unless the channel is a
    vendor's channel by the time it is posted."""
    vendor = vendor_for_channel(ctx.session, team_id=ctx.team_id, channel_id=ctx.channel_id)
    return _message(views.intro_message(vendor))


@renderer("vendor.note")
def note(ctx: RenderContext) -> Message | None:
    """A vendor was registered, changed, archived or restored: both sides are told. Dropped
    when it is no longer true (archived again before the note went out, or back)."""
    vendor = ctx.session.get(Vendor, int(ctx.data.get("vendor") or 0))
    entry = ctx.session.get(AuditEntry, int(ctx.data.get("audit") or 0))
    if vendor is None or entry is None or entry.action not in NOTE_ACTIONS:
        return None
    if NOTE_ACTIONS[entry.action] != vendor.active:
        return None
    return _message(
        views.vendor_note(vendor, action=entry.action, actor=entry.actor, detail=entry.detail)
    )


def _vacant(vendor: Vendor, side: str) -> str | None:
    if contact(vendor, side, PRIMARY) is None:
        return PRIMARY
    if contact(vendor, side, BACKUP) is None:
        return BACKUP
    return None


@renderer("vendor.contact_gone")
def contact_gone(ctx: RenderContext) -> Message | None:
    """To the internal owner: who left, who took over, and a button for whoever is missing
    as of delivery (none when someone was picked meanwhile). None once the vendor is archived."""
    gone = ctx.session.get(Contact, int(ctx.data.get("contact") or 0))
    if gone is None:
        return None
    vendor = ctx.session.get(Vendor, gone.vendor_id)
    if vendor is None or not vendor.active:
        return None
    return _message(
        views.contact_gone_dm(
            vendor,
            gone=gone,
            reason=str(ctx.data.get("reason") or ""),
            promoted=ctx.data.get("promoted"),
            missing=_vacant(vendor, gone.side),
        )
    )


@renderer("vendor.contact_set")
def contact_set(ctx: RenderContext) -> Message | None:
    """The confirmation, in the picker's DM, of a contact picked in the modal."""
    vendor = ctx.session.get(Vendor, int(ctx.data.get("vendor") or 0))
    side, role = str(ctx.data.get("side")), str(ctx.data.get("role"))
    if vendor is None or side not in SIDES or role not in ROLES:
        return None
    change = ContactChange(
        vendor,
        side,
        role,
        str(ctx.data.get("user") or ""),
        unchanged=bool(ctx.data.get("unchanged")),
        replaced=ctx.data.get("replaced"),
        moved_from=ctx.data.get("moved_from"),
    )
    return Message(views.picked(change))


# --------------------------------------------------------------------------- offboarding


def _export_note(ctx: RenderContext, checklist: OffboardingChecklist) -> str | None:
    """Where the final written record is, as of delivery."""
    if checklist.completed_at is None:
        return None
    export = ctx.session.scalar(
        select(ExportRequest)
        .where(
            ExportRequest.vendor_id == checklist.vendor_id,
            ExportRequest.reason == "offboarding",
            ExportRequest.created_at >= checklist.completed_at,
        )
        .order_by(ExportRequest.id.desc())
        .limit(1)
    )
    if export is None:
        return None
    if export.state == "sent":
        return f"The final written record is in this DM: `{mrkdwn(export.filename or '')}`."
    if export.state == "failed":
        return "The final written record could not be uploaded; run `/outsource export` again."
    return "The final written record is on its way to this DM."


@renderer("offboarding.checklist")
def checklist(ctx: RenderContext) -> Message | None:
    """The checklist with its progress now. A copy posted by an earlier `offboard` run that
    is still on its way when a newer one exists says where the checklist went instead."""
    found = offboarding.checklist_state(ctx.session, int(ctx.data.get("checklist") or 0))
    if found is None:
        return None
    vendor, cl, items = found
    copy = ctx.data.get("copy")
    if copy is not None and int(copy) < offboarding.latest_copy(ctx.session, cl.id):
        return _message(overview_views.checklist_moved(vendor, cl.requested_by))
    return _message(
        overview_views.checklist_message(vendor, cl, items, export_note=_export_note(ctx, cl))
    )


@on_sent("offboarding.checklist")
def checklist_posted(session: Any, data: dict[str, Any], channel_id: str, ts: str) -> None:
    """Remember the DM message of the newest copy (buttons are matched against it)."""
    if data.get("copy") is None:
        return  # an update: the message is already known
    cl = session.get(OffboardingChecklist, int(data.get("checklist") or 0))
    if cl is not None and int(data["copy"]) >= offboarding.latest_copy(session, cl.id):
        cl.dm_channel_id, cl.message_ts = channel_id, ts


@renderer("offboarding.moved")
def checklist_moved(ctx: RenderContext) -> Message | None:
    """An older copy of the checklist, once `offboard` posted a newer one."""
    found = offboarding.checklist_state(ctx.session, int(ctx.data.get("checklist") or 0))
    if found is None:
        return None
    vendor, _, _ = found
    return _message(
        overview_views.checklist_moved(vendor, str(ctx.data.get("user") or vendor.created_by))
    )
