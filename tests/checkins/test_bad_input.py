"""Bad input gets a clear ephemeral message with the right form, and changes nothing."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, Vendor
from tests.harness import PLAIN_CHANNEL, Harness


def _vendor_state(h: Harness) -> tuple:
    with h.session() as s:
        v = s.scalars(select(Vendor)).one()
        audit = len(s.scalars(select(AuditEntry)).all())
        return (
            v.checkin_days,
            v.checkin_time,
            v.checkin_tz,
            v.sla_hours,
            v.quiet_start,
            v.quiet_end,
            v.paused_until,
            audit,
        )


@pytest.mark.parametrize(
    ("command", "says", "form"),
    [
        (
            "checkin every funday 25:00",
            ["I don't know the day 'funday'", "'25:00' is not a time of day"],
            "/outsource checkin every <days> <HH:MM> [<IANA zone>]",
        ),
        (
            "checkin every mon 10:00 Mars/Olympus_Mons",
            ["I don't know the timezone 'Mars/Olympus_Mons'"],
            "/outsource checkin every <days> <HH:MM> [<IANA zone>]",
        ),
        (
            "checkin every sat 10:00",
            ["weekend"],
            "/outsource checkin every <days> <HH:MM> [<IANA zone>]",
        ),
        ("sla -3", ["between 0.5 and 200"], "/outsource sla <hours>"),
        ("sla 0", ["between 0.5 and 200"], "/outsource sla <hours>"),
        ("sla soon", ["not a number of hours"], "/outsource sla <hours>"),
        ("pause forever", ["A pause needs an end"], "/outsource pause <duration>"),
        ("pause 6 months", ["months and years"], "/outsource pause <duration>"),
        ("quiet 9-9", ["starts and ends at the same time"], "/outsource quiet <HH:MM>-<HH:MM>"),
        ("quiet 19:00-19:00", ["start and end at the same time"], "/outsource quiet"),
    ],
)
def test_bad_input_says_what_is_wrong_and_changes_nothing(
    harness: Harness, command: str, says: list[str], form: str
) -> None:
    h = harness
    h.make_vendor()
    before = _vendor_state(h)
    resp = h.command(command)
    body = resp.json()
    assert resp.status == 200 and body["response_type"] == "ephemeral"
    text = html.unescape(body["text"])  # Slack shows &lt; as <
    for needle in says:
        assert needle in text
    assert form in text
    assert _vendor_state(h) == before
    assert h.posts() == []


def test_commands_outside_a_vendor_channel_say_how_to_register(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    for command in ("checkin every mon 10:00", "checkin now", "sla 4", "quiet off", "pause 1d"):
        text = h.command(command, channel=PLAIN_CHANNEL).json()["text"]
        assert "not a vendor channel" in text and "vendor add" in text
    assert h.posts() == []
