"""Slack event hygiene: every event the manifest subscribes to has a listener (Bolt answers
404 to an unhandled event and Slack retries it), every listened-to event is subscribed, and
the OAuth install asks for the manifest's scopes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from handlers.oauth import BOT_SCOPES
from tests.harness import (
    INTERNAL_TEAM,
    OWNER,
    PLAIN_CHANNEL,
    PRIYA,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Harness,
)

ROOT = Path(__file__).resolve().parents[2]


def manifest_list(key: str) -> list[str]:
    """The items of a block list like `bot_events:` in manifest.yml (no YAML library needed)."""
    lines = (ROOT / "manifest.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{key}:")
    indent = len(lines[start]) - len(lines[start].lstrip())
    items = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(line) - len(line.lstrip()) <= indent or not stripped.startswith("- "):
            break
        items.append(stripped[2:].strip())
    return items


def sample_event(name: str, h: Harness) -> dict[str, Any]:
    user = h.fake.workspace.user_json(h.fake.workspace.users[PRIYA])
    ts = "1801000000.000100"
    samples: dict[str, dict[str, Any]] = {
        "message.channels": {
            "type": "message",
            "user": OWNER,
            "text": "hi",
            "ts": ts,
            "channel": PLAIN_CHANNEL,
            "channel_type": "channel",
        },
        "message.groups": {
            "type": "message",
            "user": OWNER,
            "text": "hi",
            "ts": ts,
            "channel": "G_PRIVATE",
            "channel_type": "group",
        },
        "member_joined_channel": {
            "type": "member_joined_channel",
            "user": PRIYA,
            "channel": SHARED_CHANNEL,
            "channel_type": "C",
            "team": VENDOR_TEAM,
        },
        "member_left_channel": {
            "type": "member_left_channel",
            "user": PRIYA,
            "channel": SHARED_CHANNEL,
            "channel_type": "C",
            "team": VENDOR_TEAM,
        },
        "channel_shared": {
            "type": "channel_shared",
            "connected_team_id": VENDOR_TEAM,
            "channel": SHARED_CHANNEL,
            "event_ts": ts,
        },
        "channel_unshared": {
            "type": "channel_unshared",
            "previously_connected_team_id": VENDOR_TEAM,
            "channel": SHARED_CHANNEL,
            "is_ext_shared": False,
            "event_ts": ts,
        },
        "user_change": {"type": "user_change", "user": user, "event_ts": ts},
        "app_home_opened": {"type": "app_home_opened", "user": OWNER, "tab": "home"},
        "app_uninstalled": {"type": "app_uninstalled"},
        "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}},
    }
    return samples[name]


SUBSCRIBED = manifest_list("bot_events")


@pytest.mark.parametrize("name", SUBSCRIBED)
def test_every_subscribed_event_has_a_listener(harness: Harness, name: str) -> None:
    resp = harness.event(sample_event(name, harness), team_id=INTERNAL_TEAM)
    assert resp.status == 200, f"{name}: Bolt answered {resp.status}; Slack would retry it"


def test_every_listened_to_event_is_subscribed() -> None:
    listened = set()
    for path in (ROOT / "handlers").glob("*.py"):
        listened |= set(re.findall(r"app\.event\(\s*\"(\w+)\"", path.read_text()))
    subscribed = {e.split(".")[0] for e in SUBSCRIBED}
    assert listened - subscribed == set()
    assert "message" in listened  # the one fan-out listener for message.channels/groups


def test_oauth_asks_for_exactly_the_manifests_bot_scopes() -> None:
    assert sorted(BOT_SCOPES) == sorted(manifest_list("bot"))
