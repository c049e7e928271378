"""The access inventory: what each vendor can reach. Internal-only — shown ephemerally or in a
DM to internal users, never posted where the vendor can read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.commands import USAGE
from bot.errors import UserError
from bot.runtime import Runtime
from bot.services.vendors import require_side, require_vendor
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
    active = int(
        session.scalar(
            select(func.count(AccessItem.id)).where(
                AccessItem.vendor_id == vendor.id, AccessItem.revoked_at.is_(None)
            )
        )
        or 0
    )
    return AccessAdded(vendor=vendor, item=existing, created=created, active=active)


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
