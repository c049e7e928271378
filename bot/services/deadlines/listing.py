"""What `/outsource deadline list` (`Listing`) and `deadline show` (`Detail`) show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Integer, bindparam, cast, func, null, select, union_all
from sqlalchemy.orm import Session, aliased

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.services.deadlines.common import DONE, OPEN, PENDING, by_number
from bot.services.deadlines.zones import deadline_zone, user_zone
from bot.services.vendors.lookup import require_vendor
from storage.models import ChangeRequest, Deadline, OutboxMessage, Vendor

RECENTLY_DONE = timedelta(days=14)

LISTED = 40  # deadlines shown in one listing: Slack allows 50 blocks in a message


class ListedDeadline(NamedTuple):
    """What `deadline list` shows of a deadline."""

    id: int
    number: int
    title: str
    milestone: bool
    due_at: datetime
    owner_user_id: str | None
    parent_id: int | None
    state: str
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    done_at: datetime | None


# `deadline list` is the most used command. Its one query reads plain columns, not ORM
# entities, and is built once with bound parameters: building the expression and loading
# entities cost more CPU than running the query. Only the statement is shared between
# requests; the rows are read every time.
_LISTED_COLUMNS = tuple(getattr(Deadline, name) for name in ListedDeadline._fields)
_LISTED_WIDTH = len(_LISTED_COLUMNS)
_PARENT = aliased(Deadline, name="parent")
# The first open deadlines, soonest due first, each with the count of all open ones, whether a
# change request is pending and the number of its milestone if that is open (the subqueries
# run for the shown rows only) …
_SHOWN_OPEN = (
    select(
        *_LISTED_COLUMNS,
        func.count().over().label("open_count"),
        select(ChangeRequest.id)
        .where(ChangeRequest.deadline_id == Deadline.id, ChangeRequest.state == PENDING)
        .exists()
        .label("change_pending"),
        select(_PARENT.number)
        .where(_PARENT.id == Deadline.parent_id, _PARENT.state == OPEN)
        .scalar_subquery()
        .label("parent_number"),
    )
    .where(Deadline.vendor_id == bindparam("vendor_id"), Deadline.state == OPEN)
    .order_by(Deadline.due_at, Deadline.number)
    .limit(LISTED)
)
# … and the recently done ones, with the same columns so that one UNION ALL brings both.
_RECENTLY_DONE = (
    select(
        *_LISTED_COLUMNS,
        cast(null(), Integer).label("open_count"),
        cast(null(), Boolean).label("change_pending"),
        cast(null(), Integer).label("parent_number"),
    )
    .where(
        Deadline.vendor_id == bindparam("vendor_id"),
        Deadline.state == DONE,
        Deadline.done_at >= bindparam("done_since"),
    )
    .order_by(Deadline.done_at.desc())
    .limit(5)
)
_LISTING = union_all(select(_SHOWN_OPEN.subquery()), select(_RECENTLY_DONE.subquery()))


@dataclass
class Listing:
    vendor: Vendor
    open: list[ListedDeadline]  # the first LISTED open deadlines, soonest due first
    open_count: int  # all open deadlines
    parent_numbers: dict[int, int]  # parent id -> number, for the shown parts of an open parent
    recently_done: list[ListedDeadline]
    change_pending: set[int]  # ids of the shown deadlines with a pending change request
    vendor_tz: ZoneInfo
    user_tz: ZoneInfo
    now: datetime


def list_deadlines(session: Session, *, runtime: Runtime, actor: Actor, channel_id: str) -> Listing:
    """What `/outsource deadline list` shows. Only the rows one message can show are loaded,
    in one round trip after the vendor's: a vendor may have hundreds of open deadlines and this
    is the most used command."""
    vendor = require_vendor(
        session, team_id=actor.team_id, channel_id=channel_id, with_contacts=False
    )
    now = runtime.clock.now()
    rows = session.execute(
        _LISTING, {"vendor_id": vendor.id, "done_since": now - RECENTLY_DONE}
    ).all()
    # A union has no order of its own: sort each part as its query did.
    page = sorted((r for r in rows if r.state == OPEN), key=lambda r: (r.due_at, r.number))
    done = sorted((r for r in rows if r.state == DONE), key=lambda r: r.done_at, reverse=True)
    return Listing(
        vendor=vendor,
        open=[ListedDeadline._make(row[:_LISTED_WIDTH]) for row in page],
        open_count=int(page[0].open_count) if page else 0,
        parent_numbers={
            row.parent_id: row.parent_number for row in page if row.parent_number is not None
        },
        recently_done=[ListedDeadline._make(row[:_LISTED_WIDTH]) for row in done],
        change_pending={row.id for row in page if row.change_pending},
        vendor_tz=deadline_zone(runtime, vendor),
        user_tz=user_zone(runtime, actor.team_id, actor.user_id),
        now=now,
    )


@dataclass
class Detail:
    vendor: Vendor
    deadline: Deadline
    parent: Deadline | None
    children: list[Deadline]
    changes: list[ChangeRequest]
    reminders_sent: list[tuple[str, datetime]]
    vendor_tz: ZoneInfo
    user_tz: ZoneInfo
    now: datetime


def show_deadline(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int
) -> Detail:
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    deadline = by_number(session, vendor, number, usage="deadline show")
    children = list(
        session.scalars(
            select(Deadline).where(Deadline.parent_id == deadline.id).order_by(Deadline.due_at)
        )
    )
    changes = list(
        session.scalars(
            select(ChangeRequest)
            .where(ChangeRequest.deadline_id == deadline.id)
            .order_by(ChangeRequest.requested_at, ChangeRequest.id)
        )
    )
    sent = session.execute(
        select(OutboxMessage.dedupe_key, OutboxMessage.sent_at)
        .where(
            OutboxMessage.dedupe_key.like(f"deadline:{deadline.id}:%"),
            OutboxMessage.state == "sent",
            OutboxMessage.channel_id == vendor.channel_id,
        )
        .order_by(OutboxMessage.sent_at)
    ).all()
    reminders = [(key.rsplit(":", 1)[-1], at) for key, at in sent if at is not None]
    return Detail(
        vendor=vendor,
        deadline=deadline,
        parent=session.get(Deadline, deadline.parent_id) if deadline.parent_id else None,
        children=children,
        changes=changes,
        reminders_sent=reminders,
        vendor_tz=deadline_zone(runtime, vendor),
        user_tz=user_zone(runtime, actor.team_id, actor.user_id),
        now=runtime.clock.now(),
    )
