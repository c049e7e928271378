"""A recap made, and its record: the message in the recap's channel that shows it, extracted
items and all, with a Confirm button per side. The text as given is kept (as plain text:
Slack's escaping is decoded once on the way in, bot/text/escaping.py); every revision is kept.

The record is written to the outbox in the same transaction as the recap
(`recap:<id>:record`, updated in place with `of=` that key) and rendered when delivered
(bot/posts/recaps.py); where it was posted is remembered when it is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.errors import NotFound
from bot.services.recaps.common import vendor_calendar, vendor_for
from bot.services.recaps.items import (
    extract_items,
    extraction_text,
    store_extraction,
    sync_deadlines,
)
from bot.services.vendors.lookup import require_bot_in_channel
from bot.text import transcripts
from storage.models import VENDOR, OutboxMessage, Recap, RecapRevision, Vendor

# What the outbox rows of the record render (bot/posts/recaps.py).
RECORD = "recap.record"  # the record with its Confirm buttons; updates re-render it

# An unconfirmed side is nudged once after this many business days.
CONFIRM_NUDGE_BUSINESS_DAYS = 1.0

NOT_IN_CHANNEL = (
    "I'm not in this channel, so I couldn't post the recap. Invite me with "
    "`/invite @outsource-bot` and try again; nothing was saved."
)

SOURCE_LABELS = {
    "modal": None,
    "shortcut": "the original message",
    "file": "a transcript",
    "bot": "meeting notes",
    "huddle": "a huddle",
}


def record_key(recap_id: int) -> str:
    """The outbox key of a recap's record message: its updates and its buttons refer to it."""
    return f"recap:{recap_id}:record"


def side_label(vendor: Vendor, side: str) -> str:
    """How a side is named on the record (plain text: a vendor's name is someone's words)."""
    return vendor.name if side == VENDOR else "internal team"


def find_recap(session: Session, recap_id: Any) -> tuple[Recap, Vendor]:
    try:
        rid = int(recap_id)
    except (TypeError, ValueError):
        raise NotFound("That recap no longer exists.") from None
    recap = session.get(Recap, rid)
    if recap is None:
        raise NotFound("That recap no longer exists.")
    return recap, vendor_for(session, recap.vendor_id)


def record_ts(session: Session, recap: Recap) -> str | None:
    """Where the record's message is (posted by the outbox after the commit)."""
    ts = session.scalar(
        select(OutboxMessage.message_ts).where(
            OutboxMessage.dedupe_key == record_key(recap.id), OutboxMessage.state == "sent"
        )
    )
    return ts or recap.message_ts


def clicked_recap(
    session: Session, recap_id: Any, channel_id: str | None, message_ts: str | None
) -> tuple[Recap, Vendor]:
    """The recap a button on its record is about. The button must be in the record's channel
    and on the record's message: a crafted value naming another recap, or a stale copy of a
    message, changes nothing."""
    recap, vendor = find_recap(session, recap_id)
    if (
        not channel_id
        or recap.channel_id != channel_id
        or vendor.channel_id != channel_id
        or (message_ts and message_ts != record_ts(session, recap))
    ):
        raise NotFound("That recap is not one of this channel's; nothing was changed.")
    return recap, vendor


def _post_record(session: Session, runtime: Runtime, vendor: Vendor, recap: Recap) -> None:
    """The record, posted after the commit in the recap's channel (in its thread where there
    is one). Its key makes it once-only; its ts is recorded when it is sent."""
    outbox.reply(
        session,
        team_id=vendor.team_id,
        channel_id=recap.channel_id,
        key=record_key(recap.id),
        now=runtime.clock.now(),
        kind="recap",
        render={"kind": RECORD, "recap": recap.id},
        thread_ts=recap.thread_ts,
        vendor_id=vendor.id,
    )


def update_record(session: Session, runtime: Runtime, vendor: Vendor, recap: Recap) -> None:
    """The record shows its new state (chat.update after the commit, rendered then)."""
    outbox.update_message(
        session,
        team_id=vendor.team_id,
        channel_id=recap.channel_id,
        of=record_key(recap.id),
        now=runtime.clock.now(),
        kind="recap_update",
        render={"kind": RECORD, "recap": recap.id},
        vendor_id=vendor.id,
    )


def record_posted(session: Session, recap_id: Any, ts: str) -> None:
    """Remember where the record's message is (thread talk about it, the confirm nudge)."""
    try:
        recap = session.get(Recap, int(recap_id))
    except (TypeError, ValueError):
        return
    if recap is not None and recap.message_ts is None:
        recap.message_ts = ts


def checked(text: str | None) -> str:
    """The summary as given (kept verbatim), once it is known not to be empty or too long.
    Control characters are dropped on the way out (bot/text/escaping.py)."""
    transcripts.validate_summary(text or "")  # UserError: empty, whitespace, over the limit
    return text or ""


def create_recap(
    session: Session,
    *,
    runtime: Runtime,
    vendor: Vendor,
    actor: Actor,
    source: str,
    text: str,
    call_at: datetime,
    participants: list[str],
    channel_id: str,
    thread_ts: str | None,
    source_ref: str | None = None,
    permalink: str | None = None,
    transcript_name: str | None = None,
    transcript_raw: str | None = None,
    transcript_text: str | None = None,
) -> Recap:
    require_bot_in_channel(runtime, vendor, channel_id, message=NOT_IN_CHANNEL)
    now = runtime.clock.now()
    ext = extract_items(runtime, vendor, extraction_text(text, transcript_text), call_at)
    recap = Recap(
        vendor_id=vendor.id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        source=source,
        source_ref=source_ref,
        text=text,
        transcript_name=transcript_name[:255] if transcript_name else None,
        transcript=transcript_raw,
        source_permalink=permalink if permalink and len(permalink) <= 500 else None,
        call_at=call_at,
        participants=participants,
        extracted={},
        revision=1,
        created_by=actor.user_id,
        created_at=now,
        confirm_nudge_at=vendor_calendar(vendor).add_business_days(
            now, CONFIRM_NUDGE_BUSINESS_DAYS
        ),
    )
    session.add(recap)
    session.flush()
    numbers = sync_deadlines(
        session,
        runtime=runtime,
        vendor=vendor,
        recap=recap,
        ext=ext,
        numbers=[],
        actor_user_id=actor.user_id,
        now=now,
        settled=False,
    )
    store_extraction(recap, ext, numbers)
    session.add(
        RecapRevision(
            recap_id=recap.id,
            revision=1,
            text=text,
            extracted=dict(recap.extracted),
            edited_by=actor.user_id,
            edited_at=now,
        )
    )
    _post_record(session, runtime, vendor, recap)
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="recap.created",
        subject=f"recap:{recap.id}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "source": source,
            "source_ref": source_ref,
            "decisions": len(ext.decisions),
            "action_items": len(ext.action_items),
            "open_questions": len(ext.open_questions),
            "deadlines": [n for n in numbers if n is not None],
        },
    )
    return recap
