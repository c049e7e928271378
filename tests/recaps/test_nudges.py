"""Nudges: a call mentioned with no recap after 4 business hours, and a side that has not
confirmed after 1 business day. Each once, in thread, through the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks import kit
from tests.harness import ALEX, OWNER, PRIYA, SHARED_CHANNEL, Harness
from tests.recaps.helpers import (
    audit_actions,
    buttons,
    mentions,
    opened_views,
    stored_message,
    submit_recap,
    the_recap_message,
)


def _nudges(h: Harness) -> list[dict]:
    return [p for p in h.posts(SHARED_CHANNEL) if "mentioned a call" in str(p.get("text"))]


def test_a_call_mention_gets_one_nudge_after_four_business_hours(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    # Mon 1 Mar 10:00 Berlin.
    _, event = h.say("Just got off the phone with Priya, they can start next week.", user=ALEX)
    (mention,) = mentions(h)
    assert mention.state == "waiting" and mention.user_id == ALEX
    assert mention.nudge_at.isoformat() == "2027-03-01T13:00:00+00:00"  # 14:00 Berlin

    h.sweep("2027-03-01T12:59:00Z")
    assert _nudges(h) == []
    h.sweep("2027-03-01T13:00:00Z")
    (nudge,) = _nudges(h)
    assert nudge["thread_ts"] == event["ts"]
    assert "<@U_ALEX> mentioned a call" in nudge["text"]
    assert buttons(nudge) == {"recap_make": "Make a recap"}
    h.sweep("2027-03-01T16:00:00Z")
    h.sweep("2027-03-02T13:00:00Z")
    assert len(_nudges(h)) == 1
    assert mentions(h)[0].state == "nudged"
    assert audit_actions(h, "call_mention.") == ["call_mention.recorded", "call_mention.nudged"]

    # The nudge's button opens the recap modal for that thread.
    message = stored_message(h, h.fake.workspace.history(SHARED_CHANNEL)[-1].ts)
    h.click_button(message, "Make a recap", user=OWNER)
    (view,) = opened_views(h)
    assert kit.decode(view["private_metadata"])["thread_ts"] == event["ts"]


def test_no_nudge_when_a_recap_was_made(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    h.say("As discussed on the call, we move the demo.", user=PRIYA)
    h.clock.advance(timedelta(hours=1))
    submit_recap(h, "We move the demo to Thursday.")
    h.sweep("2027-03-01T13:00:00Z")
    h.sweep("2027-03-02T13:00:00Z")
    assert _nudges(h) == []
    assert mentions(h)[0].state == "recapped"


def test_business_hours_skip_the_weekend(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.clock.set(datetime.fromisoformat("2027-03-05T15:00:00+00:00"))
    h.say("per our call, the budget is approved", user=OWNER)  # Fri 16:00 Berlin
    h.sweep("2027-03-06T12:00:00Z")  # Saturday
    h.sweep("2027-03-08T10:59:00Z")  # Mon 11:59 Berlin: 1 h Friday + 2 h 59 Monday
    assert _nudges(h) == []
    h.sweep("2027-03-08T11:00:00Z")
    assert len(_nudges(h)) == 1


def test_only_one_waiting_mention_per_channel_and_none_from_bots_or_recap_threads(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor()
    h.say("just got off the phone with them", user=OWNER)
    h.say("Per our call: I'll send the file", user=PRIYA)
    assert len(mentions(h)) == 1
    h.say("Nothing to see here, no calls today", user=OWNER)
    assert len(mentions(h)) == 1
    h.sweep("2027-03-01T13:00:00Z")  # nudged; the next mention starts a new wait
    submit_recap(h)
    recap_ts = the_recap_message(h)["ts"]
    h.say("as discussed on the call, looks right", user=PRIYA, thread_ts=recap_ts)
    assert len(mentions(h)) == 1


def _confirm_nudges(h: Harness) -> list[dict]:
    return [p for p in h.posts(SHARED_CHANNEL) if "still needs confirming" in str(p.get("text"))]


def test_an_unconfirmed_side_gets_one_nudge_after_one_business_day(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h)  # Mon 10:00 Berlin
    message = the_recap_message(h)
    h.click_button(message, "recap_confirm_internal", user=OWNER)

    h.sweep("2027-03-02T08:59:00Z")
    assert _confirm_nudges(h) == []
    h.sweep("2027-03-02T09:00:00Z")  # Tue 10:00 Berlin
    (nudge,) = _confirm_nudges(h)
    assert nudge["thread_ts"] == message["ts"]
    assert "<@U_PRIYA>" in nudge["text"] and "Acme Dev" in nudge["text"]
    assert "<@U_DANA>" not in nudge["text"]  # the internal side has confirmed
    h.sweep("2027-03-03T09:00:00Z")
    h.sweep("2027-03-09T09:00:00Z")
    assert len(_confirm_nudges(h)) == 1
    assert audit_actions(h, "recap.")[-1] == "recap.confirm_nudged"


def test_no_confirmation_nudge_when_both_sides_confirmed(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h)
    h.click_button(the_recap_message(h), "recap_confirm_internal", user=OWNER)
    h.click_button(the_recap_message(h), "recap_confirm_vendor", user=PRIYA)
    h.sweep("2027-03-03T09:00:00Z")
    assert _confirm_nudges(h) == []


def test_a_recap_made_before_the_mention_does_not_count(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    submit_recap(h, "We agreed on the plan for March.")
    h.clock.advance(timedelta(hours=1))
    h.say("Just got off the phone with Ravi about the hosting bill.", user=OWNER)
    h.sweep("2027-03-01T14:00:00Z")
    assert len(_nudges(h)) == 1
