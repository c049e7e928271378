"""Each side confirms the record with its button; once both have, the action items whose owner
or date was unsure become deadlines too."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotAllowed, UserError
from bot.services.recaps.common import host_actor, quoted
from bot.services.recaps.items import items_of, store_extraction, sync_deadlines
from bot.services.recaps.record import clicked_recap, side_label, update_record
from bot.services.vendors.lookup import internal_primary, side_of, vendor_primary, vendor_zone
from bot.time.timeparse import format_local
from storage.models import INTERNAL, VENDOR, Recap, Vendor


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
    recap, vendor = clicked_recap(session, recap_id, channel_id, message_ts)
    actor = host_actor(actor, vendor.team_id)
    actual = side_of(runtime, vendor, actor)
    if actual != side:
        label = quoted(vendor) if side == VENDOR else side_label(vendor, side)
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
                f"<@{recap.vendor_confirmed_by}> already confirmed this for {quoted(vendor)} "
                f"on {format_local(recap.vendor_confirmed_at or now, tz)}."
            )
        recap.vendor_confirmed_by, recap.vendor_confirmed_at = actor.user_id, now
    both = bool(recap.internal_confirmed_by and recap.vendor_confirmed_by)
    detail: dict[str, Any] = {"side": side, "revision": recap.revision, "both": both}
    if both:
        recap.confirm_nudge_at = None
        ext, numbers = items_of(recap)
        new_numbers = sync_deadlines(
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
            store_extraction(recap, ext, new_numbers)
            detail["deadlines"] = [
                n for n, o in zip(new_numbers, numbers, strict=False) if n and not o
            ]
    update_record(session, runtime, vendor, recap)
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
