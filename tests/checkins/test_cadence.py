"""Check-in cadences through the real app: command, sweep, post, holidays and DST."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry, CheckIn, Vendor
from tests.checkins.helpers import checkin_posts
from tests.harness import PRIYA, SHARED_CHANNEL, Harness


def test_weekly_checkin_skips_easter_monday_and_keeps_local_time_across_dst(both: Harness) -> None:
    h = both
    h.make_vendor(tz="Europe/Berlin", country="DE")
    reply = h.reply_text(h.command("checkin every mon 10:00"))
    assert "every mon at 10:00 Europe/Berlin" in reply
    assert "Next check-in: Mon 8 Mar 2027 10:00 CET" in reply

    h.sweep("2027-03-22T09:01Z")  # Mon 10:01 CET
    posts = checkin_posts(h)
    assert len(posts) == 1
    assert f"<@{PRIYA}>" in posts[0]["text"]
    assert "checkin_update_vendor" in str(posts[0]["blocks"])

    h.sweep("2027-03-29T08:01Z")  # Easter Monday 10:01 CEST: a public holiday in DE
    h.sweep("2027-03-29T09:01Z")
    assert len(checkin_posts(h)) == 1

    h.sweep("2027-04-05T07:59Z")  # 09:59 CEST: not yet
    assert len(checkin_posts(h)) == 1
    h.sweep("2027-04-05T08:01Z")  # 10:01 CEST
    assert len(checkin_posts(h)) == 2

    h.sweep("2027-04-05T08:30Z")  # the same occurrence again: nothing new
    assert len(checkin_posts(h)) == 2
    with h.session() as s:
        scheduled = [c.scheduled_for.isoformat() for c in s.scalars(select(CheckIn))]
    assert scheduled == ["2027-03-22T09:00:00+00:00", "2027-04-05T08:00:00+00:00"]


def test_cadence_in_its_own_zone_and_off(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    reply = h.reply_text(h.command("checkin every mon,thu 09:30 Asia/Kolkata"))
    assert "every mon,thu at 09:30 Asia/Kolkata" in reply
    h.sweep("2027-03-04T04:01Z")  # Thu 09:31 IST
    assert len(checkin_posts(h)) == 1

    assert "off" in h.reply_text(h.command("checkin off"))
    h.sweep("2027-03-08T04:01Z")
    assert len(checkin_posts(h)) == 1
    with h.session() as s:
        v = s.scalars(select(Vendor)).one()
        assert v.checkin_days is None
        actions = [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("checkin.cadence_set") == 1
    assert actions.count("checkin.cadence_off") == 1
    assert actions.count("checkin.due") == 1


def test_checkin_now_posts_at_once(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    assert "posted" in h.reply_text(h.command("checkin now"))
    posts = checkin_posts(h, SHARED_CHANNEL)
    assert len(posts) == 1 and f"<@{PRIYA}>" in posts[0]["text"]
    with h.session() as s:
        checkin = s.scalars(select(CheckIn)).one()
        assert checkin.kind == "manual" and checkin.message_ts
