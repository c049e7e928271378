"""Access inventory: internal-only, ephemeral; never in a call to the vendor channel."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from storage.models import AccessItem, AuditEntry, Vendor
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


def _rows(h: Harness) -> list[tuple[str, str | None, bool]]:
    with h.session() as s:
        return [
            (a.system, a.user_id, a.revoked_at is not None)
            for a in s.scalars(select(AccessItem).order_by(AccessItem.id))
        ]


def test_access_remove_revokes_every_current_row_of_the_system(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor("Acme Dev")
    h.command("access add GitHub <@U_PRIYA>")
    h.command("access add GitHub <@U_RAVI>")
    h.command("access add Jira")
    body = h.command("access remove github").json()
    assert body["response_type"] == "ephemeral"
    assert "Removed from the access inventory of Acme Dev: *GitHub*" in body["text"]
    assert "<@U_PRIYA>" in body["text"] and "<@U_RAVI>" in body["text"]
    assert "1 on record now" in body["text"]
    assert _rows(h) == [("GitHub", PRIYA, True), ("GitHub", "U_RAVI", True), ("Jira", None, False)]
    with h.session() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "access.remove")).all()
        assert entry.actor == OWNER and entry.detail["user_ids"] == [PRIYA, "U_RAVI"]
        revoked = s.scalars(select(AccessItem).where(AccessItem.revoked_at.is_not(None))).all()
        assert {a.revoked_by for a in revoked} == {OWNER}
    # The list shows it struck through, under "Revoked".
    listing = json.dumps(h.command("access list").json()["blocks"])
    assert "*Revoked*" in listing and "~GitHub~" in listing
    # Nothing of it in the vendor channel.
    assert h.posts(SHARED_CHANNEL) == []

    # Again: already removed, nothing changes and nothing more is audited.
    again = h.command("access remove GitHub").json()
    assert "already removed" in again["text"]
    # A system never recorded: said so, with what is on record.
    unknown = h.command("access remove AWS").json()
    assert "There is no *AWS*" in unknown["text"] and "*Jira*" in unknown["text"]
    assert "/outsource access remove <system>" in unknown["text"].replace("&lt;", "<").replace(
        "&gt;", ">"
    )
    with h.session() as s:
        assert (
            len(s.scalars(select(AuditEntry).where(AuditEntry.action == "access.remove")).all())
            == 1
        )
    # Added again later, it is a new current row.
    h.command("access add GitHub <@U_PRIYA>")
    assert _rows(h)[-1] == ("GitHub", PRIYA, False)


def test_access_remove_is_refused_to_the_vendor_side_and_outside_vendor_channels(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    h.command("access add GitHub")
    refused = h.command("access remove GitHub", user=PRIYA, team_id="T_VENDOR").json()
    assert "for the team" in refused["text"]
    assert (
        "not a vendor channel"
        in h.command("access remove GitHub", channel="C_PLAIN").json()["text"]
    )
    for typed in ("access remove", "access remove GitHub <@U_PRIYA>"):
        assert "/outsource access remove" in h.command(typed).json()["text"], typed
    assert _rows(h) == [("GitHub", None, False)]


def test_access_add_for_someone_not_in_the_channel_is_refused(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    # Typed as text (no one picked from the @ menu): never stored as "GitHub @nobody".
    nobody = h.command("access add GitHub @nobody").json()
    assert "@nobody" in nobody["text"] and "pick the person" in nobody["text"]
    # A real person, but not in the vendor's channel: named, not mentioned.
    mallory = h.command("access add GitHub <@U_MALLORY|mallory>").json()
    assert "Mallory Evans is not in this channel" in mallory["text"]
    assert "<@U_MALLORY" not in mallory["text"]
    # An id Slack does not know.
    ghost = h.command("access add GitHub <@U_GHOST>").json()
    assert "can't find" in ghost["text"]
    assert _rows(h) == []
    # Someone in the channel is fine.
    h.command("access add GitHub <@U_RAVI>")
    assert _rows(h) == [("GitHub", "U_RAVI", False)]


def test_access_views_escape_what_people_typed_once(harness: Harness) -> None:
    h = harness
    h.make_vendor("R&D <Labs>")
    # What Slack sends when someone types: access add AT&T <portal> <!here>
    added = h.command("access add AT&amp;T &lt;portal&gt; &lt;!here&gt;").json()
    assert "*AT&amp;T &lt;portal&gt; &lt;!here&gt;*" in added["text"]
    assert "R&amp;D &lt;Labs&gt;" in added["text"]
    listing = h.command("access list").json()
    shown = json.dumps(listing)
    assert "AT&amp;T &lt;portal&gt; &lt;!here&gt;" in shown
    assert "<!here>" not in shown and "&amp;amp;" not in shown and "<portal>" not in shown
    removed = h.command("access remove at&amp;t &lt;portal&gt; &lt;!here&gt;").json()
    assert "*AT&amp;T &lt;portal&gt; &lt;!here&gt;*" in removed["text"]
