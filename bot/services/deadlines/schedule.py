"""A deadline's reminder schedule.

Reminder steps (DESIGN §4): due − 72 h, due − 24 h, at due, then once a day after due, three
times. The steps are counted in the vendor's *wall clock* — "three days before, at the same local
time" — so across a DST change a reminder still fires at the deadline's local time of day (the
"72 h" step is then 71 or 73 real hours ahead; nobody wants a 16:00 reminder for a 17:00 deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.time.timeparse import wall_to_utc
from storage.models import Deadline


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


def reminder_key(deadline: Deadline, step: ReminderStep) -> str:
    rev = "" if deadline.revision == 0 else f"r{deadline.revision}:"
    return f"deadline:{deadline.id}:{rev}{step.name}"
