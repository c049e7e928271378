"""Deadlines added: `/outsource deadline add` and the deadlines of call recaps
(`add_deadline`), a deadline's title, and who may own one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.errors import NotFound, UserError
from bot.services.deadlines.common import OPEN, by_number
from bot.services.deadlines.schedule import next_reminder_after
from bot.services.deadlines.zones import deadline_zone, reading_zone, user_zone
from bot.services.vendors.lookup import require_bot_in_channel, require_vendor, vendor_primary
from bot.slack.client import LookupDeferred
from bot.text.commands import MAX_TITLE, USAGE
from bot.text.escaping import slack_escape
from bot.time.calendar import day_off_note
from bot.time.timeparse import When, parse_when
from storage.models import Deadline, Vendor


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
        parent = by_number(session, vendor, parent_number, usage="deadline add")
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
