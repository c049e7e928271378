"""Vendors looked up, and who is on which side. Other capabilities look vendors up through
these functions: the active vendor of a channel (or its record, archived too), its contacts,
which side of the relationship a person is on, and the refusals built on them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, lazyload

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotAllowed, UserError
from bot.slack.client import LookupDeferred
from storage.models import BACKUP, INTERNAL, PRIMARY, VENDOR, Contact, Vendor

log = logging.getLogger(__name__)


NOT_A_VENDOR_CHANNEL = (
    "This channel is not a vendor channel yet. Register it with "
    "`/outsource vendor add &lt;name&gt; [tz &lt;IANA zone&gt;] [country &lt;ISO code&gt;]`."
)
SIDES = (INTERNAL, VENDOR)
ROLES = (PRIMARY, BACKUP)


# Built once: constructing and cache-keying a statement costs more CPU than running it, and
# this lookup runs for every message in every channel the bot is in.
_ACTIVE_VENDOR_OF_CHANNEL = select(Vendor).where(
    Vendor.team_id == bindparam("vendor_team_id"),
    Vendor.channel_id == bindparam("vendor_channel_id"),
    Vendor.archived_at.is_(None),
)
VENDOR_WITH_CONTACTS = _ACTIVE_VENDOR_OF_CHANNEL.options(joinedload(Vendor.contacts))
_VENDOR_WITHOUT_CONTACTS = _ACTIVE_VENDOR_OF_CHANNEL.options(lazyload(Vendor.contacts))


def vendor_for_channel(
    session: Session, *, team_id: str, channel_id: str, with_contacts: bool = True
) -> Vendor | None:
    """The active vendor of a channel, with its contacts in the same round trip (most callers
    ask who is on which side). `with_contacts=False` leaves them to load on first use (hot
    paths that never look at them)."""
    params = {"vendor_team_id": team_id, "vendor_channel_id": channel_id}
    if not with_contacts:
        return session.scalar(_VENDOR_WITHOUT_CONTACTS, params)
    return session.execute(VENDOR_WITH_CONTACTS, params).unique().scalars().first()


def require_vendor(
    session: Session, *, team_id: str, channel_id: str, with_contacts: bool = True
) -> Vendor:
    """The active vendor of this channel, or a UserError that says how to register one."""
    vendor = vendor_for_channel(
        session, team_id=team_id, channel_id=channel_id, with_contacts=with_contacts
    )
    if vendor is None:
        raise UserError(NOT_A_VENDOR_CHANNEL)
    return vendor


def vendor_zone(vendor: Vendor) -> ZoneInfo:
    return ZoneInfo(vendor.tz or "UTC")


def active_contacts(vendor: Vendor, side: str | None = None) -> list[Contact]:
    return [c for c in vendor.contacts if c.ended_at is None and (side is None or c.side == side)]


def contact(vendor: Vendor, side: str, role: str = PRIMARY) -> Contact | None:
    for c in active_contacts(vendor, side):
        if c.role == role:
            return c
    return None


def internal_primary(vendor: Vendor) -> Contact | None:
    """Who gets escalations: the internal primary, else the internal backup."""
    return contact(vendor, INTERNAL, PRIMARY) or contact(vendor, INTERNAL, BACKUP)


def vendor_primary(vendor: Vendor) -> Contact | None:
    return contact(vendor, VENDOR, PRIMARY) or contact(vendor, VENDOR, BACKUP)


def side_of(runtime: Runtime, vendor: Vendor, actor: Actor) -> str | None:
    """Which side of this vendor relationship the actor is on: "internal", "vendor" or None.

    A registered contact is on their side. Otherwise, in a Slack Connect channel a user of one
    of the vendor's teams is on the vendor side; in a channel that is not shared, guests (single-
    or multi-channel) are the vendor side. Members of the installing org are internal. A user of
    a third organization is on neither side.
    """
    if not actor.team_known:
        return None  # fail closed: a user whose organization is unknown is on neither side
    for c in active_contacts(vendor):
        if c.user_id == actor.user_id:
            return c.side
    if not actor.is_internal:
        if actor.user_team_id in (vendor.external_team_ids or []):
            return VENDOR
        return None
    if not vendor.is_ext_shared:
        user = runtime.directory.user(vendor.team_id, actor.user_id)
        if user is not None and user.is_guest:
            return VENDOR
    return INTERNAL


def require_side(runtime: Runtime, vendor: Vendor, actor: Actor, side: str, doing: str) -> None:
    """Refuse, with a clear message, an action meant for the other side."""
    actual = side_of(runtime, vendor, actor)
    if actual == side:
        return
    if side == VENDOR:
        raise UserError(f"Only {vendor.name}'s side can {doing}.")
    raise UserError(f"Only the internal team can {doing}.")


def require_internal(actor: Actor, doing: str) -> None:
    """Refuse users of other organizations (vendor, third party) for internal-only actions."""
    if not actor.is_internal:
        raise NotAllowed(
            f"Sorry — only the team that runs this vendor relationship can {doing}; "
            "nothing was changed."
        )


def vendor_in_channel(session: Session, *, team_id: str, channel_id: str) -> Vendor | None:
    """The channel's vendor, active or archived (a channel keeps one vendor record)."""
    return session.scalar(
        select(Vendor).where(Vendor.team_id == team_id, Vendor.channel_id == channel_id)
    )


def require_vendor_record(session: Session, *, team_id: str, channel_id: str) -> Vendor:
    """The channel's vendor, active or archived: its record stays reachable (`export`) after
    `vendor remove`. A UserError says how to register one where there never was a vendor."""
    vendor = vendor_in_channel(session, team_id=team_id, channel_id=channel_id)
    if vendor is None:
        raise UserError(NOT_A_VENDOR_CHANNEL)
    return vendor


def prefetch(*reads: Callable[[], object]) -> None:
    """Make several directory reads in one round: inside a transaction every read that is not
    cached is noted before `LookupDeferred` propagates, so the unit of work runs again once,
    not once per read. Failures are left to the caller that reads again (and reports them)."""
    deferred: LookupDeferred | None = None
    for read in reads:
        try:
            read()
        except LookupDeferred as exc:
            deferred = exc
        except (SlackApiError, LookupError):
            pass
    if deferred is not None:
        raise deferred


BOT_NOT_IN_CHANNEL = (
    "I can't post in this channel yet. Invite me with `/invite @outsource-bot` and try "
    "again; nothing was changed."
)


def require_bot_in_channel(
    runtime: Runtime,
    vendor: Vendor,
    channel_id: str | None = None,
    *,
    message: str = BOT_NOT_IN_CHANNEL,
) -> None:
    """Refuse a command whose answer is a post at once where the bot is known not to be in
    the channel: the post would only fail after the person was told it is done. Slack not
    answering is no refusal (the outbox tries, and tries again)."""
    channel = channel_id or vendor.channel_id
    try:
        info = runtime.directory.channel(vendor.team_id, channel)
    except LookupDeferred:
        raise  # read after this transaction; the unit runs again
    except (SlackApiError, LookupError):
        log.info("could not check membership of %s; posting anyway", channel)
        return
    if info is None or info.get("is_member") is False:
        raise UserError(message)
