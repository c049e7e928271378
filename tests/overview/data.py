"""Direct DB setup for overview tests: the rows other capabilities would have written.

The overview capability only reads deadlines, recaps, check-ins and response clocks, so tests
set them up here instead of depending on those capabilities' commands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot import audit
from storage.models import ChangeRequest, CheckIn, Deadline, Recap, RecapRevision, ResponseClock
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL, Harness


def add_deadline(
    h: Harness,
    vendor_id: int,
    number: int,
    title: str,
    due: datetime,
    *,
    state: str = "open",
    owner: str | None = None,
    done_at: datetime | None = None,
    created_at: datetime | None = None,
) -> int:
    now = created_at or h.clock.now()
    with h.session() as s:
        d = Deadline(
            vendor_id=vendor_id,
            number=number,
            title=title,
            due_at=due,
            owner_user_id=owner,
            state=state,
            created_by=OWNER,
            created_at=now,
            done_at=done_at,
            done_by=OWNER if done_at else None,
        )
        s.add(d)
        s.flush()
        audit.record(
            s,
            team_id=INTERNAL_TEAM,
            actor=OWNER,
            action="deadline.add",
            subject=f"deadline #{number} {title}",
            at=now,
            vendor_id=vendor_id,
            detail={"deadline_id": d.id},
        )
        return d.id


def add_change(
    h: Harness,
    vendor_id: int,
    deadline_id: int,
    *,
    old: datetime,
    new: datetime,
    reason: str,
    approved_at: datetime | None = None,
) -> int:
    with h.session() as s:
        c = ChangeRequest(
            vendor_id=vendor_id,
            deadline_id=deadline_id,
            kind="move",
            description=f"Move to {new:%Y-%m-%d}",
            reason=reason,
            old_due_at=old,
            new_due_at=new,
            state="approved" if approved_at else "pending",
            requested_by=OWNER,
            requested_at=h.clock.now(),
            internal_approved_by=OWNER if approved_at else None,
            internal_approved_at=approved_at,
            vendor_approved_by="U_PRIYA" if approved_at else None,
            vendor_approved_at=approved_at,
            resolved_at=approved_at,
        )
        s.add(c)
        s.flush()
        return c.id


def add_recap(
    h: Harness,
    vendor_id: int,
    text: str,
    call_at: datetime,
    *,
    internal_confirmed_at: datetime | None = None,
    vendor_confirmed_at: datetime | None = None,
    extracted: dict[str, Any] | None = None,
    revisions: list[str] | None = None,
    created_at: datetime | None = None,
) -> int:
    with h.session() as s:
        r = Recap(
            vendor_id=vendor_id,
            channel_id=SHARED_CHANNEL,
            source="modal",
            text=text,
            call_at=call_at,
            participants=[OWNER, "U_PRIYA"],
            extracted=extracted or {},
            revision=1 + len(revisions or []),
            created_by=OWNER,
            created_at=created_at or h.clock.now(),
            internal_confirmed_by=OWNER if internal_confirmed_at else None,
            internal_confirmed_at=internal_confirmed_at,
            vendor_confirmed_by="U_PRIYA" if vendor_confirmed_at else None,
            vendor_confirmed_at=vendor_confirmed_at,
        )
        s.add(r)
        s.flush()
        for i, rev in enumerate(revisions or [], start=1):
            s.add(
                RecapRevision(
                    recap_id=r.id,
                    revision=i,
                    text=rev,
                    extracted={},
                    edited_by=OWNER,
                    edited_at=h.clock.now(),
                )
            )
        return r.id


def add_checkin(
    h: Harness,
    vendor_id: int,
    scheduled_for: datetime,
    *,
    answered_at: datetime | None = None,
    on_track: str | None = None,
    done_text: str | None = None,
    blockers_text: str | None = None,
) -> int:
    with h.session() as s:
        c = CheckIn(
            vendor_id=vendor_id,
            scheduled_for=scheduled_for,
            channel_id=SHARED_CHANNEL,
            message_ts="1700000000.000100",
            state="answered" if answered_at else "open",
            answered_by="U_PRIYA" if answered_at else None,
            answered_at=answered_at,
            via="form" if answered_at else None,
            done_text=done_text,
            blockers_text=blockers_text,
            on_track=on_track,
        )
        s.add(c)
        s.flush()
        return c.id


def add_clock(h: Harness, vendor_id: int, started: datetime, business_hours: float | None) -> int:
    """A response clock; stopped after `business_hours` (None: still waiting)."""
    with h.session() as s:
        c = ResponseClock(
            vendor_id=vendor_id,
            channel_id=SHARED_CHANNEL,
            message_ts=f"{started.timestamp():.6f}",
            started_by=OWNER,
            started_at=started,
            stopped_at=None
            if business_hours is None
            else started + timedelta(hours=business_hours),
            stopped_by=None if business_hours is None else "U_PRIYA",
            business_seconds=None if business_hours is None else business_hours * 3600,
        )
        s.add(c)
        s.flush()
        return c.id


def home_event(user: str) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D_HOME",
        "tab": "home",
        "event_ts": "1700000000.000100",
    }


def home_text(h: Harness, user: str) -> str:
    """All the text of the user's published Home, buttons included."""
    import json

    view = h.fake.workspace.view_for_user_home(user)
    assert view is not None, f"no Home published for {user}"
    return json.dumps(view["blocks"], ensure_ascii=False)


def publishes(h: Harness, user: str | None = None) -> list[Any]:
    return [
        c
        for c in h.fake.calls("views.publish")
        if c.ok and (user is None or c.params.get("user_id") == user)
    ]
