"""The access inventory: what each vendor can reach. Internal-only — shown ephemerally or in a
DM to internal users, never posted where the vendor can read it.

`access add <system> [<@user>]` records a row (the person must be in the vendor's channel: a
mention of anyone else is refused, never stored as part of the system's name);
`access remove <system>` marks that system's current rows revoked (kept, with who and when, for
the written record). Both are audited; both are for the internal side only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotFound, UserError
from bot.services.vendors.lookup import require_side, require_vendor
from bot.slack.client import LookupDeferred
from bot.text.commands import USAGE
from bot.text.escaping import slack_escape
from bot.time.timeparse import format_local
from storage.models import INTERNAL, AccessItem, Vendor

MAX_SYSTEM = 200


@dataclass
class AccessAdded:
    vendor: Vendor
    item: AccessItem
    created: bool
    active: int


def add_access(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    system: str,
    user_id: str | None,
    now: datetime,
) -> AccessAdded:
    """`/outsource access add <system> [<@user>]`. The same system for the same person (not yet
    revoked) is recorded once."""
    system = " ".join((system or "").split())
    if not system:
        raise UserError("Which system? e.g. GitHub, AWS, Jira.", usage=USAGE["access add"])
    if len(system) > MAX_SYSTEM:
        raise UserError(
            f"Keep the system name under {MAX_SYSTEM} characters.", usage=USAGE["access add"]
        )
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_side(runtime, vendor, actor, INTERNAL, "keep the access inventory")
    if user_id is not None:
        _require_member(runtime, vendor, user_id)
    existing = session.scalar(
        select(AccessItem).where(
            AccessItem.vendor_id == vendor.id,
            func.lower(AccessItem.system) == system.lower(),
            AccessItem.user_id.is_(None) if user_id is None else AccessItem.user_id == user_id,
            AccessItem.revoked_at.is_(None),
        )
    )
    created = existing is None
    if existing is None:
        existing = AccessItem(
            vendor_id=vendor.id,
            system=system,
            user_id=user_id,
            added_by=actor.user_id,
            added_at=now,
        )
        session.add(existing)
        session.flush()
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=actor.user_id,
            action="access.add",
            subject=f"access {system}" + (f" for {user_id}" if user_id else ""),
            at=now,
            vendor_id=vendor.id,
            detail={"access_id": existing.id, "system": system, "user_id": user_id},
        )
    return AccessAdded(
        vendor=vendor, item=existing, created=created, active=_active(session, vendor)
    )


def _active(session: Session, vendor: Vendor) -> int:
    return int(
        session.scalar(
            select(func.count(AccessItem.id)).where(
                AccessItem.vendor_id == vendor.id, AccessItem.revoked_at.is_(None)
            )
        )
        or 0
    )


def _require_member(runtime: Runtime, vendor: Vendor, user_id: str) -> None:
    """The person access is recorded for must be someone in the vendor's channel. A refusal
    names them without a live mention (they are not in the channel)."""
    usage = USAGE["access add"]
    try:
        user = runtime.directory.user(vendor.team_id, user_id)
        members = runtime.directory.channel_members(vendor.team_id, vendor.channel_id)
    except LookupDeferred:
        raise  # read after the transaction; the command runs again
    except (SlackApiError, LookupError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else "no answer"
        raise UserError(
            f"I couldn't check the channel's members in Slack (`{slack_escape(str(error))}`), "
            "so nothing was recorded. Please try again."
        ) from None
    if user is None:
        raise UserError(
            f"I can't find the Slack user `{slack_escape(user_id)}`, so nothing was recorded. "
            "Type @ and pick the person from the list, or leave the person out.",
            usage=usage,
        )
    if user_id not in members:
        raise UserError(
            f"{slack_escape(user.label)} is not in this channel, so nothing was recorded. Access "
            "is kept for the people of this vendor's channel: invite them first, or leave the "
            "person out.",
            usage=usage,
        )


@dataclass
class AccessRemoved:
    vendor: Vendor
    items: list[AccessItem]
    active: int


def remove_access(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    system: str,
    now: datetime,
) -> AccessRemoved:
    """`/outsource access remove <system>`: every current row of that system (whoever it is
    for) is marked revoked, by this person, now. Rows stay for the written record."""
    usage = USAGE["access remove"]
    system = " ".join((system or "").split())
    if not system:
        raise UserError("Which system? e.g. GitHub, AWS, Jira.", usage=usage)
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_side(runtime, vendor, actor, INTERNAL, "keep the access inventory")
    query = select(AccessItem).where(_of_system(vendor, system), AccessItem.revoked_at.is_(None))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # two removes at once: one revokes, one is told
    items = list(session.scalars(query.order_by(AccessItem.id)).all())
    if not items:
        raise NotFound(_nothing_to_remove(session, vendor, system), usage=usage)
    for item in items:
        item.revoked_at = now
        item.revoked_by = actor.user_id
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="access.remove",
        subject=f"access {items[0].system} removed",
        at=now,
        vendor_id=vendor.id,
        detail={
            "access_ids": [i.id for i in items],
            "system": items[0].system,
            "user_ids": [i.user_id for i in items if i.user_id],
        },
    )
    return AccessRemoved(vendor=vendor, items=items, active=_active(session, vendor))


def _of_system(vendor: Vendor, system: str) -> ColumnElement[bool]:
    """This vendor's rows of that system, in any letter case."""
    return and_(AccessItem.vendor_id == vendor.id, func.lower(AccessItem.system) == system.lower())


def _nothing_to_remove(session: Session, vendor: Vendor, system: str) -> str:
    typed = slack_escape(system)
    last = session.scalar(
        select(AccessItem)
        .where(_of_system(vendor, system), AccessItem.revoked_at.is_not(None))
        .order_by(AccessItem.revoked_at.desc(), AccessItem.id.desc())
        .limit(1)
    )
    if last is not None and last.revoked_at is not None:
        when = format_local(last.revoked_at, _zone(vendor))
        return f"*{typed}* was already removed ({when}); nothing changed."
    current = session.scalars(
        select(AccessItem.system)
        .where(AccessItem.vendor_id == vendor.id, AccessItem.revoked_at.is_(None))
        .order_by(AccessItem.id)
        .limit(10)
    ).all()
    known = ", ".join(f"*{slack_escape(s)}*" for s in dict.fromkeys(current))
    listed = f" On record now: {known}." if known else " Nothing is on record for this vendor."
    return f"There is no *{typed}* in this vendor's access inventory; nothing changed.{listed}"


def _zone(vendor: Vendor) -> ZoneInfo:
    try:
        return ZoneInfo(vendor.tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def list_access(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str
) -> tuple[Vendor, list[AccessItem]]:
    """`/outsource access list`: current and revoked rows of this channel's vendor."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_side(runtime, vendor, actor, INTERNAL, "see the access inventory")
    items = session.scalars(
        select(AccessItem).where(AccessItem.vendor_id == vendor.id).order_by(AccessItem.id)
    ).all()
    return vendor, list(items)
