"""Reminders: computed by the sweep from the deadlines table, posted once, in the vendor's zone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import Deadline, OutboxMessage
from tests.deadlines.helpers import (
    ADD,
    add,
    deadline,
    escalations,
    outbox_states,
    reminders,
    reply,
    text_of,
)
from tests.harness import OWNER, SIGNING_SECRET, Harness


def test_must_show_one_reminder_per_step_and_none_after_done(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    assert "API v2 handover" in add(h)
    assert reminders(h) == []

    h.sweep("2027-03-09T16:01Z")
    posted = reminders(h)
    assert len(posted) == 1
    assert "API v2 handover" in text_of(posted[0])
    assert "<@U_PRIYA>" in posted[0]["text"]
    assert "Wed 10 Mar 2027 17:00 CET" in text_of(posted[0])
    assert "1 day to go" in text_of(posted[0])

    h.sweep("2027-03-09T16:01Z")  # the same instant again: nothing new
    assert len(reminders(h)) == 1

    h.sweep("2027-03-10T16:01Z")
    posted = reminders(h)
    assert len(posted) == 2
    assert "due now" in text_of(posted[1])
    assert "API v2 handover" in text_of(posted[1])

    assert "is done" in reply(h, "deadline done 1")
    for day in ("2027-03-11T16:01Z", "2027-03-12T16:01Z", "2027-03-14T16:01Z"):
        h.sweep(day)
    assert len(reminders(h)) == 2
    assert escalations(h, OWNER) == []  # it was done before it became overdue
    assert deadline(h).next_reminder_at is None


def test_the_72h_step_fires_at_the_local_time_three_days_ahead(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.sweep("2027-03-07T15:59Z")
    assert reminders(h) == []
    h.sweep("2027-03-07T16:00Z")
    [post] = reminders(h)
    assert "3 days to go" in text_of(post)
    # The first reminder lets the vendor acknowledge, and either side mark it done.
    labels = [
        el["text"]["text"] for b in post["blocks"] if b["type"] == "actions" for el in b["elements"]
    ]
    assert labels == ["Acknowledge", "Mark done"]
    assert outbox_states(h, "deadline:1:") == {"deadline:1:due-72h": "sent"}


def _sweep_cli(h: Harness, at: str, db_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("outsource-bot")
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": db_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": h.fake.api_url,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [*argv, "sweep", "--at", at],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


def test_cli_sweep_twice_posts_once(harness: Harness, sqlite_url: str, tmp_path: Path) -> None:
    assert shutil.which("outsource-bot") or Path(sys.executable).with_name("outsource-bot").exists()
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    for _ in range(2):
        done = _sweep_cli(h, "2027-03-09T16:01Z", sqlite_url, tmp_path)
        assert done.returncode == 0, done.stderr
    posted = reminders(h)
    assert len(posted) == 1
    assert "API v2 handover" in text_of(posted[0])


def test_after_five_days_of_downtime_only_the_newest_step_is_posted(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.sweep("2027-03-15T09:00Z")  # the bot was down from before the 72 h step until now
    [post] = reminders(h)
    # The overdue-3 step, saying what is true when it is delivered: two days after its time.
    assert "overdue by 5 days" in text_of(post)
    assert outbox_states(h, "deadline:1:") == {
        "deadline:1:due-72h": "skipped",
        "deadline:1:due-24h": "skipped",
        "deadline:1:due": "skipped",
        "deadline:1:overdue-1": "skipped",
        "deadline:1:overdue-2": "skipped",
        "deadline:1:overdue-3": "sent",
    }
    assert outbox_states(h, "escalation:") == {f"escalation:{OWNER}:2027-03-15": "sent"}
    # The escalation reaches the internal primary by DM, once.
    [dm] = escalations(h, OWNER)
    assert "API v2 handover" in text_of(dm) and "overdue by 5 days" in text_of(dm)
    h.sweep("2027-03-20T09:00Z")
    assert len(reminders(h)) == 1 and len(escalations(h, OWNER)) == 1
    assert deadline(h).next_reminder_at is None


def test_overdue_reminders_go_daily_three_times_and_dm_the_internal_primary(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    for at in (
        "2027-03-07T16:00Z",
        "2027-03-09T16:00Z",
        "2027-03-10T16:00Z",
        "2027-03-11T16:00Z",
        "2027-03-12T16:00Z",
        "2027-03-13T16:00Z",
        "2027-03-14T16:00Z",
    ):
        h.sweep(at)
    texts = [text_of(p) for p in reminders(h)]
    assert len(texts) == 6
    assert ["overdue by 1 day" in t for t in texts] == [False, False, False, True, False, False]
    assert "overdue by 3 days" in texts[-1]
    assert len(escalations(h, OWNER)) == 3
    with h.session() as s:
        priorities = dict(
            s.execute(
                select(OutboxMessage.dedupe_key, OutboxMessage.priority).where(
                    OutboxMessage.dedupe_key.in_(["deadline:1:due-24h", "deadline:1:overdue-1"])
                )
            ).all()
        )
    assert priorities["deadline:1:overdue-1"] < priorities["deadline:1:due-24h"]


def test_dst_week_keeps_the_wall_clock_time(harness: Harness) -> None:
    """Berlin moves to summer time on Sunday 28 March 2027 (02:00 → 03:00)."""
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    # Due Monday 29 March 17:00 CEST = 15:00Z. Three days before is Friday 17:00 CET = 16:00Z
    # (72 real hours before would be 16:00 CET).
    add(h, '/outsource deadline add "Release" 2027-03-29 17:00 owner <@U_PRIYA>')
    # A second one due Saturday 27 March 17:00 CET = 16:00Z: its first overdue reminder is
    # Sunday 17:00 CEST = 15:00Z (24 real hours later would be 18:00 CEST).
    add(h, '/outsource deadline add "Docs" 2027-03-27 17:00 owner <@U_PRIYA>')
    h.sweep("2027-03-24T16:00Z")  # Docs: 72 h step (Wed 17:00 CET)
    h.sweep("2027-03-26T15:59Z")
    assert [t for t in map(text_of, reminders(h)) if "Release" in t] == []
    h.sweep("2027-03-26T16:00Z")  # Friday 17:00 CET: Release 3 days to go, Docs 1 day to go
    release = [t for t in map(text_of, reminders(h)) if "Release" in t]
    assert len(release) == 1 and "Mon 29 Mar 2027 17:00 CEST" in release[0]
    h.sweep("2027-03-27T16:00Z")  # Saturday 17:00 CET: Docs due
    before = len(reminders(h))
    h.sweep("2027-03-28T14:59Z")
    assert len(reminders(h)) == before
    h.sweep("2027-03-28T15:00Z")  # Sunday 17:00 CEST: Release 1 day to go, Docs overdue 1 day
    new = [text_of(p) for p in reminders(h)[before:]]
    assert len(new) == 1  # both went out bundled in one message
    assert "Release" in new[0] and "1 day to go" in new[0]
    assert "Docs" in new[0] and "overdue by 1 day" in new[0]
    with h.session() as s:
        due = {d.title: d.next_reminder_at for d in s.scalars(select(Deadline)).all()}
    # The next step of each is again at 17:00 Berlin summer time (15:00Z).
    assert due["Release"] is not None and due["Release"].isoformat() == "2027-03-29T15:00:00+00:00"
    assert due["Docs"] is not None and due["Docs"].isoformat() == "2027-03-29T15:00:00+00:00"


def test_several_reminders_in_one_channel_go_out_as_one_bundled_message(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    add(h, '/outsource deadline add "Test plan" 2027-03-10 17:00 owner <@U_RAVI>')
    h.sweep("2027-03-09T16:01Z")
    [post] = reminders(h)
    body = text_of(post)
    assert "API v2 handover" in body and "Test plan" in body
    block_ids = [b.get("block_id") for b in post["blocks"] if b.get("block_id")]
    assert len(block_ids) == len(set(block_ids))


def test_archived_vendor_gets_no_reminders(harness: Harness) -> None:
    from storage.models import Vendor

    h = harness
    vid = h.make_vendor(tz="Europe/Berlin")
    add(h)
    with h.session() as s:
        v = s.get(Vendor, vid)
        assert v is not None
        v.archived_at = h.clock.now()
    h.sweep("2027-03-09T16:01Z")
    assert reminders(h) == []
    assert deadline(h).next_reminder_at is None


def test_reminder_without_owner_mentions_the_vendor_primary(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    text = add(h, '/outsource deadline add "Kickoff deck" 2027-03-10')
    assert "<@U_PRIYA>" in text and "primary contact" in text
    h.sweep("2027-03-09T16:01Z")
    [post] = reminders(h)
    assert post["text"].startswith("⏰ <@U_PRIYA>")


@pytest.mark.parametrize("at", ["2027-03-09T16:01Z"])
def test_reminders_on_postgresql(pg_harness: Harness, at: str) -> None:
    h = pg_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    add(h, ADD.replace("API v2 handover", "Second"))
    assert deadline(h, 2).title == "Second"
    h.sweep(at)
    h.sweep(at)
    assert len(reminders(h)) == 1
    assert "is done" in reply(h, "deadline done 1", user=OWNER)
    h.sweep("2027-03-10T16:01Z")
    [bundle, due] = reminders(h)
    assert "API v2 handover" in text_of(bundle) and "Second" in text_of(bundle)
    assert "Second" in text_of(due) and "API v2 handover" not in text_of(due)
