"""Contact points: who may be a vendor's contact on which side, setting one (`contact set`,
the pick-a-contact modal from a contact-left DM), and showing them (`contacts`).

In a Slack Connect channel the vendor side may only be a user of one of the vendor's teams; in
an ordinary channel it may be anyone of our workspace (guests, usually). The internal side is
always a member of the installing workspace."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotFound, UserError
from bot.services.vendors.errors import FieldError, refuse, slack_error
from bot.services.vendors.lookup import (
    ROLES,
    SIDES,
    active_contacts,
    contact,
    prefetch,
    require_internal,
    require_vendor,
    vendor_zone,
)
from bot.slack.client import LookupDeferred, SlackUser
from bot.text.commands import USAGE
from bot.text.escaping import mrkdwn
from bot.time.calendar import BusinessCalendar
from storage.models import BACKUP, INTERNAL, PRIMARY, VENDOR, Contact, Vendor

log = logging.getLogger(__name__)


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
class PickContext:
    vendor: Vendor
    side: str
    role: str
    current: str | None


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
            f"I couldn't look up `{mrkdwn(user_id)}` in Slack ({slack_error(exc)}); nothing "
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
            refuse(
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
