"""Access inventory: internal-only, ephemeral; never in a call to the vendor channel."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from storage.models import AccessItem, Vendor
from tests.harness import OWNER, PRIYA, SHARED_CHANNEL, Harness
from tests.overview.data import home_event

SECRETS = ("GitHubOrgAcme", "ProdDatabaseRO", "Jira")


def test_access_add_and_list(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    body = h.command("access add GitHubOrgAcme <@U_PRIYA>").json()
    assert body["response_type"] == "ephemeral"
    assert "Recorded: *GitHubOrgAcme* for <@U_PRIYA>" in body["text"]
    again = h.command("access add githuborgacme <@U_PRIYA|priya>").json()
    assert "Already on record" in again["text"]
    h.command("access add ProdDatabaseRO")
    listing = h.command("access list").json()
    assert listing["response_type"] == "ephemeral"
    assert "GitHubOrgAcme" in str(listing["blocks"]) and "ProdDatabaseRO" in str(listing["blocks"])
    with h.session() as s:
        assert s.scalar(select(func.count(AccessItem.id))) == 2


def test_access_add_without_a_system_says_what_to_type(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    for text in ("access add", "access add <@U_PRIYA>", "access"):
        body = h.command(text).json()
        assert "/outsource access" in body["text"], text
    assert "Which system?" in h.command("access add").json()["text"]
    with h.session() as s:
        assert s.scalar(select(func.count(AccessItem.id))) == 0


def test_access_is_refused_to_the_vendor_side_and_outside_vendor_channels(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    assert "for the team" in h.command("access list", user=PRIYA, team_id="T_VENDOR").json()["text"]
    assert "not a vendor channel" in h.command("access add Jira", channel="C_PLAIN").json()["text"]
    with h.session() as s:
        assert s.scalar(select(func.count(AccessItem.id))) == 0


def _mentions_channel(params: dict, channel: str) -> bool:
    for key in ("channel", "channel_id", "channels"):
        value = params.get(key)
        if value == channel or (isinstance(value, (list, str)) and channel in value):
            return True
    return False


def test_access_data_never_reaches_the_vendor_channel(any_harness: Harness) -> None:
    """Every overview flow that handles access rows, then every call the fake received."""
    h = any_harness
    vid = h.make_vendor("Acme Dev")
    h.command("access add GitHubOrgAcme <@U_PRIYA>")
    h.command("access add ProdDatabaseRO")
    h.command("access list")
    h.command("status")
    h.command("export md")
    h.command("export csv")
    h.event(home_event(OWNER))
    h.event(home_event(PRIYA))
    h.command("access add Jira <@U_RAVI>")
    h.command("offboard")
    h.sweep(h.clock.now())
    dm = h.fake.workspace.dm_channel_id(OWNER)

    def latest_checklist() -> dict:
        found = [m for m in h.fake.messages(dm) if "Offboarding" in (m.get("text") or "")]
        return {**found[-1], "channel": dm}

    while "offboard_item_done_internal" in json.dumps(latest_checklist().get("blocks")):
        h.click_button(latest_checklist(), "Done", channel=dm)
    with h.session() as s:
        vendor = s.get(Vendor, vid)
        assert vendor is not None and vendor.archived_at is not None  # the whole flow ran

    calls = h.fake.calls()
    assert calls, "the flows made no calls at all"
    to_vendor = [c for c in calls if _mentions_channel(c.params, SHARED_CHANNEL)]
    for call in to_vendor:
        dumped = json.dumps(call.params)
        for secret in SECRETS:
            assert secret not in dumped, (call.method, secret)
    # Nothing public was answered either: every command reply was ephemeral.
    for call in h.fake.calls("response_url"):
        assert call.params.get("response_type") != "in_channel"
    # The vendor side's Home never shows it.
    priya_home = json.dumps(h.fake.workspace.view_for_user_home(PRIYA))
    assert not any(secret in priya_home for secret in SECRETS)
    # The checks above are not vacuous: the secrets did go somewhere (Dana's DM).
    elsewhere = [c for c in calls if not _mentions_channel(c.params, SHARED_CHANNEL)]
    assert any("GitHubOrgAcme" in json.dumps(c.params) for c in elsewhere)
