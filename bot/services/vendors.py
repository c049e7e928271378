"""Vendors and contact points. Other capabilities look vendors up through these functions.

A vendor is one Slack channel (one vendor per channel) with a name, a timezone and a country
(for public holidays). Each side — internal and vendor — has a primary and optionally a backup
contact. Contact rows are never deleted: replacing, moving, leaving or deactivation sets
`ended_at`/`ended_reason`, so the history is there for export.

Slack Connect: `conversations.info` says whether the channel is shared with another organization
(`is_ext_shared`) and which teams are connected; the teams other than ours are stored as the
vendor's `external_team_ids` and kept current by `channel_shared`/`channel_unshared` events. In
a Connect channel the vendor side may only be a user of one of those teams; in an ordinary
channel it may be anyone of our workspace (guests, usually). The internal side is always a
member of the installing workspace.

Every state change writes one audit row. Nothing here calls Slack: reads go through the
runtime's directory (a read it has not cached raises `LookupDeferred` inside the transaction;
it must propagate, so the unit of work makes the read and runs again), and what the bot says is
an outbox row naming what to render (bot/posts/vendors.py): a note in the vendor channel when a
vendor is registered, changed, archived or restored (one per audit row), the intro when the bot
joins a channel and the DM when a contact leaves (one per Slack event).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload, lazyload

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.errors import NotAllowed, NotFound, UserError
from bot.slack.client import LookupDeferred, SlackUser
from bot.text.commands import CHANNEL_MENTION, USAGE, user_id_of
from bot.text.escaping import clean, mrkdwn
from bot.time.calendar import BusinessCalendar, Region, holiday_region, resolve_region
from bot.time.timeparse import resolve_zone
from storage.models import BACKUP, INTERNAL, PRIMARY, VENDOR, AuditEntry, Contact, Deadline, Vendor

log = logging.getLogger(__name__)
_T = TypeVar("_T")

NOT_A_VENDOR_CHANNEL = (
    "This channel is not a vendor channel yet. Register it with "
    "`/outsource vendor add &lt;name&gt; [tz &lt;IANA zone&gt;] [country &lt;ISO code&gt;]`."
)
SIDES = (INTERNAL, VENDOR)
ROLES = (PRIMARY, BACKUP)
# Who made a change that no person asked for (Slack told us about it).
SLACK_ACTOR = "slack"
MAX_NAME = 120

LEFT_CHANNEL = "left the channel"
DEACTIVATED = "deactivated"
UNSHARED = "channel unshared"


# ------------------------------------------------------------------------------ lookups


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


def _slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "error")
    return "no answer"


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


# ------------------------------------------------------------------------------ results


class FieldError(UserError):
    """Bad input in one field of a form: the handler shows it next to that field."""

    def __init__(self, field_name: str, message: str, *, usage: str | None = None) -> None:
        # Shown under a modal input, which is plain text: no mrkdwn emphasis there.
        super().__init__(message.replace("*", ""), usage=usage)
        self.field = field_name


@dataclass(frozen=True)
class ChannelFacts:
    """What Slack says about a channel that is to become (or is) a vendor channel."""

    channel_id: str
    name: str | None
    is_ext_shared: bool
    external_team_ids: list[str]
    is_private: bool = False


@dataclass
class VendorChange:
    vendor: Vendor
    outcome: str  # added | reactivated | updated | restored
    team_names: dict[str, str] = field(default_factory=dict)
    changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    tz_defaulted: bool = False
    region: Region | None = None  # whose public holidays count (None: no country set)


@dataclass
class VendorListing:
    active: list[Vendor]
    archived: list[Vendor]
    team_names: dict[str, str]


@dataclass
class ContactChange:
    vendor: Vendor
    side: str
    role: str
    user_id: str
    unchanged: bool = False
    replaced: str | None = None  # user id of the contact this one replaced
    moved_from: str | None = None  # the person's previous role on this side
    audit_id: int | None = None  # the change's audit row (None when nothing changed)


@dataclass(frozen=True)
class ContactLine:
    side: str
    role: str
    user_id: str
    name: str
    tz: str | None
    tz_assumed: bool
    local_now: datetime | None
    working_now: bool | None
    day_off: bool
    hours: str


@dataclass
class ContactsOverview:
    vendor: Vendor
    lines: list[ContactLine]
    now: datetime


@dataclass
class RegistrationDefaults:
    team_id: str
    channel_id: str
    name: str
    tz: str
    country: str
    internal_primary: str | None
    reactivating: bool = False


@dataclass
class PickContext:
    vendor: Vendor
    side: str
    role: str
    current: str | None


# ------------------------------------------------------------------------------ channels


def inspect_channel(
    runtime: Runtime, *, team_id: str, channel_id: str, channel_name: str | None = None
) -> ChannelFacts:
    """Slack Connect detection, and refusal of places that cannot be a vendor channel.

    DMs and group DMs are refused; so are channels the bot cannot read (a private channel it
    was not invited to, a public one it is not a member of: it would never see the vendor's
    messages) and archived channels.
    """
    if channel_id.startswith("D") or channel_name == "directmessage":
        raise UserError(
            "A direct message can't be a vendor channel. Run this in the channel you share with "
            "the vendor (ideally a Slack Connect channel)."
        )
    if channel_name and channel_name.startswith("mpdm-"):
        raise UserError(_MPIM)
    try:
        info = runtime.directory.channel(team_id, channel_id)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError) as exc:
        raise UserError(
            f"I couldn't check this channel with Slack ({_slack_error(exc)}); "
            "nothing was changed. Please try again."
        ) from None
    if info is None:
        raise UserError(_CANT_SEE)
    if info.get("is_im"):
        raise UserError("A direct message can't be a vendor channel.")
    if info.get("is_mpim"):
        raise UserError(_MPIM)
    if info.get("is_archived"):
        raise UserError("This channel is archived; pick an active channel for the vendor.")
    if info.get("is_member") is False:
        raise UserError(_CANT_SEE)
    is_ext = bool(info.get("is_ext_shared"))
    connected = info.get("connected_team_ids") or info.get("shared_team_ids") or []
    external = list(dict.fromkeys(t for t in connected if t and t != team_id)) if is_ext else []
    return ChannelFacts(
        channel_id=channel_id,
        name=info.get("name"),
        is_ext_shared=is_ext,
        external_team_ids=external,
        is_private=bool(info.get("is_private")),
    )


_MPIM = (
    "A group DM can't be a vendor channel. Create a channel (shared with the vendor through "
    "Slack Connect, if they have Slack) and run the command there."
)
_CANT_SEE = (
    "I can't read this channel, so I couldn't keep track of it. Add me first with "
    "`/invite @outsource-bot`, then run the command again."
)


def team_names(runtime: Runtime, team_id: str, ids: list[str]) -> dict[str, str]:
    """Display names of connected teams (team.info through the directory), else the id."""
    prefetch(*(lambda tid=tid: runtime.directory.team(team_id, tid) for tid in ids))
    names: dict[str, str] = {}
    for tid in dict.fromkeys(ids):
        info: dict[str, object] | None = None
        try:
            info = runtime.directory.team(team_id, tid)
        except LookupDeferred:
            raise
        except (SlackApiError, LookupError):
            log.info("team.info failed for %s", tid)
        names[tid] = str((info or {}).get("name") or tid)
    return names


# ------------------------------------------------------------------------------ vendors


def add_vendor(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    name: str,
    tz: str | None = None,
    country: str | None = None,
    channel_name: str | None = None,
) -> VendorChange:
    """`vendor add`: make this channel the vendor's channel.

    One vendor per channel, and a channel keeps one vendor record for good (its deadlines,
    recaps and audit trail hang off it). So, in a channel that already has a vendor:

    * active, another name → refused, saying which vendor is here;
    * active, same name (any case) → `tz`/`country` given that differ are updated; nothing
      given or nothing different → refused, saying it is registered already with which settings;
    * archived (by `vendor remove`), same name → reactivated with its history and the contacts
      it had when it was archived; `tz`/`country` given are updated;
    * archived, another name → refused: another vendor's records must not be mixed into this
      one's; use a new channel for it (or bring the archived vendor back under its own name).
    """
    require_internal(actor, "register vendors")
    name = _check_name(name)
    try:
        zone = resolve_zone(tz).key if tz else None
        region = resolve_region(country) if country else None
    except UserError as exc:
        raise UserError(exc.message, usage=USAGE["vendor add"]) from None
    return _add_or_reactivate(
        session,
        runtime=runtime,
        actor=actor,
        channel_id=channel_id,
        channel_name=channel_name,
        name=name,
        zone=zone,
        region=region,
    )


def _check_name(name: str, field_name: str | None = None) -> str:
    # Stored plain (controls and bidi overrides dropped); escaped where it is shown.
    name = clean(name or "")
    problem = None
    if not name:
        problem = "The vendor needs a name."
    elif len(name) > MAX_NAME:
        problem = f"A vendor name can be at most {MAX_NAME} characters."
    elif user_id_of(name) or CHANNEL_MENTION.match(name) or name.startswith(("<@", "<#", "<!")):
        problem = "The vendor's name should be text, not a mention."
    if problem is None:
        return name
    if field_name:
        raise FieldError(field_name, problem)
    raise UserError(problem, usage=USAGE["vendor add"])


def _add_or_reactivate(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    channel_name: str | None,
    name: str,
    zone: str | None,
    region: Region | None,
    name_field: str | None = None,
) -> VendorChange:
    team_id = actor.team_id
    code = region.code if region is not None else None
    now = runtime.clock.now()
    existing = vendor_in_channel(session, team_id=team_id, channel_id=channel_id)
    same_name = existing is not None and existing.name.casefold() == name.casefold()
    if existing is not None and existing.active:
        if not same_name:
            _refuse(
                f"This channel is already *{mrkdwn(existing.name)}*'s vendor channel — "
                "one vendor per channel. Use a separate channel for "
                f"*{mrkdwn(name)}*.",
                name_field,
            )
        changes = _settings_changes(existing, zone, code)
        if not changes:
            _refuse(
                f"*{mrkdwn(existing.name)}* is already registered in this channel "
                f"(timezone {existing.tz}, country {existing.country or 'not set'}). "
                "To change them: `/outsource vendor add "
                f"{mrkdwn(existing.name)} tz &lt;IANA zone&gt; country &lt;ISO code&gt;`.",
                name_field,
            )
        names = team_names(runtime, team_id, existing.external_team_ids or [])
        _apply(existing, changes)
        entry = audit.record(
            session,
            team_id=team_id,
            actor=actor.user_id,
            action="vendor.update",
            subject=f"vendor:{existing.id}",
            at=now,
            vendor_id=existing.id,
            detail={k: {"from": a, "to": b} for k, (a, b) in changes.items()},
        )
        _note(session, existing, entry, now)
        return VendorChange(
            existing,
            "updated",
            names,
            changes=changes,
            region=region or _stored_region(existing),
        )
    if existing is not None and not same_name:
        _refuse(
            f"This channel was *{mrkdwn(existing.name)}*'s vendor channel (archived "
            f"{existing.archived_at:%Y-%m-%d}) and keeps its records. To bring it back: "
            f"`/outsource vendor restore` (or `/outsource vendor add {mrkdwn(existing.name)}`). "
            f"For *{mrkdwn(name)}*, use a new channel so the two vendors' records stay apart.",
            name_field,
        )
    facts = inspect_channel(
        runtime, team_id=team_id, channel_id=channel_id, channel_name=channel_name
    )
    names = team_names(runtime, team_id, facts.external_team_ids)
    if existing is not None:
        changes = _settings_changes(existing, zone, code)
        _apply(existing, changes)
        _reactivate(session, existing, facts, now)
        entry = audit.record(
            session,
            team_id=team_id,
            actor=actor.user_id,
            action="vendor.reactivate",
            subject=f"vendor:{existing.id}",
            at=now,
            vendor_id=existing.id,
            detail={
                "name": existing.name,
                "changes": {k: {"from": a, "to": b} for k, (a, b) in changes.items()},
                "is_ext_shared": facts.is_ext_shared,
                "external_team_ids": facts.external_team_ids,
            },
        )
        _note(session, existing, entry, now)
        return VendorChange(
            existing,
            "reactivated",
            names,
            changes=changes,
            region=region or _stored_region(existing),
        )
    vendor = Vendor(
        team_id=team_id,
        enterprise_id=actor.enterprise_id,
        channel_id=channel_id,
        name=name,
        tz=zone or runtime.settings.default_tz,
        country=code,
        is_ext_shared=facts.is_ext_shared,
        external_team_ids=facts.external_team_ids,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(vendor)
    session.flush()
    entry = audit.record(
        session,
        team_id=team_id,
        actor=actor.user_id,
        action="vendor.add",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "name": vendor.name,
            "channel": channel_id,
            "tz": vendor.tz,
            "country": vendor.country,
            "is_ext_shared": facts.is_ext_shared,
            "external_team_ids": facts.external_team_ids,
        },
    )
    _note(session, vendor, entry, now)
    return VendorChange(
        vendor,
        "added",
        names,
        tz_defaulted=zone is None,
        region=region,
    )


def _reactivate(session: Session, vendor: Vendor, facts: ChannelFacts, now: datetime) -> None:
    """An archived vendor is active again, with what Slack says of its channel now. The sweep
    stopped scheduling reminders of its open deadlines while it was archived: it picks them up
    again from this instant (`next_reminder_at` = the next step not yet handled), so their next
    steps are posted and none missed meanwhile is posted late."""
    vendor.archived_at = None
    vendor.is_ext_shared = facts.is_ext_shared
    vendor.external_team_ids = facts.external_team_ids
    session.execute(
        update(Deadline)
        .where(
            Deadline.vendor_id == vendor.id,
            Deadline.state == "open",
            Deadline.next_reminder_at.is_(None),
        )
        .values(next_reminder_at=now)
    )


def _note(session: Session, vendor: Vendor, entry: AuditEntry, now: datetime) -> None:
    """Tell the vendor channel (both sides) about a change of the vendor: one post per audit
    row, rendered when delivered (bot/posts/vendors.py)."""
    session.flush()  # the audit row's id names the post
    outbox.reply(
        session,
        team_id=vendor.team_id,
        channel_id=vendor.channel_id,
        key=f"vendor:{vendor.id}:note:{entry.id}",
        now=now,
        kind="vendor_note",
        render={"kind": "vendor.note", "vendor": vendor.id, "audit": entry.id},
        vendor_id=vendor.id,
    )


def _stored_region(vendor: Vendor) -> Region | None:
    """The holiday region of a vendor's stored country (a bare `GB` means `GB-ENG`)."""
    if not vendor.country:
        return None
    try:
        return holiday_region(vendor.country)
    except NotImplementedError:  # stored before countries were checked
        return None


def _refuse(message: str, field_name: str | None) -> None:
    if field_name:
        raise FieldError(field_name, message)
    raise UserError(message)


def _settings_changes(
    vendor: Vendor, zone: str | None, code: str | None
) -> dict[str, tuple[str | None, str | None]]:
    changes: dict[str, tuple[str | None, str | None]] = {}
    if zone and zone != vendor.tz:
        changes["tz"] = (vendor.tz, zone)
    if code and code != vendor.country:
        changes["country"] = (vendor.country, code)
    return changes


def _apply(vendor: Vendor, changes: dict[str, tuple[str | None, str | None]]) -> None:
    if "tz" in changes:
        vendor.tz = changes["tz"][1] or vendor.tz
    if "country" in changes:
        vendor.country = changes["country"][1]


def list_vendors(session: Session, *, runtime: Runtime, team_id: str) -> VendorListing:
    """All vendors of the workspace, active first (by name), then archived ones."""
    vendors = list(
        session.scalars(select(Vendor).where(Vendor.team_id == team_id).order_by(Vendor.name))
    )
    active = [v for v in vendors if v.active]
    archived = [v for v in vendors if not v.active]
    ids = [t for v in active for t in (v.external_team_ids or [])]
    return VendorListing(active, archived, team_names(runtime, team_id, ids))


def remove_vendor(session: Session, *, runtime: Runtime, actor: Actor, channel_id: str) -> Vendor:
    """`vendor remove`: archive this channel's vendor. Data stays for the record and export;
    the channel is told (no more reminders or check-ins there)."""
    require_internal(actor, "remove vendors")
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    now = runtime.clock.now()
    entry = archive_vendor(session, vendor=vendor, actor_id=actor.user_id, now=now)
    _note(session, vendor, entry, now)
    return vendor


def restore_vendor(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str
) -> VendorChange:
    """`vendor restore`: undo `vendor remove`. The channel's archived vendor is active again
    with its contacts, deadlines (their reminders resume) and history; audited; the channel is
    told. Slack Connect status is read again (the channel may have changed meanwhile)."""
    require_internal(actor, "restore vendors")
    team_id = actor.team_id
    vendor = vendor_in_channel(session, team_id=team_id, channel_id=channel_id)
    if vendor is None:
        raise UserError("This channel has no archived vendor to restore. " + NOT_A_VENDOR_CHANNEL)
    if vendor.active:
        raise UserError(
            f"*{mrkdwn(vendor.name)}* is active in this channel; there is nothing to restore."
        )
    facts = inspect_channel(runtime, team_id=team_id, channel_id=channel_id)
    names = team_names(runtime, team_id, facts.external_team_ids)
    now = runtime.clock.now()
    archived_at = vendor.archived_at
    _reactivate(session, vendor, facts, now)
    entry = audit.record(
        session,
        team_id=team_id,
        actor=actor.user_id,
        action="vendor.restore",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "name": vendor.name,
            "archived_at": archived_at.isoformat() if archived_at else None,
            "is_ext_shared": facts.is_ext_shared,
            "external_team_ids": facts.external_team_ids,
        },
    )
    _note(session, vendor, entry, now)
    return VendorChange(vendor, "restored", names, region=_stored_region(vendor))


def archive_vendor(
    session: Session, *, vendor: Vendor, actor_id: str, now: datetime, reason: str = "removed"
) -> AuditEntry:
    """Archive a vendor. Contacts and history stay as they are."""
    vendor.archived_at = now
    return audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor_id,
        action="vendor.archive",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"reason": reason, "name": vendor.name},
    )


# ------------------------------------------------------------------------------ contacts


def set_contact(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    side: str,
    user_id: str,
    backup: bool = False,
) -> ContactChange:
    """`contact set internal|vendor <@user> [backup]` in this channel's vendor."""
    require_internal(actor, "set contacts")
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    user = check_person(
        runtime,
        team_id=vendor.team_id,
        user_id=user_id,
        side=side,
        shared=vendor.is_ext_shared,
        external_team_ids=vendor.external_team_ids or [],
        vendor_name=vendor.name,
    )
    return assign_contact(
        session,
        vendor=vendor,
        side=side,
        role=BACKUP if backup else PRIMARY,
        user=user,
        actor_id=actor.user_id,
        now=runtime.clock.now(),
    )


def check_person(
    runtime: Runtime,
    *,
    team_id: str,
    user_id: str,
    side: str,
    shared: bool,
    external_team_ids: list[str],
    vendor_name: str,
    field_name: str | None = None,
) -> SlackUser:
    """The Slack user who may be a contact on `side`, or a UserError saying why not."""
    usage = None if field_name else USAGE["contact set"]

    def refuse(message: str) -> UserError:
        if field_name:
            return FieldError(field_name, message)
        return UserError(message, usage=usage)

    try:
        user = runtime.directory.user(team_id, user_id)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError) as exc:
        raise UserError(
            f"I couldn't look up `{mrkdwn(user_id)}` in Slack ({_slack_error(exc)}); nothing "
            "was changed. Please try again."
        ) from None
    if user is None:
        raise refuse(
            f"I can't find a Slack user `{mrkdwn(user_id)}`. Type @ and pick the person "
            "from the list."
        )
    # A modal shows errors as plain text, where a mention would not render: use the name.
    who = user.label if field_name else f"<@{user.id}>"
    if user.is_bot:
        raise refuse(f"{who} is a bot. A contact point must be a person.")
    if user.deleted:
        raise refuse(f"{who} is deactivated in Slack. Pick someone who is still active.")
    user_team = user.team_id or team_id
    vendor = mrkdwn(vendor_name)
    if side == INTERNAL:
        if user_team != team_id:
            whose = (
                f"is from {vendor}'s workspace"
                if user_team in external_team_ids
                else "belongs to another organization"
            )
            raise refuse(
                f"{who} {whose}. The internal contact must be a member of your own workspace."
            )
        return user
    if shared:
        if user_team not in external_team_ids:
            if user_team == team_id:
                raise refuse(
                    f"{who} is a member of your own workspace. In this Slack Connect channel the "
                    f"vendor contact must be someone from {vendor}'s workspace."
                )
            raise refuse(
                f"{who} belongs to an organization this channel is not shared with. The vendor "
                f"contact must be someone from {vendor}'s workspace."
            )
        return user
    if user_team != team_id:
        raise refuse(
            f"{who} belongs to another organization, and this channel is not shared with it "
            "through Slack Connect. Share the channel first, or pick a member (or guest) of "
            "your workspace."
        )
    return user


def assign_contact(
    session: Session,
    *,
    vendor: Vendor,
    side: str,
    role: str,
    user: SlackUser,
    actor_id: str,
    now: datetime,
    field_name: str | None = None,
) -> ContactChange:
    """Make `user` the vendor's `side` `role` contact: the rows it replaces are ended, not
    deleted; one audit row. The same person in the same role again changes nothing."""
    who = user.label if field_name else f"<@{user.id}>"
    for c in active_contacts(vendor):
        if c.user_id == user.id and c.side != side:
            _refuse(
                f"{who} is already *{mrkdwn(vendor.name)}*'s {c.side} {c.role} contact; "
                "one person can't be on both sides.",
                field_name,
            )
    same = next((c for c in active_contacts(vendor, side) if c.user_id == user.id), None)
    if same is not None and same.role == role:
        return ContactChange(vendor, side, role, user.id, unchanged=True)
    moved_from = None
    if same is not None:
        same.ended_at = now
        same.ended_reason = f"moved to {role}"
        moved_from = same.role
    holder = contact(vendor, side, role)
    replaced = None
    if holder is not None:
        holder.ended_at = now
        holder.ended_reason = "replaced"
        replaced = holder.user_id
    new = Contact(
        side=side,
        role=role,
        user_id=user.id,
        user_team_id=user.team_id,
        display_name=user.label[:120],
        started_at=now,
    )
    vendor.contacts.append(new)
    session.flush()
    entry = audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor_id,
        action="contact.set",
        subject=f"contact:{new.id}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "side": side,
            "role": role,
            "user": user.id,
            "replaced": replaced,
            "moved_from": moved_from,
        },
    )
    session.flush()
    return ContactChange(
        vendor, side, role, user.id, replaced=replaced, moved_from=moved_from, audit_id=entry.id
    )


def show_contacts(
    session: Session, *, runtime: Runtime, team_id: str, channel_id: str
) -> ContactsOverview:
    """`contacts`: both sides, each person's local time now and working hours."""
    vendor = require_vendor(session, team_id=team_id, channel_id=channel_id)
    prefetch(
        *(lambda c=c: runtime.directory.user(team_id, c.user_id) for c in active_contacts(vendor))
    )
    now = runtime.clock.now()
    lines: list[ContactLine] = []
    for side in SIDES:
        for role in ROLES:
            c = contact(vendor, side, role)
            if c is not None:
                lines.append(_contact_line(runtime, vendor, c, now))
    return ContactsOverview(vendor, lines, now)


def _contact_line(runtime: Runtime, vendor: Vendor, c: Contact, now: datetime) -> ContactLine:
    user: SlackUser | None = None
    try:
        user = runtime.directory.user(vendor.team_id, c.user_id)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError):
        log.info("users.info failed for %s", c.user_id)
    name = (user.label if user else None) or c.display_name or c.user_id
    zone: ZoneInfo | None = None
    if user is not None and user.tz:
        try:
            zone = ZoneInfo(user.tz)
        except (ValueError, KeyError):
            zone = None
    assumed = zone is None
    if zone is None:
        zone = vendor_zone(vendor) if c.side == VENDOR else runtime.settings.default_zone
    # Holidays: the vendor's country for the vendor side; ours is unknown, so weekdays only.
    calendar = BusinessCalendar(zone, vendor.country if c.side == VENDOR else None)
    local = now.astimezone(zone)
    day_off = not calendar.is_business_day(local.date())
    window = calendar.window(local.date())
    working = window is not None and window[0] <= now < window[1]
    return ContactLine(
        side=c.side,
        role=c.role,
        user_id=c.user_id,
        name=name,
        tz=zone.key,
        tz_assumed=assumed,
        local_now=local,
        working_now=working,
        day_off=day_off,
        hours=f"Mon–Fri {calendar.start:%H:%M}–{calendar.end:%H:%M}",
    )


# ------------------------------------------------------------------------------ forms


def registration_form(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str
) -> RegistrationDefaults:
    """What the "Register this vendor" modal starts with; refuses where it can't be done."""
    require_internal(actor, "register vendors")
    team_id = actor.team_id
    existing = vendor_in_channel(session, team_id=team_id, channel_id=channel_id)
    if existing is not None and existing.active:
        raise UserError(
            f"This channel is already *{mrkdwn(existing.name)}*'s vendor channel. "
            "See `/outsource contacts`."
        )
    facts = inspect_channel(runtime, team_id=team_id, channel_id=channel_id)
    if existing is not None:
        return RegistrationDefaults(
            team_id,
            channel_id,
            existing.name,
            existing.tz,
            existing.country or "",
            actor.user_id,
            reactivating=True,
        )
    # A Slack Connect channel names the vendor: its other team.
    names = team_names(runtime, team_id, facts.external_team_ids[:1])
    name = next(iter(names.values()), "")
    return RegistrationDefaults(team_id, channel_id, name, "", "", actor.user_id)


def register_from_form(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    fields: Mapping[str, str | None],
) -> tuple[VendorChange, list[ContactChange]]:
    """The "Register this vendor" modal: the same outcome (and audit rows) as `vendor add`
    followed by `contact set` for each person given.

    `fields`: name, tz, country, and `<side>_<role>` user ids (internal_primary, …). Every
    field is checked before anything is written; a FieldError names the field.
    """
    require_internal(actor, "register vendors")
    team_id = actor.team_id
    name = _check_name(fields.get("name") or "", "name")
    zone = _form_value("tz", fields.get("tz"), lambda v: resolve_zone(v).key)
    region = _form_value("country", fields.get("country"), resolve_region)
    existing = vendor_in_channel(session, team_id=team_id, channel_id=channel_id)
    if existing is not None and existing.active:
        raise FieldError(
            "name", f"This channel is already *{mrkdwn(existing.name)}*'s vendor channel."
        )
    people_ids = [fields.get(f"{side}_{role}") for side in SIDES for role in ROLES]
    prefetch(
        lambda: runtime.directory.channel(team_id, channel_id),
        *(lambda uid=uid: runtime.directory.user(team_id, uid) for uid in people_ids if uid),
    )
    facts = inspect_channel(runtime, team_id=team_id, channel_id=channel_id)
    people: list[tuple[str, str, SlackUser]] = []
    seen: dict[str, str] = {}
    for side in SIDES:
        for role in ROLES:
            field_name = f"{side}_{role}"
            uid = fields.get(field_name)
            if not uid:
                continue
            user = check_person(
                runtime,
                team_id=team_id,
                user_id=uid,
                side=side,
                shared=facts.is_ext_shared,
                external_team_ids=facts.external_team_ids,
                vendor_name=name,
                field_name=field_name,
            )
            if uid in seen:
                raise FieldError(
                    field_name, f"{user.label} is already the {seen[uid]}; pick someone else."
                )
            seen[uid] = f"{side} {role} contact"
            people.append((side, role, user))
    for side in SIDES:
        if fields.get(f"{side}_{BACKUP}") and not fields.get(f"{side}_{PRIMARY}"):
            raise FieldError(f"{side}_{PRIMARY}", f"Give the {side} contact before a backup.")
    change = _add_or_reactivate(
        session,
        runtime=runtime,
        actor=actor,
        channel_id=channel_id,
        channel_name=facts.name,
        name=name,
        zone=zone,
        region=region,
        name_field="name",
    )
    now = runtime.clock.now()
    contacts = [
        assign_contact(
            session,
            vendor=change.vendor,
            side=side,
            role=role,
            user=user,
            actor_id=actor.user_id,
            now=now,
            field_name=f"{side}_{role}",
        )
        for side, role, user in people
    ]
    return change, contacts


def _form_value(field_name: str, raw: str | None, resolve: Callable[[str], _T]) -> _T | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return resolve(raw)
    except UserError as exc:
        raise FieldError(field_name, exc.message) from None


def pick_contact_form(
    session: Session, *, runtime: Runtime, actor: Actor, vendor_id: int, side: str, role: str
) -> PickContext:
    """The "pick a new contact" modal, from the button in a contact-left DM."""
    require_internal(actor, "set contacts")
    vendor = _vendor_by_id(session, actor, vendor_id)
    side, role = _side_role(side, role)
    current = contact(vendor, side, role)
    return PickContext(vendor, side, role, current.user_id if current else None)


def pick_contact(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    vendor_id: int,
    side: str,
    role: str,
    user_id: str | None,
) -> ContactChange:
    require_internal(actor, "set contacts")
    vendor = _vendor_by_id(session, actor, vendor_id)
    side, role = _side_role(side, role)
    if not user_id:
        raise FieldError("user", "Pick a person.")
    user = check_person(
        runtime,
        team_id=vendor.team_id,
        user_id=user_id,
        side=side,
        shared=vendor.is_ext_shared,
        external_team_ids=vendor.external_team_ids or [],
        vendor_name=vendor.name,
        field_name="user",
    )
    return assign_contact(
        session,
        vendor=vendor,
        side=side,
        role=role,
        user=user,
        actor_id=actor.user_id,
        now=runtime.clock.now(),
        field_name="user",
    )


def _vendor_by_id(session: Session, actor: Actor, vendor_id: int) -> Vendor:
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or vendor.team_id != actor.team_id:
        raise NotFound("That vendor doesn't exist (any more).")
    if not vendor.active:
        raise UserError(f"*{mrkdwn(vendor.name)}* is archived; nothing was changed.")
    return vendor


def _side_role(side: str, role: str) -> tuple[str, str]:
    if side not in SIDES or role not in ROLES:
        raise UserError("That button is out of date; nothing was changed.")
    return side, role


# ------------------------------------------------------------------------------ events


def bot_joined(
    session: Session, *, runtime: Runtime, team_id: str, channel_id: str, event_id: str
) -> bool:
    """The bot was added to a channel: an intro with a "Register this vendor" button (or a
    hello, when the channel is a vendor channel already). One post per Slack event, posted
    right after the commit; it says what is true when it is delivered."""
    vendor = vendor_for_channel(session, team_id=team_id, channel_id=channel_id)
    return outbox.enqueue(
        session,
        team_id=team_id,
        dedupe_key=f"vendor:intro:{channel_id}:{event_id}",
        channel_id=channel_id,
        kind="vendor_intro",
        now=runtime.clock.now(),
        render={"kind": "vendor.intro"},
        vendor_id=vendor.id if vendor else None,
        budgeted=False,
    )


def channel_shared(
    session: Session,
    *,
    runtime: Runtime,
    team_id: str,
    channel_id: str,
    connected_team_id: str | None,
    event_id: str,
) -> bool:
    """`channel_shared`: the channel is now (also) shared with `connected_team_id`."""
    vendor = vendor_for_channel(session, team_id=team_id, channel_id=channel_id)
    if vendor is None or not connected_team_id or connected_team_id == team_id:
        return False
    teams = list(vendor.external_team_ids or [])
    if connected_team_id in teams and vendor.is_ext_shared:
        return False
    if connected_team_id not in teams:
        teams.append(connected_team_id)
    vendor.external_team_ids = teams
    vendor.is_ext_shared = True
    audit.record(
        session,
        team_id=team_id,
        actor=SLACK_ACTOR,
        action="vendor.shared",
        subject=f"vendor:{vendor.id}",
        at=runtime.clock.now(),
        vendor_id=vendor.id,
        detail={"team": connected_team_id, "event_id": event_id},
    )
    return True


def channel_unshared(
    session: Session,
    *,
    runtime: Runtime,
    team_id: str,
    channel_id: str,
    previous_team_id: str | None,
    still_shared: bool | None,
    event_id: str,
) -> bool:
    """`channel_unshared`: a team was disconnected. Its people can no longer see the channel,
    so their contact rows end (the backup/pick-a-new-contact logic and DM as when they leave)."""
    vendor = vendor_for_channel(session, team_id=team_id, channel_id=channel_id)
    if vendor is None:
        return False
    teams = [t for t in (vendor.external_team_ids or []) if t != previous_team_id]
    shared = bool(teams) if still_shared is None else bool(still_shared and teams)
    if teams == list(vendor.external_team_ids or []) and shared == vendor.is_ext_shared:
        return False
    now = runtime.clock.now()
    vendor.external_team_ids = teams
    vendor.is_ext_shared = shared
    audit.record(
        session,
        team_id=team_id,
        actor=SLACK_ACTOR,
        action="vendor.unshared",
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail={"team": previous_team_id, "still_shared": shared, "event_id": event_id},
    )
    gone = [
        c.user_id
        for c in active_contacts(vendor, VENDOR)
        if previous_team_id and c.user_team_id == previous_team_id
    ]
    for user_id in gone:
        _contact_gone(
            session, runtime, vendor, user_id, reason=UNSHARED, event_id=event_id, now=now
        )
    return True


def member_left(
    session: Session,
    *,
    runtime: Runtime,
    team_id: str,
    channel_id: str,
    user_id: str,
    event_id: str,
) -> bool:
    """`member_left_channel`: a contact left the vendor channel."""
    vendor = vendor_for_channel(session, team_id=team_id, channel_id=channel_id)
    if vendor is None:
        return False
    return _contact_gone(
        session,
        runtime,
        vendor,
        user_id,
        reason=LEFT_CHANNEL,
        event_id=event_id,
        now=runtime.clock.now(),
    )


def user_changed(
    session: Session,
    *,
    runtime: Runtime,
    team_id: str,
    user_id: str,
    deleted: bool,
    event_id: str,
) -> int:
    """`user_change`: the cached profile is stale (tz, name). A deactivated (`deleted`) person
    stops being a contact of every vendor. Returns how many vendors lost them."""
    runtime.directory.forget_user(team_id, user_id)
    if not deleted:
        return 0
    theirs = select(Contact.vendor_id).where(Contact.user_id == user_id, Contact.ended_at.is_(None))
    vendors = session.scalars(
        select(Vendor)
        .where(
            Vendor.team_id == team_id,
            Vendor.archived_at.is_(None),
            Vendor.id.in_(theirs),
        )
        .order_by(Vendor.id)
    )
    now = runtime.clock.now()
    return sum(
        _contact_gone(session, runtime, v, user_id, reason=DEACTIVATED, event_id=event_id, now=now)
        for v in list(vendors)
    )


def _contact_gone(
    session: Session,
    runtime: Runtime,
    vendor: Vendor,
    user_id: str,
    *,
    reason: str,
    event_id: str,
    now: datetime,
) -> bool:
    """End the person's contact rows; a primary's backup is promoted; the internal primary
    (after any promotion) is told by DM, with a button to pick whoever is now missing."""
    gone = [c for c in active_contacts(vendor) if c.user_id == user_id]
    for c in gone:
        c.ended_at = now
        c.ended_reason = reason
        promoted: Contact | None = None
        if c.role == PRIMARY:
            backup = contact(vendor, c.side, BACKUP)
            if backup is not None:
                backup.ended_at = now
                backup.ended_reason = "promoted to primary"
                promoted = Contact(
                    side=c.side,
                    role=PRIMARY,
                    user_id=backup.user_id,
                    user_team_id=backup.user_team_id,
                    display_name=backup.display_name,
                    started_at=now,
                )
                vendor.contacts.append(promoted)
        session.flush()
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=SLACK_ACTOR,
            action="contact.gone",
            subject=f"contact:{c.id}",
            at=now,
            vendor_id=vendor.id,
            detail={
                "user": c.user_id,
                "side": c.side,
                "role": c.role,
                "reason": reason,
                "promoted": promoted.user_id if promoted else None,
                "event_id": event_id,
            },
        )
        recipient = _notify_whom(vendor, gone_user=user_id, reason=reason)
        if recipient is None:
            log.info("nobody to tell that %s %s (vendor %s)", user_id, reason, vendor.id)
            continue
        # Delivered right after this event's commit (a DM is never held by the noise budget);
        # who is missing now is worked out when it is delivered.
        outbox.enqueue(
            session,
            team_id=vendor.team_id,
            dedupe_key=f"vendor:{vendor.id}:contact-gone:{c.id}:{event_id}",
            channel_id=recipient,
            kind="contact_gone",
            now=now,
            render={
                "kind": "vendor.contact_gone",
                "contact": c.id,
                "reason": reason,
                "promoted": promoted.user_id if promoted else None,
            },
            vendor_id=vendor.id,
            priority=outbox.PRIORITY_REPLY,
            budgeted=False,
        )
    return bool(gone)


def _notify_whom(vendor: Vendor, *, gone_user: str, reason: str) -> str | None:
    """The internal primary (else backup); else whoever registered the vendor. Someone who
    only left the channel can still read a DM; a deactivated person cannot."""
    c = internal_primary(vendor)
    if c is not None:
        return c.user_id
    if vendor.created_by != gone_user or reason != DEACTIVATED:
        return vendor.created_by
    return None
