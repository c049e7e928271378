"""Offboarding: close an engagement with a checklist in the requester's DM.

`/outsource offboard` (internal side, in the vendor channel) builds one checklist per vendor:
every access row not yet revoked, every external member of the channel (conversations.members +
users.info: a user of another team, or a guest of ours), every open deadline and every recap not
confirmed by both sides — each with a **Done** button. The checklist is a DM to the requester;
nothing of it is posted in the vendor channel. Pressing Done ticks the item (an access row is
marked revoked) and updates the message's progress. When every item is done the vendor is
archived, an audit row closes the engagement and the final written record (Markdown) is sent
to the person who finished it.

Running `offboard` again resumes the open checklist: done items stay done, anything new since
(another access row, a new member) is added, and the checklist is posted again at the bottom of
the requester's DM (the older message says where it went). A vendor with nothing to revoke gets
one explicit "confirm the engagement is over" item, so nothing is archived by accident.

Nothing here calls Slack. Each copy of the checklist is an outbox row (dedupe key
`offboarding:<checklist>:copy:<n>`) and each tick an update of the newest copy, rendered when
delivered (bot/posts/vendors.py), so the message shows the progress after the latest click.
The channel's members are read through the directory; a read it has not cached propagates as
`LookupDeferred` (the unit of work makes it and runs again), never as "Slack unreachable".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.errors import NotFound, UserError
from bot.services.export import ExportOutcome, start_export
from bot.services.vendors.lookup import prefetch, require_side, require_vendor, vendor_zone
from bot.slack.client import LookupDeferred
from bot.text.escaping import mrkdwn
from bot.time.timeparse import format_local
from storage.models import INTERNAL, AccessItem, Deadline, OutboxMessage, Recap, Vendor
from storage.models.records import OffboardingChecklist, OffboardingItem

log = logging.getLogger(__name__)

FRESH_MEMBERS_SECONDS = 5.0

KIND_ORDER = ("access", "member", "deadline", "recap", "close")
MAX_LABEL = 300


@dataclass
class Checklist:
    vendor: Vendor
    checklist: OffboardingChecklist
    items: list[OffboardingItem]
    resumed: bool = False
    added: int = 0
    export: ExportOutcome | None = None

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.done_at is not None)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def complete(self) -> bool:
        return self.checklist.completed_at is not None


def _label(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _wanted(session: Session, runtime: Runtime, vendor: Vendor) -> list[tuple[str, str, str]]:
    """(kind, ref, label) of everything that must be handled before the vendor is archived."""
    tz = vendor_zone(vendor)
    wanted: list[tuple[str, str, str]] = []
    for a in session.scalars(
        select(AccessItem)
        .where(AccessItem.vendor_id == vendor.id, AccessItem.revoked_at.is_(None))
        .order_by(AccessItem.id)
    ):
        who = f" for <@{a.user_id}>" if a.user_id else ""
        wanted.append(("access", str(a.id), _label(f"Revoke *{mrkdwn(a.system)}*{who}")))
    try:
        # Who is in the channel now: a list cached more than a few seconds ago is read again.
        members = runtime.directory.channel_members(
            vendor.team_id, vendor.channel_id, max_age=FRESH_MEMBERS_SECONDS
        )
        prefetch(*(lambda uid=uid: runtime.directory.user(vendor.team_id, uid) for uid in members))
        for uid in members:
            user = runtime.directory.user(vendor.team_id, uid)
            if user is None or user.is_bot or user.deleted:
                continue
            external = user.team_id not in (None, vendor.team_id) or user.is_guest
            if external:
                wanted.append(
                    (
                        "member",
                        uid,
                        _label(
                            f"Remove <@{uid}> ({mrkdwn(user.label)}) from <#{vendor.channel_id}> "
                            "and any shared access"
                        ),
                    )
                )
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        raise UserError(
            f"I couldn't read who is in this channel (Slack said `{error}`), so the checklist "
            "would be incomplete. Add me to the channel and run `/outsource offboard` again; "
            "nothing was changed."
        ) from exc
    for d in session.scalars(
        select(Deadline)
        .where(Deadline.vendor_id == vendor.id, Deadline.state == "open")
        .order_by(Deadline.number)
    ):
        wanted.append(
            (
                "deadline",
                str(d.id),
                _label(
                    f"Close or hand over deadline #{d.number} {mrkdwn(d.title)} "
                    f"(due {format_local(d.due_at, tz)})"
                ),
            )
        )
    for r in session.scalars(
        select(Recap)
        .where(
            Recap.vendor_id == vendor.id,
            or_(Recap.internal_confirmed_at.is_(None), Recap.vendor_confirmed_at.is_(None)),
        )
        .order_by(Recap.id)
    ):
        first = " ".join(r.text.split())[:60]
        wanted.append(
            (
                "recap",
                str(r.id),
                _label(
                    f"Recap of the call of {format_local(r.call_at, tz)} (“{mrkdwn(first)}”): "
                    "get it confirmed, or accept it as unconfirmed"
                ),
            )
        )
    if not wanted:
        wanted.append(
            (
                "close",
                "engagement",
                "Nothing is left to revoke: confirm the engagement with this vendor is over",
            )
        )
    return wanted


def _items(session: Session, checklist_id: int) -> list[OffboardingItem]:
    items = session.scalars(
        select(OffboardingItem).where(OffboardingItem.checklist_id == checklist_id)
    ).all()
    return sorted(items, key=lambda i: (KIND_ORDER.index(i.kind), i.id))


def _open_checklist(session: Session, vendor_id: int) -> OffboardingChecklist | None:
    return session.scalar(
        select(OffboardingChecklist).where(
            OffboardingChecklist.vendor_id == vendor_id,
            OffboardingChecklist.completed_at.is_(None),
        )
    )


def start_offboarding(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, now: datetime
) -> Checklist:
    """`/outsource offboard`: make (or resume) the checklist and DM it to the requester."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_side(runtime, vendor, actor, INTERNAL, "run offboarding")
    wanted = _wanted(session, runtime, vendor)
    checklist = _open_checklist(session, vendor.id)
    resumed = checklist is not None
    if checklist is None:
        checklist = OffboardingChecklist(
            vendor_id=vendor.id, requested_by=actor.user_id, started_at=now
        )
        session.add(checklist)
        session.flush()
    existing = {(i.kind, i.ref) for i in _items(session, checklist.id)}
    new = [(k, r, label) for k, r, label in wanted if (k, r) not in existing]
    if resumed and any(k != "close" for k, _, _ in new):
        # Something real appeared since; the "nothing to revoke" placeholder is not needed.
        new = [w for w in new if w[0] != "close"]
    for kind, ref, label in new:
        session.add(OffboardingItem(checklist_id=checklist.id, kind=kind, ref=ref, label=label))
    session.flush()
    if not resumed or new:
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=actor.user_id,
            action="offboarding.resume" if resumed else "offboarding.start",
            subject=f"offboarding {vendor.name}",
            at=now,
            vendor_id=vendor.id,
            detail={
                "checklist_id": checklist.id,
                "added": [f"{k}:{r}" for k, r, _ in new],
            },
        )
    result = Checklist(
        vendor=vendor,
        checklist=checklist,
        items=_items(session, checklist.id),
        resumed=resumed,
        added=len(new),
    )
    _post_checklist(session, result, actor.user_id, now)
    return result


COPY_KEY = "offboarding:{checklist}:copy:{n}"


def _copies(session: Session, checklist_id: int) -> list[tuple[int, str]]:
    """(copy number, user id it went to) of every copy of the checklist posted so far."""
    prefix = COPY_KEY.format(checklist=checklist_id, n="")
    rows = session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.channel_id).where(
            OutboxMessage.dedupe_key.startswith(prefix)
        )
    ).all()
    return sorted((int(key[len(prefix) :]), channel) for key, channel in rows)


def latest_copy(session: Session, checklist_id: int) -> int:
    """The number of the newest copy of the checklist (0: none posted)."""
    copies = _copies(session, checklist_id)
    return copies[-1][0] if copies else 0


def checklist_state(
    session: Session, checklist_id: int
) -> tuple[Vendor, OffboardingChecklist, list[OffboardingItem]] | None:
    """A checklist as it is now, with its vendor and items in display order."""
    checklist = session.get(OffboardingChecklist, checklist_id)
    if checklist is None:
        return None
    vendor = session.get(Vendor, checklist.vendor_id)
    if vendor is None:
        return None
    return vendor, checklist, _items(session, checklist.id)


def _post_checklist(session: Session, cl: Checklist, user_id: str, now: datetime) -> None:
    """Post the checklist at the bottom of the user's DM (after the commit); the newest older
    copy is updated to say where it went."""
    c = cl.checklist
    copies = _copies(session, c.id)
    number = copies[-1][0] + 1 if copies else 1
    if copies:
        previous, previous_user = copies[-1]
        outbox.update_message(
            session,
            team_id=cl.vendor.team_id,
            channel_id=previous_user,
            of=COPY_KEY.format(checklist=c.id, n=previous),
            now=now,
            kind="offboarding_checklist",
            render={"kind": "offboarding.moved", "checklist": c.id, "user": user_id},
        )
    outbox.reply(
        session,
        team_id=cl.vendor.team_id,
        channel_id=user_id,
        key=COPY_KEY.format(checklist=c.id, n=number),
        now=now,
        kind="offboarding_checklist",
        render={"kind": "offboarding.checklist", "checklist": c.id, "copy": number},
        vendor_id=cl.vendor.id,
    )


def mark_item_done(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    item_id: int,
    now: datetime,
    clicked: tuple[str, str] | None = None,
) -> Checklist:
    """A **Done** button. Ticks the item (once); the last one archives the vendor, closes the
    engagement in the audit log and sends the final export. The checklist message (and the
    message clicked, if another copy) shows the progress."""
    item = session.get(OffboardingItem, item_id)
    if item is None:
        raise NotFound("That checklist item no longer exists.")
    query = select(OffboardingChecklist).where(OffboardingChecklist.id == item.checklist_id)
    if session.get_bind().dialect.name == "postgresql":
        # Two Done clicks at once: one after the other, so "all done" is seen exactly once.
        query = query.with_for_update()
    checklist = session.scalar(query)
    assert checklist is not None
    vendor = session.get(Vendor, checklist.vendor_id)
    if vendor is None or vendor.team_id != actor.team_id:
        raise NotFound("That checklist item no longer exists.")
    require_side(runtime, vendor, actor, INTERNAL, "tick off offboarding items")
    result = Checklist(vendor=vendor, checklist=checklist, items=[])
    if checklist.completed_at is None and item.done_at is None:
        item.done_at = now
        item.done_by = actor.user_id
        detail: dict[str, object] = {
            "checklist_id": checklist.id,
            "kind": item.kind,
            "ref": item.ref,
        }
        if item.kind == "access":
            access = session.get(AccessItem, int(item.ref))
            if access is not None and access.revoked_at is None:
                access.revoked_at = now
                access.revoked_by = actor.user_id
                detail["access_revoked"] = access.id
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=actor.user_id,
            action="offboarding.done",
            subject=f"offboarding item: {item.label}"[:200],
            at=now,
            vendor_id=vendor.id,
            detail=detail,
        )
        session.flush()
        items = _items(session, checklist.id)
        if all(i.done_at is not None for i in items):
            _complete(session, runtime=runtime, actor=actor, result=result, items=items, now=now)
    result.items = _items(session, checklist.id)
    _show_progress(session, result, clicked, now)
    return result


def _complete(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    result: Checklist,
    items: list[OffboardingItem],
    now: datetime,
) -> None:
    vendor = result.vendor
    result.checklist.completed_at = now
    vendor.archived_at = now
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="engagement.close",
        subject=f"vendor {vendor.name} offboarded and archived",
        at=now,
        vendor_id=vendor.id,
        detail={"checklist_id": result.checklist.id, "items": len(items)},
    )
    session.flush()
    result.export = start_export(
        session,
        runtime=runtime,
        vendor=vendor,
        requested_by=actor.user_id,
        fmt="md",
        reason="offboarding",
        now=now,
    )


def _show_progress(
    session: Session, cl: Checklist, clicked: tuple[str, str] | None, now: datetime
) -> None:
    """The newest copy of the checklist shows the progress (after the commit); so does the
    message clicked, if it was another copy whose "moved" update has not landed."""
    c = cl.checklist
    copies = _copies(session, c.id)
    if copies:
        number, user_id = copies[-1]
        outbox.update_message(
            session,
            team_id=cl.vendor.team_id,
            channel_id=user_id,
            of=COPY_KEY.format(checklist=c.id, n=number),
            now=now,
            kind="offboarding_checklist",
            render={"kind": "offboarding.checklist", "checklist": c.id},
        )
    # Only ever a DM with the bot: a checklist never goes where the vendor could read it.
    if clicked and clicked[0].startswith("D") and clicked[1] != c.message_ts:
        outbox.update_message(
            session,
            team_id=cl.vendor.team_id,
            channel_id=clicked[0],
            ts=clicked[1],
            now=now,
            kind="offboarding_checklist",
            render={"kind": "offboarding.moved", "checklist": c.id, "user": c.requested_by},
        )
