"""Call recaps: every voice call becomes a written record both sides confirmed.

Sources: the recap modal (`/outsource recap`, or **Make a recap** on an offer or a nudge),
the `recap_from_message` shortcut, transcript files and meeting-note apps' posts in a vendor
channel (offered in thread), huddles, and messages that say a call happened (nudged after 4
business hours when no recap followed). The record is posted in the vendor channel, extracted
items and all, with a Confirm button per side; action items with an owner and a due date
become deadlines. Edits keep every revision; the text as given is kept (as plain text: Slack's
escaping is decoded once on the way in, bot/text/escaping.py).

Nothing here calls Slack. What the bot says is written to the outbox in the same transaction
as the change it reports and rendered when delivered (bot/posts/recaps.py): the record
(`recap:<id>:record`, updated in place with `of=` that key), offers, nudges and notes. Slack
reads go through the directory. A transcript download is slow work that never runs inside a
transaction: the listeners download first (`read_*_transcript`) and hand the text to the
unit of work that stores the recap.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks.ids import BlockId
from bot.delivery import outbox
from bot.delivery.sweep import SweepContext
from bot.errors import NotAllowed, NotFound, UserError
from bot.services.deadlines import OPEN, add_deadline
from bot.services.messages import ChannelMessage
from bot.services.vendors.lookup import (
    active_contacts,
    internal_primary,
    require_bot_in_channel,
    require_vendor,
    side_of,
    vendor_primary,
    vendor_zone,
)
from bot.slack.client import LookupDeferred
from bot.text import escaping as slack_text
from bot.text import transcripts
from bot.text.commands import MAX_TITLE
from bot.time.calendar import BusinessCalendar
from bot.time.timeparse import format_local, wall_to_utc
from storage.models import INTERNAL, VENDOR, Deadline, OutboxMessage, Recap, RecapRevision, Vendor
from storage.models.recaps import CallMention, RecapOffer
from storage.repositories import insert_ignore

if TYPE_CHECKING:
    # Imported where used: the extractor (and dateparser) cost a sweep start-up ~0.2 s.
    from bot.text.extraction import ActionItem, Extraction, Person, Side

log = logging.getLogger(__name__)

# What the outbox rows of recaps render (bot/posts/recaps.py).
RECORD = "recap.record"  # the record with its Confirm buttons; updates re-render it
OFFER = "recap.offer"  # "Make a recap" in the thread of a transcript, notes or a huddle
MENTION_NUDGE = "recap.mention_nudge"  # a call was mentioned, no recap followed
CONFIRM_NUDGE = "recap.confirm_nudge"  # a side has not confirmed after a business day
UNLINKED = "recap.unlinked"  # to the editor: deadlines whose items an edit dropped

# A call mention is nudged when no recap followed within this many business hours.
MENTION_NUDGE_BUSINESS_HOURS = 4.0
# An unconfirmed side is nudged once after this many business days.
CONFIRM_NUDGE_BUSINESS_DAYS = 1.0
# A message older than this is not taken as the time of the call it reports.
MESSAGE_AGE_LIMIT = timedelta(days=14)
# A call may be recorded a little "in the future" (clock skew), not more.
FUTURE_SLACK = timedelta(minutes=10)
TRANSCRIPT_EXTENSIONS = (".vtt", ".srt", ".txt")
DOWNLOAD_TIMEOUT = 10.0  # in the background (after the ack of a button or shortcut)
# A modal waits for its answer: Slack gives a view submission 3 s, the download gets 2 of them.
MODAL_DOWNLOAD_TIMEOUT = 2.0
MB = 1024 * 1024
# Slack's limit for a plain_text_input: what the edit form can hold of a recap's text.
MODAL_TEXT_LIMIT = 3000
# Channel members looked up (users.info, cached) to resolve owners by name; vendor channels are
# small, and this bounds the work done while Slack waits for the modal's answer.
MAX_PEOPLE = 60

NOT_IN_CHANNEL = (
    "I'm not in this channel, so I couldn't post the recap. Invite me with "
    "`/invite @outsource-bot` and try again; nothing was saved."
)

CALL_MENTION_RE = re.compile(
    r"\b(?:"
    r"(?:just\s+)?(?:got|get|came|come|hopped|jumped)\s+off\s+(?:the|a|our|my)\s+"
    r"(?:phone|call|zoom|meet|video\s+call)"
    r"|as\s+(?:discussed|agreed|mentioned|promised|said)\s+(?:on|in|during|over)\s+"
    r"(?:the|our|today'?s|this\s+morning'?s|yesterday'?s|the\s+last)\s+(?:phone\s+|video\s+)?"
    r"(?:call|phone|meeting\s+call)"
    r"|as\s+(?:discussed|agreed)\s+over\s+the\s+phone"
    r"|per\s+our\s+(?:phone\s+|video\s+|earlier\s+|last\s+)?call"
    r"|(?:after|following|further\s+to)\s+our\s+(?:phone\s+|video\s+)?call"
    r"|just\s+(?:had|finished|wrapped(?:\s+up)?)\s+(?:a|the|our)\s+(?:phone\s+|video\s+|quick\s+)?call"
    r"|(?:spoke|talked)\s+(?:on|over)\s+the\s+phone"
    r")\b",
    re.IGNORECASE,
)

SOURCE_LABELS = {
    "modal": None,
    "shortcut": "the original message",
    "file": "a transcript",
    "bot": "meeting notes",
    "huddle": "a huddle",
}


class FieldError(UserError):
    """Bad input in the recap modal: shown next to the field it concerns (as plain text)."""

    def __init__(self, message: str, *, block_id: str = BlockId.SUMMARY) -> None:
        super().__init__(message)
        self.block_id = str(block_id)


class TranscriptProblem(UserError):
    """A transcript that cannot be read. `message` is escaped for an ephemeral (mrkdwn): the
    file's name is someone's words; `plain` is the same for a modal field error."""

    def __init__(self, plain: str) -> None:
        super().__init__(slack_text.mrkdwn(plain))
        self.plain = plain


@dataclass
class Transcript:
    """A transcript file read outside any transaction, handed to the unit that stores it."""

    name: str
    raw: str  # the file's text, verbatim
    text: str  # "Speaker: words" lines for the extractor


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


def record_key(recap_id: int) -> str:
    """The outbox key of a recap's record message: its updates and its buttons refer to it."""
    return f"recap:{recap_id}:record"


# --------------------------------------------------------------------------- small helpers


def _calendar(vendor: Vendor) -> BusinessCalendar:
    try:
        return BusinessCalendar(vendor_zone(vendor), vendor.country)
    except NotImplementedError:  # a country `holidays` does not know: weekends only
        return BusinessCalendar(vendor_zone(vendor), None)


def side_label(vendor: Vendor, side: str) -> str:
    """How a side is named on the record (plain text: a vendor's name is someone's words)."""
    return vendor.name if side == VENDOR else "internal team"


def _quoted(vendor: Vendor) -> str:
    """The vendor's name inside a message the bot writes (mrkdwn)."""
    return slack_text.mrkdwn(vendor.name)


def is_transcript(name: str | None) -> bool:
    return bool(name) and str(name).lower().endswith(TRANSCRIPT_EXTENSIONS)


def _vendor_for(session: Session, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or vendor.archived_at is not None:
        raise NotFound("That vendor is no longer active here.")
    return vendor


def _recap(session: Session, recap_id: Any) -> tuple[Recap, Vendor]:
    try:
        rid = int(recap_id)
    except (TypeError, ValueError):
        raise NotFound("That recap no longer exists.") from None
    recap = session.get(Recap, rid)
    if recap is None:
        raise NotFound("That recap no longer exists.")
    return recap, _vendor_for(session, recap.vendor_id)


def record_ts(session: Session, recap: Recap) -> str | None:
    """Where the record's message is (posted by the outbox after the commit)."""
    ts = session.scalar(
        select(OutboxMessage.message_ts).where(
            OutboxMessage.dedupe_key == record_key(recap.id), OutboxMessage.state == "sent"
        )
    )
    return ts or recap.message_ts


def _clicked_recap(
    session: Session, recap_id: Any, channel_id: str | None, message_ts: str | None
) -> tuple[Recap, Vendor]:
    """The recap a button on its record is about. The button must be in the record's channel
    and on the record's message: a crafted value naming another recap, or a stale copy of a
    message, changes nothing."""
    recap, vendor = _recap(session, recap_id)
    if (
        not channel_id
        or recap.channel_id != channel_id
        or vendor.channel_id != channel_id
        or (message_ts and message_ts != record_ts(session, recap))
    ):
        raise NotFound("That recap is not one of this channel's; nothing was changed.")
    return recap, vendor


def _host_actor(actor: Actor, team_id: str | None) -> Actor:
    """The actor as seen by the installation that owns the vendor channel.

    An external user's interaction may name their own team; the host team travels in
    `private_metadata` (see SLACK_NOTES: bolt-python issue 767)."""
    if team_id and team_id != actor.team_id:
        return replace(actor, team_id=team_id)
    return actor


def _require_party(runtime: Runtime, vendor: Vendor, actor: Actor) -> str:
    side = side_of(runtime, vendor, actor)
    if side is None:
        raise NotAllowed(
            f"Only {_quoted(vendor)}'s people and the internal team can record calls in "
            "this channel."
        )
    return side


def _bot_token(runtime: Runtime, team_id: str) -> str:
    try:
        token = runtime.directory.client(team_id).token
    except LookupError:
        token = None
    if not token:
        raise UserError("This workspace's installation is missing; ask your admin to reinstall.")
    return str(token)


# --------------------------------------------------------------------------- people


def _people(runtime: Runtime, vendor: Vendor) -> list[Person]:
    """Who may own an action item: the channel's members and both sides' contacts."""
    from bot.text.extraction import Person

    ids: list[str] = [c.user_id for c in active_contacts(vendor)]
    try:
        ids += runtime.directory.channel_members(vendor.team_id, vendor.channel_id)[:MAX_PEOPLE]
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError):
        log.info(
            "could not list members of %s; owners resolve among contacts only", vendor.channel_id
        )
    sides = {c.user_id: c.side for c in active_contacts(vendor)}
    people: list[Person] = []
    for user_id in dict.fromkeys(ids):
        try:
            user = runtime.directory.user(vendor.team_id, user_id)
        except LookupDeferred:
            raise
        except (SlackApiError, LookupError):
            user = None
        if user is not None and (user.is_bot or user.deleted):
            continue
        side = sides.get(user_id)
        if side is None and user is not None:
            if user.team_id and user.team_id in (vendor.external_team_ids or []):
                side = VENDOR
            elif user.team_id and user.team_id != vendor.team_id:
                continue  # a third organization: nobody's owner here
            else:
                side = VENDOR if (user.is_guest and not vendor.is_ext_shared) else INTERNAL
        if side is None:
            continue
        names = [user.real_name, user.display_name, user.name] if user else []
        people.append(
            Person(user_id, tuple(n for n in names if n) or (user_id,), cast("Side", side))
        )
    return people


def _extract(runtime: Runtime, vendor: Vendor, text: str, call_at: datetime) -> Extraction:
    from bot.text.extraction import extract

    we = internal_primary(vendor)
    they = vendor_primary(vendor)
    return extract(
        text,
        call_at=call_at,
        tz=vendor_zone(vendor),
        people=_people(runtime, vendor),
        we_user_id=we.user_id if we else None,
        they_user_id=they.user_id if they else None,
    )


def _default_participants(vendor: Vendor) -> list[str]:
    return list(dict.fromkeys(c.user_id for c in active_contacts(vendor)))


# --------------------------------------------------------------------------- transcripts


def _allowed_file_host(runtime: Runtime, url: str) -> bool:
    """The bot token goes only to Slack's file hosts (or the configured API host)."""
    host = (urlsplit(url).hostname or "").lower()
    api_host = (urlsplit(runtime.settings.slack_api_url).hostname or "").lower()
    return host == api_host or host == "slack.com" or host.endswith(".slack.com")


def _too_large(name: str, size: int) -> TranscriptProblem:
    limit = transcripts.MAX_TRANSCRIPT_BYTES
    return TranscriptProblem(
        f"{name} is {size / MB:.1f} MB; transcripts can be up to {limit / MB:.0f} MB. "
        "Paste the summary instead."
    )


def _file_info(runtime: Runtime, team_id: str, file: dict[str, Any], name: str) -> dict[str, Any]:
    """A shared file's details (files.info through the directory's cache)."""
    try:
        info = runtime.directory.file(team_id, str(file["id"]))
    except LookupDeferred:
        raise
    except SlackApiError as exc:
        raise TranscriptProblem(
            f"I couldn't get {name} from Slack ({exc.response.get('error')}); "
            "paste the summary instead."
        ) from None
    except LookupError:
        raise TranscriptProblem(
            f"I couldn't get {name} from Slack (no answer from Slack); try again in a minute."
        ) from None
    if info is None:
        raise TranscriptProblem(f"{name} is no longer in Slack; paste the summary instead.")
    return {**file, **info}


def download_transcript(
    runtime: Runtime, team_id: str, file: dict[str, Any], *, timeout: float = DOWNLOAD_TIMEOUT
) -> tuple[str, bytes]:
    """(file name, content) of a transcript file, fetched from `url_private` with the bot token.

    Slow: never called inside a transaction. The size is checked before anything is
    downloaded; every failure is a TranscriptProblem."""
    name = str(file.get("name") or file.get("title") or file.get("id") or "the file")
    token = _bot_token(runtime, team_id)
    url = file.get("url_private_download") or file.get("url_private")
    if (not url or file.get("size") is None) and file.get("id"):
        file = _file_info(runtime, team_id, file, name)
        url = file.get("url_private_download") or file.get("url_private")
    if not is_transcript(name):
        raise TranscriptProblem(f"{name} is not a transcript: I read .vtt, .srt and .txt files.")
    size = file.get("size")
    limit = transcripts.MAX_TRANSCRIPT_BYTES
    if isinstance(size, int) and size > limit:
        raise _too_large(name, size)
    if not url or not _allowed_file_host(runtime, str(url)):
        raise TranscriptProblem(f"I couldn't download {name}; paste the summary instead.")
    request = urllib.request.Request(
        str(url), headers={"Authorization": f"Bearer {token}"}, method="GET"
    )
    try:
        with transcripts.DOWNLOAD_OPENER.open(request, timeout=timeout) as resp:
            data: bytes = resp.read(limit + 1)
            content_type = str(resp.headers.get("Content-Type") or "")
    except urllib.error.HTTPError as exc:
        raise TranscriptProblem(
            f"I couldn't download {name} (Slack answered {exc.code}); paste the summary instead."
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise TranscriptProblem(
            f"I couldn't download {name} (no answer from Slack); try again in a minute."
        ) from None
    if len(data) > limit:
        raise _too_large(name, len(data))
    if content_type.startswith("text/html"):
        # Slack answers a login page, not the file, when the token may not read it.
        raise TranscriptProblem(f"I'm not allowed to read {name}; paste the summary instead.")
    return name, data


def read_transcript(
    runtime: Runtime, team_id: str, file: dict[str, Any], *, timeout: float = DOWNLOAD_TIMEOUT
) -> Transcript:
    """Download and read a transcript file (outside any transaction)."""
    name, data = download_transcript(runtime, team_id, file, timeout=timeout)
    try:
        text = transcripts.transcript_to_text(name, data)  # binary, wrong encoding …
        raw = transcripts.decode_text(data, name)
    except TranscriptProblem:
        raise
    except UserError as exc:
        raise TranscriptProblem(exc.message) from None
    return Transcript(name=name, raw=raw, text=text)


def transcript_in(message: dict[str, Any]) -> dict[str, Any] | None:
    """The first transcript file attached to a message, if any."""
    for file in _dicts(message.get("files")):
        if is_transcript(file.get("name")):
            return file
    return None


# --------------------------------------------------------------------------- the record


def items_of(recap: Recap) -> tuple[Extraction, list[int | None]]:
    """A recap's extracted items and, per action item, the number of its deadline (or None)."""
    from bot.text.extraction import Extraction

    data = dict(recap.extracted or {})
    numbers = list(data.pop("deadline_numbers", []) or [])
    ext = Extraction.from_dict(data)
    numbers += [None] * (len(ext.action_items) - len(numbers))
    return ext, numbers


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


def _update_record(session: Session, runtime: Runtime, vendor: Vendor, recap: Recap) -> None:
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


def _item_key(item: Any) -> tuple[str, str | None, str | None]:
    due = item.due_at.astimezone(UTC).isoformat() if item.due_at else None
    return (" ".join(item.what.lower().split()), item.owner_user_id, due)


def _sync_deadlines(
    session: Session,
    *,
    runtime: Runtime,
    vendor: Vendor,
    recap: Recap,
    ext: Extraction,
    numbers: list[int | None],
    actor_user_id: str,
    now: datetime,
    settled: bool,
) -> list[int | None]:
    """Deadlines for action items with an owner and a due date.

    Items whose owner and date were read with certainty become deadlines at once; the unsure
    ones when both sides have confirmed the record (their confirmation settles them)."""
    numbers = list(numbers) + [None] * (len(ext.action_items) - len(numbers))
    for i, item in enumerate(ext.action_items):
        if numbers[i] is not None or not (item.owner_user_id and item.due_at):
            continue
        if not (settled or (item.owner_sure and item.due_sure)):
            continue
        title = deadline_title(item)
        deadline = add_deadline(
            session,
            runtime=runtime,
            vendor=vendor,
            title=title,
            due_at=item.due_at,
            owner_user_id=item.owner_user_id,
            actor_user_id=actor_user_id,
            now=now,
            recap_id=recap.id,
        )
        numbers[i] = deadline.number
    return numbers


def deadline_title(item: ActionItem) -> str:
    """A deadline's title from an action item, without the item's trailing due phrase: the
    deadline shows its own date, and "… by next Wednesday" reads wrong once days pass (the
    recap record keeps the item as written)."""
    what = " ".join(item.what.split())
    due = " ".join((item.due_text or "").split())
    if due:
        stripped = what.rstrip(" .!;,")
        if stripped.lower().endswith(due.lower()):
            cut = stripped[: len(stripped) - len(due)].rstrip(" ,;:-–—(")
            if len(cut.split()) >= 2:  # "Due Friday" alone keeps its words
                what = cut
    return what[:MAX_TITLE] or "Action item from a call recap"


def _store_extraction(recap: Recap, ext: Extraction, numbers: list[int | None]) -> None:
    recap.extracted = {**ext.to_dict(), "deadline_numbers": numbers}


def _checked(text: str | None) -> str:
    """The summary as given (kept verbatim), once it is known not to be empty or too long.
    Control characters are dropped on the way out (bot/text/escaping.py)."""
    transcripts.validate_summary(text or "")  # UserError: empty, whitespace, over the limit
    return text or ""


def _validate_summary(text: str | None, *, block_id: str = BlockId.SUMMARY) -> str:
    try:
        return _checked(text)
    except UserError as exc:
        raise FieldError(exc.message, block_id=block_id) from None


def _extraction_text(recap_text: str, transcript_text: str | None) -> str:
    if transcript_text:
        return f"{recap_text}\n\n{transcript_text}"
    return recap_text


def _create(
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
    ext = _extract(runtime, vendor, _extraction_text(text, transcript_text), call_at)
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
        confirm_nudge_at=_calendar(vendor).add_business_days(now, CONFIRM_NUDGE_BUSINESS_DAYS),
    )
    session.add(recap)
    session.flush()
    numbers = _sync_deadlines(
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
    _store_extraction(recap, ext, numbers)
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


# --------------------------------------------------------------------------- the modal


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


def _form(
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
    _require_party(runtime, vendor, actor)
    return _form(
        vendor,
        metadata={"team": vendor.team_id, "channel": channel_id, "thread_ts": thread_ts},
        call_at=runtime.clock.now(),
        participants=_default_participants(vendor),
    )


def _may_edit(vendor: Vendor, recap: Recap, actor: Actor) -> bool:
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
    recap, vendor = _clicked_recap(session, recap_id, channel_id, message_ts)
    actor = _host_actor(actor, vendor.team_id)
    if not _may_edit(vendor, recap, actor):
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
    return _form(
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
        _require_party(runtime, vendor, actor)
        require_bot_in_channel(runtime, vendor, channel_id, message=NOT_IN_CHANNEL)
    except FieldError:
        raise
    except UserError as exc:
        raise FieldError(slack_text.unescape(exc.message)) from None
    return vendor, channel_id


def check_submission(
    session: Session, *, runtime: Runtime, actor: Actor, sub: RecapSubmission
) -> None:
    """What can be refused of a new recap's submission before its transcript is downloaded:
    the download is slow and made outside any transaction, so a refused submission starts
    none. Also reads (into the directory's cache) the people the extraction will need, so the
    unit that stores the recap does not have to run again after the download."""
    actor = _host_actor(actor, _submission_team(actor, sub))
    vendor, _ = _new_recap_vendor(session, runtime, actor, sub)
    _validate_summary(sub.summary)
    _call_at(vendor, sub, runtime.clock.now())
    _people(runtime, vendor)


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
    actor = _host_actor(actor, _submission_team(actor, sub))
    if sub.editing:
        return _save_edit(session, runtime=runtime, actor=actor, sub=sub)
    vendor, channel_id = _new_recap_vendor(session, runtime, actor, sub)
    text = _validate_summary(sub.summary)
    call_at = _call_at(vendor, sub, runtime.clock.now())
    participants = (
        sub.participants if sub.participants is not None else _default_participants(vendor)
    )
    source = "modal"
    source_ref = None
    offer: RecapOffer | None = None
    if meta.get("offer"):
        offer = session.get(RecapOffer, _int(meta["offer"]))
        if offer is None or offer.vendor_id != vendor.id or offer.channel_id != channel_id:
            offer = None
        elif offer.recap_id is not None:
            raise FieldError("A recap of this was already made — it is in the thread.")
        else:
            source, source_ref = offer.kind, offer.ref
    elif meta.get("mention"):
        source_ref = f"mention:{meta['mention']}"
    recap = _create(
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
        _mark_offer_made(session, offer.id, recap)
    return recap


def _save_edit(session: Session, *, runtime: Runtime, actor: Actor, sub: RecapSubmission) -> Recap:
    try:
        recap, vendor = _recap(session, sub.metadata.get("recap"))
    except UserError as exc:
        raise FieldError(exc.message) from None
    if not _may_edit(vendor, recap, actor):
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
    ext = _extract(runtime, vendor, _extraction_text(text, transcript_text), call_at)
    # Items that did not change keep their deadlines; new ones get theirs.
    old_ext, old_numbers = items_of(recap)
    kept = {_item_key(i): n for i, n in zip(old_ext.action_items, old_numbers, strict=False) if n}
    numbers: list[int | None] = [kept.pop(_item_key(i), None) for i in ext.action_items]
    old_revision = recap.revision
    recap.revision = old_revision + 1
    recap.text = text
    recap.call_at = call_at
    recap.participants = participants
    # The record changed: what was confirmed is not what is there now.
    recap.internal_confirmed_by = recap.internal_confirmed_at = None
    recap.vendor_confirmed_by = recap.vendor_confirmed_at = None
    recap.confirm_nudge_at = _calendar(vendor).add_business_days(now, CONFIRM_NUDGE_BUSINESS_DAYS)
    numbers = _sync_deadlines(
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
    _store_extraction(recap, ext, numbers)
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
    _update_record(session, runtime, vendor, recap)
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


# --------------------------------------------------------------------------- shortcut


def _message_text(message: dict[str, Any]) -> str:
    """A message's readable text as plain text: its text, else what its blocks and attachments
    say. Slack sends all of it escaped (rich text leaves excepted, escaped here): it is
    decoded exactly once (bot/text/escaping.py)."""
    text = str(message.get("text") or "")
    extra: list[str] = []
    for block in _dicts(message.get("blocks")):
        extra.extend(_block_texts(block))
    for att in _dicts(message.get("attachments")):
        for key in ("pretext", "title", "text"):
            if att.get(key):
                extra.append(str(att[key]))
        for f in _dicts(att.get("fields")):
            extra.append(f"{f.get('title', '')}: {f.get('value', '')}".strip(": "))
        for block in _dicts(att.get("blocks")):
            extra.extend(_block_texts(block))
    more = "\n".join(e for e in extra if e.strip() and e.strip() not in text)
    if not text.strip() or len(more) > len(text):
        text = more.strip()
    return slack_text.from_slack(text)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _block_texts(block: dict[str, Any]) -> list[str]:
    out: list[str] = []
    kind = block.get("type")
    if kind in ("section", "header") and isinstance(block.get("text"), dict):
        out.append(str(block["text"].get("text") or ""))
        for f in _dicts(block.get("fields")):
            out.append(str(f.get("text") or ""))
    elif kind == "context":
        out.extend(str(e.get("text") or "") for e in _dicts(block.get("elements")) if "text" in e)
    elif kind == "rich_text":
        out.append(_rich_text(_dicts(block.get("elements"))))
    elif kind == "markdown":
        out.append(str(block.get("text") or ""))
    return out


def _rich_text(elements: list[dict[str, Any]], prefix: str = "") -> str:
    """Rich text as Slack's escaped text (its leaves are raw): decoded with the rest."""
    lines: list[str] = []
    for el in elements:
        kind = el.get("type")
        if kind == "rich_text_list":
            for sub in _dicts(el.get("elements")):
                lines.append(_rich_text([sub], prefix="- "))
        elif kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            parts = []
            for leaf in _dicts(el.get("elements")):
                t = leaf.get("type")
                if t == "text":
                    parts.append(slack_text.slack_escape(str(leaf.get("text") or "")))
                elif t == "user":
                    parts.append(f"<@{leaf.get('user_id')}>")
                elif t == "link":
                    parts.append(
                        slack_text.slack_escape(str(leaf.get("text") or leaf.get("url") or ""))
                    )
                elif t == "emoji":
                    parts.append(f":{leaf.get('name')}:")
            lines.append(prefix + "".join(parts))
    return "\n".join(lines)


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
    _require_party(runtime, vendor, actor)
    ts = str(message.get("ts") or "")
    if not ts:
        raise UserError("I can't tell which message that was; try the shortcut again.")
    require_bot_in_channel(runtime, vendor, channel_id, message=NOT_IN_CHANNEL)
    _already_recapped(session, vendor, "shortcut", ts)
    text = _message_text(message)
    file = transcript_in(message)
    if not text.strip() and file is None:
        raise UserError(
            "That message has no text to make a recap from. Use the shortcut on the message "
            "with the call summary, or `/outsource recap` to paste it."
        )
    if text.strip():
        _checked(text)
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
    _require_party(runtime, vendor, actor)
    ts = str(message.get("ts") or "")
    if not ts:
        raise UserError("I can't tell which message that was; try the shortcut again.")
    _already_recapped(session, vendor, "shortcut", ts)
    text = _message_text(message)
    if not text.strip() and transcript is None:
        raise UserError(
            "That message has no text to make a recap from. Use the shortcut on the message "
            "with the call summary, or `/outsource recap` to paste it."
        )
    summary_given = bool(text.strip())
    if summary_given:
        text = _checked(text)
    elif transcript is not None:
        text = transcript.text
    return _create(
        session,
        runtime=runtime,
        vendor=vendor,
        actor=actor,
        source="shortcut",
        source_ref=ts,
        text=text,
        call_at=_posted_at(ts, runtime.clock.now()),
        participants=_participants_with(vendor, [actor.user_id]),
        channel_id=channel_id,
        thread_ts=str(message.get("thread_ts") or ts),
        permalink=permalink,
        transcript_name=transcript.name if transcript and summary_given else None,
        transcript_raw=transcript.raw if transcript else None,
        transcript_text=transcript.text if transcript and summary_given else None,
    )


def _participants_with(vendor: Vendor, extra: list[str]) -> list[str]:
    return list(dict.fromkeys(_default_participants(vendor) + [u for u in extra if u]))


def _posted_at(ts: str | None, now: datetime) -> datetime:
    """When a message was posted (its ts), as the call's time; `now` when that is not plausible
    (a ts from the future, or older than the calls people record afterwards)."""
    try:
        at = datetime.fromtimestamp(float(ts or ""), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    if now - MESSAGE_AGE_LIMIT <= at <= now:
        return at
    return now


# --------------------------------------------------------------------------- confirmations


def confirm(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    recap_id: Any,
    side: str,
    channel_id: str | None,
    message_ts: str | None = None,
) -> Recap:
    """A side confirms the record (the button on the record's message, in its channel).
    The wrong side, or a side that has confirmed already: UserError, nothing changed."""
    recap, vendor = _clicked_recap(session, recap_id, channel_id, message_ts)
    actor = _host_actor(actor, vendor.team_id)
    actual = side_of(runtime, vendor, actor)
    if actual != side:
        label = _quoted(vendor) if side == VENDOR else side_label(vendor, side)
        if side == INTERNAL:
            raise NotAllowed(
                f"Only the internal team can confirm for the {label}; nothing changed."
            )
        raise NotAllowed(f"Only {label}'s people can confirm for {label}; nothing changed.")
    now = runtime.clock.now()
    tz = vendor_zone(vendor)
    if side == INTERNAL:
        if recap.internal_confirmed_by:
            raise UserError(
                f"<@{recap.internal_confirmed_by}> already confirmed this for the internal team "
                f"on {format_local(recap.internal_confirmed_at or now, tz)}."
            )
        recap.internal_confirmed_by, recap.internal_confirmed_at = actor.user_id, now
    else:
        if recap.vendor_confirmed_by:
            raise UserError(
                f"<@{recap.vendor_confirmed_by}> already confirmed this for {_quoted(vendor)} "
                f"on {format_local(recap.vendor_confirmed_at or now, tz)}."
            )
        recap.vendor_confirmed_by, recap.vendor_confirmed_at = actor.user_id, now
    both = bool(recap.internal_confirmed_by and recap.vendor_confirmed_by)
    detail: dict[str, Any] = {"side": side, "revision": recap.revision, "both": both}
    if both:
        recap.confirm_nudge_at = None
        ext, numbers = items_of(recap)
        new_numbers = _sync_deadlines(
            session,
            runtime=runtime,
            vendor=vendor,
            recap=recap,
            ext=ext,
            numbers=numbers,
            actor_user_id=actor.user_id,
            now=now,
            settled=True,
        )
        if new_numbers != numbers:
            _store_extraction(recap, ext, new_numbers)
            detail["deadlines"] = [
                n for n, o in zip(new_numbers, numbers, strict=False) if n and not o
            ]
    _update_record(session, runtime, vendor, recap)
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="recap.confirmed",
        subject=f"recap:{recap.id}",
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    return recap


# --------------------------------------------------------------------------- offers


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


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound("That button is out of date.") from None


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
        mention = session.get(CallMention, _int(value["mention"]))
        if mention is None:
            raise NotFound("That call is no longer on record.")
        if mention.channel_id != channel_id:
            raise _not_here()
        vendor = _vendor_for(session, mention.vendor_id)
        actor = _host_actor(actor, vendor.team_id)
        _require_party(runtime, vendor, actor)
        return MakePlan(
            form=_form(
                vendor,
                metadata={
                    "team": vendor.team_id,
                    "channel": mention.channel_id,
                    "thread_ts": mention.thread_ts or mention.message_ts,
                    "mention": mention.id,
                },
                call_at=min(mention.said_at, runtime.clock.now()),
                participants=_participants_with(vendor, [mention.user_id]),
            )
        )
    raise NotFound("That button is out of date.")


def _offer_to_make(
    session: Session, *, runtime: Runtime, actor: Actor, offer_id: Any, channel_id: str | None
) -> tuple[RecapOffer, Vendor, Actor]:
    """An offer in this channel that this actor may turn into a recap now (UserError
    otherwise)."""
    offer = session.get(RecapOffer, _int(offer_id))
    if offer is None:
        raise NotFound("That offer is out of date.")
    if offer.channel_id != channel_id:
        raise _not_here()
    vendor = _vendor_for(session, offer.vendor_id)
    if vendor.channel_id != channel_id:
        raise _not_here()
    actor = _host_actor(actor, vendor.team_id)
    _require_party(runtime, vendor, actor)
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
            form=_form(
                vendor,
                metadata={
                    "team": vendor.team_id,
                    "channel": offer.channel_id,
                    "thread_ts": offer.thread_ts,
                    "offer": offer.id,
                },
                call_at=_posted_at(offer.message_ts, runtime.clock.now()),
                participants=_participants_with(vendor, [actor.user_id]),
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
    call_at = _posted_at(offer.message_ts, runtime.clock.now())
    common: dict[str, Any] = {
        "runtime": runtime,
        "vendor": vendor,
        "actor": actor,
        "source_ref": offer.ref,
        "call_at": call_at,
        "participants": _participants_with(vendor, [actor.user_id]),
        "channel_id": offer.channel_id,
        "thread_ts": offer.thread_ts,
        "permalink": permalink,
    }
    if offer.kind == "file":
        if transcript is None:
            raise UserError("I couldn't read the transcript; try again in a minute.")
        recap = _create(
            session,
            source="file",
            text=transcript.text,
            transcript_name=transcript.name,
            transcript_raw=transcript.raw,
            **common,
        )
    else:
        recap = _create(session, source="bot", text=_checked(offer.text), **common)
    _mark_offer_made(session, offer.id, recap)
    return recap


def _mark_offer_made(session: Session, offer_id: int, recap: Recap) -> None:
    offer = session.get(RecapOffer, offer_id)
    if offer is not None and offer.recap_id is None:
        offer.recap_id = recap.id
        offer.state = "made"


def _offer(
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


def _file_details(runtime: Runtime, vendor: Vendor, file: dict[str, Any]) -> dict[str, Any]:
    """A file object as shared; files from another organization arrive as a stub
    (`file_access: check_file_info`) that files.info (through the directory) fills in."""
    if file.get("name") or file.get("file_access") != "check_file_info" or not file.get("id"):
        return file
    try:
        info = runtime.directory.file(vendor.team_id, str(file["id"]))
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError) as exc:
        log.info("files.info for %s failed: %s", file.get("id"), exc)
        return file
    return {**file, **info} if info else file


def meeting_app_name(runtime: Runtime, event: dict[str, Any]) -> str | None:
    """The name of the known meeting-note app that posted this message, if any."""
    profile = event.get("bot_profile") or {}
    names = [
        str(profile.get("name") or ""),
        str(event.get("username") or ""),
        str(profile.get("app_name") or ""),
    ]
    ids = {str(event.get("bot_id") or "").lower(), str(event.get("app_id") or "").lower()}
    ids.add(str(profile.get("app_id") or "").lower())
    for known in runtime.settings.meeting_note_apps:
        key = known.lower().strip()
        if not key:
            continue
        if key in ids:
            return next((n for n in names if n), known)
        for name in names:
            if name and re.search(r"(?<![a-z0-9])" + re.escape(key), name.lower()):
                return name
    return None


def _in_recap_thread(session: Session, vendor: Vendor, thread_ts: str | None) -> bool:
    if not thread_ts:
        return False
    found = session.scalar(
        select(Recap.id)
        .where(
            Recap.vendor_id == vendor.id,
            or_(Recap.message_ts == thread_ts, Recap.thread_ts == thread_ts),
        )
        .limit(1)
    )
    return found is not None


def observe_message(session: Session, runtime: Runtime, msg: ChannelMessage) -> None:
    """Transcript files, meeting-note apps' posts, huddles and call mentions in a vendor channel."""
    event = msg.event
    author = msg.actor.user_id if msg.actor else event.get("user")
    for file in _dicts(event.get("files")):
        file = _file_details(runtime, msg.vendor, file)
        name = str(file.get("name") or file.get("title") or "")
        if is_transcript(name) and file.get("id"):
            _offer(
                session,
                runtime,
                msg,
                kind="file",
                ref=str(file["id"]),
                posted_by=author,
                file={**file, "name": name},
            )
    if msg.subtype == "huddle_thread":
        _offer(session, runtime, msg, kind="huddle", ref=msg.ts, posted_by=author)
        return
    if msg.is_bot:
        app = meeting_app_name(runtime, event)
        if app is not None and not event.get("files"):
            _offer(
                session,
                runtime,
                msg,
                kind="bot",
                ref=msg.ts,
                posted_by=app,
                text=_message_text(event) or None,
            )
        return
    if author and CALL_MENTION_RE.search(msg.text):
        _record_mention(session, runtime, msg, str(author))


def _record_mention(session: Session, runtime: Runtime, msg: ChannelMessage, user_id: str) -> None:
    vendor = msg.vendor
    if _in_recap_thread(session, vendor, msg.thread_ts):
        return  # talk about a call that already has its record
    waiting = session.scalar(
        select(CallMention.id)
        .where(
            CallMention.vendor_id == vendor.id,
            CallMention.channel_id == vendor.channel_id,
            CallMention.state == "waiting",
        )
        .limit(1)
    )
    if waiting is not None:
        return  # one nudge covers every mention of the same call
    said_at = runtime.clock.now()  # the event arrives as the message is posted
    mention = CallMention(
        vendor_id=vendor.id,
        channel_id=vendor.channel_id,
        message_ts=msg.ts,
        thread_ts=msg.thread_ts or msg.ts,
        user_id=user_id,
        said_at=said_at,
        nudge_at=_calendar(vendor).add_business_hours(said_at, MENTION_NUDGE_BUSINESS_HOURS),
        state="waiting",
        text=slack_text.from_slack(msg.text)[:2000],
    )
    session.add(mention)
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=user_id,
        action="call_mention.recorded",
        subject=f"call_mention:{mention.id}",
        at=runtime.clock.now(),
        vendor_id=vendor.id,
        detail={"nudge_at": mention.nudge_at.isoformat(), "message_ts": msg.ts},
    )


message_observers = [observe_message]


# --------------------------------------------------------------------------- sweep


def recapped_since(session: Session, mention: CallMention) -> int | None:
    """A recap made in the mention's channel since the call was mentioned, if any."""
    return session.scalar(
        select(Recap.id)
        .where(
            Recap.vendor_id == mention.vendor_id,
            Recap.channel_id == mention.channel_id,
            Recap.created_at >= mention.said_at,
        )
        .limit(1)
    )


def nudge_call_mentions(session: Session, ctx: SweepContext) -> int:
    """A call mentioned 4 business hours ago with no recap since → one nudge in its thread."""
    now = ctx.now
    due = list(
        session.scalars(
            select(CallMention)
            .where(CallMention.state == "waiting", CallMention.nudge_at <= now)
            .order_by(CallMention.nudge_at)
            .limit(500)
        )
    )
    made = 0
    for mention in due:
        vendor = session.get(Vendor, mention.vendor_id)
        if vendor is None or vendor.archived_at is not None:
            mention.state = "closed"
            audit.record(
                session,
                team_id=vendor.team_id if vendor else "-",
                actor="bot",
                action="call_mention.closed",
                subject=f"call_mention:{mention.id}",
                at=now,
                vendor_id=mention.vendor_id,
            )
            continue
        recapped = recapped_since(session, mention)
        if recapped is not None:
            mention.state = "recapped"
            audit.record(
                session,
                team_id=vendor.team_id,
                actor="bot",
                action="call_mention.recapped",
                subject=f"call_mention:{mention.id}",
                at=now,
                vendor_id=vendor.id,
                detail={"recap_id": recapped},
            )
            continue
        if outbox.enqueue(
            session,
            team_id=vendor.team_id,
            dedupe_key=f"call-mention:{mention.id}:nudge",
            channel_id=mention.channel_id,
            thread_ts=mention.thread_ts or mention.message_ts,
            kind="recap_nudge",
            now=now,
            render={"kind": MENTION_NUDGE, "mention": mention.id},
            vendor_id=vendor.id,
            priority=outbox.PRIORITY_NUDGE,
        ):
            made += 1
        mention.state = "nudged"
        audit.record(
            session,
            team_id=vendor.team_id,
            actor="bot",
            action="call_mention.nudged",
            subject=f"call_mention:{mention.id}",
            at=now,
            vendor_id=vendor.id,
        )
    return made


def unconfirmed_sides(vendor: Vendor, recap: Recap) -> list[tuple[str, str | None]]:
    """(side, its primary contact's user id) of each side that has not confirmed the record."""
    sides: list[tuple[str, str | None]] = []
    for side, confirmed, contact in (
        (INTERNAL, recap.internal_confirmed_by, internal_primary(vendor)),
        (VENDOR, recap.vendor_confirmed_by, vendor_primary(vendor)),
    ):
        if not confirmed:
            sides.append((side, contact.user_id if contact is not None else None))
    return sides


def nudge_unconfirmed(session: Session, ctx: SweepContext) -> int:
    """A recap one business day old that a side has not confirmed → one nudge in its thread
    (rendered when delivered: none once both sides confirmed, or the record was edited)."""
    now = ctx.now
    due = list(
        session.scalars(
            select(Recap)
            .where(Recap.confirm_nudge_at.is_not(None), Recap.confirm_nudge_at <= now)
            .order_by(Recap.confirm_nudge_at)
            .limit(500)
        )
    )
    made = 0
    for recap in due:
        recap.confirm_nudge_at = None
        vendor = session.get(Vendor, recap.vendor_id)
        if vendor is None or vendor.archived_at is not None or not recap.message_ts:
            audit.record(
                session,
                team_id=vendor.team_id if vendor else "-",
                actor="bot",
                action="recap.confirm_nudge_dropped",
                subject=f"recap:{recap.id}",
                at=now,
                vendor_id=recap.vendor_id,
            )
            continue
        sides = [side for side, _ in unconfirmed_sides(vendor, recap)]
        if outbox.enqueue(
            session,
            team_id=vendor.team_id,
            dedupe_key=f"recap:{recap.id}:r{recap.revision}:confirm-nudge",
            channel_id=recap.channel_id,
            thread_ts=recap.thread_ts or recap.message_ts,
            kind="recap_nudge",
            now=now,
            render={"kind": CONFIRM_NUDGE, "recap": recap.id, "revision": recap.revision},
            vendor_id=vendor.id,
            priority=outbox.PRIORITY_NUDGE,
        ):
            made += 1
        audit.record(
            session,
            team_id=vendor.team_id,
            actor="bot",
            action="recap.confirm_nudged",
            subject=f"recap:{recap.id}",
            at=now,
            vendor_id=vendor.id,
            detail={"revision": recap.revision, "sides": sides},
        )
    return made


sweep_steps = [
    ("recap call-mention nudges", nudge_call_mentions),
    ("recap confirmation nudges", nudge_unconfirmed),
]
