"""The recap modal submitted: a new recap posted, or an edit saved as a new revision (its
confirmations start over; deadlines of items the edit dropped are told to the editor). Bad
input is a FieldError, shown next to the field it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks.ids import BlockId
from bot.delivery import outbox
from bot.errors import UserError
from bot.services.deadlines.common import OPEN
from bot.services.recaps.common import (
    default_participants,
    host_actor,
    id_of,
    require_party,
    vendor_calendar,
)
from bot.services.recaps.form import may_edit
from bot.services.recaps.items import (
    extract_items,
    extraction_text,
    item_key,
    items_of,
    possible_owners,
    store_extraction,
    sync_deadlines,
)
from bot.services.recaps.offers import mark_offer_made
from bot.services.recaps.record import (
    CONFIRM_NUDGE_BUSINESS_DAYS,
    NOT_IN_CHANNEL,
    checked,
    create_recap,
    find_recap,
    update_record,
)
from bot.services.recaps.transcript_files import Transcript, TranscriptProblem, read_transcript
from bot.services.vendors.lookup import require_bot_in_channel, require_vendor, vendor_zone
from bot.text import escaping as slack_text
from bot.text import transcripts
from bot.time.timeparse import wall_to_utc
from storage.models import Deadline, Recap, RecapRevision, Vendor
from storage.models.recaps import RecapOffer

# What the outbox row of an edit's note renders (bot/posts/recaps.py).
UNLINKED = "recap.unlinked"  # to the editor: deadlines whose items an edit dropped

# A call may be recorded a little "in the future" (clock skew), not more.
FUTURE_SLACK = timedelta(minutes=10)

# A modal waits for its answer: Slack gives a view submission 3 s, the download gets 2 of them.
MODAL_DOWNLOAD_TIMEOUT = 2.0


class FieldError(UserError):
    """Bad input in the recap modal: shown next to the field it concerns (as plain text)."""

    def __init__(self, message: str, *, block_id: str = BlockId.SUMMARY) -> None:
        super().__init__(message)
        self.block_id = str(block_id)


@dataclass
class RecapSubmission:
    """What the recap modal sent back (read from view.state by the handler)."""

    metadata: dict[str, Any]
    summary: str | None
    call_date: str | None = None
    call_time: str | None = None
    participants: list[str] | None = None
    files: list[dict[str, Any]] | None = None

    @property
    def editing(self) -> bool:
        return bool(self.metadata.get("recap"))


def _call_at(vendor: Vendor, sub: RecapSubmission, now: datetime) -> datetime:
    if not sub.call_date and not sub.call_time:
        return now
    tz = vendor_zone(vendor)
    local_now = now.astimezone(tz)
    try:
        day = date.fromisoformat(sub.call_date) if sub.call_date else local_now.date()
    except ValueError:
        raise FieldError(
            "Pick the call date from the calendar.", block_id=BlockId.RECAP_CALL_DATE
        ) from None
    try:
        at = (
            time.fromisoformat(sub.call_time)
            if sub.call_time
            else time(local_now.hour, local_now.minute)
        )
    except ValueError:
        raise FieldError("Give the time as HH:MM.", block_id=BlockId.RECAP_CALL_TIME) from None
    when = wall_to_utc(datetime.combine(day, at), tz)
    if when > now + FUTURE_SLACK:
        raise FieldError(
            "That is in the future; record a call once it has happened.",
            block_id=BlockId.RECAP_CALL_DATE,
        )
    return when


def _submission_team(actor: Actor, sub: RecapSubmission) -> str:
    return str(sub.metadata.get("team") or actor.team_id)


def _new_recap_vendor(
    session: Session, runtime: Runtime, actor: Actor, sub: RecapSubmission
) -> tuple[Vendor, str]:
    """The vendor and channel of a new recap's submission, once the actor may record there
    and the bot can post there (FieldError otherwise)."""
    channel_id = str(sub.metadata.get("channel") or "")
    try:
        vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
        require_party(runtime, vendor, actor)
        require_bot_in_channel(runtime, vendor, channel_id, message=NOT_IN_CHANNEL)
    except FieldError:
        raise
    except UserError as exc:
        raise FieldError(slack_text.unescape(exc.message)) from None
    return vendor, channel_id


def _validate_summary(text: str | None, *, block_id: str = BlockId.SUMMARY) -> str:
    try:
        return checked(text)
    except UserError as exc:
        raise FieldError(exc.message, block_id=block_id) from None


def check_submission(
    session: Session, *, runtime: Runtime, actor: Actor, sub: RecapSubmission
) -> None:
    """What can be refused of a new recap's submission before its transcript is downloaded:
    the download is slow and made outside any transaction, so a refused submission starts
    none. Also reads (into the directory's cache) the people the extraction will need, so the
    unit that stores the recap does not have to run again after the download."""
    actor = host_actor(actor, _submission_team(actor, sub))
    vendor, _ = _new_recap_vendor(session, runtime, actor, sub)
    _validate_summary(sub.summary)
    _call_at(vendor, sub, runtime.clock.now())
    possible_owners(runtime, vendor)


def read_submitted_transcript(
    runtime: Runtime, *, actor: Actor, sub: RecapSubmission
) -> Transcript | None:
    """The transcript attached in the modal, downloaded within what a modal may wait (outside
    any transaction). FieldError under the transcript input when it cannot be read."""
    for file in (sub.files or [])[:1]:
        try:
            return read_transcript(
                runtime, _submission_team(actor, sub), file, timeout=MODAL_DOWNLOAD_TIMEOUT
            )
        except TranscriptProblem as exc:
            raise FieldError(exc.plain, block_id=BlockId.RECAP_TRANSCRIPT) from None
        except UserError as exc:
            raise FieldError(exc.message, block_id=BlockId.RECAP_TRANSCRIPT) from None
    return None


def submit_form(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    sub: RecapSubmission,
    transcript: Transcript | None = None,
) -> Recap:
    """The recap modal was submitted: post a new recap, or save an edit. FieldError on bad
    input. `transcript`: the attached file, read beforehand (`read_submitted_transcript`)."""
    meta = sub.metadata
    actor = host_actor(actor, _submission_team(actor, sub))
    if sub.editing:
        return _save_edit(session, runtime=runtime, actor=actor, sub=sub)
    vendor, channel_id = _new_recap_vendor(session, runtime, actor, sub)
    text = _validate_summary(sub.summary)
    call_at = _call_at(vendor, sub, runtime.clock.now())
    participants = (
        sub.participants if sub.participants is not None else default_participants(vendor)
    )
    source = "modal"
    source_ref = None
    offer: RecapOffer | None = None
    if meta.get("offer"):
        offer = session.get(RecapOffer, id_of(meta["offer"]))
        if offer is None or offer.vendor_id != vendor.id or offer.channel_id != channel_id:
            offer = None
        elif offer.recap_id is not None:
            raise FieldError("A recap of this was already made — it is in the thread.")
        else:
            source, source_ref = offer.kind, offer.ref
    elif meta.get("mention"):
        source_ref = f"mention:{meta['mention']}"
    recap = create_recap(
        session,
        runtime=runtime,
        vendor=vendor,
        actor=actor,
        source=source,
        source_ref=source_ref,
        text=text,
        call_at=call_at,
        participants=list(dict.fromkeys(participants)),
        channel_id=channel_id,
        thread_ts=meta.get("thread_ts"),
        transcript_name=transcript.name if transcript else None,
        transcript_raw=transcript.raw if transcript else None,
        transcript_text=transcript.text if transcript else None,
    )
    if offer is not None:
        mark_offer_made(session, offer.id, recap)
    return recap


def _save_edit(session: Session, *, runtime: Runtime, actor: Actor, sub: RecapSubmission) -> Recap:
    try:
        recap, vendor = find_recap(session, sub.metadata.get("recap"))
    except UserError as exc:
        raise FieldError(exc.message) from None
    if not may_edit(vendor, recap, actor):
        raise FieldError(
            "Only the person who recorded this recap or the internal contact can edit it."
        )
    text = _validate_summary(sub.summary)
    now = runtime.clock.now()
    call_at = _call_at(vendor, sub, now) if (sub.call_date or sub.call_time) else recap.call_at
    participants = (
        list(dict.fromkeys(sub.participants))
        if sub.participants is not None
        else recap.participants
    )
    if text == recap.text and call_at == recap.call_at and participants == recap.participants:
        return recap  # nothing changed: no revision, no new confirmations needed
    transcript_text = None
    if recap.transcript and recap.transcript_name and recap.source != "file":
        transcript_text = transcripts.transcript_to_text(
            recap.transcript_name, recap.transcript.encode("utf-8")
        )
    ext = extract_items(runtime, vendor, extraction_text(text, transcript_text), call_at)
    # Items that did not change keep their deadlines; new ones get theirs.
    old_ext, old_numbers = items_of(recap)
    kept = {item_key(i): n for i, n in zip(old_ext.action_items, old_numbers, strict=False) if n}
    numbers: list[int | None] = [kept.pop(item_key(i), None) for i in ext.action_items]
    old_revision = recap.revision
    recap.revision = old_revision + 1
    recap.text = text
    recap.call_at = call_at
    recap.participants = participants
    # The record changed: what was confirmed is not what is there now.
    recap.internal_confirmed_by = recap.internal_confirmed_at = None
    recap.vendor_confirmed_by = recap.vendor_confirmed_at = None
    recap.confirm_nudge_at = vendor_calendar(vendor).add_business_days(
        now, CONFIRM_NUDGE_BUSINESS_DAYS
    )
    numbers = sync_deadlines(
        session,
        runtime=runtime,
        vendor=vendor,
        recap=recap,
        ext=ext,
        numbers=numbers,
        actor_user_id=actor.user_id,
        now=now,
        settled=False,
    )
    store_extraction(recap, ext, numbers)
    session.add(
        RecapRevision(
            recap_id=recap.id,
            revision=recap.revision,
            text=text,
            extracted=dict(recap.extracted),
            edited_by=actor.user_id,
            edited_at=now,
        )
    )
    update_record(session, runtime, vendor, recap)
    unlinked = sorted(kept.values())
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="recap.edited",
        subject=f"recap:{recap.id}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "revision": recap.revision,
            "from_revision": old_revision,
            "action_items": len(ext.action_items),
            "unlinked_deadlines": unlinked,
        },
    )
    _tell_unlinked(session, runtime, vendor, recap, actor, unlinked)
    return recap


def _tell_unlinked(
    session: Session,
    runtime: Runtime,
    vendor: Vendor,
    recap: Recap,
    actor: Actor,
    numbers: list[int],
) -> None:
    """An edit dropped or changed items that had become deadlines: those deadlines stay (they
    may be real work, and have their own history), but the editor is told, privately, which
    ones still remind, so a changed date does not leave two deadlines running unnoticed."""
    if not numbers or not still_open(session, vendor.id, numbers):
        return
    outbox.ephemeral(
        session,
        team_id=vendor.team_id,
        channel_id=recap.channel_id,
        user_id=actor.user_id,
        now=runtime.clock.now(),
        render={
            "kind": UNLINKED,
            "vendor": vendor.id,
            "deadlines": numbers,
            "internal": actor.is_internal,
        },
        thread_ts=recap.thread_ts,
        kind="recap_unlinked",
    )


def still_open(session: Session, vendor_id: int, numbers: list[int]) -> list[int]:
    """Which of these deadline numbers of a vendor are still open."""
    return sorted(
        session.scalars(
            select(Deadline.number).where(
                Deadline.vendor_id == vendor_id,
                Deadline.number.in_(numbers),
                Deadline.state == OPEN,
            )
        )
    )
