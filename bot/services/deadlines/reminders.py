"""The sweep's deadline step (`sweep_steps`): the reminder steps that came due, and overdue
deadlines escalated to the internal contact.

The deadlines table is the source of truth: `Deadline.next_reminder_at` holds the next step not
yet handled (NULL when none is left or the deadline is done), so the sweep's "what is due now" is
an index range scan on that column. Each step is enqueued in the outbox under a dedupe key per
deadline, date revision and step (`deadline:42:due-24h`, after one approved move
`deadline:42:r1:due-24h`): running a sweep twice posts nothing new, the steps of a moved date are
new posts, and steps already sent for the old date are never repeated. After downtime only the
newest step that came due is posted; the older ones are recorded as skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.app.runtime import Runtime
from bot.delivery.outbox import (
    PRIORITY_DUE,
    PRIORITY_OVERDUE,
    enqueue,
    record_skipped,
)
from bot.services.deadlines.common import OPEN
from bot.services.deadlines.schedule import reminder_key, reminder_schedule
from bot.services.deadlines.zones import deadline_zone, user_zone
from bot.services.vendors.lookup import internal_primary
from storage.models import Deadline, OutboxMessage, Vendor

if TYPE_CHECKING:
    from sqlalchemy import Select

    from bot.delivery.sweep import SweepContext

SWEEP_BATCH = 500


def due_query(
    now: datetime, *, limit: int = SWEEP_BATCH, for_update: bool = False
) -> Select[Deadline]:
    """The sweep's "what is due now": an index range scan on next_reminder_at."""
    query = (
        select(Deadline)
        .where(Deadline.next_reminder_at <= now)
        .order_by(Deadline.next_reminder_at, Deadline.id)
        .limit(limit)
    )
    if for_update:
        query = query.with_for_update(skip_locked=True, of=Deadline)
    return query


@dataclass
class _Tally:
    enqueued: int = 0
    skipped: int = 0
    seen: set[int] = field(default_factory=set)
    # Outbox rows of a deadline still waiting (held by quiet hours or the budget), by deadline.
    held: dict[int, list[int]] = field(default_factory=dict)


REMINDER_KINDS = ("deadline_reminder", "deadline_escalation")


def remind_due(session: Session, ctx: SweepContext) -> int:
    """Enqueue every reminder step that came due by `ctx.now`. Returns posts enqueued.

    Works in batches of SWEEP_BATCH: one due query (rows locked with SKIP LOCKED on PostgreSQL,
    so several workers share the work), one query for the batch's vendors and contacts, one
    for reminders of theirs still held in the outbox, then one insert per reminder and the
    deadlines' new next_reminder_at in one flush.
    """
    now = ctx.now
    pg = session.get_bind().dialect.name == "postgresql"
    tally = _Tally()
    while True:
        batch = [
            d for d in session.scalars(due_query(now, for_update=pg)) if d.id not in tally.seen
        ]
        if not batch:
            break
        vendor_ids = {d.vendor_id for d in batch}
        vendors = {
            v.id: v for v in session.scalars(select(Vendor).where(Vendor.id.in_(vendor_ids)))
        }
        tally.held = _held_reminders(session, vendor_ids)
        with session.no_autoflush:
            for deadline in batch:
                tally.seen.add(deadline.id)
                _remind(session, ctx.runtime, deadline, vendors[deadline.vendor_id], now, tally)
        session.flush()
    return tally.enqueued


def _held_reminders(session: Session, vendor_ids: set[int]) -> dict[int, list[int]]:
    held: dict[int, list[int]] = {}
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.dedupe_key).where(
            OutboxMessage.state == "pending",
            OutboxMessage.kind.in_(REMINDER_KINDS),
            OutboxMessage.vendor_id.in_(vendor_ids),
        )
    ).all()
    for row_id, key in rows:
        parts = key.split(":")
        if len(parts) > 2 and parts[0] == "deadline" and parts[1].isdigit():
            held.setdefault(int(parts[1]), []).append(row_id)
    return held


def _remind(
    session: Session,
    runtime: Runtime,
    deadline: Deadline,
    vendor: Vendor,
    now: datetime,
    tally: _Tally,
) -> None:
    pending_from = deadline.next_reminder_at
    if deadline.state != OPEN or vendor.archived_at is not None or pending_from is None:
        deadline.next_reminder_at = None
        return
    tz = deadline_zone(runtime, vendor)
    schedule = reminder_schedule(deadline.due_at, tz)
    came_due = [(s, at) for s, at in schedule if pending_from <= at <= now]
    deadline.next_reminder_at = next((at for _s, at in schedule if at > now), None)
    if not came_due:
        return
    *older, (step, _at) = came_due
    for old_step, _old_at in older:
        record_skipped(
            session,
            team_id=vendor.team_id,
            dedupe_key=reminder_key(deadline, old_step),
            channel_id=vendor.channel_id,
            kind="deadline_reminder",
            now=now,
            vendor_id=vendor.id,
            reason="superseded by a newer step after downtime",
        )
        tally.skipped += 1
    # An older step still held in the outbox (quiet hours, budget) is superseded by this one.
    if held := tally.held.get(deadline.id):
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(held), OutboxMessage.state == "pending")
            .values(state="skipped", last_error=f"superseded by {step.name}")
        )
    if enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=reminder_key(deadline, step),
        channel_id=vendor.channel_id,
        kind="deadline_reminder",
        now=now,
        render={
            "kind": "deadline.reminder",
            "deadline": deadline.id,
            "revision": deadline.revision,
            "step": step.name,
        },
        vendor_id=vendor.id,
        priority=PRIORITY_OVERDUE if step.overdue else PRIORITY_DUE,
    ):
        tally.enqueued += 1
    if step.overdue:
        escalate_to = internal_primary(vendor)
        if escalate_to is not None and enqueue_escalation(
            session, runtime, vendor, escalate_to.user_id, deadline.id, now
        ):
            tally.enqueued += 1


def enqueue_escalation(
    session: Session,
    runtime: Runtime,
    vendor: Vendor,
    user_id: str,
    deadline_id: int,
    now: datetime,
) -> bool:
    """Add the deadline to the internal contact's one escalation DM of their day. The DM lists,
    when delivered, those of its deadlines still open and overdue (bot/posts/deadlines.py);
    a deadline that escalates after the day's DM went out is in the next day's."""
    day = now.astimezone(user_zone(runtime, vendor.team_id, user_id)).date().isoformat()
    key = f"escalation:{user_id}:{day}"
    made = enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=key,
        channel_id=user_id,
        kind="deadline_escalation",
        now=now,
        render={"kind": "deadline.escalations", "user": user_id, "deadlines": [deadline_id]},
        vendor_id=vendor.id,
        priority=PRIORITY_OVERDUE,
        budgeted=False,
    )
    if made:
        return True
    waiting = session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.dedupe_key == key, OutboxMessage.state == "pending")
        .with_for_update()
    )
    if waiting is not None:
        ref = dict(waiting.payload.get("render") or {})
        ids = list(ref.get("deadlines") or [])
        if deadline_id not in ids:
            ref["deadlines"] = [*ids, deadline_id]
            waiting.payload = {**waiting.payload, "render": ref}
    return False


sweep_steps = [("deadlines", remind_due)]
