"""Fan-out of channel messages to every capability that watches them.

Bolt runs only the first listener that matches an event, so there is one `message` listener
(handlers/messages.py) and each capability adds an observer here: response-time clocks,
silence tracking, check-in thread answers, call mentions, transcript files, meeting-note bots.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import exists
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.modules import import_modules
from bot.services.vendors.lookup import VENDOR_WITH_CONTACTS
from storage.models import ResponseClock, Vendor

log = logging.getLogger(__name__)


@dataclass
class ChannelMessage:
    """A message event in a vendor channel, with who sent it."""

    vendor: Vendor
    event: dict[str, Any]
    actor: Actor | None  # None for bot messages
    # False when the vendor lookup saw no running response clock of this vendor: the
    # response-time observer then need not ask again.
    may_have_running_clocks: bool = True

    @property
    def text(self) -> str:
        return str(self.event.get("text") or "")

    @property
    def ts(self) -> str:
        return str(self.event.get("ts") or "")

    @property
    def thread_ts(self) -> str | None:
        return self.event.get("thread_ts")

    @property
    def subtype(self) -> str | None:
        return self.event.get("subtype")

    @property
    def is_bot(self) -> bool:
        return bool(self.event.get("bot_id")) or self.subtype == "bot_message"


MessageObserver = Callable[[Session, Runtime, ChannelMessage], None]

# Modules that define `message_observers: list[MessageObserver]`.
OBSERVER_MODULES = [
    "bot.services.vendors",
    "bot.services.recaps.observation",
    "bot.services.checkins",
    "bot.services.responsiveness",
]


@cache
def load_observers() -> tuple[MessageObserver, ...]:
    observers: list[MessageObserver] = []
    for module in import_modules(OBSERVER_MODULES):
        observers.extend(getattr(module, "message_observers", []))
    return tuple(observers)


# The active vendor of the channel with its contacts (`vendor_for_channel`'s statement), and
# whether any of its response clocks is running, in one round trip: every vendor-side message
# would otherwise ask for the running clocks separately, and almost always find none. Built
# once: constructing a statement costs more CPU than running it.
_ANY_RUNNING_CLOCK = (
    exists()
    .where(ResponseClock.vendor_id == Vendor.id, ResponseClock.stopped_at.is_(None))
    .label("any_running_clock")
)
_VENDOR_OF_MESSAGE = VENDOR_WITH_CONTACTS.add_columns(_ANY_RUNNING_CLOCK)

IGNORED_SUBTYPES = {
    "message_changed",
    "message_deleted",
    "channel_join",
    "channel_leave",
    "channel_topic",
    "channel_purpose",
    "channel_name",
    "reminder_add",
}


def observe_message(
    session: Session, runtime: Runtime, team_id: str, event: dict[str, Any], actor: Actor | None
) -> int:
    """Hand a message event to every observer. Returns how many observers saw it."""
    subtype = event.get("subtype")
    if subtype is not None and (not isinstance(subtype, str) or subtype in IGNORED_SUBTYPES):
        return 0
    channel_id = event.get("channel")
    if not isinstance(channel_id, str) or not channel_id:
        return 0  # no channel, or not one Slack would send: nothing to observe
    # Every message in every channel the bot is in comes here: one round trip for the vendor
    # and its contacts (the observers ask which side the author is on).
    params = {"vendor_team_id": team_id, "vendor_channel_id": channel_id}
    row = session.execute(_VENDOR_OF_MESSAGE, params).unique().first()
    if row is None:
        return 0
    vendor, any_running_clock = row
    message = ChannelMessage(
        vendor=vendor, event=event, actor=actor, may_have_running_clocks=bool(any_running_clock)
    )
    observers = load_observers()
    for observer in observers:
        observer(session, runtime, message)
    return len(observers)
