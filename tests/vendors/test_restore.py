"""`vendor restore` undoes `vendor remove`; the archived record stays reachable for `export`;
the vendor channel is told of registration, changes, archiving and restoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.services import export
from handlers.middleware import EXTERNAL_COMMAND_REFUSAL
from storage.models import Deadline, Vendor
from storage.models.records import ExportRequest
from tests.deadlines.helpers import reminders
from tests.harness import OWNER, PLAIN_CHANNEL, PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness
from tests.vendors.helpers import active, audit_actions, ephemeral_text, snapshot


def _notes(h: Harness, needle: str, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    """The channel's messages (as Slack stores them) whose text holds `needle`."""
    return [m for m in h.fake.messages(channel) if needle in str(m.get("text") or "")]


def test_restore_brings_back_the_vendor_its_deadlines_and_history(harness: Harness) -> None:
    h = harness
    vid = h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    h.command('deadline add "Spec" 2027-03-10')  # 17:00 Berlin = 16:00 UTC
    removed = ephemeral_text(h, h.command("vendor remove"))
    assert "`/outsource vendor restore`" in removed
    assert len(_notes(h, "archived *Acme Dev*")) == 1  # the channel is told

    # While archived, the due − 72 h step comes and goes: nothing is posted.
    h.sweep("2027-03-08T12:00Z")
    assert reminders(h) == []

    text = ephemeral_text(h, h.command("vendor restore"))
    assert "*Acme Dev* is restored in this channel" in text
    assert "Slack Connect channel shared with *Acme Dev* (`T_VENDOR`)" in text
    with h.session() as s:
        vendor = s.get(Vendor, vid)
        assert vendor is not None and vendor.archived_at is None
        assert vendor.external_team_ids == [VENDOR_TEAM]
    assert active(h) == {("internal", "primary"): OWNER, ("vendor", "primary"): PRIYA}
    assert audit_actions(h)[-2:] == ["vendor.archive", "vendor.restore"]
    [note] = _notes(h, "brought *Acme Dev* back")
    assert "<@U_DANA>" in note["text"]
    assert "Spec" in ephemeral_text(h, h.command("deadline list"))

    # Reminders resume with the next step; the one missed while archived is not posted late.
    h.sweep("2027-03-09T16:30Z")
    [reminder] = reminders(h)
    assert "Spec" in str(reminder)
    with h.session() as s:
        deadline = s.scalars(select(Deadline)).one()
        assert deadline.next_reminder_at == datetime(2027, 3, 10, 16, 0, tzinfo=UTC)


def test_restore_is_refused_where_there_is_nothing_to_restore(harness: Harness) -> None:
    h = harness
    text = ephemeral_text(h, h.command("vendor restore", channel=PLAIN_CHANNEL))
    assert "no archived vendor to restore" in text and "vendor add" in text

    h.make_vendor("Acme Dev")
    before = snapshot(h)
    text = ephemeral_text(h, h.command("vendor restore"))
    assert text == "*Acme Dev* is active in this channel; there is nothing to restore."
    assert snapshot(h) == before

    h.command("vendor remove")
    before = snapshot(h)
    refused = ephemeral_text(h, h.command("vendor restore", user=PRIYA, team_id=VENDOR_TEAM))
    assert refused == EXTERNAL_COMMAND_REFUSAL
    assert snapshot(h) == before


def test_restore_twice_restores_once(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    h.command("vendor remove")
    h.command("vendor restore")
    again = ephemeral_text(h, h.command("vendor restore"))
    assert "nothing to restore" in again
    assert audit_actions(h) == ["vendor.archive", "vendor.restore"]
    assert len(_notes(h, "brought *Acme Dev* back")) == 1


def test_an_archived_vendors_record_can_still_be_exported(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    vid = h.make_vendor("Acme Dev")
    h.command("vendor remove")
    # Left to the sweep's upload, so this test is about finding the record, not uploading it.
    monkeypatch.setattr(export, "INLINE_LIMIT", -1)
    text = ephemeral_text(h, h.command("export"))
    assert "not a vendor channel" not in text and "Acme Dev" in text
    with h.session() as s:
        [request] = s.scalars(select(ExportRequest)).all()
        assert (request.vendor_id, request.requested_by) == (vid, OWNER)


def test_the_channel_is_told_of_registration_and_changes(harness: Harness) -> None:
    h = harness
    h.command("vendor add Acme Dev tz Europe/Berlin")
    [added] = _notes(h, "registered *Acme Dev*")
    assert "this is now its vendor channel" in added["text"] and "Europe/Berlin" in added["text"]
    h.command("vendor add Acme Dev country DE")
    [changed] = _notes(h, "changed *Acme Dev*'s settings")
    assert "country not set → DE" in changed["text"]
    h.command("vendor add Acme Dev country DE")  # nothing changes: nothing is said
    assert len(h.posts(SHARED_CHANNEL)) == 2


def test_the_registration_note_is_posted_once_when_slack_accepts_then_fails(
    harness: Harness,
) -> None:
    h = harness
    h.fake.accept_then_fail("chat.postMessage")
    text = ephemeral_text(h, h.command("vendor add Acme Dev"))
    assert "*Acme Dev* is registered" in text
    h.sweep()
    h.sweep()
    assert len(_notes(h, "registered *Acme Dev*")) == 1


def test_a_note_no_longer_true_when_delivered_is_dropped(harness: Harness) -> None:
    h = harness
    # The registration note is refused for now (the bot is not in the channel yet): it waits.
    h.fake.fail_next("chat.postMessage", status=200, error="not_in_channel")
    h.command("vendor add Acme Dev")
    h.command("vendor remove")
    h.clock.advance(timedelta(hours=1))
    h.sweep()
    # The registration note went out after the vendor was archived: it says nothing now.
    assert _notes(h, "registered *Acme Dev*") == []
    assert len(_notes(h, "archived *Acme Dev*")) == 1


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def test_vendor_names_never_become_broadcasts_or_masked_links(harness: Harness) -> None:
    h = harness
    # Typed literally; Slack sends the angle brackets escaped.
    typed = "Acme &lt;!channel&gt; &lt;https://evil.example|Click&gt;"
    shown = [ephemeral_text(h, h.command(f"vendor add {typed}"))]
    with h.session() as s:
        vendor = s.scalars(select(Vendor)).one()
        assert vendor.name == "Acme <!channel> <https://evil.example|Click>"  # stored plain
    shown.append(ephemeral_text(h, h.command("vendor list")))
    shown.append(ephemeral_text(h, h.command("contacts")))
    shown.append(ephemeral_text(h, h.command("vendor remove")))
    shown.append(ephemeral_text(h, h.command("vendor restore")))
    said = _texts([c.params for c in h.fake.calls("chat.postMessage")]) + _texts(shown)
    assert len(h.fake.calls("chat.postMessage")) == 3  # registered, archived, restored
    for text in said:
        assert "<!channel>" not in text and "<https://evil" not in text, text
    assert any("Acme &lt;!channel&gt; &lt;https://evil.example|Click&gt;" in t for t in said)
