"""A vendor channel watched (`message_observers`): transcript files, meeting-note apps' posts
and huddles are offered as recaps in their thread; a message that says a call happened is
remembered, to be nudged when no recap follows."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.app.runtime import Runtime
from bot.services.messages import ChannelMessage
from bot.services.recaps.common import dicts, vendor_calendar
from bot.services.recaps.message_text import message_text
from bot.services.recaps.offers import offer_recap
from bot.services.recaps.transcript_files import is_transcript
from bot.slack.client import LookupDeferred
from bot.text import escaping as slack_text
from storage.models import Recap, Vendor
from storage.models.recaps import CallMention

log = logging.getLogger(__name__)

# A call mention is nudged when no recap followed within this many business hours.
MENTION_NUDGE_BUSINESS_HOURS = 4.0

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
    for file in dicts(event.get("files")):
        file = _file_details(runtime, msg.vendor, file)
        name = str(file.get("name") or file.get("title") or "")
        if is_transcript(name) and file.get("id"):
            offer_recap(
                session,
                runtime,
                msg,
                kind="file",
                ref=str(file["id"]),
                posted_by=author,
                file={**file, "name": name},
            )
    if msg.subtype == "huddle_thread":
        offer_recap(session, runtime, msg, kind="huddle", ref=msg.ts, posted_by=author)
        return
    if msg.is_bot:
        app = meeting_app_name(runtime, event)
        if app is not None and not event.get("files"):
            offer_recap(
                session,
                runtime,
                msg,
                kind="bot",
                ref=msg.ts,
                posted_by=app,
                text=message_text(event) or None,
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
        nudge_at=vendor_calendar(vendor).add_business_hours(said_at, MENTION_NUDGE_BUSINESS_HOURS),
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
