"""`/outsource status` says reply times plainly: business time and calendar time, with
plural forms right. Clocks are started and stopped by real messages through the Events API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.blocks.overview import business_time, calendar_time, counted
from tests.harness import ALEX, OWNER, PRIYA, Harness


def _at(h: Harness, iso: str) -> None:
    h.clock.set(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC))


def _status(h: Harness) -> tuple[str, str]:
    """(the reply's text, its blocks as one string) of `/outsource status`."""
    resp = h.command("status")
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    return str(body["text"]), "\n".join(
        field["text"] for block in body["blocks"] for field in block.get("fields", [])
    )


def test_a_reply_over_a_weekend_is_one_business_minute_and_two_days_on_the_calendar(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    _, fields = _status(h)
    assert "*Replies, last 30 days*\nNo replies measured yet · SLA 8 business hours" in fields

    _at(h, "2027-03-05T15:59Z")  # Fri 16:59 CET: one business minute left this week
    h.say(f"<@{PRIYA}> could you send the release notes?", user=OWNER)
    _at(h, "2027-03-07T19:00Z")  # Sun 20:00 CET
    h.say("Here they are", user=PRIYA)

    _at(h, "2027-03-08T09:00Z")
    text, fields = _status(h)
    figures = (
        "1 reply measured: 1 business minute (2 days 3 h on the calendar) · SLA 8 business hours ✅"
    )
    assert f"*Replies, last 30 days*\n{figures}" in fields
    assert f"Replies: {figures}" in text
    assert "1 replies" not in text + fields and "median 1 min" not in text + fields
    assert "SLA 8 business hours · at most 3 posts a day" in str(h.command("status").json())


def test_several_replies_give_median_and_p90_of_each_measure(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    assert "within 1 business hour" in h.reply_text(h.command("sla 1"))
    # Mon 10:00 → 12:30 CET: 2.5 business hours, 2 h 30 min on the calendar.
    _at(h, "2027-03-01T09:00Z")
    h.say("When is the QA build ready?", user=ALEX)
    _at(h, "2027-03-01T11:30Z")
    h.say("Tonight", user=PRIYA)
    # Tue 16:00 → Wed 09:10 CET: 1 h 10 min of business time, 17 h 10 min on the calendar.
    _at(h, "2027-03-02T15:00Z")
    h.say(f"<@{PRIYA}> is staging up?", user=OWNER)
    _at(h, "2027-03-03T08:10Z")
    h.say("yes", user=PRIYA)
    _at(h, "2027-03-03T10:00Z")
    _, fields = _status(h)
    assert (
        "2 replies measured: median 1.8 business hours, p90 2.5 business hours; "
        "on the calendar: median 9 h 50 min, p90 17 h 10 min · SLA 1 business hour ⚠️ · "
        "2 of 2 slower than the SLA"
    ) in fields
    assert "SLA 1 business hour · at most 3 posts a day" in str(h.command("status").json())


@pytest.mark.parametrize(
    ("seconds", "business", "calendar"),
    [
        (0, "no business time", "under a minute"),
        (20, "under 1 business minute", "under a minute"),
        (60, "1 business minute", "1 min"),
        (45 * 60, "45 business minutes", "45 min"),
        (3600, "1 business hour", "1 h"),
        (3600 + 30 * 60, "1.5 business hours", "1 h 30 min"),
        (12.4 * 3600, "12 business hours", "12 h 24 min"),
        (24 * 3600, "24 business hours", "1 day"),
        (51 * 3600 + 40 * 60, "52 business hours", "2 days 4 h"),
        (2 * 86400 - 60, "48 business hours", "2 days"),
    ],
)
def test_time_is_said_plainly(seconds: float, business: str, calendar: str) -> None:
    assert business_time(seconds) == business
    assert calendar_time(seconds) == calendar


def test_counted() -> None:
    assert [counted(n, "reply", "replies") for n in (0, 1, 2)] == [
        "0 replies",
        "1 reply",
        "2 replies",
    ]
    assert counted(1, "message") == "1 message" and counted(3, "message") == "3 messages"
