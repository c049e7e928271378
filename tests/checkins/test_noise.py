"""The noise budget, quiet hours, pause and resume, through the real sweep and outbox."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.delivery.outbox import PRIORITY_NUDGE, enqueue
from storage.models import AuditEntry, OutboxMessage, Vendor
from tests.checkins.helpers import checkin_posts
from tests.harness import INTERNAL_TEAM, SHARED_CHANNEL, Harness

BERLIN_DAY = (datetime(2027, 3, 1, 23, 0, tzinfo=UTC), datetime(2027, 3, 2, 23, 0, tzinfo=UTC))


def _enqueue_nudges(h: Harness, vendor_id: int, times: list[datetime]) -> None:
    with h.session() as s:
        for i, at in enumerate(times, start=1):
            enqueue(
                s,
                team_id=INTERNAL_TEAM,
                dedupe_key=f"test:nudge:{i}",
                channel_id=SHARED_CHANNEL,
                kind="nudge",
                now=at,
                not_before=at,
                text=f"nudge-{i:02d} please look",
                summary=f"nudge-{i:02d}",
                vendor_id=vendor_id,
                priority=PRIORITY_NUDGE,
            )


def _nudge_counts(posts: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for post in posts:
        for tag in set(re.findall(r"nudge-\d\d", post["text"])):
            counts[tag] = counts.get(tag, 0) + 1
    return counts


def test_ten_nudges_in_one_day_make_at_most_three_posts_none_lost_none_repeated(
    both: Harness,
) -> None:
    h = both
    vendor_id = h.make_vendor(tz="Europe/Berlin", country="DE")
    # Ten nudges due through Tuesday 2 March, one an hour from 09:00 to 18:00 UTC.
    times = [datetime(2027, 3, 2, 9 + i, 0, tzinfo=UTC) for i in range(10)]
    _enqueue_nudges(h, vendor_id, times)
    for at in times:
        h.sweep(at + timedelta(minutes=1))
    tuesday = h.posts(SHARED_CHANNEL)
    assert 1 <= len(tuesday) <= 3
    # Over the following days everything arrives, exactly once.
    for hour in range(0, 48, 2):
        h.sweep(BERLIN_DAY[1] + timedelta(hours=hour, minutes=5))
    posts = h.posts(SHARED_CHANNEL)
    assert _nudge_counts(posts) == {f"nudge-{i:02d}": 1 for i in range(1, 11)}
    per_day: dict[str, int] = {}
    for call in h.fake.calls("chat.postMessage"):
        day = datetime.fromtimestamp(float(call.response["ts"]), UTC).date().isoformat()
        per_day[day] = per_day.get(day, 0) + 1
    with h.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).all()
        assert {r.state for r in rows} == {"sent"}
        sent_days = {r.sent_at.astimezone(UTC).date().isoformat() for r in rows if r.sent_at}
        messages_per_day: dict[str, set[str]] = {}
        for r in rows:
            assert r.sent_at is not None and r.message_ts
            local_day = (r.sent_at + timedelta(hours=1)).date().isoformat()  # CET
            messages_per_day.setdefault(local_day, set()).add(r.message_ts)
    assert sent_days  # sanity
    assert all(len(ts) <= 3 for ts in messages_per_day.values())
    assert len(messages_per_day["2027-03-02"]) == 3
    assert len(messages_per_day["2027-03-03"]) == 1  # the seven held ones, bundled


def test_budget_is_per_vendor_and_configurable(harness: Harness) -> None:
    h = harness
    vendor_id = h.make_vendor(tz="Europe/Berlin", country="DE")
    with h.session() as s:
        s.get(Vendor, vendor_id).daily_post_budget = 1  # type: ignore[union-attr]
    times = [datetime(2027, 3, 2, 9 + i, 0, tzinfo=UTC) for i in range(3)]
    _enqueue_nudges(h, vendor_id, times)
    for at in times:
        h.sweep(at + timedelta(minutes=1))
    assert len(h.posts(SHARED_CHANNEL)) == 1
    h.sweep("2027-03-02T23:01Z")  # Wed 00:01 CET: the next local day
    assert len(h.posts(SHARED_CHANNEL)) == 2
    assert _nudge_counts(h.posts(SHARED_CHANNEL)) == {"nudge-01": 1, "nudge-02": 1, "nudge-03": 1}


def test_quiet_hours_hold_posts_until_they_end(both: Harness) -> None:
    h = both
    h.make_vendor(tz="Europe/Berlin", country="DE")
    assert "19:00–08:00" in h.reply_text(h.command("quiet 19:00-08:00"))
    h.command("checkin every mon 07:00")
    h.sweep("2027-03-08T06:01Z")  # Mon 07:01 CET: due, but quiet
    h.sweep("2027-03-08T06:59Z")
    assert checkin_posts(h) == []
    h.sweep("2027-03-08T07:00Z")  # 08:00 CET: quiet hours are over
    assert len(checkin_posts(h)) == 1
    h.sweep("2027-03-08T07:30Z")
    assert len(checkin_posts(h)) == 1


def test_quiet_off_releases_held_posts(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("quiet 06:00-12:00")
    h.command("checkin every mon 07:00")
    h.sweep("2027-03-08T06:01Z")
    assert checkin_posts(h) == []
    h.clock.set(datetime(2027, 3, 8, 7, 0, tzinfo=UTC))
    assert "off" in h.reply_text(h.command("quiet off"))
    h.sweep("2027-03-08T07:01Z")
    assert len(checkin_posts(h)) == 1


def test_pause_holds_and_resume_releases_exactly_once(both: Harness) -> None:
    h = both
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("checkin every mon 10:00")
    h.clock.set(datetime(2027, 3, 8, 8, 0, tzinfo=UTC))
    reply = h.reply_text(h.command("pause 3d"))
    assert "paused until Thu 11 Mar 2027 09:00 CET" in reply
    h.sweep("2027-03-08T09:01Z")  # the check-in is due, the channel is paused
    h.sweep("2027-03-09T09:01Z")
    assert checkin_posts(h) == []
    with h.session() as s:
        held = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "checkin")).one()
        assert held.state == "pending"
        assert held.not_before == datetime(2027, 3, 11, 8, 0, tzinfo=UTC)

    h.clock.set(datetime(2027, 3, 9, 10, 0, tzinfo=UTC))
    assert "Resumed" in h.reply_text(h.command("resume"))
    h.sweep("2027-03-09T10:00:30Z")
    assert len(checkin_posts(h)) == 1
    for at in ("2027-03-09T10:05Z", "2027-03-11T08:01Z", "2027-03-11T12:00Z"):
        h.sweep(at)
    assert len(checkin_posts(h)) == 1
    with h.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry))]
        assert actions.count("vendor.pause") == 1 and actions.count("vendor.resume") == 1
        assert s.scalars(select(Vendor)).one().paused_until is None
    assert "aren't paused" in h.reply_text(h.command("resume"))


def test_a_pause_that_runs_out_releases_once(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("checkin every mon 10:00")
    h.clock.set(datetime(2027, 3, 8, 8, 0, tzinfo=UTC))
    h.command("pause 1d")
    h.sweep("2027-03-08T09:01Z")
    h.sweep("2027-03-09T07:59Z")
    assert checkin_posts(h) == []
    h.sweep("2027-03-09T08:00Z")
    h.sweep("2027-03-09T08:01Z")
    assert len(checkin_posts(h)) == 1


def test_dms_are_not_budgeted(harness: Harness) -> None:
    h = harness
    vendor_id = h.make_vendor(tz="Europe/Berlin", country="DE")
    with h.session() as s:
        s.get(Vendor, vendor_id).daily_post_budget = 1  # type: ignore[union-attr]
        for i in range(3):
            enqueue(
                s,
                team_id=INTERNAL_TEAM,
                dedupe_key=f"test:dm:{i}",
                channel_id="U_DANA",
                kind="dm",
                now=h.clock.now(),
                text=f"dm {i}",
                vendor_id=vendor_id,
                budgeted=False,
            )
    h.sweep("2027-03-01T09:01Z")
    assert len(h.dms("U_DANA")) == 3
