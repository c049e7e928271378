"""Answering a check-in: the Update form (also for Slack Connect users), thread replies, and
the SLA follow-up (one reminder, one escalation, never a third)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from storage.models import AuditEntry, CheckIn
from storage.models.checkins import CheckInAnswer
from tests.checkins.helpers import checkin_posts, last_checkin_message, thread_replies
from tests.harness import ALEX, INTERNAL_TEAM, OWNER, PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness


def _form_values(done: str, next_: str, blockers: str, on_track: str) -> dict[str, Any]:
    return {
        "checkin_done": {"checkin_done": done},
        "checkin_next": {"checkin_next": next_},
        "checkin_blockers": {"checkin_blockers": blockers},
        "checkin_on_track": {
            "checkin_on_track": {
                "type": "radio_buttons",
                "selected_option": {"value": on_track},
            }
        },
    }


def _posted_checkin(h: Harness) -> dict[str, Any]:
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")  # Mon 10:01 CET
    assert len(checkin_posts(h)) == 1
    return last_checkin_message(h)


def _opened_view(h: Harness) -> dict[str, Any]:
    view = h.fake.calls("views.open")[-1].params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def test_external_vendor_user_opens_and_submits_the_form(both: Harness) -> None:
    h = both
    message = _posted_checkin(h)
    assert h.click_button(message, "Update", user=PRIYA).status == 200
    view = _opened_view(h)
    assert view["callback_id"] == "checkin_modal"
    meta = json.loads(view["private_metadata"])
    assert meta["team"] == INTERNAL_TEAM and meta["channel"] == SHARED_CHANNEL

    # Slack Connect: the submission names the external user's own team (bolt-python #767).
    resp = h.submit(
        "checkin_modal",
        _form_values("Login page shipped", "Password reset", "Waiting for API keys", "blocked"),
        user=PRIYA,
        team_id=VENDOR_TEAM,
        private_metadata=view["private_metadata"],
    )
    assert resp.status == 200 and not resp.body_text.strip("{}")
    summary = thread_replies(h, message["ts"])
    assert len(summary) == 1
    assert "Login page shipped" in summary[0]["text"] and "Blocked" in summary[0]["text"]

    with h.session() as s:
        checkin = s.scalars(select(CheckIn)).one()
        assert (checkin.state, checkin.on_track, checkin.answered_by) == (
            "answered",
            "blocked",
            PRIYA,
        )
        answer = s.scalars(select(CheckInAnswer)).one()
        assert answer.blockers_text == "Waiting for API keys" and answer.via == "form"

    # "Blocked" goes to the internal primary at once (the next delivery), once.
    h.sweep("2027-03-08T09:02Z")
    h.sweep("2027-03-08T09:03Z")
    dms = h.dms(OWNER)
    assert len(dms) == 1
    assert "blocked" in dms[0]["text"] and "Waiting for API keys" in dms[0]["text"]
    # Answered: no reminder, no escalation afterwards.
    h.sweep("2027-03-09T15:00Z")
    h.sweep("2027-03-11T15:00Z")
    assert len(h.dms(OWNER)) == 1
    assert len(thread_replies(h, message["ts"])) == 1


def test_on_track_answer_sends_no_dm(harness: Harness) -> None:
    h = harness
    message = _posted_checkin(h)
    h.click_button(message, "Update", user=PRIYA)
    view = _opened_view(h)
    h.submit(
        "checkin_modal",
        _form_values("All of it", "More", "", "yes"),
        user=PRIYA,
        team_id=VENDOR_TEAM,
        private_metadata=view["private_metadata"],
    )
    h.sweep("2027-03-08T09:05Z")
    assert h.dms(OWNER) == []
    assert "Blockers:* none" in thread_replies(h, message["ts"])[0]["text"]


def test_internal_user_cannot_answer_for_the_vendor(harness: Harness) -> None:
    h = harness
    message = _posted_checkin(h)
    h.click_button(message, "Update", user=ALEX)
    assert h.fake.calls("views.open") == []
    assert "Only Acme Dev's side can send the check-in update" in h.fake.responses()[-1]["text"]
    # A forged submission by the internal side is refused too, and stores nothing.
    meta = json.dumps({"team": INTERNAL_TEAM, "channel": SHARED_CHANNEL, "checkin": 1})
    resp = h.submit(
        "checkin_modal", _form_values("x", "y", "", "yes"), user=ALEX, private_metadata=meta
    )
    assert resp.json()["response_action"] == "errors"
    with h.session() as s:
        assert s.scalars(select(CheckInAnswer)).all() == []
        assert s.scalars(select(CheckIn)).one().state == "open"


def test_form_without_required_fields_shows_errors(harness: Harness) -> None:
    h = harness
    message = _posted_checkin(h)
    h.click_button(message, "Update", user=PRIYA)
    view = _opened_view(h)
    resp = h.submit(
        "checkin_modal",
        _form_values("", "next", "", "maybe"),
        user=PRIYA,
        team_id=VENDOR_TEAM,
        private_metadata=view["private_metadata"],
    )
    body = resp.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"checkin_done", "checkin_on_track"}
    with h.session() as s:
        assert s.scalars(select(CheckInAnswer)).all() == []


def test_thread_reply_by_the_vendor_is_the_answer(harness: Harness) -> None:
    h = harness
    message = _posted_checkin(h)
    h.say("Internal note: waiting on them", user=OWNER, thread_ts=message["ts"])
    with h.session() as s:
        assert s.scalars(select(CheckIn)).one().state == "open"
    h.say("We are at risk: the designer is out this week", user=PRIYA, thread_ts=message["ts"])
    with h.session() as s:
        checkin = s.scalars(select(CheckIn)).one()
        assert (checkin.state, checkin.via, checkin.on_track) == ("answered", "thread", "at_risk")
    replies = [r for r in thread_replies(h, message["ts"]) if "Check-in update" in r["text"]]
    assert len(replies) == 1 and "designer is out" in replies[0]["text"]
    h.sweep("2027-03-08T10:00Z")
    assert len(h.dms(OWNER)) == 1 and "at risk" in h.dms(OWNER)[0]["text"]
    # Later chatter in the thread is conversation, not another answer.
    h.say("thanks!", user=PRIYA, thread_ts=message["ts"])
    with h.session() as s:
        assert len(s.scalars(select(CheckInAnswer)).all()) == 1


def test_no_answer_one_reminder_then_one_escalation_never_a_third(both: Harness) -> None:
    h = both
    message = _posted_checkin(h)  # posted Mon 8 Mar 10:01 CET; SLA 8 business hours
    h.sweep("2027-03-09T09:00Z")  # Tue 10:00 CET: 7h59m of business time so far
    assert thread_replies(h, message["ts"]) == []
    h.sweep("2027-03-09T09:05Z")  # Tue 10:05 CET: past the SLA
    reminders = thread_replies(h, message["ts"])
    assert len(reminders) == 1 and "reminder" in reminders[0]["text"].lower()
    assert f"<@{PRIYA}>" in reminders[0]["text"]
    assert h.dms(OWNER) == []

    h.sweep("2027-03-10T09:04Z")  # Wed 10:04 CET: not yet 8 business hours after the reminder
    assert h.dms(OWNER) == []
    h.sweep("2027-03-10T09:06Z")
    dms = h.dms(OWNER)
    assert len(dms) == 1 and "still unanswered" in dms[0]["text"]

    for day in range(11, 20):
        h.sweep(f"2027-03-{day:02d}T12:00Z")
    assert len(thread_replies(h, message["ts"])) == 1
    escalations = [d for d in h.dms(OWNER) if "check-in of Mon 8 Mar" in d["text"]]
    assert len(escalations) == 1
    with h.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    # The next Monday's check-in (15 Mar) runs its own course; the first got one of each.
    assert actions.count("checkin.reminder") == 2
    assert actions.count("checkin.escalation") == 2


def test_a_new_sla_applies_to_a_waiting_checkin(harness: Harness) -> None:
    h = harness
    message = _posted_checkin(h)  # posted Mon 8 Mar 10:01 CET
    h.sweep("2027-03-08T09:10Z")
    h.clock.set(datetime(2027, 3, 8, 9, 30, tzinfo=UTC))
    h.command("sla 2")
    h.sweep("2027-03-08T11:00Z")  # 12:00 CET: 1h59m after the post
    assert thread_replies(h, message["ts"]) == []
    h.sweep("2027-03-08T11:02Z")
    assert len(thread_replies(h, message["ts"])) == 1
