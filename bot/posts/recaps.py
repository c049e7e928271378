"""Recap posts, rendered when delivered: the record with its Confirm buttons (and its updates
in place), the offers in the thread of a transcript, meeting notes or a huddle, the nudges, and
the editor's note about deadlines an edit left behind.

Each says what is true when it goes out: an offer of something a recap was made of meanwhile,
a nudge about a call recapped meanwhile, a confirmation nudge once both sides confirmed or the
record was edited — none of these is sent. People's words are escaped once, in bot/blocks.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.blocks import recaps as views
from bot.posts import Message, RenderContext, on_sent, renderer
from bot.services.recaps.confirmation import unconfirmed_sides
from bot.services.recaps.items import items_of
from bot.services.recaps.nudges import CONFIRM_NUDGE, MENTION_NUDGE, recapped_since
from bot.services.recaps.offers import OFFER, offer_to_render
from bot.services.recaps.record import RECORD, SOURCE_LABELS, record_posted, side_label
from bot.services.recaps.submission import UNLINKED, still_open
from bot.services.recaps.transcript_files import MB
from bot.services.vendors.lookup import active_contacts, vendor_zone
from bot.slack.client import LookupDeferred
from bot.text.transcripts import MAX_TRANSCRIPT_BYTES
from bot.time.timeparse import format_local
from storage.models import INTERNAL, VENDOR, Recap, Vendor
from storage.models.recaps import CallMention


def _live_users(ctx: RenderContext, vendor: Vendor) -> set[str]:
    """Who may be mentioned live in the vendor's channel: its members (the contacts when the
    members cannot be read)."""
    members = {c.user_id for c in active_contacts(vendor)}
    if ctx.runtime is not None:
        try:
            members |= set(ctx.runtime.directory.channel_members(vendor.team_id, ctx.channel_id))
        except LookupDeferred:
            raise  # read after the claim's transaction; the claim runs again
        except (SlackApiError, LookupError):
            pass
    return members


def record_view(vendor: Vendor, recap: Recap, *, live_users: set[str]) -> views.RecapView:
    """The record as the view shows it: its items, where it came from, who confirmed."""
    tz = vendor_zone(vendor)
    ext, numbers = items_of(recap)
    local_call = recap.call_at.astimezone(tz)
    items = [
        views.ItemView(
            what=item.what,
            owner_user_id=item.owner_user_id,
            owner_text=item.owner_name,
            owner_unsure=not item.owner_sure,
            due_label=format_local(item.due_at, tz) if item.due_at else None,
            due_text=item.due_text,
            due_unsure=not item.due_sure,
            deadline_number=number,
        )
        for item, number in zip(ext.action_items, numbers, strict=False)
    ]
    source = SOURCE_LABELS.get(recap.source)
    if recap.transcript_name and recap.source == "file":
        source = f"transcript {recap.transcript_name}"
    elif recap.transcript_name:
        source = (source + " and " if source else "") + f"transcript {recap.transcript_name}"
    view = views.RecapView(
        recap_id=recap.id,
        vendor_name=vendor.name,
        call_label=format_local(recap.call_at, tz),
        call_day=f"{local_call:%a} {local_call.day} {local_call:%b %Y}",
        created_by=recap.created_by,
        revision=recap.revision,
        participants=list(recap.participants or []),
        decisions=[d.text for d in ext.decisions],
        items=items,
        questions=[q.text for q in ext.open_questions],
        source_label=source,
        permalink=recap.source_permalink,
        live_users=frozenset(live_users),
    )
    view.internal = views.Confirmation(
        side_label(vendor, INTERNAL),
        recap.internal_confirmed_by,
        format_local(recap.internal_confirmed_at, tz) if recap.internal_confirmed_at else None,
    )
    view.vendor = views.Confirmation(
        side_label(vendor, VENDOR),
        recap.vendor_confirmed_by,
        format_local(recap.vendor_confirmed_at, tz) if recap.vendor_confirmed_at else None,
    )
    return view


def _recap(ctx: RenderContext) -> tuple[Recap, Vendor] | None:
    try:
        recap = ctx.session.get(Recap, int(ctx.data.get("recap") or 0))
    except (TypeError, ValueError):
        return None
    if recap is None:
        return None
    vendor = ctx.session.get(Vendor, recap.vendor_id)
    if vendor is None:
        return None
    return recap, vendor


@renderer(RECORD)
def record(ctx: RenderContext) -> Message | None:
    """The record in its current state: items, confirmations, the buttons still to press."""
    found = _recap(ctx)
    if found is None:
        return None
    recap, vendor = found
    text, blocks = views.recap_message(
        record_view(vendor, recap, live_users=_live_users(ctx, vendor))
    )
    return Message(text, blocks)


@on_sent(RECORD)
def recap_record_posted(session: Session, data: dict[str, Any], channel_id: str, ts: str) -> None:
    """Where the record is: its thread, its buttons and its nudge refer to it."""
    record_posted(session, data.get("recap"), ts)


@renderer(OFFER)
def offer(ctx: RenderContext) -> Message | None:
    """**Make a recap** in the thread (or, for a file too large to read, a note saying so);
    none once a recap was made of it or its vendor archived."""
    found = offer_to_render(ctx.session, ctx.data.get("offer"))
    if found is None:
        return None
    row, _ = found
    if row.state == "refused":
        text, summary = views.too_large_message(
            name=row.file_name or "That file",
            size_mb=float(row.file_size or 0) / MB,
            limit_mb=MAX_TRANSCRIPT_BYTES / MB,
        )
        return Message(text, summary=summary)
    if row.kind == "file":
        what = row.file_name or "a file"
    elif row.kind == "bot":
        what = row.posted_by or "A meeting-notes app"
    else:
        what = "a huddle"
    text, blocks, summary = views.offer_message(kind=row.kind, offer_id=row.id, what=what)
    return Message(text, blocks, summary)


@renderer(MENTION_NUDGE)
def mention_nudge(ctx: RenderContext) -> Message | None:
    """A call mentioned with no recap: none if a recap was made in the channel meanwhile."""
    mention = ctx.session.get(CallMention, int(ctx.data.get("mention") or 0))
    if mention is None or recapped_since(ctx.session, mention) is not None:
        return None
    vendor = ctx.session.get(Vendor, mention.vendor_id)
    if vendor is None or vendor.archived_at is not None:
        return None
    text, blocks, summary = views.mention_nudge(mention_id=mention.id, user_id=mention.user_id)
    return Message(text, blocks, summary)


@renderer(CONFIRM_NUDGE)
def confirm_nudge(ctx: RenderContext) -> Message | None:
    """The sides that have still not confirmed the record, as of delivery; none once both did,
    or once the record was edited (the new revision has a nudge of its own)."""
    found = _recap(ctx)
    if found is None:
        return None
    recap, vendor = found
    if vendor.archived_at is not None or recap.revision != int(ctx.data.get("revision") or 0):
        return None
    missing = unconfirmed_sides(vendor, recap)
    if not missing:
        return None
    local_call = recap.call_at.astimezone(vendor_zone(vendor))
    text, summary = views.confirm_nudge(
        sides=[
            side_label(vendor, side) if side == VENDOR else "the internal team"
            for side, _ in missing
        ],
        who=[user for _, user in missing if user],
        call_day=f"{local_call:%a} {local_call.day} {local_call:%b %Y}",
    )
    return Message(text, summary=summary)


@renderer(UNLINKED)
def unlinked(ctx: RenderContext) -> Message | None:
    """To the editor: the deadlines from items the edit dropped that still run (none if all
    were closed meanwhile)."""
    numbers = [int(n) for n in ctx.data.get("deadlines") or []]
    open_numbers = still_open(ctx.session, int(ctx.data.get("vendor") or 0), numbers)
    if not open_numbers:
        return None
    return Message(views.unlinked_notice(open_numbers, internal=bool(ctx.data.get("internal"))))
