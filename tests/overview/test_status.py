"""`/outsource status`: the vendor's health in one ephemeral screen, internal only."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.harness import PLAIN_CHANNEL, PRIYA, Harness
from tests.overview.data import add_clock, add_deadline, add_recap


def test_status_shows_the_same_figures_as_home(harness: Harness) -> None:
    h = harness
    vid = h.make_vendor("Acme Dev")
    now = h.clock.now()
    add_deadline(h, vid, 1, "API handover", now + timedelta(days=3))
    add_deadline(h, vid, 2, "Late thing", now - timedelta(days=1))
    add_recap(h, vid, "Notes", now - timedelta(days=1), internal_confirmed_at=now)
    for hours in (4, 6, 12):
        add_clock(h, vid, now - timedelta(days=3), hours)
    add_clock(h, vid, now - timedelta(hours=1), None)  # still waiting
    h.command("access add Jira")

    resp = h.command("status")
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    text = str(body["blocks"])
    assert "Acme Dev — status" in text
    assert "#1 API handover" in text
    assert "*Overdue*\\n1" in text
    assert "3 replies measured: median 6 business hours, p90 12 business hours" in text
    assert "on the calendar: median 6 h, p90 12 h · SLA 8 business hours" in text
    assert "1 of 3 slower than the SLA" in text
    assert "*Waiting for a vendor reply now*\\n1" in text
    assert "1 (0 by us, 1 by Acme Dev)" in text
    assert "*Access on record*\\n1" in text
    # Nothing of it went to the channel.
    assert h.posts("C_ACME") == []


def test_status_outside_a_vendor_channel_says_how_to_register(harness: Harness) -> None:
    body = harness.command("status", channel=PLAIN_CHANNEL).json()
    assert "not a vendor channel" in body["text"] and "vendor add" in body["text"]


def test_status_is_refused_to_the_vendor_side(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    body = h.command("status", user=PRIYA, team_id="T_VENDOR").json()
    assert "for the team that runs this vendor relationship" in body["text"]
    assert "SLA" not in str(body) and "Acme" not in str(body)


def test_status_with_extra_words_shows_the_usage(harness: Harness) -> None:
    harness.make_vendor("Acme Dev")
    body = harness.command("status please").json()
    assert "/outsource status" in body["text"]


def test_status_escapes_what_people_typed_once(harness: Harness) -> None:
    h = harness
    vid = h.make_vendor("R&D <Labs>")
    now = h.clock.now()
    add_deadline(h, vid, 1, "Q&A <v2> <!channel>", now + timedelta(days=3))
    body = h.command("status").json()
    shown = [body["text"], json.dumps(body["blocks"])]
    for text in shown:
        assert "R&amp;D &lt;Labs&gt;" in text
        for never in ("<Labs>", "&amp;amp;", "<!channel>"):
            assert never not in text, never
    assert "Q&amp;A &lt;v2&gt; &lt;!channel&gt;" in shown[1]
