"""Weekly digest: Monday 09:00 in each internal contact's own timezone, once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import CheckIn, Deadline, OutboxMessage
from tests.harness import ALEX, OWNER, PRIYA, Harness
from tests.overview.data import add_change, add_checkin, add_clock, add_deadline, add_recap


def digests(h: Harness, user: str) -> list[dict]:
    return [p for p in h.dms(user) if str(p.get("text", "")).startswith("Weekly digest")]


def _week_of_work(h: Harness) -> int:
    """Acme with Dana (London) and Alex (New York) as internal contacts, and a busy week."""
    vid = h.make_vendor("Acme Dev", internal=(OWNER, ALEX), vendor=(PRIYA,))
    t = datetime(2027, 3, 3, 12, tzinfo=UTC)  # Wednesday of the first week
    add_deadline(h, vid, 1, "Shipped login", t - timedelta(days=1), state="done", done_at=t)
    d2 = add_deadline(h, vid, 2, "Slipped payments", t + timedelta(days=1))
    add_deadline(h, vid, 3, "Next week's demo", datetime(2027, 3, 10, 16, tzinfo=UTC))
    add_change(
        h,
        vid,
        d2,
        old=t,
        new=t + timedelta(days=7),
        reason="API late",
        approved_at=t + timedelta(hours=1),
    )
    add_recap(h, vid, "Kickoff notes", t, created_at=t)
    add_checkin(
        h, vid, t, answered_at=t + timedelta(hours=2), on_track="yes", done_text="Auth done"
    )
    add_clock(h, vid, t, 3)
    return vid


def test_digest_fires_once_at_nine_local_for_two_zones(any_harness: Harness) -> None:
    h = any_harness
    _week_of_work(h)
    # Monday 8 March 2027: London is on GMT (09:00 = 09:00Z), New York on EST (09:00 = 14:00Z).
    h.sweep("2027-03-08T08:59:00Z")
    assert digests(h, OWNER) == [] and digests(h, ALEX) == []
    h.sweep("2027-03-08T09:00:00Z")
    assert len(digests(h, OWNER)) == 1 and digests(h, ALEX) == []
    h.sweep("2027-03-08T09:00:30Z")
    h.sweep("2027-03-08T13:59:00Z")
    assert len(digests(h, OWNER)) == 1 and digests(h, ALEX) == []
    h.sweep("2027-03-08T14:00:00Z")
    h.sweep("2027-03-08T14:00:30Z")
    h.sweep("2027-03-08T20:00:00Z")
    assert len(digests(h, OWNER)) == 1 and len(digests(h, ALEX)) == 1

    text = str(digests(h, OWNER)[0]["blocks"])
    for needle in (
        "Weekly digest — Acme Dev",
        "Shipped login",  # done
        "Slipped payments",  # slipped (due in the week, still open)
        "Move to 2027-03-10",  # change approved
        "Kickoff notes",  # recap still unconfirmed
        "median 3.0 h",  # response figures
        "SLA 8 h",
        "Auth done",  # check-in answer
        "Next week's demo",  # coming up
    ):
        assert needle in text, needle
    # The vendor side never gets a digest.
    assert digests(h, PRIYA) == []


def test_digest_follows_each_readers_dst(harness: Harness) -> None:
    """New York moves to EDT on 14 March 2027: the next digest is 13:00Z, London's still 09:00Z."""
    h = harness
    vid = _week_of_work(h)
    add_deadline(h, vid, 4, "Second week item", datetime(2027, 3, 18, 16, tzinfo=UTC))
    h.sweep("2027-03-08T20:00:00Z")
    h.sweep("2027-03-15T08:59:00Z")
    assert len(digests(h, OWNER)) == 1
    h.sweep("2027-03-15T09:00:00Z")
    assert len(digests(h, OWNER)) == 2
    h.sweep("2027-03-15T12:59:00Z")
    assert len(digests(h, ALEX)) == 1
    h.sweep("2027-03-15T13:00:00Z")
    assert len(digests(h, ALEX)) == 2


def test_no_digest_when_nothing_to_say(harness: Harness) -> None:
    h = harness
    h.make_vendor("Quiet Co", internal=(OWNER,), vendor=(PRIYA,))
    h.sweep("2027-03-08T09:00:00Z")
    h.sweep("2027-03-08T09:01:00Z")
    assert digests(h, OWNER) == []
    with h.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
        assert [(r.state, r.dedupe_key.startswith("digest:")) for r in rows] == [("skipped", True)]


def test_digest_is_not_sent_days_late(harness: Harness) -> None:
    """Down all Monday: Tuesday afternoon is too late for last week's digest."""
    h = harness
    _week_of_work(h)
    h.sweep("2027-03-09T15:00:00Z")
    assert digests(h, OWNER) == [] and digests(h, ALEX) == []


def test_digest_counts_every_unanswered_check_in_of_its_week(any_harness: Harness) -> None:
    """Monday's and Wednesday's check-ins went unanswered; Friday's answer covered them
    ("superseded"); one held back and never posted ("skipped") is not a missed one."""
    h = any_harness
    vid = h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    week = datetime(2027, 3, 1, 10, tzinfo=UTC)  # Monday
    mon = add_checkin(h, vid, week)
    wed = add_checkin(h, vid, week + timedelta(days=2))
    tue = add_checkin(h, vid, week + timedelta(days=1))
    add_checkin(
        h,
        vid,
        week + timedelta(days=4),
        answered_at=week + timedelta(days=4, hours=1),
        on_track="yes",
    )
    with h.session() as s:
        for cid in (mon, wed):
            s.get(CheckIn, cid).state = "superseded"
        skipped = s.get(CheckIn, tue)
        skipped.state, skipped.message_ts = "skipped", None
    h.sweep("2027-03-08T09:00:00Z")
    [digest] = digests(h, OWNER)
    [section] = [
        b["text"]["text"]
        for b in digest["blocks"]
        if b.get("type") == "section" and "Check-ins not answered" in b["text"]["text"]
    ]
    assert section.count("\n•") == 2
    assert "Mon 1 Mar" in section and "Wed 3 Mar" in section and "Tue 2 Mar" not in section
    assert "Check-ins not answered: 2" in digest["text"]


def test_digest_escapes_what_people_typed_once(harness: Harness) -> None:
    h = harness
    vid = h.make_vendor("R&D <Labs>", internal=(OWNER,), vendor=(PRIYA,))
    t = datetime(2027, 3, 3, 12, tzinfo=UTC)
    add_deadline(h, vid, 1, "Q&A <v2> <!channel>", t, state="done", done_at=t)
    add_checkin(h, vid, t, answered_at=t, on_track="yes", done_text="<https://evil.example|spec>")
    h.sweep("2027-03-08T09:00:00Z")
    [digest] = digests(h, OWNER)
    shown = [digest["text"], *(json.dumps(b) for b in digest["blocks"])]
    joined = "\n".join(shown)
    assert "Q&amp;A &lt;v2&gt; &lt;!channel&gt;" in joined
    assert "&lt;https://evil.example|spec&gt;" in joined
    assert "R&amp;D &lt;Labs&gt;" in digest["text"]
    for never in ("<!channel>", "<https://evil", "<Labs>", "&amp;amp;", "&amp;lt;"):
        assert never not in joined, never


def test_a_digest_rendered_late_says_how_things_are_then(harness: Harness) -> None:
    """The outbox row names the week; its message is rendered when it is delivered."""
    h = harness
    vid = h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    t = datetime(2027, 3, 3, 12, tzinfo=UTC)
    add_deadline(h, vid, 1, "Slipped payments", t)
    h.fake.fail_next("chat.postMessage", status=429, retry_after=600)
    h.sweep("2027-03-08T09:00:00Z")
    assert digests(h, OWNER) == []
    with h.session() as s:
        [row] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
        assert row.payload["render"]["kind"] == "overview.digest"
        assert "Slipped" not in json.dumps(row.payload)
        s.scalars(select(Deadline)).one().state = "done"
        s.scalars(select(Deadline)).one().done_at = t + timedelta(days=1)
    h.sweep("2027-03-08T09:20:00Z")
    [digest] = digests(h, OWNER)
    assert "(done late)" in json.dumps(digest["blocks"])
