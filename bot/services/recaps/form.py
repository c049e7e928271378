"""The recap modal as it opens: empty for `/outsource recap` (or **Make a recap** on a huddle
or a call-mention nudge), or prefilled with the current revision for **Edit** on the record.
What it shows is a RecapForm, rendered by bot/blocks/recaps.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotAllowed
from bot.services.recaps.common import default_participants, host_actor, require_party
from bot.services.recaps.items import items_of
from bot.services.recaps.record import clicked_recap
from bot.services.vendors.lookup import active_contacts, require_vendor, vendor_zone
from storage.models import INTERNAL, Recap, Vendor

# Slack's limit for a plain_text_input: what the edit form can hold of a recap's text.
MODAL_TEXT_LIMIT = 3000


@dataclass
class RecapForm:
    """What the recap modal shows (bot/blocks/recaps.py). `metadata` travels in
    `private_metadata`."""

    metadata: dict[str, Any]
    vendor_name: str
    tz_name: str
    call_date: str  # YYYY-MM-DD in the vendor's zone
    call_time: str  # HH:MM in the vendor's zone
    participants: list[str]
    summary: str | None = None
    editing: bool = False
    note: str | None = None  # shown above the summary (e.g. where the text came from)
    allow_transcript: bool = True


def recap_form(
    vendor: Vendor,
    *,
    metadata: dict[str, Any],
    call_at: datetime,
    participants: list[str],
    summary: str | None = None,
    editing: bool = False,
    note: str | None = None,
) -> RecapForm:
    local = call_at.astimezone(vendor_zone(vendor))
    return RecapForm(
        metadata={k: v for k, v in metadata.items() if v is not None},
        vendor_name=vendor.name,
        tz_name=vendor.tz or "UTC",
        call_date=local.date().isoformat(),
        call_time=f"{local:%H:%M}",
        participants=participants,
        summary=summary,
        editing=editing,
        note=note,
        allow_transcript=not editing,
    )


def open_form(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    thread_ts: str | None = None,
) -> RecapForm:
    """`/outsource recap`: the empty form for this vendor channel."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_party(runtime, vendor, actor)
    return recap_form(
        vendor,
        metadata={"team": vendor.team_id, "channel": channel_id, "thread_ts": thread_ts},
        call_at=runtime.clock.now(),
        participants=default_participants(vendor),
    )


def may_edit(vendor: Vendor, recap: Recap, actor: Actor) -> bool:
    if actor.user_id == recap.created_by:
        return True
    return any(c.user_id == actor.user_id for c in active_contacts(vendor, INTERNAL))


def edit_form(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    recap_id: Any,
    channel_id: str | None,
    message_ts: str | None = None,
) -> RecapForm:
    """**Edit** on the record: the modal again, prefilled with the current revision."""
    recap, vendor = clicked_recap(session, recap_id, channel_id, message_ts)
    actor = host_actor(actor, vendor.team_id)
    if not may_edit(vendor, recap, actor):
        raise NotAllowed(
            f"Only <@{recap.created_by}> (who recorded it) or the internal contact can edit "
            "this recap. Use the thread to say what should change."
        )
    summary: str | None = recap.text
    note = None
    if len(recap.text) > MODAL_TEXT_LIMIT:
        summary = _items_as_text(vendor, recap)
        note = (
            "The original text is longer than a form can hold, so here are the items I found. "
            "The original stays with the record."
        )
    return recap_form(
        vendor,
        metadata={"team": vendor.team_id, "channel": recap.channel_id, "recap": recap.id},
        call_at=recap.call_at,
        participants=list(recap.participants or []),
        summary=summary,
        editing=True,
        note=note,
    )


def _items_as_text(vendor: Vendor, recap: Recap) -> str:
    """The extracted items as headed text the extractor reads back the same way."""
    tz = vendor_zone(vendor)
    ext, _ = items_of(recap)
    lines: list[str] = []
    if ext.decisions:
        lines += ["Decisions:", *[f"- {d.text}" for d in ext.decisions], ""]
    if ext.action_items:
        lines.append("Action items:")
        for item in ext.action_items:
            owner = f"<@{item.owner_user_id}>" if item.owner_user_id else item.owner_name
            line = f"- {owner} to {item.what}" if owner else f"- {item.what}"
            if item.due_at:
                local = item.due_at.astimezone(tz)
                line += f" by {local:%Y-%m-%d %H:%M}"
            elif item.due_text:
                line += f" ({item.due_text})"
            lines.append(line)
        lines.append("")
    if ext.open_questions:
        lines += ["Open questions:", *[f"- {q.text}" for q in ext.open_questions]]
    return "\n".join(lines).strip()[:MODAL_TEXT_LIMIT]
