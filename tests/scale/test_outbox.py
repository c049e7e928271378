"""Outbox delivery against the fake Slack: crash reconciliation, ambiguous answers, 429s,
pacing, bundling, revoked installs, event-id housekeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.delivery.outbox import (
    CLAIMED,
    LOST_TRACK_SECONDS,
    METADATA_EVENT_TYPE,
    PENDING,
    SENDING,
    SENT,
    Outbox,
    Owner,
    enqueue,
)
from bot.services.noise import NoisePolicy
from storage.models import OutboxMessage, ProcessedEvent
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL, Harness
from tests.scale.helpers import BOT, add_channels, posted_keys

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def outbox(h: Harness, **kw: Any) -> Outbox:
    kw.setdefault("pace_seconds", 0)
    kw.setdefault("grace_seconds", 0)
    return Outbox(h.db, h.runtime.client_factory, policy=NoisePolicy(), **kw)


def put(h: Harness, key: str, channel: str, **kw: Any) -> None:
    kw.setdefault("budgeted", False)
    with h.session() as s:
        enqueue(
            s,
            team_id=INTERNAL_TEAM,
            dedupe_key=key,
            channel_id=channel,
            kind="test",
            now=NOW,
            text=kw.pop("text", f"post {key}"),
            **kw,
        )


def row(h: Harness, key: str) -> OutboxMessage:
    with h.session() as s:
        found = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
        assert found is not None
        return found


def set_row(h: Harness, key: str, **values: Any) -> None:
    with h.session() as s:
        found = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
        assert found is not None
        for name, value in values.items():
            setattr(found, name, value)


def slack_accepts_as_bot(h: Harness, channel: str, attempt_id: str, key: str) -> str:
    """What Slack holds after accepting a post whose process then died before marking it."""
    resp = h.fake.client().chat_postMessage(
        channel=channel,
        text=f"post {key}",
        metadata={
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {"attempt_id": attempt_id, "keys": key},
        },
    )
    return str(resp["ts"])


@pytest.fixture
def h(harness: Harness) -> Harness:
    add_channels(harness.fake, 3)  # CS00000 … CS00002, the bot is a member
    return harness


LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def test_a_post_slack_accepted_before_the_worker_died_is_marked_not_reposted(h: Harness) -> None:
    put(h, "k1", "CS00000")
    set_row(h, "k1", state=SENDING, attempt_id="424242.deadbeef", claimed_at=LONG_AGO)
    ts = slack_accepts_as_bot(h, "CS00000", "424242.deadbeef", "k1")

    report = outbox(h).deliver_due(NOW)

    assert posted_keys(h.fake) == {"k1": 1}
    r = row(h, "k1")
    assert (r.state, r.message_ts) == (SENT, ts)
    assert report.reconciled == 1 and report.posted == 0


def test_a_post_slack_never_got_is_sent_once_after_the_check(h: Harness) -> None:
    put(h, "k1", "CS00000")
    set_row(h, "k1", state=SENDING, attempt_id="424242.deadbeef", claimed_at=LONG_AGO)

    outbox(h).deliver_due(NOW)
    outbox(h).deliver_due(NOW)

    assert posted_keys(h.fake) == {"k1": 1}
    assert len(h.fake.calls("conversations.history")) == 1  # asked Slack before resending
    assert row(h, "k1").state == SENT


def test_a_crash_between_slack_accepting_and_marking_sent_posts_once(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real send path, with the database write after Slack's answer failing."""
    put(h, "k1", "CS00000")
    original = Outbox._move

    def crash_on_mark(self: Outbox, post: Any, from_state: str, to_state: str, **kw: Any) -> bool:
        if to_state == SENT:
            raise ConnectionError("database went away")
        return original(self, post, from_state, to_state, **kw)

    monkeypatch.setattr(Outbox, "_move", crash_on_mark)
    outbox(h).deliver_due(NOW)
    assert row(h, "k1").state == SENDING  # Slack has it, we don't know yet
    monkeypatch.setattr(Outbox, "_move", original)

    outbox(h).deliver_due(NOW)

    assert posted_keys(h.fake) == {"k1": 1}
    (message,) = [m for m in h.fake.messages("CS00000") if m.get("metadata")]
    r = row(h, "k1")
    assert (r.state, r.message_ts) == (SENT, message["ts"])


def test_a_dm_settled_from_history_keeps_its_dm_channel_for_later_edits(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DM is posted to the user id, but Slack edits it only by its D… channel: a DM found
    in the history after a crash records that channel, as a normal send does."""
    put(h, "dm1", OWNER)
    put(h, "dm2", OWNER)
    original = Outbox._move

    def crash_on_mark(self: Outbox, post: Any, from_state: str, to_state: str, **kw: Any) -> bool:
        if to_state == SENT and post.rows[0].dedupe_key == "dm1":
            raise ConnectionError("database went away")
        return original(self, post, from_state, to_state, **kw)

    monkeypatch.setattr(Outbox, "_move", crash_on_mark)
    outbox(h).deliver_due(NOW)
    assert row(h, "dm1").state == SENDING
    monkeypatch.setattr(Outbox, "_move", original)

    outbox(h).deliver_due(NOW)

    assert posted_keys(h.fake) == {"dm1": 1, "dm2": 1}
    dm = h.fake.client().conversations_open(users=OWNER)["channel"]["id"]
    assert dm.startswith("D")
    settled, sent = row(h, "dm1"), row(h, "dm2")
    assert (settled.state, settled.posted_channel) == (SENT, dm)
    assert sent.posted_channel == dm  # what the normal path records


def test_attempts_a_live_process_lost_track_of_are_settled_by_another(h: Harness) -> None:
    """A live process whose `sent` mark failed (a database error in a serve worker's courier,
    which never runs a full pass) would leave its rows, and their channels, stuck until it
    exits. Once no call can still be in flight, another process settles them from history."""
    other = Owner(h.db)  # another process, alive
    wall = datetime.now(UTC)
    lost, recent = wall - timedelta(seconds=LOST_TRACK_SECONDS + 60), wall - timedelta(minutes=2)
    put(h, "posted", "CS00000")
    put(h, "never-posted", "CS00001")
    put(h, "claimed", "CS00002")
    put(h, "in-flight", SHARED_CHANNEL)
    set_row(h, "posted", state=SENDING, attempt_id=f"{other.key}.a1", claimed_at=lost)
    ts = slack_accepts_as_bot(h, "CS00000", f"{other.key}.a1", "posted")
    set_row(h, "never-posted", state=SENDING, attempt_id=f"{other.key}.a2", claimed_at=lost)
    set_row(h, "claimed", state=CLAIMED, attempt_id=f"{other.key}.a3", claimed_at=lost)
    set_row(h, "in-flight", state=SENDING, attempt_id=f"{other.key}.a4", claimed_at=recent)
    try:
        outbox(h).deliver_due(NOW)
    finally:
        other.release()

    assert posted_keys(h.fake) == {"posted": 1, "never-posted": 1, "claimed": 1}
    assert (row(h, "posted").state, row(h, "posted").message_ts) == (SENT, ts)
    assert row(h, "never-posted").state == row(h, "claimed").state == SENT
    # A live process's attempt of two minutes ago may still be landing: left alone.
    assert row(h, "in-flight").state == SENDING


def test_rows_a_dead_worker_only_claimed_are_released_without_asking_slack(h: Harness) -> None:
    put(h, "k1", "CS00000")
    set_row(h, "k1", state=CLAIMED, attempt_id="424242.deadbeef", claimed_at=NOW)

    outbox(h, grace_seconds=3600).deliver_due(NOW)

    assert posted_keys(h.fake) == {"k1": 1}
    assert h.fake.calls("conversations.history") == []


def test_within_the_grace_period_an_interrupted_post_is_left_alone(h: Harness) -> None:
    put(h, "k1", "CS00000")
    put(h, "k2", "CS00000")
    put(h, "other", "CS00001")
    just_now = datetime.now(UTC)
    set_row(h, "k1", state=SENDING, attempt_id="424242.deadbeef", claimed_at=just_now)

    outbox(h, grace_seconds=3600).deliver_due(NOW)

    # the request might still land: no check, no resend, and its channel waits
    assert posted_keys(h.fake) == {"other": 1}
    assert h.fake.calls("conversations.history") == []
    assert row(h, "k1").state == SENDING and row(h, "k2").state == PENDING


def test_a_5xx_answer_is_checked_against_history_before_any_resend(h: Harness) -> None:
    put(h, "k1", "CS00000")
    h.fake.fail_next("chat.postMessage", status=500)  # Slack did not keep it

    report = outbox(h).deliver_due(NOW)

    # Slack answered, so nothing is still on its way: the history is read at once, the post
    # is not there, and it is sent again in the same pass.
    assert report.unsure == 1
    assert posted_keys(h.fake) == {"k1": 1}
    assert len(h.fake.calls("conversations.history")) == 1
    assert row(h, "k1").state == SENT


def test_a_5xx_after_slack_kept_the_post_is_not_sent_again(h: Harness) -> None:
    put(h, "k1", "CS00000")
    h.fake.accept_then_fail("chat.postMessage", status=500)

    report = outbox(h).deliver_due(NOW)
    outbox(h).deliver_due(NOW)

    assert report.unsure == 1 and report.reconciled == 1
    [message] = h.fake.messages("CS00000")  # what is in the channel, not what was called
    assert message["metadata"]["event_payload"]["keys"] == "k1"
    assert len(h.fake.calls("chat.postMessage")) == 1
    assert row(h, "k1").state == SENT and row(h, "k1").message_ts == message["ts"]


def test_thread_replies_are_reconciled_in_their_thread(h: Harness) -> None:
    parent = h.fake.client().chat_postMessage(channel="CS00000", text="parent")["ts"]
    put(h, "k1", "CS00000", thread_ts=parent, budgeted=True)
    set_row(h, "k1", state=SENDING, attempt_id="424242.deadbeef", claimed_at=LONG_AGO)
    h.fake.client().chat_postMessage(
        channel="CS00000",
        thread_ts=parent,
        text="reply",
        metadata={
            "event_type": METADATA_EVENT_TYPE,
            "event_payload": {"attempt_id": "424242.deadbeef", "keys": "k1"},
        },
    )

    outbox(h).deliver_due(NOW)

    assert posted_keys(h.fake) == {"k1": 1}
    assert len(h.fake.calls("conversations.replies")) == 1
    assert row(h, "k1").state == SENT


def test_a_429_waits_retry_after_for_that_channel_and_loses_nothing(h: Harness) -> None:
    put(h, "a", "CS00000")
    put(h, "b", "CS00001")
    h.fake.fail_next("chat.postMessage", status=429, retry_after=1)

    report = outbox(h, concurrency=2).deliver_due(NOW)

    assert posted_keys(h.fake) == {"a": 1, "b": 1}
    assert report.rate_limited == 1
    limited = [c for c in h.fake.calls("chat.postMessage") if c.faulted]
    again = [
        c
        for c in h.fake.calls("chat.postMessage")
        if not c.faulted and c.params["channel"] == limited[0].params["channel"]
    ]
    assert again[0].at - limited[0].at >= 0.99  # waited Retry-After before trying again


def test_a_long_retry_after_puts_the_rows_back_for_a_later_pass(h: Harness) -> None:
    put(h, "a", "CS00000")
    h.fake.fail_next("chat.postMessage", status=429, retry_after=120)

    outbox(h, max_wait_seconds=60).deliver_due(NOW)

    r = row(h, "a")
    assert r.state == PENDING and r.not_before == NOW + timedelta(seconds=120)
    assert posted_keys(h.fake) == {}
    outbox(h).deliver_due(NOW + timedelta(seconds=120))
    assert posted_keys(h.fake) == {"a": 1}


def test_each_channel_gets_at_most_one_post_per_pace_interval(h: Harness) -> None:
    for i in range(3):
        put(h, f"a{i}", "CS00000")
        put(h, f"b{i}", "CS00001")

    outbox(h, pace_seconds=0.3, concurrency=4).deliver_due(NOW)

    assert sum(posted_keys(h.fake).values()) == 6
    for channel in ("CS00000", "CS00001"):
        times = [c.at for c in h.fake.calls("chat.postMessage") if c.params["channel"] == channel]
        gaps = [b - a for a, b in pairwise(times)]
        # Paced from when each call starts; the fake stamps arrival, a few ms of thread jitter
        # later on a busy machine. Unpaced, the gaps would be ~0.
        assert len(gaps) == 2 and min(gaps) >= 0.25


def test_due_budgeted_posts_are_bundled_but_thread_replies_stay_in_their_thread(
    h: Harness,
) -> None:
    parent = h.fake.client().chat_postMessage(channel="CS00000", text="parent")["ts"]
    put(h, "r1", "CS00000", budgeted=True, summary="first")
    put(h, "r2", "CS00000", budgeted=True, summary="second")
    put(h, "nudge", "CS00000", budgeted=True, thread_ts=parent)

    outbox(h).deliver_due(NOW)

    posts = [p for p in h.fake.posts("CS00000") if p.get("metadata")]
    assert len(posts) == 2
    bundle = next(p for p in posts if not p.get("thread_ts"))
    assert "• first" in bundle["text"] and "• second" in bundle["text"]
    reply = next(p for p in posts if p.get("thread_ts"))
    assert reply["thread_ts"] == parent and reply["metadata"]["event_payload"]["keys"] == "nudge"


def test_no_installation_keeps_the_rows_and_posts_nothing(h: Harness) -> None:
    put(h, "a", "CS00000")
    box = Outbox(h.db, lambda team: None, pace_seconds=0)

    box.deliver_due(NOW)

    r = row(h, "a")
    assert r.state == PENDING and r.not_before > NOW and r.attempt_id is None
    assert h.fake.calls("chat.postMessage") == []


def test_a_revoked_token_keeps_the_rows_for_later(h: Harness) -> None:
    put(h, "a", "CS00000")
    h.fake.workspace.revoke("xoxb-test")

    outbox(h).deliver_due(NOW)

    r = row(h, "a")
    assert r.state == PENDING and r.last_error == "token_revoked" and r.not_before > NOW
    assert posted_keys(h.fake) == {}


def test_old_event_ids_are_purged_by_the_sweep(h: Harness) -> None:
    h.event({"type": "app_home_opened", "user": "U_DANA", "tab": "home"}, event_id="Ev1")
    h.sweep(NOW + timedelta(days=2))
    h.event({"type": "app_home_opened", "user": "U_DANA", "tab": "home"}, event_id="Ev2")
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 2
    h.sweep(NOW + timedelta(days=4))  # Ev1 is older than 3 days now, Ev2 is not
    with h.session() as s:
        assert list(s.scalars(select(ProcessedEvent.event_id))) == ["Ev2"]


def test_every_post_carries_its_attempt_and_keys_in_metadata(h: Harness) -> None:
    put(h, "a", SHARED_CHANNEL)
    h.fake.workspace.add_member(SHARED_CHANNEL, BOT)
    outbox(h).deliver_due(NOW)
    (post,) = h.fake.posts(SHARED_CHANNEL)
    payload = post["metadata"]["event_payload"]
    assert payload["keys"] == "a" and payload["attempt_id"] == row(h, "a").attempt_id


class HoldChannels:
    """A delivery policy that holds the budgeted posts of some channels for an hour."""

    def __init__(self, *channels: str) -> None:
        self.channels = set(channels)

    def hold_until(self, session: Any, row: OutboxMessage, now: datetime) -> datetime | None:
        return now + timedelta(hours=1) if row.channel_id in self.channels else None

    def remaining(self, session: Any, row: OutboxMessage, now: datetime) -> int | None:
        return None

    def next_window(self, session: Any, row: OutboxMessage, now: datetime) -> datetime:
        return now


def test_a_batch_held_back_by_the_policy_does_not_end_the_pass(h: Harness) -> None:
    put(h, "held-a", "CS00000", budgeted=True)
    put(h, "held-b", "CS00001", budgeted=True)
    put(h, "free", "CS00002", budgeted=True)
    box = Outbox(
        h.db,
        h.runtime.client_factory,
        policy=HoldChannels("CS00000", "CS00001"),
        pace_seconds=0,
        batch_size=2,
    )

    report = box.deliver_due(NOW)

    assert posted_keys(h.fake) == {"free": 1}
    assert report.held == 2
    assert row(h, "held-a").not_before == NOW + timedelta(hours=1)
