"""Small readers over what the fake Slack saw, shared by the check-in tests."""

from __future__ import annotations

from typing import Any

from tests.harness import SHARED_CHANNEL, Harness


def checkin_posts(h: Harness, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    """Top-level check-in posts (alone or inside a bundle) the channel got."""
    return [
        p
        for p in h.posts(channel)
        if not p.get("thread_ts") and "Check-in" in str(p.get("text", "")) + str(p.get("blocks"))
    ]


def stored_messages(h: Harness, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    return h.fake.messages(channel, include_replies=False)


def last_checkin_message(h: Harness, channel: str = SHARED_CHANNEL) -> dict[str, Any]:
    """The newest stored check-in message (with its ts and buttons), as users see it."""
    found = [m for m in stored_messages(h, channel) if "checkin_update_vendor" in str(m)]
    assert found, "no check-in message in the channel"
    message = dict(found[-1])
    message["channel"] = channel
    return message


def thread_replies(h: Harness, ts: str, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    return [p for p in h.posts(channel) if p.get("thread_ts") == ts]
