"""`contact set` on both sides (primary and backup), `contacts`, and the contact history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import Contact
from tests.harness import ALEX, OWNER, PLAIN_CHANNEL, PRIYA, RAVI, Harness
from tests.vendors.helpers import active, audit_actions, ephemeral_text, snapshot


def test_contacts_of_both_sides_with_backups(harness: Harness) -> None:
    harness.command("vendor add Acme Dev tz Asia/Kolkata country IN")
    replies = [
        ephemeral_text(harness, harness.command(text))
        for text in (
            f"contact set internal <@{OWNER}|dana>",
            f"contact set internal <@{ALEX}> backup",
            f"contact set vendor <@{PRIYA}|priya>",
            f"contact set vendor <@{RAVI}> backup",
        )
    ]
    assert replies == [
        "✅ <@U_DANA> is now *Acme Dev*'s internal primary contact.",
        "✅ <@U_ALEX> is now *Acme Dev*'s internal backup contact.",
        "✅ <@U_PRIYA> is now *Acme Dev*'s vendor primary contact.",
        "✅ <@U_RAVI> is now *Acme Dev*'s vendor backup contact.",
    ]
    assert active(harness) == {
        ("internal", "primary"): OWNER,
        ("internal", "backup"): ALEX,
        ("vendor", "primary"): PRIYA,
        ("vendor", "backup"): RAVI,
    }
    with harness.session() as s:
        priya = s.scalar(select(Contact).where(Contact.user_id == PRIYA))
        assert priya is not None
        assert (priya.user_team_id, priya.display_name) == ("T_VENDOR", "Priya Sharma")
        assert priya.started_at == harness.clock.now()


def test_contacts_shows_names_local_time_and_working_hours(harness: Harness) -> None:
    harness.make_vendor(
        "Acme Dev", tz="Asia/Kolkata", country="IN", internal=(OWNER, ALEX), vendor=(PRIYA, RAVI)
    )
    # Monday 2027-03-01 09:00 UTC: 09:00 in London, 04:00 in New York, 14:30 in Kolkata.
    text = ephemeral_text(harness, harness.command("contacts"))
    lines = text.splitlines()
    assert lines[0] == (
        "*Contacts of Acme Dev* — <#C_ACME> · vendor time now 14:30 IST Mon (Asia/Kolkata)"
    )
    assert (
        "• Primary: *Dana Scully* (<@U_DANA>) · local time 09:00 GMT Mon (Europe/London) · "
        "works Mon–Fri 09:00–17:00 · 🟢 working now"
    ) in lines
    assert (
        "• Backup: *Alex Kim* (<@U_ALEX>) · local time 04:00 EST Mon (America/New_York) · "
        "works Mon–Fri 09:00–17:00 · outside working hours"
    ) in lines
    assert (
        "• Primary: *Priya Sharma* (<@U_PRIYA>) · local time 14:30 IST Mon (Asia/Kolkata) · "
        "works Mon–Fri 09:00–17:00 · 🟢 working now"
    ) in lines
    assert lines.index("*Internal side*") < lines.index("*Acme Dev's side*")
    assert text.index("Dana Scully") < text.index("Alex Kim") < text.index("Priya Sharma")
    assert text.index("Priya Sharma") < text.index("Ravi Patel")


def test_contacts_follow_the_clock_and_the_vendors_holidays(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", tz="Asia/Kolkata", country="IN", vendor=(PRIYA,))
    harness.clock.set(datetime(2027, 3, 6, 9, 0, tzinfo=UTC))  # a Saturday
    text = ephemeral_text(harness, harness.command("contacts"))
    assert "local time 14:30 IST Sat (Asia/Kolkata) · works Mon–Fri 09:00–17:00 · day off" in text
    # A user's new Slack timezone shows once the profile change arrives.
    harness.fake.workspace.update_user(OWNER, tz="Asia/Tokyo")
    harness.event({"type": "user_change", "user": {"id": OWNER, "team_id": "T_INTERNAL"}})
    text = ephemeral_text(harness, harness.command("contacts"))
    assert "(<@U_DANA>) · local time 18:00 JST Sat (Asia/Tokyo)" in text


def test_contacts_says_who_is_missing_and_how_to_set_them(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=())
    text = ephemeral_text(harness, harness.command("contacts"))
    assert "• Backup: _none_ — `/outsource contact set internal @someone backup`" in text
    assert "• Primary: _none_ — `/outsource contact set vendor @someone`" in text


def test_replacing_a_contact_ends_the_old_row_instead_of_deleting_it(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
    harness.clock.set(datetime(2027, 3, 2, 10, 0, tzinfo=UTC))

    # Ravi moves up from backup to primary, replacing Priya.
    text = ephemeral_text(harness, harness.command(f"contact set vendor <@{RAVI}>"))
    assert text == (
        "✅ <@U_RAVI> is now *Acme Dev*'s vendor primary contact "
        "(was the backup; replacing <@U_PRIYA>)."
    )
    assert active(harness) == {("internal", "primary"): OWNER, ("vendor", "primary"): RAVI}
    with harness.session() as s:
        rows = [
            (c.user_id, c.role, c.ended_reason, c.ended_at)
            for c in s.scalars(select(Contact).where(Contact.side == "vendor").order_by(Contact.id))
        ]
    now = harness.clock.now()
    assert rows == [
        (PRIYA, "primary", "replaced", now),
        (RAVI, "backup", "moved to primary", now),
        (RAVI, "primary", None, None),
    ]
    assert audit_actions(harness) == ["contact.set"]


def test_setting_the_same_person_again_changes_nothing(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", vendor=(PRIYA,))
    before = snapshot(harness)
    text = ephemeral_text(harness, harness.command(f"contact set vendor <@{PRIYA}>"))
    assert text == "<@U_PRIYA> already is *Acme Dev*'s vendor primary contact; nothing changed."
    assert snapshot(harness) == before


def test_in_an_ordinary_channel_the_vendor_side_is_anyone_of_our_workspace(
    harness: Harness,
) -> None:
    harness.make_vendor(
        "Beta Co", channel=PLAIN_CHANNEL, internal=(OWNER,), vendor=(), shared=False
    )
    text = ephemeral_text(
        harness, harness.command(f"contact set vendor <@{ALEX}>", channel=PLAIN_CHANNEL)
    )
    assert "is now *Beta Co*'s vendor primary contact" in text
    # … but not someone of another organization, and never one person on both sides.
    text = ephemeral_text(
        harness, harness.command(f"contact set vendor <@{PRIYA}> backup", channel=PLAIN_CHANNEL)
    )
    assert "belongs to another organization, and this channel is not shared" in text
    text = ephemeral_text(
        harness, harness.command(f"contact set vendor <@{OWNER}> backup", channel=PLAIN_CHANNEL)
    )
    assert "already *Beta Co*'s internal primary contact; one person can't be on both sides" in text
    assert active(harness, PLAIN_CHANNEL) == {
        ("internal", "primary"): OWNER,
        ("vendor", "primary"): ALEX,
    }
