"""Change requests: a move is proposed, both sides approve, the date and reminders follow."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import AuditEntry, ChangeRequest
from tests.deadlines.helpers import (
    add,
    audit_actions,
    buttons,
    counts,
    deadline,
    last_ephemeral_response,
    latest_with,
    outbox_states,
    press,
    reminders,
    reply,
    text_of,
)
from tests.harness import ALEX, OWNER, PRIYA, SHARED_CHANNEL, Harness

MOVE = 'deadline move 1 2027-03-12 17:00 reason "QA found a blocker"'


def _requested(h: Harness) -> dict:
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    text = reply(h, MOVE)
    assert "Change request posted" in text
    assert "Fri 12 Mar 2027 17:00 CET (16:00 GMT your time)" in text
    return latest_with(h, "Change request")


def test_move_posts_a_change_request_and_does_not_touch_the_date(harness: Harness) -> None:
    h = harness
    message = _requested(h)
    body = text_of(message)
    assert "QA found a blocker" in body
    assert "Wed 10 Mar 2027 17:00 CET" in body and "Fri 12 Mar 2027 17:00 CET" in body
    assert [b[0] for b in buttons(message)] == [
        "Approve (internal)",
        "Decline (internal)",
        "Approve (Acme Dev)",
        "Decline (Acme Dev)",
    ]
    assert deadline(h).due_at == datetime(2027, 3, 10, 16, tzinfo=UTC)
    with h.session() as s:
        cr = s.scalar(select(ChangeRequest))
        assert cr is not None and cr.message_ts == message["ts"] and cr.state == "pending"
    assert audit_actions(h)[-1] == "change.request"


def test_wrong_side_approvals_and_declines_are_refused(harness: Harness) -> None:
    h = harness
    message = _requested(h)
    before = counts(h)
    # The vendor cannot press the internal side's buttons (refused before any handler)…
    press(h, message, "Approve (internal)", user=PRIYA)
    assert "for the internal team" in last_ephemeral_response(h)
    press(h, message, "Decline (internal)", user=PRIYA)
    assert "for the internal team" in last_ephemeral_response(h)
    # …and the internal team cannot answer for the vendor.
    press(h, message, "Approve (Acme Dev)", user=OWNER)
    assert "Only Acme Dev's side can approve" in last_ephemeral_response(h)
    press(h, message, "Decline (Acme Dev)", user=ALEX)
    assert "Only Acme Dev's side can decline" in last_ephemeral_response(h)
    assert counts(h) == before
    with h.session() as s:
        cr = s.scalar(select(ChangeRequest))
        assert cr is not None
        assert (cr.state, cr.internal_approved_by, cr.vendor_approved_by) == (
            "pending",
            None,
            None,
        )
    assert h.fake.calls("chat.update") == []


def test_both_approvals_move_the_date_and_keep_the_history(harness: Harness) -> None:
    h = harness
    message = _requested(h)
    press(h, message, "Approve (Acme Dev)", user=PRIYA)
    updated = latest_with(h, "Change request")
    assert "Acme Dev: ✅ <@U_PRIYA>" in text_of(updated)
    assert [b[0] for b in buttons(updated)] == ["Approve (internal)", "Decline (internal)"]
    assert deadline(h).due_at == datetime(2027, 3, 10, 16, tzinfo=UTC)  # not yet

    press(h, updated, "Approve (internal)", user=OWNER)
    final = latest_with(h, "Change request")
    assert "Approved by both sides" in text_of(final)
    assert "#1 is now due *Fri 12 Mar 2027 17:00 CET*" in text_of(final)
    assert buttons(final) == []
    d = deadline(h)
    assert d.due_at == datetime(2027, 3, 12, 16, tzinfo=UTC)
    assert d.revision == 1

    detail = reply(h, "deadline show 1")
    assert "Fri 12 Mar 2027 17:00 CET" in detail
    assert "Wed 10 Mar 2027 17:00 CET → *Fri 12 Mar 2027 17:00 CET*" in detail
    assert "QA found a blocker" in detail
    assert "approved by <@U_DANA> and <@U_PRIYA>" in detail

    with h.session() as s:
        last = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert last is not None and last.action == "change.approve"
        assert last.detail["result"] == "approved"
        assert last.detail["new_due_at"].startswith("2027-03-12T16:00")
    assert audit_actions(h)[-3:] == ["change.request", "change.approve", "change.approve"]


def test_reminders_follow_the_new_date_and_old_steps_do_not_repeat(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.sweep("2027-03-09T16:01Z")  # 24 h reminder for the old date (72 h one recorded skipped)
    assert len(reminders(h)) == 1
    h.clock.set(datetime(2027, 3, 9, 17, 0, tzinfo=UTC))
    reply(h, 'deadline move 1 2027-03-16 17:00 reason "Scope grew"')
    message = latest_with(h, "Change request")
    press(h, message, "Approve (Acme Dev)", user=PRIYA)
    press(h, latest_with(h, "Change request"), "Approve (internal)", user=OWNER)

    h.sweep("2027-03-10T16:01Z")  # the old due date: nothing
    h.sweep("2027-03-12T09:00Z")
    assert len(reminders(h)) == 1
    h.sweep("2027-03-13T16:00Z")  # new date − 3 days
    posted = reminders(h)
    assert len(posted) == 2 and "Tue 16 Mar 2027 17:00 CET" in text_of(posted[-1])
    h.sweep("2027-03-15T16:00Z")
    assert len(reminders(h)) == 3
    states = outbox_states(h, "deadline:1:")
    assert states["deadline:1:due-24h"] == "sent"  # for the old date
    assert states["deadline:1:r1:due-72h"] == "sent"
    assert states["deadline:1:r1:due-24h"] == "sent"


def test_a_move_to_a_date_whose_steps_have_passed_sends_only_what_is_ahead(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.sweep("2027-03-09T16:01Z")
    h.clock.set(datetime(2027, 3, 9, 18, 0, tzinfo=UTC))
    reply(h, 'deadline move 1 2027-03-11 17:00 reason "One more day"')
    press(h, latest_with(h, "Change request"), "Approve (internal)", user=OWNER)
    press(h, latest_with(h, "Change request"), "Approve (Acme Dev)", user=PRIYA)
    # New date − 72 h and − 24 h ... the 24 h step (10 Mar 16:00Z) is still ahead: it is sent.
    h.sweep("2027-03-09T18:30Z")
    assert len(reminders(h)) == 1
    h.sweep("2027-03-10T16:00Z")
    posted = reminders(h)
    assert len(posted) == 2 and "Thu 11 Mar 2027 17:00 CET" in text_of(posted[-1])
    assert "deadline:1:r1:due-72h" not in outbox_states(h, "deadline:1:")


def test_decline_closes_the_request_and_nothing_moves(harness: Harness) -> None:
    h = harness
    message = _requested(h)
    press(h, message, "Decline (Acme Dev)", user=PRIYA)
    final = latest_with(h, "Change request")
    assert "Declined* by <@U_PRIYA>" in text_of(final)
    assert buttons(final) == []
    assert deadline(h).due_at == datetime(2027, 3, 10, 16, tzinfo=UTC)
    press(h, message, "Approve (internal)", user=OWNER)  # the old message's button
    assert "declined already" in last_ephemeral_response(h)
    assert "declined by <@U_PRIYA>" in reply(h, "deadline show 1")
    # A new request may now be made.
    assert "Change request posted" in reply(h, MOVE)


def test_only_one_pending_move_per_deadline(harness: Harness) -> None:
    h = harness
    _requested(h)
    before = counts(h)
    text = reply(h, 'deadline move 1 2027-03-20 reason "Again"')
    assert "already has a change waiting" in text
    assert counts(h) == before


def test_scope_change_request_needs_both_sides(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    text = reply(h, 'change "Add SSO to the admin panel"')
    assert "Change request posted" in text
    message = latest_with(h, "Add SSO")
    press(h, message, "Approve (internal)", user=ALEX)
    press(h, latest_with(h, "Add SSO"), "Approve (Acme Dev)", user=PRIYA)
    assert "Approved by both sides" in text_of(latest_with(h, "Add SSO"))
    with h.session() as s:
        cr = s.scalar(select(ChangeRequest))
        assert cr is not None
        assert (cr.state, cr.internal_approved_by, cr.vendor_approved_by) == (
            "approved",
            ALEX,
            PRIYA,
        )


def test_approving_the_same_side_twice_is_refused(harness: Harness) -> None:
    h = harness
    message = _requested(h)
    press(h, message, "Approve (internal)", user=OWNER)
    press(h, message, "Approve (internal)", user=ALEX)  # stale message still shows the button
    assert "<@U_DANA> approved this for the internal side" in last_ephemeral_response(h)
    with h.session() as s:
        cr = s.scalar(select(ChangeRequest))
        assert cr is not None and cr.internal_approved_by == OWNER


def test_done_closes_a_pending_move(harness: Harness) -> None:
    h = harness
    message = _requested(h)
    reply(h, "deadline done 1")
    with h.session() as s:
        cr = s.scalar(select(ChangeRequest))
        assert cr is not None and cr.state == "cancelled"
    # The request's message says it is closed and offers no buttons any more.
    shown = next(m for m in h.fake.messages(SHARED_CHANNEL) if m.get("ts") == message["ts"])
    assert "the deadline was marked done" in str(shown["blocks"])
    assert not [b for b in shown["blocks"] if b.get("type") == "actions"]
    press(h, message, "Approve (Acme Dev)", user=PRIYA)
    assert "its deadline was marked done" in last_ephemeral_response(h)
    assert deadline(h).due_at == datetime(2027, 3, 10, 16, tzinfo=UTC)
    assert "closed when the deadline was done" in reply(h, "deadline show 1")
