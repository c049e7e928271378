"""What a recap says: the decisions, action items and open questions extracted from its text,
the people who may own an action item, and the deadlines that action items with an owner and a
due date become."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.app.runtime import Runtime
from bot.services.deadlines.creation import add_deadline
from bot.services.vendors.lookup import (
    active_contacts,
    internal_primary,
    vendor_primary,
    vendor_zone,
)
from bot.slack.client import LookupDeferred
from bot.text.commands import MAX_TITLE
from storage.models import INTERNAL, VENDOR, Recap, Vendor

if TYPE_CHECKING:
    # Imported where used: the extractor (and dateparser) cost a sweep start-up ~0.2 s.
    from bot.text.extraction import ActionItem, Extraction, Person, Side

log = logging.getLogger(__name__)

# Channel members looked up (users.info, cached) to resolve owners by name; vendor channels are
# small, and this bounds the work done while Slack waits for the modal's answer.
MAX_PEOPLE = 60


def possible_owners(runtime: Runtime, vendor: Vendor) -> list[Person]:
    """Who may own an action item: the channel's members and both sides' contacts."""
    from bot.text.extraction import Person

    ids: list[str] = [c.user_id for c in active_contacts(vendor)]
    try:
        ids += runtime.directory.channel_members(vendor.team_id, vendor.channel_id)[:MAX_PEOPLE]
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError):
        log.info(
            "could not list members of %s; owners resolve among contacts only", vendor.channel_id
        )
    sides = {c.user_id: c.side for c in active_contacts(vendor)}
    people: list[Person] = []
    for user_id in dict.fromkeys(ids):
        try:
            user = runtime.directory.user(vendor.team_id, user_id)
        except LookupDeferred:
            raise
        except (SlackApiError, LookupError):
            user = None
        if user is not None and (user.is_bot or user.deleted):
            continue
        side = sides.get(user_id)
        if side is None and user is not None:
            if user.team_id and user.team_id in (vendor.external_team_ids or []):
                side = VENDOR
            elif user.team_id and user.team_id != vendor.team_id:
                continue  # a third organization: nobody's owner here
            else:
                side = VENDOR if (user.is_guest and not vendor.is_ext_shared) else INTERNAL
        if side is None:
            continue
        names = [user.real_name, user.display_name, user.name] if user else []
        people.append(
            Person(user_id, tuple(n for n in names if n) or (user_id,), cast("Side", side))
        )
    return people


def extract_items(runtime: Runtime, vendor: Vendor, text: str, call_at: datetime) -> Extraction:
    from bot.text.extraction import extract

    we = internal_primary(vendor)
    they = vendor_primary(vendor)
    return extract(
        text,
        call_at=call_at,
        tz=vendor_zone(vendor),
        people=possible_owners(runtime, vendor),
        we_user_id=we.user_id if we else None,
        they_user_id=they.user_id if they else None,
    )


def extraction_text(recap_text: str, transcript_text: str | None) -> str:
    if transcript_text:
        return f"{recap_text}\n\n{transcript_text}"
    return recap_text


def items_of(recap: Recap) -> tuple[Extraction, list[int | None]]:
    """A recap's extracted items and, per action item, the number of its deadline (or None)."""
    from bot.text.extraction import Extraction

    data = dict(recap.extracted or {})
    numbers = list(data.pop("deadline_numbers", []) or [])
    ext = Extraction.from_dict(data)
    numbers += [None] * (len(ext.action_items) - len(numbers))
    return ext, numbers


def item_key(item: Any) -> tuple[str, str | None, str | None]:
    due = item.due_at.astimezone(UTC).isoformat() if item.due_at else None
    return (" ".join(item.what.lower().split()), item.owner_user_id, due)


def sync_deadlines(
    session: Session,
    *,
    runtime: Runtime,
    vendor: Vendor,
    recap: Recap,
    ext: Extraction,
    numbers: list[int | None],
    actor_user_id: str,
    now: datetime,
    settled: bool,
) -> list[int | None]:
    """Deadlines for action items with an owner and a due date.

    Items whose owner and date were read with certainty become deadlines at once; the unsure
    ones when both sides have confirmed the record (their confirmation settles them)."""
    numbers = list(numbers) + [None] * (len(ext.action_items) - len(numbers))
    for i, item in enumerate(ext.action_items):
        if numbers[i] is not None or not (item.owner_user_id and item.due_at):
            continue
        if not (settled or (item.owner_sure and item.due_sure)):
            continue
        title = deadline_title(item)
        deadline = add_deadline(
            session,
            runtime=runtime,
            vendor=vendor,
            title=title,
            due_at=item.due_at,
            owner_user_id=item.owner_user_id,
            actor_user_id=actor_user_id,
            now=now,
            recap_id=recap.id,
        )
        numbers[i] = deadline.number
    return numbers


def deadline_title(item: ActionItem) -> str:
    """A deadline's title from an action item, without the item's trailing due phrase: the
    deadline shows its own date, and "… by next Wednesday" reads wrong once days pass (the
    recap record keeps the item as written)."""
    what = " ".join(item.what.split())
    due = " ".join((item.due_text or "").split())
    if due:
        stripped = what.rstrip(" .!;,")
        if stripped.lower().endswith(due.lower()):
            cut = stripped[: len(stripped) - len(due)].rstrip(" ,;:-–—(")
            if len(cut.split()) >= 2:  # "Due Friday" alone keeps its words
                what = cut
    return what[:MAX_TITLE] or "Action item from a call recap"


def store_extraction(recap: Recap, ext: Extraction, numbers: list[int | None]) -> None:
    recap.extracted = {**ext.to_dict(), "deadline_numbers": numbers}
