"""Deadlines and milestones: explicit dates, reminders before they slip, changes by agreement.

Reminder steps (DESIGN §4): due − 72 h, due − 24 h, at due, then once a day after due, three
times. The steps are counted in the vendor's *wall clock* — "three days before, at the same local
time" — so across a DST change a reminder still fires at the deadline's local time of day (the
"72 h" step is then 71 or 73 real hours ahead; nobody wants a 16:00 reminder for a 17:00 deadline).

The deadlines table is the source of truth: `Deadline.next_reminder_at` holds the next step not
yet handled (NULL when none is left or the deadline is done), so the sweep's "what is due now" is
an index range scan on that column. Each step is enqueued in the outbox under a dedupe key per
deadline, date revision and step (`deadline:42:due-24h`, after one approved move
`deadline:42:r1:due-24h`): running a sweep twice posts nothing new, the steps of a moved date are
new posts, and steps already sent for the old date are never repeated. After downtime only the
newest step that came due is posted; the older ones are recorded as skipped.

A `move` never edits the date: it opens a change request that both sides approve with buttons;
the date changes (revision + 1, reminders recomputed) when the second side approves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError
from sqlalchemy import Boolean, Integer, bindparam, cast, func, null, select, union_all, update
from sqlalchemy.orm import Session, aliased

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery.outbox import (
    PRIORITY_DUE,
    PRIORITY_OVERDUE,
    enqueue,
    record_skipped,
    update_message,
)
from bot.errors import NotAllowed, NotFound, UserError
from bot.services.vendors.lookup import (
    internal_primary,
    require_bot_in_channel,
    require_side,
    require_vendor,
    side_of,
    vendor_primary,
    vendor_zone,
)
from bot.slack.client import LookupDeferred
from bot.text.commands import MAX_TITLE, USAGE
from bot.text.escaping import slack_escape
from bot.time.calendar import day_off_note
from bot.time.timeparse import When, format_local, parse_when, wall_to_utc
from storage.models import INTERNAL, VENDOR, ChangeRequest, Deadline, OutboxMessage, Vendor

if TYPE_CHECKING:
    from sqlalchemy import Select

    from bot.delivery.sweep import SweepContext

OPEN = "open"
DONE = "done"
PENDING = "pending"
APPROVED = "approved"
DECLINED = "declined"
# A deadline taken back (`deadline cancel`, Undo); a pending move whose deadline was done or
# cancelled.
CANCELLED = "cancelled"
WITHDRAWN = "withdrawn"  # a change request taken back by the side that asked for it

SWEEP_BATCH = 500
RECENTLY_DONE = timedelta(days=14)
MAX_DESCRIPTION = 2000
# How long the Undo button on `deadline add`'s confirmation works.
UNDO_WINDOW = timedelta(minutes=10)
UNDONE = "undone"  # the reason recorded for a deadline taken back with Undo


# --------------------------------------------------------------------------- reminder schedule


@dataclass(frozen=True)
class ReminderStep:
    name: str
    days: int  # local calendar days relative to the due date (same wall-clock time)

    @property
    def overdue(self) -> bool:
        return self.days > 0


STEPS: tuple[ReminderStep, ...] = (
    ReminderStep("due-72h", -3),
    ReminderStep("due-24h", -1),
    ReminderStep("due", 0),
    ReminderStep("overdue-1", 1),
    ReminderStep("overdue-2", 2),
    ReminderStep("overdue-3", 3),
)
STEP_BY_NAME = {s.name: s for s in STEPS}


def reminder_schedule(due_at: datetime, tz: ZoneInfo) -> list[tuple[ReminderStep, datetime]]:
    """Every reminder step of a deadline with its instant (UTC), in order."""
    local = due_at.astimezone(tz).replace(tzinfo=None)
    out: list[tuple[ReminderStep, datetime]] = []
    for step in STEPS:
        at = due_at if step.days == 0 else wall_to_utc(local + timedelta(days=step.days), tz)
        out.append((step, at))
    return out


def next_reminder_after(due_at: datetime, tz: ZoneInfo, after: datetime) -> datetime | None:
    """The first reminder step strictly after `after`, or None when every step has passed."""
    for _step, at in reminder_schedule(due_at, tz):
        if at > after:
            return at
    return None


def reminder_key(deadline: Deadline, step: ReminderStep, *, dm: bool = False) -> str:
    rev = "" if deadline.revision == 0 else f"r{deadline.revision}:"
    return f"deadline:{deadline.id}:{rev}{step.name}" + (":dm" if dm else "")


# --------------------------------------------------------------------------- zones


def user_zone(runtime: Runtime, team_id: str, user_id: str) -> ZoneInfo:
    """The user's Slack timezone, else OUTSOURCE_DEFAULT_TZ."""
    try:
        user = runtime.directory.user(team_id, user_id)
    except (SlackApiError, LookupError):
        user = None
    if user is not None and user.tz:
        try:
            return ZoneInfo(user.tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return runtime.settings.default_zone


def reading_zone(runtime: Runtime, vendor: Vendor, actor: Actor) -> ZoneInfo:
    """Where a `<when>` without zone is read: vendor → requester's Slack tz → the default."""
    if vendor.tz:
        try:
            return ZoneInfo(vendor.tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return user_zone(runtime, vendor.team_id, actor.user_id)


def deadline_zone(runtime: Runtime, vendor: Vendor) -> ZoneInfo:
    """Reminders and their wall-clock times are in the vendor's zone (else the default zone)."""
    if vendor.tz:
        try:
            return vendor_zone(vendor)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return runtime.settings.default_zone


# --------------------------------------------------------------------------- creating


def add_deadline(
    session: Session,
    *,
    runtime: Runtime,
    vendor: Vendor,
    title: str,
    due_at: datetime,
    owner_user_id: str | None,
    actor_user_id: str,
    now: datetime,
    milestone: bool = False,
    parent_id: int | None = None,
    recap_id: int | None = None,
) -> Deadline:
    """Create a deadline of `vendor`: assigns the channel's next number (#1, #2 …), schedules the
    first reminder step after `now`, writes the audit row. Never commits.

    Used by `/outsource deadline add` and by call recaps (action items with owner and due date).
    The caller has validated the date (parse_when refuses the past); a due date already past
    only gets the overdue steps still ahead.
    """
    if due_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("add_deadline needs aware datetimes")
    title = clean_title(title, usage="deadline add")
    if parent_id is not None:
        parent = session.get(Deadline, parent_id)
        if parent is None or parent.vendor_id != vendor.id:
            raise NotFound("That milestone is not one of this channel's deadlines.")
    # Atomic per-channel numbering: concurrent adds on PostgreSQL never get the same number.
    number = (
        session.execute(
            update(Vendor)
            .where(Vendor.id == vendor.id)
            .values(next_deadline_number=Vendor.next_deadline_number + 1)
            .returning(Vendor.next_deadline_number)
        ).scalar_one()
        - 1
    )
    deadline = Deadline(
        vendor_id=vendor.id,
        number=number,
        title=title,
        due_at=due_at,
        owner_user_id=owner_user_id,
        milestone=milestone,
        parent_id=parent_id,
        recap_id=recap_id,
        state=OPEN,
        created_by=actor_user_id,
        created_at=now,
        revision=0,
        next_reminder_at=next_reminder_after(due_at, deadline_zone(runtime, vendor), now),
    )
    session.add(deadline)
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor_user_id,
        action="deadline.add",
        subject=f"deadline #{number} {title}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "deadline_id": deadline.id,
            "number": number,
            "title": title,
            "due_at": due_at.isoformat(),
            "owner": owner_user_id,
            "milestone": milestone,
            "parent_id": parent_id,
            "recap_id": recap_id,
        },
    )
    return deadline


def clean_title(title: str, *, usage: str) -> str:
    """A deadline's title on one line (the parser has decoded Slack's escaping and removed
    control characters); refused when empty or too long."""
    title = " ".join(title.split())
    if not title:
        raise UserError("The deadline needs a title.", usage=USAGE[usage])
    if len(title) > MAX_TITLE:
        raise UserError(
            f"The title is {len(title)} characters; keep it under {MAX_TITLE}.", usage=USAGE[usage]
        )
    return title


@dataclass
class Added:
    deadline: Deadline
    vendor: Vendor
    when: When
    vendor_tz: ZoneInfo
    user_tz: ZoneInfo
    owner_defaulted: bool
    parent: Deadline | None
    day_off: str | None = None  # "Sat 13 Mar is a weekend day in Germany."


def add_from_command(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    title: str,
    when_text: str,
    owner_user_id: str | None,
    milestone: bool = False,
    parent_number: int | None = None,
) -> Added:
    """`/outsource deadline add "<title>" <when> [owner <@user>] [milestone] [under <n>]`."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_bot_in_channel(runtime, vendor)  # the answer is a post there
    now = runtime.clock.now()
    tz = reading_zone(runtime, vendor, actor)
    when = parse_when(when_text, tz=tz, now=now)
    parent = None
    if parent_number is not None:
        parent = _by_number(session, vendor, parent_number, usage="deadline add")
        if not parent.milestone:
            raise UserError(
                f"#{parent.number} is not a milestone; only milestones can hold other deadlines. "
                "Add the milestone with `milestone`, e.g. "
                '`/outsource deadline add "Beta" 2027-04-01 milestone`.',
                usage=USAGE["deadline add"],
            )
        if parent.state != OPEN:
            raise UserError(f"Milestone #{parent.number} is {parent.state} already.")
    owner_defaulted = False
    if owner_user_id is not None:
        check_owner(runtime, vendor, owner_user_id, lenient=True)
    else:
        primary = vendor_primary(vendor)
        if primary is not None:
            owner_user_id = primary.user_id
            owner_defaulted = True
    deadline = add_deadline(
        session,
        runtime=runtime,
        vendor=vendor,
        title=title,
        due_at=when.at,
        owner_user_id=owner_user_id,
        actor_user_id=actor.user_id,
        now=now,
        milestone=milestone,
        parent_id=parent.id if parent else None,
    )
    vtz = deadline_zone(runtime, vendor)
    return Added(
        deadline=deadline,
        vendor=vendor,
        when=when,
        vendor_tz=vtz,
        user_tz=user_zone(runtime, actor.team_id, actor.user_id),
        owner_defaulted=owner_defaulted,
        parent=parent,
        day_off=day_off_note(when.at, vtz, vendor.country),
    )


def check_owner(runtime: Runtime, vendor: Vendor, user_id: str, *, lenient: bool = False) -> None:
    """A deadline's owner is an active person of one of the channel's two organizations (ours,
    or the vendor's in a Slack Connect channel) who is in the channel: reminders mention the
    owner there. Like `contact set`, a user of a third organization is refused.

    `lenient` (`deadline add`): when Slack cannot be asked, the mention is kept as typed;
    otherwise (`deadline owner`) nothing is changed and the person is asked to try again."""

    def unreachable(what: str) -> None:
        if not lenient:
            raise UserError(
                f"I couldn't {what} in Slack just now, so nothing was changed. "
                "Please try again in a moment."
            )

    try:
        user = runtime.directory.user(vendor.team_id, user_id)
    except LookupDeferred:
        raise  # read after the transaction, then this runs again
    except (SlackApiError, LookupError):
        return unreachable(f"look up <@{user_id}>")
    if user is None:
        raise UserError(
            f"I can't find <@{user_id}> in Slack. Mention the owner with @.",
            usage=USAGE["deadline add"],
        )
    if user.deleted:
        raise UserError(f"<@{user_id}> is deactivated; pick an active owner.")
    if user.is_bot:
        raise UserError(f"<@{user_id}> is a bot; a deadline needs a person as owner.")
    teams = {vendor.team_id}
    if vendor.is_ext_shared:
        teams.update(vendor.external_team_ids or [])
    if (user.team_id or vendor.team_id) not in teams:
        whose = (
            f"your team or {slack_escape(vendor.name)}'s" if vendor.is_ext_shared else "your team"
        )
        raise UserError(
            f"<@{user_id}> belongs to an organization this channel is not shared with. "
            f"A deadline's owner must be someone from {whose}.",
            usage=USAGE["deadline add"],
        )
    try:
        members = runtime.directory.channel_members(vendor.team_id, vendor.channel_id)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError):
        return unreachable("read this channel's members")
    if user_id not in members:
        raise UserError(
            f"<@{user_id}> is not in this channel, and reminders mention the owner here. "
            "Invite them first, then try again.",
            usage=USAGE["deadline add"],
        )


# --------------------------------------------------------------------------- reading


def _by_number(
    session: Session, vendor: Vendor, number: int, *, usage: str, lock: bool = False
) -> Deadline:
    """The channel's deadline #number. `lock`: its row is locked until the commit (PostgreSQL),
    so two corrections of one deadline at once are one after the other: the second sees the
    first's result."""
    query = select(Deadline).where(Deadline.vendor_id == vendor.id, Deadline.number == number)
    deadline = session.scalar(query.with_for_update() if lock else query)
    if deadline is None:
        highest = vendor.next_deadline_number - 1
        hint = (
            f" This channel has #1–#{highest}; see `/outsource deadline list`."
            if highest > 0
            else " This channel has no deadlines yet."
        )
        raise NotFound(f"There is no deadline #{number} in this channel.{hint}", usage=USAGE[usage])
    return deadline


def pending_change(session: Session, deadline: Deadline) -> ChangeRequest | None:
    return session.scalar(
        select(ChangeRequest)
        .where(ChangeRequest.deadline_id == deadline.id, ChangeRequest.state == PENDING)
        .order_by(ChangeRequest.id)
        .limit(1)
    )


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
    deadline = _by_number(session, vendor, number, usage="deadline show")
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


# --------------------------------------------------------------------------- done, acknowledge


def _cancel_pending_reminders(session: Session, deadline: Deadline, reason: str) -> None:
    """Reminders of this deadline still waiting in the outbox (e.g. held by quiet hours) are
    recorded as skipped: they must not go out after the deadline was done or moved."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.dedupe_key.like(f"deadline:{deadline.id}:%"),
            OutboxMessage.state == "pending",
        )
        .values(state="skipped", last_error=reason)
    )


def _deadline_for_click(
    session: Session,
    *,
    actor: Actor,
    deadline_id: int,
    channel_id: str | None,
    lock: bool = False,
) -> Deadline:
    deadline = session.get(Deadline, deadline_id, with_for_update=lock)
    if (
        deadline is None
        or deadline.vendor.team_id != actor.team_id
        or (channel_id is not None and deadline.vendor.channel_id != channel_id)
        or deadline.vendor.archived_at is not None
    ):
        raise NotFound("That deadline is not one of this channel's; nothing was changed.")
    return deadline


def complete(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    number: int | None = None,
    deadline_id: int | None = None,
) -> Deadline:
    """Mark a deadline done (`deadline done <n>` or the Mark done button): reminders stop.

    Either side's people may do it; a user of a third organization may not.
    """
    if deadline_id is not None:
        deadline = _deadline_for_click(
            session, actor=actor, deadline_id=deadline_id, channel_id=channel_id
        )
        vendor = deadline.vendor
    else:
        vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
        if number is None:
            raise UserError("Which deadline?", usage=USAGE["deadline done"])
        deadline = _by_number(session, vendor, number, usage="deadline done")
    if side_of(runtime, vendor, actor) is None:
        raise NotAllowed(
            f"Only {vendor.name}'s contacts and the internal team can mark deadlines done."
        )
    if deadline.state == CANCELLED:
        _require_open(deadline, "mark done")
    if deadline.state == DONE:
        when = (
            format_local(deadline.done_at, deadline_zone(runtime, vendor))
            if deadline.done_at
            else ""
        )
        raise UserError(
            f"#{deadline.number} {deadline.title} is already done"
            + (f" (by <@{deadline.done_by}>, {when})." if deadline.done_by else ".")
        )
    now = runtime.clock.now()
    deadline.state = DONE
    deadline.done_at = now
    deadline.done_by = actor.user_id
    deadline.next_reminder_at = None
    _cancel_pending_reminders(session, deadline, "deadline done")
    cancelled = _close_pending_changes(session, deadline, now)
    detail: dict[str, object] = {"deadline_id": deadline.id, "due_at": deadline.due_at.isoformat()}
    if cancelled:
        detail["cancelled_change_ids"] = cancelled
    for change_id in cancelled:
        # The closed move's message says so and loses its buttons (after the commit).
        refresh_change_message(
            session,
            team_id=vendor.team_id,
            channel_id=vendor.channel_id,
            change_id=change_id,
            now=now,
        )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="deadline.done",
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    return deadline


def acknowledge(
    session: Session, *, runtime: Runtime, actor: Actor, deadline_id: int, channel_id: str
) -> Deadline:
    """The vendor side acknowledges a deadline (the Acknowledge button on its reminder)."""
    deadline = _deadline_for_click(
        session, actor=actor, deadline_id=deadline_id, channel_id=channel_id
    )
    vendor = deadline.vendor
    require_side(runtime, vendor, actor, VENDOR, "acknowledge a deadline")
    if deadline.state == CANCELLED:
        _require_open(deadline, "acknowledge")
    if deadline.state == DONE:
        raise UserError(f"#{deadline.number} {deadline.title} is done already.")
    if deadline.acknowledged_at is not None:
        raise UserError(
            f"#{deadline.number} was already acknowledged by <@{deadline.acknowledged_by}> "
            f"({format_local(deadline.acknowledged_at, deadline_zone(runtime, vendor))})."
        )
    now = runtime.clock.now()
    deadline.acknowledged_at = now
    deadline.acknowledged_by = actor.user_id
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="deadline.acknowledge",
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=now,
        vendor_id=vendor.id,
        detail={"deadline_id": deadline.id, "due_at": deadline.due_at.isoformat()},
    )
    return deadline


# --------------------------------------------------------------------------- corrections


@dataclass
class Cancelled:
    """A deadline taken back: what the channel, the announcement and the change requests that
    were waiting on it need."""

    deadline: Deadline
    vendor: Vendor
    closed_changes: list[int]  # ids of the change requests it closed
    undo: bool = False


def _require_open(deadline: Deadline, doing: str) -> None:
    """Corrections apply to open deadlines; a done or cancelled one keeps its record."""
    if deadline.state == CANCELLED:
        raise UserError(
            f"#{deadline.number} {slack_escape(deadline.title)} was cancelled"
            + (f" by <@{deadline.cancelled_by}>" if deadline.cancelled_by else "")
            + f"; there is nothing to {doing}."
        )
    if deadline.state == DONE:
        raise UserError(
            f"#{deadline.number} {slack_escape(deadline.title)} is done already; "
            f"there is nothing to {doing}."
        )


def cancel_deadline(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int, reason: str
) -> Cancelled:
    """`deadline cancel <n> reason "<why>"`: internal side only. Reminders stop, a move waiting
    for approval is closed, the row stays (shown as cancelled by `deadline show`)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    if side_of(runtime, vendor, actor) != INTERNAL:
        raise NotAllowed(
            "Only the internal team can cancel a deadline; nothing was changed. If it is no "
            "longer needed, tell the internal contact, or propose a new date with "
            '`/outsource deadline move &lt;n&gt; &lt;when&gt; reason "…"`.'
        )
    deadline = _by_number(session, vendor, number, usage="deadline cancel", lock=True)
    _require_open(deadline, "cancel")
    reason = " ".join(reason.split())
    if not reason:
        raise UserError(
            "A cancel needs a reason, so both sides know why.", usage=USAGE["deadline cancel"]
        )
    return _cancel(session, deadline, vendor, actor.user_id, reason, runtime.clock.now())


def undo_add(
    session: Session, *, runtime: Runtime, actor: Actor, deadline_id: int, channel_id: str
) -> Cancelled:
    """The Undo button on `deadline add`'s confirmation: only the person who added the deadline,
    only within UNDO_WINDOW. The deadline is cancelled with the reason "undone"."""
    deadline = _deadline_for_click(
        session, actor=actor, deadline_id=deadline_id, channel_id=channel_id, lock=True
    )
    vendor = deadline.vendor
    hint = f'To take it back now: `/outsource deadline cancel {deadline.number} reason "…"`.'
    if deadline.created_by != actor.user_id:
        raise NotAllowed(
            f"Only <@{deadline.created_by}>, who added #{deadline.number}, can undo it; "
            "nothing was changed."
        )
    if deadline.state == CANCELLED and deadline.cancel_reason == UNDONE:
        raise UserError(f"#{deadline.number} {slack_escape(deadline.title)} was undone already.")
    _require_open(deadline, "undo")
    now = runtime.clock.now()
    if now - deadline.created_at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        raise UserError(
            f"Undo works for {minutes} minutes after adding a deadline, and that time is over; "
            f"#{deadline.number} stays. {hint}"
        )
    return _cancel(session, deadline, vendor, actor.user_id, UNDONE, now, undo=True)


def _cancel(
    session: Session,
    deadline: Deadline,
    vendor: Vendor,
    actor_id: str,
    reason: str,
    now: datetime,
    *,
    undo: bool = False,
) -> Cancelled:
    deadline.state = CANCELLED
    deadline.cancelled_at = now
    deadline.cancelled_by = actor_id
    deadline.cancel_reason = reason
    deadline.next_reminder_at = None
    _cancel_pending_reminders(session, deadline, "deadline cancelled")
    closed = _close_pending_changes(session, deadline, now)
    detail: dict[str, object] = {
        "deadline_id": deadline.id,
        "due_at": deadline.due_at.isoformat(),
        "reason": reason,
    }
    if undo:
        detail["undo"] = True
    if closed:
        detail["cancelled_change_ids"] = closed
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor_id,
        action="deadline.cancel",
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    return Cancelled(deadline=deadline, vendor=vendor, closed_changes=closed, undo=undo)


def _close_pending_changes(session: Session, deadline: Deadline, now: datetime) -> list[int]:
    """A move still waiting for approval has nothing left to move: closed, ids returned."""
    closed = []
    for cr in session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.deadline_id == deadline.id, ChangeRequest.state == PENDING
        )
    ):
        cr.state = CANCELLED
        cr.resolved_at = now
        closed.append(cr.id)
    return closed


@dataclass
class Corrected:
    """A rename or a new owner: the deadline and the audit row that holds the old and new
    values (the channel's note is rendered from it)."""

    deadline: Deadline
    vendor: Vendor
    audit_id: int


def rename_deadline(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int, title: str
) -> Corrected:
    """`deadline rename <n> "<title>"`: either side's people; reminders use the new title."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    _require_party(runtime, vendor, actor, "rename deadlines")
    deadline = _by_number(session, vendor, number, usage="deadline rename", lock=True)
    _require_open(deadline, "rename")
    title = clean_title(title, usage="deadline rename")
    if title == deadline.title:
        raise UserError(
            f"#{deadline.number} is already called “{slack_escape(title)}”; nothing was changed."
        )
    old = deadline.title
    now = runtime.clock.now()
    deadline.title = title
    entry = audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="deadline.rename",
        subject=f"deadline #{deadline.number} {title}",
        at=now,
        vendor_id=vendor.id,
        detail={"deadline_id": deadline.id, "old_title": old, "new_title": title},
    )
    session.flush()
    return Corrected(deadline=deadline, vendor=vendor, audit_id=entry.id)


def set_owner(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int, user_id: str
) -> Corrected:
    """`deadline owner <n> <@user>`: the new owner is checked like a contact (one of the
    channel's two organizations, in the channel)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    _require_party(runtime, vendor, actor, "change a deadline's owner")
    deadline = _by_number(session, vendor, number, usage="deadline owner", lock=True)
    _require_open(deadline, "re-own")
    if deadline.owner_user_id == user_id:
        raise UserError(f"<@{user_id}> owns #{deadline.number} already; nothing was changed.")
    check_owner(runtime, vendor, user_id)
    old = deadline.owner_user_id
    now = runtime.clock.now()
    deadline.owner_user_id = user_id
    entry = audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="deadline.owner",
        subject=f"deadline #{deadline.number} {deadline.title}",
        at=now,
        vendor_id=vendor.id,
        detail={"deadline_id": deadline.id, "old_owner": old, "new_owner": user_id},
    )
    session.flush()
    return Corrected(deadline=deadline, vendor=vendor, audit_id=entry.id)


def _require_party(runtime: Runtime, vendor: Vendor, actor: Actor, doing: str) -> None:
    if side_of(runtime, vendor, actor) is None:
        raise NotAllowed(
            f"Only {slack_escape(vendor.name)}'s contacts and the internal team can {doing}."
        )


# --------------------------------------------------------------------------- change requests


@dataclass
class ChangeView:
    """A change request with what its message needs."""

    change: ChangeRequest
    vendor: Vendor
    deadline: Deadline | None
    vendor_tz: ZoneInfo
    user_tz: ZoneInfo | None = None
    moved: bool = False
    day_off: str | None = None  # the new date is a weekend day or a public holiday


def request_move(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    number: int,
    when_text: str,
    reason: str,
) -> ChangeView:
    """`deadline move <n> <when> reason "<why>"`: a change request, not an edit."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_bot_in_channel(runtime, vendor)  # the answer is a post there
    deadline = _by_number(session, vendor, number, usage="deadline move")
    if deadline.state == CANCELLED:
        _require_open(deadline, "move")
    if deadline.state == DONE:
        raise UserError(f"#{deadline.number} {deadline.title} is done; there is nothing to move.")
    now = runtime.clock.now()
    tz = reading_zone(runtime, vendor, actor)
    when = parse_when(when_text, tz=tz, now=now)
    vtz = deadline_zone(runtime, vendor)
    if when.at == deadline.due_at:
        raise UserError(
            f"#{deadline.number} is already due {format_local(deadline.due_at, vtz)}.",
            usage=USAGE["deadline move"],
        )
    existing = pending_change(session, deadline)
    if existing is not None:
        raise UserError(
            f"#{deadline.number} already has a change waiting for approval (to "
            f"{format_local(existing.new_due_at, vtz) if existing.new_due_at else '?'}, asked by "
            f"<@{existing.requested_by}>). Approve or decline that one first."
        )
    reason = " ".join(reason.split())
    cr = ChangeRequest(
        vendor_id=vendor.id,
        deadline_id=deadline.id,
        kind="move",
        description=f"Move #{deadline.number} {deadline.title}",
        reason=reason,
        old_due_at=deadline.due_at,
        new_due_at=when.at,
        state=PENDING,
        requested_by=actor.user_id,
        requested_at=now,
        channel_id=vendor.channel_id,
    )
    session.add(cr)
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="change.request",
        subject=f"change #{cr.id}: move deadline #{deadline.number}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "change_id": cr.id,
            "deadline_id": deadline.id,
            "old_due_at": deadline.due_at.isoformat(),
            "new_due_at": when.at.isoformat(),
            "reason": reason,
        },
    )
    return ChangeView(
        change=cr,
        vendor=vendor,
        deadline=deadline,
        vendor_tz=vtz,
        user_tz=user_zone(runtime, actor.team_id, actor.user_id),
        day_off=day_off_note(when.at, vtz, vendor.country),
    )


def request_change(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, description: str
) -> ChangeView:
    """`/outsource change "<what changes>"`: a scope or priority change both sides approve."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    require_bot_in_channel(runtime, vendor)  # the answer is a post there
    description = description.strip()
    if not description:
        raise UserError("Describe the change.", usage=USAGE["change"])
    if len(description) > MAX_DESCRIPTION:
        raise UserError(
            f"Keep the change description under {MAX_DESCRIPTION:,} characters.",
            usage=USAGE["change"],
        )
    now = runtime.clock.now()
    cr = ChangeRequest(
        vendor_id=vendor.id,
        kind="scope",
        description=description,
        state=PENDING,
        requested_by=actor.user_id,
        requested_at=now,
        channel_id=vendor.channel_id,
    )
    session.add(cr)
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="change.request",
        subject=f"change #{cr.id}: {description[:150]}",
        at=now,
        vendor_id=vendor.id,
        detail={"change_id": cr.id, "description": description},
    )
    return ChangeView(
        change=cr, vendor=vendor, deadline=None, vendor_tz=deadline_zone(runtime, vendor)
    )


def withdraw_change(
    session: Session, *, runtime: Runtime, actor: Actor, channel_id: str, number: int
) -> ChangeView:
    """`change withdraw <n>`: the side that asked for the change takes it back. Its message then
    says so and its buttons change nothing."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
    cr = session.get(ChangeRequest, number, with_for_update=True)
    if cr is None or cr.vendor_id != vendor.id:
        raise NotFound(
            f"There is no change request #{number} in this channel. The number is on the "
            "request's message (📝 Change request #…).",
            usage=USAGE["change withdraw"],
        )
    asking = _requesting_side(runtime, vendor, cr)
    mine = side_of(runtime, vendor, actor)
    if mine is None or (actor.user_id != cr.requested_by and mine != asking):
        party = {VENDOR: f" ({slack_escape(vendor.name)}'s side)", INTERNAL: " (the internal team)"}
        raise NotAllowed(
            f"Only the side that asked for change request #{cr.id}{party.get(asking or '', '')} "
            "can withdraw it; "
            "nothing was changed. To turn it down, use its Decline button."
        )
    if cr.state == WITHDRAWN:
        raise UserError(f"<@{cr.withdrawn_by}> withdrew change request #{cr.id} already.")
    if cr.state == CANCELLED:
        raise UserError(
            f"Change request #{cr.id} was closed already: its deadline is no longer open."
        )
    if cr.state != PENDING:
        raise UserError(
            f"Change request #{cr.id} was {cr.state} already; there is nothing to withdraw. "
            "To change things again, make a new request."
        )
    now = runtime.clock.now()
    cr.state = WITHDRAWN
    cr.withdrawn_by = actor.user_id
    cr.withdrawn_at = now
    cr.resolved_at = now
    deadline = session.get(Deadline, cr.deadline_id) if cr.deadline_id else None
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="change.withdraw",
        subject=f"change #{cr.id}" + (f": move deadline #{deadline.number}" if deadline else ""),
        at=now,
        vendor_id=vendor.id,
        detail={"change_id": cr.id, "side": mine},
    )
    return ChangeView(
        change=cr, vendor=vendor, deadline=deadline, vendor_tz=deadline_zone(runtime, vendor)
    )


def _requesting_side(runtime: Runtime, vendor: Vendor, cr: ChangeRequest) -> str | None:
    """The side of the person who asked for the change (looked up now: a registered contact,
    else by their organization)."""
    try:
        user = runtime.directory.user(vendor.team_id, cr.requested_by)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError):
        user = None  # unknown: only the requester themselves may withdraw
    requester = Actor(
        user_id=cr.requested_by,
        user_team_id=user.team_id if user is not None else None,
        team_id=vendor.team_id,
        team_known=user is not None,
    )
    return side_of(runtime, vendor, requester)


def decide_change(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    change_id: int,
    channel_id: str,
    side: str,
    approve: bool,
    message_ts: str | None = None,
) -> ChangeView:
    """An Approve or Decline button of one side. Both approvals apply the change; one decline
    closes it. The wrong side's click is refused and changes nothing.

    The button must be on the message that was posted for this change request (`message_ts`
    of the click): a stale or forged message's buttons change nothing."""
    # Locked: a withdraw and an approval at once are one after the other.
    cr = session.get(ChangeRequest, change_id, with_for_update=True)
    vendor = session.get(Vendor, cr.vendor_id) if cr is not None else None
    if (
        cr is None
        or vendor is None
        or vendor.team_id != actor.team_id
        or vendor.channel_id != channel_id
        or (message_ts is not None and message_ts != _change_message_ts(session, cr))
    ):
        raise NotFound("That change request is not one of this channel's; nothing was changed.")
    doing = "approve" if approve else "decline"
    party = f"{vendor.name}'s" if side == VENDOR else "the internal team's"
    require_side(runtime, vendor, actor, side, f"{doing} this change on {party} behalf")
    vtz = deadline_zone(runtime, vendor)
    if cr.state == CANCELLED:
        closed = cr.deadline.state if cr.deadline is not None else DONE
        how = "cancelled" if closed == CANCELLED else "marked done"
        raise UserError(
            f"This change request was closed: its deadline was {how}. Nothing was changed."
        )
    if cr.state == WITHDRAWN:
        raise UserError(
            f"<@{cr.withdrawn_by}> withdrew this change request; there is nothing to "
            f"{doing} and nothing was changed."
        )
    if cr.state != PENDING:
        raise UserError(f"This change request is {cr.state} already; nothing was changed.")
    now = runtime.clock.now()
    deadline = session.get(Deadline, cr.deadline_id) if cr.deadline_id else None
    view = ChangeView(change=cr, vendor=vendor, deadline=deadline, vendor_tz=vtz)
    subject = f"change #{cr.id}" + (f": move deadline #{deadline.number}" if deadline else "")
    if not approve:
        cr.state = DECLINED
        cr.declined_by = actor.user_id
        cr.declined_at = now
        cr.resolved_at = now
        audit.record(
            session,
            team_id=vendor.team_id,
            actor=actor.user_id,
            action="change.decline",
            subject=subject,
            at=now,
            vendor_id=vendor.id,
            detail={"change_id": cr.id, "side": side},
        )
        return view
    if side == INTERNAL:
        if cr.internal_approved_by:
            raise UserError(f"<@{cr.internal_approved_by}> approved this for the internal side.")
        cr.internal_approved_by = actor.user_id
        cr.internal_approved_at = now
    else:
        if cr.vendor_approved_by:
            raise UserError(f"<@{cr.vendor_approved_by}> approved this for {vendor.name}.")
        cr.vendor_approved_by = actor.user_id
        cr.vendor_approved_at = now
    detail: dict[str, object] = {"change_id": cr.id, "side": side}
    if cr.internal_approved_by and cr.vendor_approved_by:
        if deadline is not None and deadline.state == DONE:
            raise UserError(
                f"#{deadline.number} {deadline.title} is done already; there is nothing to move."
            )
        cr.state = APPROVED
        cr.resolved_at = now
        detail["result"] = APPROVED
        if deadline is not None and cr.new_due_at is not None:
            old = deadline.due_at
            _apply_move(session, deadline, cr.new_due_at, vtz, now)
            view.moved = True
            detail.update(
                {
                    "deadline_id": deadline.id,
                    "old_due_at": old.isoformat(),
                    "new_due_at": cr.new_due_at.isoformat(),
                    "reason": cr.reason,
                    "approvers": [cr.internal_approved_by, cr.vendor_approved_by],
                }
            )
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=actor.user_id,
        action="change.approve",
        subject=subject,
        at=now,
        vendor_id=vendor.id,
        detail=detail,
    )
    return view


def _apply_move(
    session: Session, deadline: Deadline, new_due: datetime, tz: ZoneInfo, now: datetime
) -> None:
    """Both sides approved: the new date, a new revision, reminders follow the new date.

    Steps of the new date already in the past are not sent (they would arrive late); the next
    step ahead is. Reminders still waiting in the outbox for the old date are dropped. (An
    acknowledgement stands: the vendor side approved the new date.)
    """
    deadline.due_at = new_due
    deadline.revision += 1
    deadline.next_reminder_at = next_reminder_after(new_due, tz, now)
    _cancel_pending_reminders(session, deadline, "deadline moved")


def change_history(session: Session, deadline: Deadline) -> Sequence[ChangeRequest]:
    return list(
        session.scalars(
            select(ChangeRequest)
            .where(ChangeRequest.deadline_id == deadline.id)
            .order_by(ChangeRequest.requested_at, ChangeRequest.id)
        )
    )


# --------------------------------------------------------------------------- the sweep step


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


def _change_message_ts(session: Session, cr: ChangeRequest) -> str | None:
    """Where the change request's message is (posted by the outbox after its commit)."""
    ts = session.scalar(
        select(OutboxMessage.message_ts).where(
            OutboxMessage.dedupe_key == change_post_key(cr.id), OutboxMessage.state == "sent"
        )
    )
    return ts or cr.message_ts


def refresh_change_message(
    session: Session, *, team_id: str, channel_id: str, change_id: int, now: datetime
) -> None:
    """The change request's message shows its current state (chat.update after the commit,
    rendered when delivered): a decision, a withdrawal, a close."""
    update_message(
        session,
        team_id=team_id,
        channel_id=channel_id,
        of=change_post_key(change_id),
        now=now,
        kind="change_request",
        render={"kind": "change.request", "change": change_id},
    )


def change_post_key(change_id: int) -> str:
    """The outbox key of a change request's message (its updates and buttons refer to it)."""
    return f"change:{change_id}:post"


sweep_steps = [("deadlines", remind_due)]
