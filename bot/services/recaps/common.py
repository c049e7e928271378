"""What the recap modules share: who may record a call in a vendor channel and as whom, the
vendor's business calendar, a call's default participants and time, and reading ids and lists
out of what Slack sends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotAllowed, NotFound
from bot.services.vendors.lookup import active_contacts, side_of, vendor_zone
from bot.text import escaping as slack_text
from bot.time.calendar import BusinessCalendar
from storage.models import Vendor

# A message older than this is not taken as the time of the call it reports.
MESSAGE_AGE_LIMIT = timedelta(days=14)


def vendor_calendar(vendor: Vendor) -> BusinessCalendar:
    try:
        return BusinessCalendar(vendor_zone(vendor), vendor.country)
    except NotImplementedError:  # a country `holidays` does not know: weekends only
        return BusinessCalendar(vendor_zone(vendor), None)


def quoted(vendor: Vendor) -> str:
    """The vendor's name inside a message the bot writes (mrkdwn)."""
    return slack_text.mrkdwn(vendor.name)


def vendor_for(session: Session, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or vendor.archived_at is not None:
        raise NotFound("That vendor is no longer active here.")
    return vendor


def host_actor(actor: Actor, team_id: str | None) -> Actor:
    """The actor as seen by the installation that owns the vendor channel.

    An external user's interaction may name their own team; the host team travels in
    `private_metadata` (see SLACK_NOTES: bolt-python issue 767)."""
    if team_id and team_id != actor.team_id:
        return replace(actor, team_id=team_id)
    return actor


def require_party(runtime: Runtime, vendor: Vendor, actor: Actor) -> str:
    side = side_of(runtime, vendor, actor)
    if side is None:
        raise NotAllowed(
            f"Only {quoted(vendor)}'s people and the internal team can record calls in "
            "this channel."
        )
    return side


def id_of(value: Any) -> int:
    """An id in a button's value or a view's metadata (NotFound when it is none)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound("That button is out of date.") from None


def dicts(value: Any) -> list[dict[str, Any]]:
    """The objects in a list Slack sent (anything else in it, or no list: none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def default_participants(vendor: Vendor) -> list[str]:
    return list(dict.fromkeys(c.user_id for c in active_contacts(vendor)))


def participants_with(vendor: Vendor, extra: list[str]) -> list[str]:
    return list(dict.fromkeys(default_participants(vendor) + [u for u in extra if u]))


def posted_at(ts: str | None, now: datetime) -> datetime:
    """When a message was posted (its ts), as the call's time; `now` when that is not plausible
    (a ts from the future, or older than the calls people record afterwards)."""
    try:
        at = datetime.fromtimestamp(float(ts or ""), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    if now - MESSAGE_AGE_LIMIT <= at <= now:
        return at
    return now
