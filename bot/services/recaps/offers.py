"""Offers, in the thread, to turn a transcript file, a meeting-note app's post or a huddle into
a recap, and the **Make a recap** button on an offer or a call-mention nudge: a form to open
at once, or a recap made after the click's answer (its reads are slow)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.errors import NotFound, UserError
from bot.services.messages import ChannelMessage
from bot.services.recaps.common import (
    host_actor,
    id_of,
    participants_with,
    posted_at,
    require_party,
    vendor_for,
)
from bot.services.recaps.form import RecapForm, recap_form
from bot.services.recaps.record import NOT_IN_CHANNEL, checked, create_recap
from bot.services.recaps.transcript_files import Transcript, TranscriptProblem, read_transcript
from bot.services.vendors.lookup import require_bot_in_channel
from bot.text import transcripts
from storage.models import Recap, Vendor
from storage.models.recaps import CallMention, RecapOffer
from storage.repositories import insert_ignore

# What the outbox rows of offers render (bot/posts/recaps.py).
OFFER = "recap.offer"  # "Make a recap" in the thread of a transcript, notes or a huddle


def offer_recap(
    session: Session,
    runtime: Runtime,
    msg: ChannelMessage,
    *,
    kind: str,
    ref: str,
    posted_by: str | None,
    text: str | None = None,
    file: dict[str, Any] | None = None,
) -> None:
    """Offer, in the thread, to turn a transcript, meeting notes or a huddle into a recap.
    Once per file or post; the offer is rendered when delivered (none if a recap of it was
    made meanwhile)."""
    vendor = msg.vendor
    now = runtime.clock.now()
    thread_ts = msg.thread_ts or msg.ts
    state = "offered"
    size = file.get("size") if file else None
    limit = transcripts.MAX_TRANSCRIPT_BYTES
    if isinstance(size, int) and size > limit:
        state = "refused"
    name = (file or {}).get("name")
    values: dict[str, Any] = {
        "vendor_id": vendor.id,
        "channel_id": vendor.channel_id,
        "kind": kind,
        "ref": ref[:200],
        "message_ts": msg.ts,
        "thread_ts": thread_ts,
        "posted_by": posted_by[:120] if posted_by else None,
        "file_name": str(name)[:255] if name else None,
        "file_size": size if isinstance(size, int) else None,
        "file_url": (file or {}).get("url_private_download") or (file or {}).get("url_private"),
        "text": text,
        "state": state,
        "offered_at": now,
    }
    if values["file_url"] and len(str(values["file_url"])) > 1000:
        values["file_url"] = None  # looked up again (files.info) when the file is read
    if not insert_ignore(session, RecapOffer, values, ["vendor_id", "kind", "ref"]):
        return  # this file or post was offered before
    offer = session.scalar(
        select(RecapOffer).where(
            RecapOffer.vendor_id == vendor.id, RecapOffer.kind == kind, RecapOffer.ref == ref[:200]
        )
    )
    assert offer is not None
    outbox.enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=f"recap-offer:{offer.id}",
        channel_id=vendor.channel_id,
        thread_ts=thread_ts,
        kind="recap_offer",
        now=now,
        render={"kind": OFFER, "offer": offer.id},
        vendor_id=vendor.id,
        priority=outbox.PRIORITY_INFO,
    )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=posted_by or "bot",
        action="recap.offered" if state == "offered" else "recap.offer_refused",
        subject=f"recap_offer:{offer.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"kind": kind, "ref": ref, "size": size},
    )


def offer_to_render(session: Session, offer_id: Any) -> tuple[RecapOffer, Vendor] | None:
    """An offer while offering it still makes sense (no recap made of it, vendor active)."""
    try:
        offer = session.get(RecapOffer, int(offer_id))
    except (TypeError, ValueError):
        return None
    if offer is None or offer.recap_id is not None:
        return None
    vendor = session.get(Vendor, offer.vendor_id)
    if vendor is None or vendor.archived_at is not None:
        return None
    return offer, vendor


@dataclass
class LaterWork:
    """A recap made after the click's answer (its reads are slow): what to read outside any
    transaction before the unit of work that stores it."""

    offer_id: int
    team_id: str
    channel_id: str
    message_ts: str  # the message the recap is made from (its permalink is quoted)
    file: dict[str, Any] | None = None  # a transcript to download first


@dataclass
class MakePlan:
    """**Make a recap**: a form to open now, or a recap made after the answer."""

    form: RecapForm | None = None
    later: LaterWork | None = None
    reading: str | None = None  # the transcript file's name, to say it is being read


def _not_here() -> NotFound:
    return NotFound("That button is not one of this channel's; nothing was changed.")


def plan_make(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    value: dict[str, Any],
    channel_id: str | None,
) -> MakePlan:
    """The **Make a recap** button of an offer or a call-mention nudge, in `channel_id`.
    Raises the click's UserErrors (out of date, not this channel's, not a party, made already)
    at once, so a refused click starts no download."""
    if value.get("offer"):
        return _plan_offer(
            session, runtime=runtime, actor=actor, offer_id=value["offer"], channel_id=channel_id
        )
    if value.get("mention"):
        mention = session.get(CallMention, id_of(value["mention"]))
        if mention is None:
            raise NotFound("That call is no longer on record.")
        if mention.channel_id != channel_id:
            raise _not_here()
        vendor = vendor_for(session, mention.vendor_id)
        actor = host_actor(actor, vendor.team_id)
        require_party(runtime, vendor, actor)
        return MakePlan(
            form=recap_form(
                vendor,
                metadata={
                    "team": vendor.team_id,
                    "channel": mention.channel_id,
                    "thread_ts": mention.thread_ts or mention.message_ts,
                    "mention": mention.id,
                },
                call_at=min(mention.said_at, runtime.clock.now()),
                participants=participants_with(vendor, [mention.user_id]),
            )
        )
    raise NotFound("That button is out of date.")


def _offer_to_make(
    session: Session, *, runtime: Runtime, actor: Actor, offer_id: Any, channel_id: str | None
) -> tuple[RecapOffer, Vendor, Actor]:
    """An offer in this channel that this actor may turn into a recap now (UserError
    otherwise)."""
    offer = session.get(RecapOffer, id_of(offer_id))
    if offer is None:
        raise NotFound("That offer is out of date.")
    if offer.channel_id != channel_id:
        raise _not_here()
    vendor = vendor_for(session, offer.vendor_id)
    if vendor.channel_id != channel_id:
        raise _not_here()
    actor = host_actor(actor, vendor.team_id)
    require_party(runtime, vendor, actor)
    if offer.recap_id is not None:
        raise UserError("A recap of this was already made — it is in this thread.")
    return offer, vendor, actor


def _plan_offer(
    session: Session, *, runtime: Runtime, actor: Actor, offer_id: Any, channel_id: str | None
) -> MakePlan:
    offer, vendor, actor = _offer_to_make(
        session, runtime=runtime, actor=actor, offer_id=offer_id, channel_id=channel_id
    )
    if offer.kind == "huddle" or (offer.kind == "bot" and not (offer.text or "").strip()):
        return MakePlan(
            form=recap_form(
                vendor,
                metadata={
                    "team": vendor.team_id,
                    "channel": offer.channel_id,
                    "thread_ts": offer.thread_ts,
                    "offer": offer.id,
                },
                call_at=posted_at(offer.message_ts, runtime.clock.now()),
                participants=participants_with(vendor, [actor.user_id]),
            )
        )
    require_bot_in_channel(runtime, vendor, offer.channel_id, message=NOT_IN_CHANNEL)
    file = None
    if offer.kind == "file":
        file = {"id": offer.ref, "name": offer.file_name, "size": offer.file_size}
        if offer.file_url:
            file["url_private"] = offer.file_url
    return MakePlan(
        later=LaterWork(
            offer_id=offer.id,
            team_id=vendor.team_id,
            channel_id=offer.channel_id,
            message_ts=offer.message_ts,
            file=file,
        ),
        reading=(offer.file_name or "the transcript") if file is not None else None,
    )


def read_offer_transcript(runtime: Runtime, work: LaterWork) -> Transcript | None:
    """The offered transcript file, downloaded (outside any transaction)."""
    if work.file is None:
        return None
    transcript = read_transcript(runtime, work.team_id, work.file)
    if not transcript.text.strip():
        raise TranscriptProblem(f"{transcript.name} has no words in it; paste the summary instead.")
    return transcript


def make_from_offer(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    work: LaterWork,
    transcript: Transcript | None = None,
    permalink: str | None = None,
) -> Recap:
    """The second half of a **Make a recap** click on a transcript file or meeting notes, once
    the file was read: the recap, in the offer's thread (checked again: someone may have made
    it meanwhile)."""
    offer, vendor, actor = _offer_to_make(
        session, runtime=runtime, actor=actor, offer_id=work.offer_id, channel_id=work.channel_id
    )
    call_at = posted_at(offer.message_ts, runtime.clock.now())
    common: dict[str, Any] = {
        "runtime": runtime,
        "vendor": vendor,
        "actor": actor,
        "source_ref": offer.ref,
        "call_at": call_at,
        "participants": participants_with(vendor, [actor.user_id]),
        "channel_id": offer.channel_id,
        "thread_ts": offer.thread_ts,
        "permalink": permalink,
    }
    if offer.kind == "file":
        if transcript is None:
            raise UserError("I couldn't read the transcript; try again in a minute.")
        recap = create_recap(
            session,
            source="file",
            text=transcript.text,
            transcript_name=transcript.name,
            transcript_raw=transcript.raw,
            **common,
        )
    else:
        recap = create_recap(session, source="bot", text=checked(offer.text), **common)
    mark_offer_made(session, offer.id, recap)
    return recap


def mark_offer_made(session: Session, offer_id: int, recap: Recap) -> None:
    offer = session.get(RecapOffer, offer_id)
    if offer is not None and offer.recap_id is None:
        offer.recap_id = recap.id
        offer.state = "made"
