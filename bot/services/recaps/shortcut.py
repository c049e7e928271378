"""The `recap_from_message` shortcut: a message (its text, or its transcript file) becomes a
recap in its thread."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import UserError
from bot.services.recaps.common import participants_with, posted_at, require_party
from bot.services.recaps.message_text import message_text
from bot.services.recaps.record import NOT_IN_CHANNEL, checked, create_recap
from bot.services.recaps.transcript_files import Transcript, transcript_in
from bot.services.vendors.lookup import require_bot_in_channel, require_vendor
from storage.models import Recap, Vendor


def _already_recapped(session: Session, vendor: Vendor, source: str, ref: str) -> None:
    made = session.scalar(
        select(Recap.id)
        .where(Recap.vendor_id == vendor.id, Recap.source == source, Recap.source_ref == ref)
        .limit(1)
    )
    if made is not None:
        raise UserError("A recap of that message was already made — it is in its thread.")


def check_shortcut(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, message: dict[str, Any]
) -> dict[str, Any] | None:
    """The `recap_from_message` shortcut, before anything slow: UserError at once when this
    person may not record here, the message has nothing to make a recap from, or one was made
    of it already. Returns the transcript file to read, if the message carries one."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_party(runtime, vendor, actor)
    ts = str(message.get("ts") or "")
    if not ts:
        raise UserError("I can't tell which message that was; try the shortcut again.")
    require_bot_in_channel(runtime, vendor, channel_id, message=NOT_IN_CHANNEL)
    _already_recapped(session, vendor, "shortcut", ts)
    text = message_text(message)
    file = transcript_in(message)
    if not text.strip() and file is None:
        raise UserError(
            "That message has no text to make a recap from. Use the shortcut on the message "
            "with the call summary, or `/outsource recap` to paste it."
        )
    if text.strip():
        checked(text)
    return file


def recap_from_message(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    message: dict[str, Any],
    transcript: Transcript | None = None,
    permalink: str | None = None,
) -> Recap:
    """The `recap_from_message` shortcut: the message becomes a recap in its thread.
    `transcript` (read beforehand) is the message's transcript file, if it has one."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_party(runtime, vendor, actor)
    ts = str(message.get("ts") or "")
    if not ts:
        raise UserError("I can't tell which message that was; try the shortcut again.")
    _already_recapped(session, vendor, "shortcut", ts)
    text = message_text(message)
    if not text.strip() and transcript is None:
        raise UserError(
            "That message has no text to make a recap from. Use the shortcut on the message "
            "with the call summary, or `/outsource recap` to paste it."
        )
    summary_given = bool(text.strip())
    if summary_given:
        text = checked(text)
    elif transcript is not None:
        text = transcript.text
    return create_recap(
        session,
        runtime=runtime,
        vendor=vendor,
        actor=actor,
        source="shortcut",
        source_ref=ts,
        text=text,
        call_at=posted_at(ts, runtime.clock.now()),
        participants=participants_with(vendor, [actor.user_id]),
        channel_id=channel_id,
        thread_ts=str(message.get("thread_ts") or ts),
        permalink=permalink,
        transcript_name=transcript.name if transcript and summary_given else None,
        transcript_raw=transcript.raw if transcript else None,
        transcript_text=transcript.text if transcript and summary_given else None,
    )
