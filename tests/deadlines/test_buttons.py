"""Acknowledge and Mark done on reminders: the right side only, recorded, message updated."""

from __future__ import annotations

from tests.deadlines.helpers import (
    add,
    audit_actions,
    buttons,
    counts,
    deadline,
    escalations,
    last_ephemeral_response,
    latest_with,
    press,
    reminders,
    text_of,
)
from tests.harness import ALEX, MALLORY, OWNER, PRIYA, RAVI, Harness


def _reminded(h: Harness) -> dict:
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.sweep("2027-03-09T16:01Z")
    return latest_with(h, "1 day to go")


def test_vendor_acknowledges_and_the_message_is_updated_in_place(harness: Harness) -> None:
    h = harness
    message = _reminded(h)
    h.clock.set(h.clock.now().replace(minute=30))
    press(h, message, "Acknowledge", user=PRIYA)
    d = deadline(h)
    assert d.acknowledged_by == PRIYA
    assert d.acknowledged_at == h.clock.now()
    [update] = [c.params for c in h.fake.calls("chat.update")]
    assert update["ts"] == message["ts"]
    now = latest_with(h, "1 day to go")
    assert now["ts"] == message["ts"]
    assert "Acknowledged by <@U_PRIYA>, Tue 9 Mar 2027 17:30 CET" in text_of(now)
    assert [b[0] for b in buttons(now)] == ["Mark done"]
    assert audit_actions(h)[-1] == "deadline.acknowledge"


def test_internal_user_cannot_acknowledge_for_the_vendor(harness: Harness) -> None:
    h = harness
    message = _reminded(h)
    before = counts(h)
    for user in (OWNER, ALEX):
        press(h, message, "Acknowledge", user=user)
        assert "Only Acme Dev's side can acknowledge" in last_ephemeral_response(h)
    press(h, message, "Acknowledge", user=MALLORY)
    assert "Only Acme Dev's side" in last_ephemeral_response(h)
    assert deadline(h).acknowledged_at is None
    assert counts(h) == before
    assert h.fake.calls("chat.update") == []


def test_second_acknowledgement_is_refused_politely(harness: Harness) -> None:
    h = harness
    message = _reminded(h)
    press(h, message, "Acknowledge", user=PRIYA)
    press(h, message, "Acknowledge", user=RAVI)
    assert "already acknowledged by <@U_PRIYA>" in last_ephemeral_response(h)
    assert deadline(h).acknowledged_by == PRIYA


def test_acknowledge_in_a_bundle_touches_only_that_deadline(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    add(h, '/outsource deadline add "Test plan" 2027-03-10 17:00 owner <@U_RAVI>')
    h.sweep("2027-03-09T16:01Z")
    [post] = reminders(h)
    message = latest_with(h, "Test plan")
    second = deadline(h, 2)
    press(h, message, "Acknowledge", user=RAVI, deadline_id=second.id)
    updated = latest_with(h, "Test plan")
    labels = [(b[0], b[2]["d"]) for b in buttons(updated)]
    first = deadline(h, 1)
    assert labels == [
        ("Acknowledge", first.id),
        ("Mark done", first.id),
        ("Mark done", second.id),
    ]
    assert "Acknowledged by <@U_RAVI>" in text_of(updated)
    assert deadline(h, 1).acknowledged_at is None
    # Everything else in the message (header, the other reminder's text) is unchanged.
    assert len(updated["blocks"]) == len(post["blocks"]) + 1


def test_mark_done_button_by_the_vendor_stops_reminders(harness: Harness) -> None:
    h = harness
    message = _reminded(h)
    press(h, message, "Mark done", user=PRIYA)
    d = deadline(h)
    assert d.state == "done" and d.done_by == PRIYA and d.next_reminder_at is None
    assert "Done — marked by <@U_PRIYA>" in text_of(latest_with(h, "1 day to go"))
    assert buttons(latest_with(h, "1 day to go")) == []
    h.sweep("2027-03-10T16:01Z")
    h.sweep("2027-03-12T16:01Z")
    assert len(reminders(h)) == 1
    assert escalations(h, OWNER) == []


def test_mark_done_by_a_third_party_is_refused(harness: Harness) -> None:
    h = harness
    message = _reminded(h)
    before = counts(h)
    press(h, message, "Mark done", user=MALLORY)
    assert "can mark deadlines done" in last_ephemeral_response(h)
    assert deadline(h).state == "open"
    assert counts(h) == before


def test_mark_done_twice_says_it_is_done_already(harness: Harness) -> None:
    h = harness
    message = _reminded(h)
    press(h, message, "Mark done", user=OWNER)
    press(h, message, "Mark done", user=PRIYA)
    assert "already done" in last_ephemeral_response(h)
    assert deadline(h).done_by == OWNER
    assert audit_actions(h).count("deadline.done") == 1


def test_announcement_lets_the_vendor_acknowledge_before_any_reminder(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    note = latest_with(h, "set deadline")
    assert "due *Wed 10 Mar 2027 17:00 CET*" in text_of(note)
    press(h, note, "Acknowledge", user=PRIYA)
    assert deadline(h).acknowledged_by == PRIYA
    h.sweep("2027-03-09T16:01Z")
    [post] = reminders(h)
    assert [b[0] for b in buttons(post)] == ["Mark done"]
    assert "Acknowledged by <@U_PRIYA>" in text_of(post)


def test_a_button_from_another_channel_is_refused(harness: Harness) -> None:
    h = harness
    message = _reminded(h)
    press(h, message, "Acknowledge", user=PRIYA, channel="C_OTHER")
    assert "not one of this channel's" in last_ephemeral_response(h)
    assert deadline(h).acknowledged_at is None
