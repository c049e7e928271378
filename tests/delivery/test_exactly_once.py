"""Posts made in answer to a person leave after the commit, once — however Slack falters.

Counted in the channel's history (what people see), not in calls: a post Slack accepted and
then answered 500 for is found there by the outbox and never sent again."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bot.delivery.unit_of_work import DATABASE_BUSY
from bot.fakeslack.signing import message_event
from handlers import messages as handlers_messages
from storage.models import ChangeRequest, Deadline, OutboxMessage, ProcessedEvent
from tests.deadlines.helpers import ADD, add, latest_with, reply
from tests.harness import INTERNAL_TEAM as INTERNAL
from tests.harness import OTHER_CHANNEL, OWNER, PRIYA, SHARED_CHANNEL, Harness

MOVE = 'deadline move 1 2027-03-12 17:00 reason "QA found a blocker"'
CHANGE = 'change "Add SSO to the scope"'


def _in_channel(h: Harness, needle: str, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    return [m for m in h.fake.messages(channel) if needle in _text(m)]


def _text(message: dict[str, Any]) -> str:
    parts = [str(message.get("text") or "")]
    for block in message.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(str(block["text"].get("text") or ""))
    return "\n".join(parts)


def _count(h: Harness, model: Any) -> int:
    with h.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request: pytest.FixtureRequest, slack: Any) -> Any:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    harness = Harness(slack, url)
    yield harness
    harness.close()


# -- Slack accepted the post, then answered 500 ---------------------------------------------


def test_deadline_add_announced_once_when_slack_answers_500_after_accepting(h: Harness) -> None:
    h.make_vendor()
    h.fake.accept_then_fail("chat.postMessage")
    text = add(h)
    assert "API v2 handover" in text
    assert len(_in_channel(h, "API v2 handover")) == 1
    h.sweep()  # a later pass finds nothing left to do
    assert len(_in_channel(h, "API v2 handover")) == 1
    assert _count(h, Deadline) == 1


def test_move_posts_one_change_request_when_slack_answers_500_after_accepting(
    h: Harness,
) -> None:
    h.make_vendor()
    add(h)
    h.fake.accept_then_fail("chat.postMessage")
    reply(h, MOVE)
    h.sweep()
    assert len(_in_channel(h, "QA found a blocker")) == 1
    assert _count(h, ChangeRequest) == 1
    with h.session() as s:
        cr = s.scalars(select(ChangeRequest)).one()
        posted = _in_channel(h, "QA found a blocker")[0]
        assert cr.message_ts == posted["ts"]  # its buttons are bound to the one message


def test_change_posts_one_request_when_slack_answers_500_after_accepting(h: Harness) -> None:
    h.make_vendor()
    h.fake.accept_then_fail("chat.postMessage")
    reply(h, CHANGE)
    h.sweep()
    assert len(_in_channel(h, "Add SSO to the scope")) == 1
    assert _count(h, ChangeRequest) == 1


def test_a_500_slack_never_acted_on_is_posted_once_after_the_check(h: Harness) -> None:
    h.make_vendor()
    add(h)
    h.fake.fail_next("chat.postMessage", status=500)  # Slack did not keep it
    reply(h, MOVE)
    h.sweep()
    assert len(_in_channel(h, "QA found a blocker")) == 1


# -- duplicates from people and from Slack ----------------------------------------------------


def test_the_same_click_twice_decides_once_and_updates_the_message_once(h: Harness) -> None:
    h.make_vendor()
    add(h)
    reply(h, MOVE)
    message = latest_with(h, "QA found a blocker")
    first = h.click_button(message, "Approve (internal)", user=OWNER)
    assert first.status == 200
    updates_before = len(h.fake.calls("chat.update"))
    # The same click arrives again (same action_ts: a double press, or a retried request).
    again = h.click_button(message, "Approve (internal)", user=OWNER)
    assert again.status == 200
    assert len(h.fake.calls("chat.update")) == updates_before
    with h.session() as s:
        cr = s.scalars(select(ChangeRequest)).one()
        assert cr.internal_approved_by == OWNER


# -- Slack slow or rate-limited: the person is answered first ---------------------------------


def test_a_429_with_retry_after_never_delays_the_answer_and_posts_once(
    slack: Any, sqlite_url: str
) -> None:
    h = Harness(slack, sqlite_url, inline_delivery=False)
    try:
        h.make_vendor()
        add(h)
        h.settle()
        h.fake.fail_next("chat.postMessage", status=429, retry_after=5)
        started = time.monotonic()
        text = reply(h, MOVE)
        took = time.monotonic() - started
        assert "QA found a blocker" in text or "change request" in text.lower()
        assert took < 3.0, f"the move was answered after {took:.1f} s"
        assert _count(h, ChangeRequest) == 1
        h.settle(15)
        assert len(_in_channel(h, "QA found a blocker")) == 1
    finally:
        h.close()


def test_a_slow_post_in_one_channel_does_not_hold_up_another_channel(
    slack: Any, sqlite_url: str
) -> None:
    h = Harness(slack, sqlite_url, inline_delivery=False)
    try:
        h.make_vendor("Acme Dev")
        h.make_vendor("Beta Labs", channel=OTHER_CHANNEL, vendor=(), shared=False)
        h.fake.delay("chat.postMessage", 6.0)  # Slack takes seconds to accept a post
        add(h)  # its announcement is now in flight in the Acme channel
        started = time.monotonic()
        listing = reply(h, "deadline list", channel=OTHER_CHANNEL)
        event = h.say("status: all green", user=OWNER, channel=OTHER_CHANNEL)[0]
        took = time.monotonic() - started
        assert "deadline" in listing.lower() and event.status == 200
        assert took < 1.5, f"the other channel waited {took:.1f} s"
        h.fake.delay("chat.postMessage", 0)
        h.settle(15)
        assert len(_in_channel(h, "API v2 handover")) == 1
    finally:
        h.close()


def test_a_process_on_its_way_out_hands_no_more_posts_to_slack_and_the_rest_go_once(
    slack: Any, sqlite_url: str
) -> None:
    """Stopping must not wait for a courier pacing through a long queue (a `serve` worker has
    about a second before its master kills it); what it did not hand to Slack stays in the
    table, and the next pass posts it — once."""
    h = Harness(slack, sqlite_url, inline_delivery=False)
    titles = [f"Milestone {n}" for n in range(8)]
    try:
        h.make_vendor()
        h.outbox.pace_seconds = 1.0  # Slack's pace in one channel: about a post a second
        for title in titles:
            assert "added" in h.reply_text(h.command(f'deadline add "{title}" 2027-03-20'))
        time.sleep(1.2)  # the courier is posting, a second apart
        started = time.monotonic()
        h.runtime.close(delivery_timeout=1.5)
        took = time.monotonic() - started
        assert took < 2.0, f"closing waited {took:.1f} s for the courier"
        announced = [t for t in titles if _in_channel(h, t)]
        assert 0 < len(announced) < len(titles)
    finally:
        h.close()

    after = Harness(slack, sqlite_url)  # the next pass, here the sweep
    try:
        after.sweep()
        assert {t: len(_in_channel(after, t)) for t in titles} == dict.fromkeys(titles, 1)
    finally:
        after.close()


# -- the database busy or unusable -------------------------------------------------------------


def test_a_write_locked_database_answers_busy_within_the_bound_and_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor()
    path = make_url(h.db.url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        started = time.monotonic()
        text = add(h)
        took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert text == DATABASE_BUSY
    assert took < 2.5 + 0.5  # 2 s busy timeout; the rest is slack for a loaded machine
    assert _count(h, Deadline) == 0
    assert not _in_channel(h, "API v2 handover")
    assert "API v2 handover" in add(h)  # and once the lock is gone, it works


# -- failed events are not swallowed ------------------------------------------------------------


def test_an_event_whose_handling_failed_is_answered_500_and_its_retry_takes_effect_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    real = handlers_messages.observe_message
    calls = {"n": 0}

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("a bug or an outage while handling the event")
        return real(*args, **kwargs)

    monkeypatch.setattr(handlers_messages, "observe_message", fails_once)
    stored = h.fake.workspace.add_message(SHARED_CHANNEL, text="Is the API ready?", user=OWNER)
    event = message_event(
        "Is the API ready?", user=OWNER, channel=SHARED_CHANNEL, ts=stored.ts, user_team=INTERNAL
    )
    first = h.event(event, event_id="Ev_Q1")
    assert first.status >= 500  # Slack delivers it again
    with h.session() as s:  # the failed run kept nothing, not even the event id
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    again = h.event(event, event_id="Ev_Q1", retry_num=1, retry_reason="http_error")
    assert again.status == 200
    third = h.event(event, event_id="Ev_Q1", retry_num=2, retry_reason="http_error")
    assert third.status == 200
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


def test_outbox_rows_of_an_answer_are_never_written_when_the_command_fails(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor()
    text = add(h, ADD.replace("2027-03-10 17:00", "2020-01-01 17:00"))
    assert "past" in text.lower()
    assert _count(h, OutboxMessage) == 0 and not h.posts()
