"""What Slack tells us about vendor channels and their people: the bot joined a channel, the
channel was shared or unshared (Slack Connect), a contact left it or was deactivated.

What the bot says here is the intro when the bot joins a channel and the DM when a contact
leaves (one per Slack event), rendered when delivered (bot/posts/vendors.py)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.services.vendors.lookup import (
    active_contacts,
    contact,
    internal_primary,
    vendor_for_channel,
)
from storage.models import BACKUP, PRIMARY, VENDOR, Contact, Vendor

log = logging.getLogger(__name__)


# Who made a change that no person asked for (Slack told us about it).
SLACK_ACTOR = "slack"

LEFT_CHANNEL = "left the channel"
DEACTIVATED = "deactivated"
UNSHARED = "channel unshared"


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
