"""Offboarding: a checklist in the requester's DM; the vendor is archived only when every item
is done; running it twice resumes the same checklist; the vendor never sees any of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from storage.models import AccessItem, AuditEntry, Vendor
from storage.models.records import OffboardingChecklist, OffboardingItem
from tests.harness import INTERNAL_TEAM, OWNER, PRIYA, RAVI, SHARED_CHANNEL, Harness
from tests.overview.data import add_deadline, add_recap


def _setup(h: Harness) -> int:
    vid = h.make_vendor("Acme Dev")
    now = h.clock.now()
    add_deadline(h, vid, 1, "Open deliverable", now + timedelta(days=3))
    add_deadline(h, vid, 2, "Finished one", now - timedelta(days=3), state="done", done_at=now)
    add_recap(h, vid, "Unconfirmed call notes", now - timedelta(days=1))
    h.command("access add GitHub <@U_PRIYA>")
    h.command("access add Staging VPN")
    return vid


def checklist(h: Harness) -> dict[str, Any]:
    """The current state of the checklist message in Dana's DM (as Slack stores it)."""
    dm = h.fake.workspace.dm_channel_id(OWNER)
    found = [m for m in h.fake.messages(dm) if "Offboarding" in (m.get("text") or "")]
    assert found, "no checklist in the DM"
    message = dict(found[-1])
    message["channel"] = dm
    return message


def done_buttons(message: dict[str, Any]) -> int:
    return sum(
        1
        for b in message.get("blocks") or []
        if (b.get("accessory") or {}).get("action_id") == "offboard_item_done_internal"
    )


def vendor_archived(h: Harness, vid: int) -> bool:
    with h.session() as s:
        v = s.get(Vendor, vid)
        assert v is not None
        return v.archived_at is not None


def test_checklist_lists_everything_and_completes_only_when_all_done(any_harness: Harness) -> None:
    h = any_harness
    vid = _setup(h)
    body = h.command("offboard").json()
    assert "in your DM" in body["text"]
    message = checklist(h)
    text = str(message["blocks"])
    # Every access row, every external member, the open deadline, the unconfirmed recap.
    for needle in ("GitHub", "Staging VPN", PRIYA, RAVI, "Open deliverable", "Unconfirmed call"):
        assert needle in text, needle
    assert "Finished one" not in text
    assert "U_ALEX" not in text  # internal members are not on the list
    total = done_buttons(message)
    assert total == 6
    assert "0 of 6 done" in message["text"]

    for i in range(total - 1):
        h.click_button(checklist(h), "Done", channel=checklist(h)["channel"])
        assert f"{i + 1} of 6 done" in checklist(h)["text"]
        assert not vendor_archived(h, vid)
    assert done_buttons(checklist(h)) == 1
    with h.session() as s:
        # The access row of the ticked item is marked revoked.
        assert (
            s.scalar(select(func.count(AccessItem.id)).where(AccessItem.revoked_at.is_not(None)))
            == 2
        )

    h.click_button(checklist(h), "Done", channel=checklist(h)["channel"])
    assert vendor_archived(h, vid)
    final = checklist(h)
    assert "complete" in final["text"] and done_buttons(final) == 0
    with h.session() as s:
        closing = s.scalars(select(AuditEntry).where(AuditEntry.action == "engagement.close")).all()
        assert len(closing) == 1 and closing[0].vendor_id == vid
    # The final export went to the DM of the one who finished it.
    uploads = [c for c in h.fake.calls("files.completeUploadExternal") if c.ok]
    assert len(uploads) == 1
    assert uploads[0].params["channel_id"] == h.fake.workspace.dm_channel_id(OWNER)
    assert "Final written record" in uploads[0].params["initial_comment"]
    # Nothing of it went to the vendor channel.
    assert h.posts(SHARED_CHANNEL) == []


def test_offboard_twice_resumes_the_same_checklist(any_harness: Harness) -> None:
    h = any_harness
    _setup(h)
    h.command("offboard")
    first = checklist(h)
    h.click_button(first, "Done", channel=first["channel"])
    h.command("access add Jira <@U_RAVI>")  # appears after the checklist was made

    body = h.command("offboard").json()
    assert "already under way" in body["text"] and "1 of 7 done" in body["text"]
    assert "1 new items added" in body["text"]
    with h.session() as s:
        assert s.scalar(select(func.count(OffboardingChecklist.id))) == 1
        items = s.scalars(select(OffboardingItem)).all()
        assert len(items) == 7 and len({(i.kind, i.ref) for i in items}) == 7
        assert sum(1 for i in items if i.done_at) == 1
    latest = checklist(h)
    assert "Jira" in str(latest["blocks"]) and "1 of 7 done" in latest["text"]
    # The older message points to the new one instead of offering stale buttons.
    dm = h.fake.workspace.dm_channel_id(OWNER)
    older = [
        m for m in h.fake.messages(dm) if "continues in a newer message" in (m.get("text") or "")
    ]
    assert len(older) == 1

    # A third run with nothing new changes nothing.
    h.command("offboard")
    with h.session() as s:
        assert s.scalar(select(func.count(OffboardingItem.id))) == 7


def test_vendor_side_cannot_tick_items(harness: Harness) -> None:
    h = harness
    _setup(h)
    h.command("offboard")
    message = checklist(h)
    h.click_button(message, "Done", user=PRIYA, channel=message["channel"])
    with h.session() as s:
        assert (
            s.scalar(
                select(func.count(OffboardingItem.id)).where(OffboardingItem.done_at.is_not(None))
            )
            == 0
        )


def test_offboard_when_members_cannot_be_read_changes_nothing(harness: Harness) -> None:
    h = harness
    _setup(h)
    # `access add` just read the members; offboarding some time later reads them again.
    h.runtime.directory.forget_channel(INTERNAL_TEAM, SHARED_CHANNEL)
    h.fake.fail_next("conversations.members", status=200, error="not_in_channel")
    body = h.command("offboard").json()
    assert "not_in_channel" in body["text"] and "nothing was changed" in body["text"]
    with h.session() as s:
        assert s.scalar(select(func.count(OffboardingChecklist.id))) == 0
    assert h.dms(OWNER) == []


def test_nothing_to_revoke_still_needs_an_explicit_confirmation(harness: Harness) -> None:
    h = harness
    vid = h.make_vendor("Tiny Co", channel="C_PLAIN", shared=False, vendor=())
    h.command("offboard", channel="C_PLAIN")
    assert not vendor_archived(h, vid)
    message = checklist(h)
    assert "confirm the engagement" in str(message["blocks"]) and done_buttons(message) == 1
    h.click_button(message, "Done", channel=message["channel"])
    assert vendor_archived(h, vid)


def test_the_checklist_dm_is_posted_once_when_slack_accepts_then_fails(
    any_harness: Harness,
) -> None:
    h = any_harness
    _setup(h)
    h.fake.accept_then_fail("chat.postMessage")
    body = h.command("offboard").json()
    assert "in your DM" in body["text"]
    h.sweep()
    h.sweep()
    dm = h.fake.workspace.dm_channel_id(OWNER)
    assert len([m for m in h.fake.messages(dm) if "Offboarding" in (m.get("text") or "")]) == 1
    # Its buttons are bound to that one message: a tick updates it in place.
    message = checklist(h)
    h.click_button(message, "Done", channel=message["channel"])
    assert "1 of 6 done" in checklist(h)["text"]
    assert checklist(h)["ts"] == message["ts"]


def test_names_and_typed_items_in_the_checklist_stay_text(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme <!channel>", channel="C_PLAIN", shared=False, vendor=())
    h.command("access add &lt;https://evil.example|VPN&gt;", channel="C_PLAIN")
    body = h.command("offboard", channel="C_PLAIN").json()
    message = checklist(h)
    said = [body["text"], message["text"], str(message["blocks"])]
    for text in said:
        assert "<!channel>" not in text and "<https://evil" not in text, text
    assert "&lt;https://evil.example|VPN&gt;" in said[2]
