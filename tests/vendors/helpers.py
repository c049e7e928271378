"""Shared helpers for the vendor tests: Slack event shapes and a snapshot of what is stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bot.fakeslack import DEFAULT_BOT_USER_ID
from storage.models import AuditEntry, Contact, OutboxMessage, Vendor
from tests.harness import INTERNAL_TEAM, SHARED_CHANNEL, Harness

BOT = DEFAULT_BOT_USER_ID


def left(user: str, channel: str = SHARED_CHANNEL) -> dict[str, Any]:
    return {
        "type": "member_left_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": INTERNAL_TEAM,
        "event_ts": "1804150800.000100",
    }


def joined(user: str, channel: str = SHARED_CHANNEL, inviter: str | None = None) -> dict[str, Any]:
    event = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": INTERNAL_TEAM,
        "event_ts": "1804150800.000200",
    }
    if inviter:
        event["inviter"] = inviter
    return event


def user_change(h: Harness, user: str) -> dict[str, Any]:
    """A `user_change` event carrying the user's current profile from the fake."""
    ws = h.fake.workspace
    return {
        "type": "user_change",
        "user": ws.user_json(ws.users[user]),
        "cache_ts": 1804150800,
        "event_ts": "1804150800.000300",
    }


@dataclass(frozen=True)
class Snapshot:
    vendors: int
    contacts: int
    active_contacts: int
    audit: int
    outbox: int


def snapshot(h: Harness) -> Snapshot:
    with h.session() as s:

        def count(model: Any, *where: Any) -> int:
            return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return Snapshot(
            vendors=count(Vendor),
            contacts=count(Contact),
            active_contacts=count(Contact, Contact.ended_at.is_(None)),
            audit=count(AuditEntry),
            outbox=count(OutboxMessage),
        )


def audit_actions(h: Harness) -> list[str]:
    with h.session() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def active(h: Harness, channel: str = SHARED_CHANNEL) -> dict[tuple[str, str], str]:
    """(side, role) → user id of the channel's vendor's active contacts."""
    with h.session() as s:
        vendor = s.scalar(select(Vendor).where(Vendor.channel_id == channel))
        assert vendor is not None
        return {(c.side, c.role): c.user_id for c in vendor.contacts if c.ended_at is None}


def ephemeral_text(h: Harness, resp: Any) -> str:
    body = resp.json()
    assert resp.status == 200
    assert body["response_type"] == "ephemeral", body
    return str(body["text"])


def last_view(h: Harness) -> dict[str, Any]:
    calls = h.fake.calls("views.open")
    assert calls, "no modal was opened"
    view = calls[-1].params["view"]
    assert isinstance(view, dict)
    return view


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for block in message.get("blocks") or []:
        for el in block.get("elements") or []:
            if el.get("type") == "button":
                found.append(el)
    return found


def deliver(h: Harness) -> None:
    """Deliver what is due in the outbox, as the sweep does after its steps (without running
    other capabilities' steps, which these tests don't need)."""
    h.outbox.deliver_due(h.clock.now())
