"""App Home: what an internal and an external user of the same vendor see, and how often it is
published."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from bot import audit
from tests.harness import ALEX, INTERNAL_TEAM, MALLORY, OWNER, PRIYA, RAVI, Harness
from tests.overview.data import (
    add_checkin,
    add_clock,
    add_deadline,
    add_recap,
    home_event,
    home_text,
    publishes,
)


def _acme(h: Harness) -> int:
    vid = h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    now = h.clock.now()
    add_deadline(h, vid, 1, "API handover", now + timedelta(days=3), owner=PRIYA)
    add_deadline(h, vid, 2, "Design review", now - timedelta(days=2))  # overdue
    add_deadline(h, vid, 3, "Far future launch", now + timedelta(days=40))
    add_recap(h, vid, "We agreed to ship v2 on Friday.", now - timedelta(days=1))
    add_checkin(
        h,
        vid,
        now - timedelta(days=1),
        answered_at=now - timedelta(hours=20),
        on_track="at_risk",
        done_text="Login page finished",
    )
    for hours in (1, 2, 3, 10):
        add_clock(h, vid, now - timedelta(days=2), hours)
    h.command("access add GitHubSecretOrg <@U_PRIYA>")
    return vid


def test_internal_and_external_home_of_the_same_vendor_differ(any_harness: Harness) -> None:
    h = any_harness
    _acme(h)
    assert h.event(home_event(OWNER)).status == 200
    assert h.event(home_event(PRIYA)).status == 200
    internal = home_text(h, OWNER)
    external = home_text(h, PRIYA)

    # Both see the vendor's deadlines (due within 14 days, overdue flagged) and the recap that
    # waits for their side's confirmation; neither sees the deadline 40 days out in the list.
    for text in (internal, external):
        assert "Acme Dev" in text
        assert "API handover" in text and "Design review" in text
        assert "overdue" in text
        assert "Recaps waiting for your confirmation" in text
        assert "We agreed to ship v2 on Friday." in text
        assert "Due in the next 14 days" in text

    # Internal: the full health line — SLA figures, last check-in answer — and internal buttons.
    assert "median 2.5 h" in internal and "SLA 8 h" in internal
    assert "p90 10 h" in internal and "1 of 4 slower than SLA" in internal
    assert "at risk" in internal and "Login page finished" in internal
    assert "home_status_internal" in internal and "home_export_internal" in internal

    # External: only their vendor's items; never SLA/response figures, access, status buttons.
    for hidden in ("SLA", "median", "p90", "GitHubSecretOrg", "_internal", "Status", "Export"):
        assert hidden not in external, hidden
    assert "Your work with us" in external
    assert "home_open_channel" in external


def test_home_for_someone_with_no_vendor(harness: Harness) -> None:
    h = harness
    _acme(h)
    h.event(home_event(MALLORY))
    h.event(home_event(ALEX))
    mallory = home_text(h, MALLORY)
    assert "Nothing here for you yet" in mallory
    assert "Acme" not in mallory and "API handover" not in mallory
    alex = home_text(h, ALEX)  # internal, but not a contact of Acme
    assert "not a contact for any vendor" in alex and "API handover" not in alex


def test_external_teammate_sees_the_shared_vendor(harness: Harness) -> None:
    """Ravi is not a registered contact but is in the vendor's (Slack Connect) team."""
    h = harness
    _acme(h)
    h.event(home_event(RAVI))
    ravi = home_text(h, RAVI)
    assert "API handover" in ravi and "SLA" not in ravi


def test_home_is_published_at_most_once_a_minute_and_refreshed_after_changes(
    any_harness: Harness,
) -> None:
    h = any_harness
    vid = _acme(h)
    h.event(home_event(OWNER))
    assert len(publishes(h, OWNER)) == 1

    # Opening it again with nothing changed publishes nothing.
    h.clock.set(h.clock.now() + timedelta(minutes=5))
    h.event(home_event(OWNER))
    assert len(publishes(h, OWNER)) == 1

    # A change (a new deadline, with its audit row) 10 s after a publish...
    h.clock.set(h.clock.now() + timedelta(minutes=1))
    add_deadline(h, vid, 4, "Security audit", h.clock.now() + timedelta(days=5))
    h.event(home_event(OWNER))  # content changed: published
    assert len(publishes(h, OWNER)) == 2
    add_deadline(h, vid, 5, "Load test", h.clock.now() + timedelta(days=6))
    h.clock.set(h.clock.now() + timedelta(seconds=10))
    h.event(home_event(OWNER))  # within the minute: deferred
    h.click("home_refresh", "refresh", user=OWNER, view={"id": "V1", "type": "home"})
    assert len(publishes(h, OWNER)) == 2
    assert "Load test" not in home_text(h, OWNER)

    # ...is published by the sweep once the minute is over, exactly once.
    h.sweep(h.clock.now() + timedelta(seconds=30))
    assert len(publishes(h, OWNER)) == 2
    h.sweep(h.clock.now() + timedelta(seconds=31))
    assert len(publishes(h, OWNER)) == 3
    assert "Load test" in home_text(h, OWNER)
    h.sweep(h.clock.now() + timedelta(minutes=2))
    assert len(publishes(h, OWNER)) == 3

    # A state change elsewhere (audit row) makes the sweep look again; unchanged view: no call.
    with h.session() as s:
        audit.record(
            s, team_id=INTERNAL_TEAM, actor=OWNER, action="noop", subject="x", at=h.clock.now()
        )
    h.sweep(h.clock.now() + timedelta(minutes=2))
    assert len(publishes(h, OWNER)) == 3


def test_home_follows_time_hourly(harness: Harness) -> None:
    """A deadline that becomes overdue changes the Home without any state change."""
    h = harness
    vid = h.make_vendor("Acme Dev")
    add_deadline(h, vid, 1, "Soon", h.clock.now() + timedelta(minutes=30))
    h.event(home_event(OWNER))
    assert "Overdue: 0" in home_text(h, OWNER)
    h.sweep(h.clock.now() + timedelta(minutes=70))
    assert "Overdue: 1" in home_text(h, OWNER)


def test_home_status_and_export_buttons(harness: Harness) -> None:
    h = harness
    vid = _acme(h)
    h.event(home_event(OWNER))
    from bot.blocks import kit

    value = kit.encode({"v": vid})
    resp = h.click("home_status_internal", value, user=OWNER, view={"id": "V1", "type": "home"})
    assert resp.status == 200
    opened = [c for c in h.fake.calls("views.open") if c.ok]
    assert opened and "median 2.5 business hours" in str(opened[-1].params["view"])

    h.click("home_export_internal", value, user=OWNER, view={"id": "V1", "type": "home"})
    uploads = [c for c in h.fake.calls("files.completeUploadExternal") if c.ok]
    assert len(uploads) == 1
    assert uploads[0].params["channel_id"] == h.fake.workspace.dm_channel_id(OWNER)

    # The vendor side cannot press them (middleware refuses `_internal` ids).
    h.click("home_export_internal", value, user=PRIYA, view={"id": "V1", "type": "home"})
    assert len([c for c in h.fake.calls("files.completeUploadExternal") if c.ok]) == 1


def test_a_publish_slack_refuses_is_retried_by_the_sweep(any_harness: Harness) -> None:
    """views.publish runs after the commit; a refusal marks the Home pending again."""
    h = any_harness
    vid = h.make_vendor("Acme Dev")
    add_deadline(h, vid, 1, "API handover", h.clock.now() + timedelta(days=3))
    h.fake.fail_next("views.publish", status=200, error="internal_error")
    assert h.event(home_event(OWNER)).status == 200
    assert publishes(h, OWNER) == []
    h.sweep(h.clock.now() + timedelta(seconds=30))  # within the minute: not yet
    assert publishes(h, OWNER) == []
    h.sweep(h.clock.now() + timedelta(seconds=31))
    assert len(publishes(h, OWNER)) == 1 and "API handover" in home_text(h, OWNER)
    h.sweep(h.clock.now() + timedelta(minutes=5))
    assert len(publishes(h, OWNER)) == 1


def test_home_escapes_what_people_typed_once(harness: Harness) -> None:
    h = harness
    vid = h.make_vendor("R&D <Labs>", internal=(OWNER,), vendor=(PRIYA,))
    now = h.clock.now()
    add_deadline(h, vid, 1, "Q&A <v2> <!channel>", now + timedelta(days=2))
    add_recap(h, vid, "see <https://evil.example|the spec> & <!here>", now - timedelta(days=1))
    h.event(home_event(OWNER))
    h.event(home_event(PRIYA))
    for user in (OWNER, PRIYA):
        text = home_text(h, user)
        assert "Q&amp;A &lt;v2&gt; &lt;!channel&gt;" in text
        assert "R&amp;D &lt;Labs&gt;" in text
        assert "&lt;https://evil.example|the spec&gt; &amp; &lt;!here&gt;" in text
        for never in ("<!channel>", "<!here>", "<https://evil", "<Labs>", "&amp;amp;"):
            assert never not in text, (user, never)


def test_a_slow_publish_never_delays_the_event(slack: Any, sqlite_url: str) -> None:
    h = Harness(slack, sqlite_url, inline_delivery=False)
    try:
        h.make_vendor("Acme Dev")
        h.fake.delay("views.publish", 3.0)
        started = time.monotonic()
        assert h.event(home_event(OWNER)).status == 200
        took = time.monotonic() - started
        assert took < 1.5, f"app_home_opened was answered after {took:.1f} s"
        h.settle(15)
        assert len(publishes(h, OWNER)) == 1 and "Acme Dev" in home_text(h, OWNER)
    finally:
        h.fake.delay("views.publish", 0)
        h.close()
