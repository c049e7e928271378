"""Registration: a channel becomes a vendor's (`vendor add`, the "Register this vendor"
modal), and stops being one (`vendor remove` archives it; `vendor restore` brings it back);
`vendor list`.

What the bot says here is a note in the vendor channel when a vendor is registered, changed,
archived or restored (one per audit row), rendered when delivered (bot/posts/vendors.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.errors import UserError
from bot.services.vendors.channel import ChannelFacts, inspect_channel, team_names
from bot.services.vendors.contacts import ContactChange, assign_contact, check_person
from bot.services.vendors.errors import FieldError, refuse
from bot.services.vendors.lookup import (
    NOT_A_VENDOR_CHANNEL,
    ROLES,
    SIDES,
    prefetch,
    require_internal,
    require_vendor,
    vendor_in_channel,
)
from bot.slack.client import SlackUser
from bot.text.commands import CHANNEL_MENTION, USAGE, user_id_of
from bot.text.escaping import clean, mrkdwn
from bot.time.calendar import Region, holiday_region, resolve_region
from bot.time.timeparse import resolve_zone
from storage.models import BACKUP, PRIMARY, AuditEntry, Deadline, Vendor

_T = TypeVar("_T")

MAX_NAME = 120


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
class RegistrationDefaults:
    team_id: str
    channel_id: str
    name: str
    tz: str
    country: str
    internal_primary: str | None
    reactivating: bool = False


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
            refuse(
                f"This channel is already *{mrkdwn(existing.name)}*'s vendor channel — "
                "one vendor per channel. Use a separate channel for "
                f"*{mrkdwn(name)}*.",
                name_field,
            )
        changes = _settings_changes(existing, zone, code)
        if not changes:
            refuse(
                f"*{mrkdwn(existing.name)}* is already registered in this channel "
                f"(timezone {existing.tz}, country {existing.country or 'not set'}). "
                "To change them: `/outsource vendor add "
                f"{mrkdwn(existing.name)} tz &lt;IANA zone&gt; country &lt;ISO code&gt;`.",
                name_field,
            )
        names = team_names(runtime, team_id, existing.external_team_ids or [])
        _apply(existing, changes)
        _record_change(
            session,
            existing,
            actor_id=actor.user_id,
            action="vendor.update",
            now=now,
            detail={k: {"from": a, "to": b} for k, (a, b) in changes.items()},
        )
        return VendorChange(
            existing,
            "updated",
            names,
            changes=changes,
            region=region or _stored_region(existing),
        )
    if existing is not None and not same_name:
        refuse(
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
        _reactivate(
            session,
            existing,
            facts,
            actor_id=actor.user_id,
            action="vendor.reactivate",
            now=now,
            detail={"changes": {k: {"from": a, "to": b} for k, (a, b) in changes.items()}},
        )
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
    _record_change(
        session,
        vendor,
        actor_id=actor.user_id,
        action="vendor.add",
        now=now,
        detail={
            "name": vendor.name,
            "channel": channel_id,
            "tz": vendor.tz,
            "country": vendor.country,
            "is_ext_shared": facts.is_ext_shared,
            "external_team_ids": facts.external_team_ids,
        },
    )
    return VendorChange(
        vendor,
        "added",
        names,
        tz_defaulted=zone is None,
        region=region,
    )


def _reactivate(
    session: Session,
    vendor: Vendor,
    facts: ChannelFacts,
    *,
    actor_id: str,
    action: str,
    now: datetime,
    detail: dict[str, object],
) -> None:
    """An archived vendor is active again (`vendor add` of its name, or `vendor restore`), with
    what Slack says of its channel now; audited (with `detail`, what the two paths add) and
    told in the channel. The sweep stopped scheduling reminders of its open deadlines while it
    was archived: it picks them up again from this instant (`next_reminder_at` = the next step
    not yet handled), so their next steps are posted and none missed meanwhile is posted late."""
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
    _record_change(
        session,
        vendor,
        actor_id=actor_id,
        action=action,
        now=now,
        detail={
            "name": vendor.name,
            **detail,
            "is_ext_shared": facts.is_ext_shared,
            "external_team_ids": facts.external_team_ids,
        },
    )


def _record_change(
    session: Session,
    vendor: Vendor,
    *,
    actor_id: str,
    action: str,
    now: datetime,
    detail: dict[str, object],
) -> None:
    """Audit a change of the vendor and tell its channel (the note is rendered from the row)."""
    entry = audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor_id,
        action=action,
        subject=f"vendor:{vendor.id}",
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    _note(session, vendor, entry, now)


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
    _reactivate(
        session,
        vendor,
        facts,
        actor_id=actor.user_id,
        action="vendor.restore",
        now=now,
        detail={"archived_at": archived_at.isoformat() if archived_at else None},
    )
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
