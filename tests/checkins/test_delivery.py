"""Check-ins on the one way out to Slack: posts are outbox rows delivered after the commit, once,
whatever Slack answers; the answer to a person never waits on Slack; a form submitted twice has
one effect; people's words are shown inert; clicks and form answers count as the vendor heard."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.fakeslack import FakeSlack
from storage.models import AuditEntry, CheckIn, OutboxMessage, ResponseClock, Vendor
from storage.models.checkins import CheckInAnswer
from tests.checkins.helpers import last_checkin_message, stored_messages, thread_replies
from tests.harness import MALLORY, OWNER, PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness

# What must never come out of the bot live, whoever typed it.
LIVE_MARKUP = ("<!channel>", "<!here>", "<!everyone>", "<https://", "<http://", "|Open>")


@pytest.fixture
def async_harness(slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    """The real courier threads: a request answers before its posts leave."""
    h = Harness(slack, sqlite_url, inline_delivery=False)
    yield h
    h.close()


def _form(done: str, next_: str = "More", blockers: str = "", on_track: str = "yes") -> Any:
    return {
        "checkin_done": {"checkin_done": done},
        "checkin_next": {"checkin_next": next_},
        "checkin_blockers": {"checkin_blockers": blockers},
        "checkin_on_track": {
            "checkin_on_track": {"type": "radio_buttons", "selected_option": {"value": on_track}}
        },
    }


def _scheduled_checkin(h: Harness) -> dict[str, Any]:
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")  # Mon 10:01 CET
    return last_checkin_message(h)


def _open_form(h: Harness, message: dict[str, Any], user: str = PRIYA) -> str:
    assert h.click_button(message, "Update", user=user).status == 200
    h.settle()  # the form opens after the commit
    raw = h.fake.calls("views.open")[-1].params["view"]
    view = json.loads(raw) if isinstance(raw, str) else raw
    return str(view["private_metadata"])


def _submit(h: Harness, meta: str, values: Any, **kw: Any) -> Any:
    return h.submit(
        "checkin_modal", values, user=PRIYA, team_id=VENDOR_TEAM, private_metadata=meta, **kw
    )


def _summaries(h: Harness, ts: str) -> list[dict[str, Any]]:
    return [r for r in thread_replies(h, ts) if "Check-in update" in r["text"]]


def _count(h: Harness, model: Any) -> int:
    with h.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --------------------------------------------------------------------------- one post


def test_checkin_now_accepted_then_500_is_posted_exactly_once(both: Harness) -> None:
    h = both
    h.make_vendor()
    h.fake.accept_then_fail("chat.postMessage")  # Slack kept the post but answered 500
    reply = h.reply_text(h.command("checkin now"))
    assert "posted" in reply and "wrong" not in reply
    h.clock.advance(timedelta(minutes=5))
    h.sweep()
    h.sweep()
    kept = [m for m in stored_messages(h) if "checkin_update_vendor" in str(m)]
    assert len(kept) == 1
    with h.session() as s:
        checkin = s.scalars(select(CheckIn)).one()
        # The ts of the post Slack kept: thread replies are matched against it.
        assert checkin.message_ts == kept[0]["ts"] and checkin.posted_at is not None
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "checkin")).one()
        assert (row.state, row.message_ts) == ("sent", kept[0]["ts"])
    h.say("All good here, shipping Friday", user=PRIYA, thread_ts=kept[0]["ts"])
    with h.session() as s:
        assert s.scalars(select(CheckIn)).one().state == "answered"


def test_a_429_never_delays_the_answer_the_post_follows(async_harness: Harness) -> None:
    h = async_harness
    h.make_vendor()
    h.fake.fail_next("chat.postMessage", status=429, retry_after=3)
    started = time.monotonic()
    reply = h.reply_text(h.command("checkin now"))
    assert time.monotonic() - started < 2.5  # answered long before the Retry-After ran out
    assert "posted" in reply and "rate" not in reply.lower()
    h.settle(15)
    posts = [p for p in h.posts(SHARED_CHANNEL) if "checkin_update_vendor" in str(p)]
    assert len(posts) == 1
    attempts = [c for c in h.fake.calls("chat.postMessage") if "checkin_update_vendor" in str(c)]
    assert len(attempts) == 2  # the refused one, then the post after Retry-After
    with h.session() as s:
        assert s.scalars(select(CheckIn)).one().message_ts


def test_a_429_on_the_summary_never_delays_the_form(async_harness: Harness) -> None:
    h = async_harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")
    message = last_checkin_message(h)
    meta = _open_form(h, message)
    h.fake.fail_next("chat.postMessage", status=429, retry_after=3)
    started = time.monotonic()
    resp = _submit(h, meta, _form("Search shipped"))
    assert time.monotonic() - started < 2.5
    assert resp.status == 200 and not resp.body_text.strip("{}")
    h.settle(15)
    assert len(_summaries(h, message["ts"])) == 1


def test_checkin_now_where_the_bot_is_not_a_member_says_how_to_fix_it(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    h.fake.workspace.remove_member(SHARED_CHANNEL, "UBOT")  # removed from the channel
    reply = h.reply_text(h.command("checkin now"))
    assert "/invite @outsource-bot" in reply and "nothing was changed" in reply
    assert _count(h, CheckIn) == 0 and h.posts(SHARED_CHANNEL) == []


# --------------------------------------------------------------------------- one effect


def test_the_same_form_submission_twice_is_one_answer_and_one_summary(both: Harness) -> None:
    h = both
    message = _scheduled_checkin(h)
    meta = _open_form(h, message)
    values = _form("Login page shipped", blockers="API keys", on_track="blocked")
    # Slack delivering the same submission again (same view), and the form sent a second
    # time with the same answer (another view).
    for view_id in ("V_FORM_1", "V_FORM_1", "V_FORM_2"):
        resp = _submit(h, meta, values, view_id=view_id)
        assert resp.status == 200 and not resp.body_text.strip("{}")
    h.sweep("2027-03-08T09:05Z")
    assert len(_summaries(h, message["ts"])) == 1
    assert _count(h, CheckInAnswer) == 1
    assert len([d for d in h.dms(OWNER) if "blocked" in d["text"]]) == 1
    with h.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    assert actions.count("checkin.answer") == 1 and "checkin.answer_updated" not in actions

    # A corrected answer is a new answer, summarized once more.
    _submit(h, meta, _form("Login page shipped", blockers="", on_track="yes"), view_id="V_FORM_3")
    assert len(_summaries(h, message["ts"])) == 2
    assert _count(h, CheckInAnswer) == 2


def test_two_copies_of_one_answer_arriving_together_are_one_answer(both: Harness) -> None:
    h = both
    message = _scheduled_checkin(h)
    meta = _open_form(h, message)
    values = _form("Payments shipped", on_track="yes")
    start = threading.Barrier(2)
    answers: list[Any] = []

    def send(view_id: str) -> None:
        start.wait()
        answers.append(_submit(h, meta, values, view_id=view_id))

    threads = [threading.Thread(target=send, args=(f"V_SAME_{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [a.status for a in answers] == [200, 200]
    assert _count(h, CheckInAnswer) == 1
    assert len(_summaries(h, message["ts"])) == 1


def test_a_thread_answer_delivered_twice_is_one_answer(harness: Harness) -> None:
    h = harness
    message = _scheduled_checkin(h)
    _, event = h.say("Done: search. Next: filters", user=PRIYA, thread_ts=message["ts"])
    h.event(event, event_id="Ev_again")  # the same message again under another event id
    h.event(event, event_id="Ev_again", retry_num=1)
    assert _count(h, CheckInAnswer) == 1
    assert len(_summaries(h, message["ts"])) == 1


# --------------------------------------------------------------------------- inert text


HOSTILE_FORM = ("<!channel> shipped", "<!here> tomorrow", "<https://evil.example|Open>")


def _assert_inert(post: dict[str, Any]) -> None:
    shown = post["text"] + json.dumps(post.get("blocks") or [])
    for markup in LIVE_MARKUP:
        assert markup not in shown, (markup, shown)


def test_form_answers_are_shown_inert(both: Harness) -> None:
    h = both
    message = _scheduled_checkin(h)
    meta = _open_form(h, message)
    done, next_, blockers = HOSTILE_FORM
    _submit(h, meta, _form(done, next_, blockers, on_track="blocked"))
    h.sweep("2027-03-08T09:05Z")
    summary = _summaries(h, message["ts"])[0]
    _assert_inert(summary)
    # Shown as typed: modal input is raw, so it is escaped once and nothing else.
    assert "&lt;!channel&gt; shipped" in summary["text"]
    assert "&lt;https://evil.example|Open&gt;" in json.dumps(summary["blocks"])
    with h.session() as s:
        answer = s.scalars(select(CheckInAnswer)).one()
        assert answer.done_text == "<!channel> shipped"  # stored as typed, plain
    dm = h.dms(OWNER)[-1]
    _assert_inert(dm)
    assert "&lt;https://evil.example|Open&gt;" in dm["text"]


def test_thread_answers_are_shown_inert(harness: Harness) -> None:
    h = harness
    message = _scheduled_checkin(h)
    # As Slack sends them: @channel and @here typed in the composer become markup, a link with
    # a label too; brackets typed literally arrive HTML-escaped.
    h.say(
        "<!channel> <!here> see <https://evil.example|Open> &lt;!everyone&gt; "
        f"cc <@{MALLORY}|mallory> <@{OWNER}>",
        user=PRIYA,
        thread_ts=message["ts"],
    )
    summary = _summaries(h, message["ts"])[0]
    _assert_inert(summary)
    text = summary["text"]
    assert "@channel @here see Open (https://evil.example) &lt;!everyone&gt;" in text
    assert f"<@{MALLORY}" not in text and "@mallory" in text  # not in the channel: not live
    assert f"<@{OWNER}>" in text  # in the channel: a live mention
    with h.session() as s:
        assert (
            s.scalars(select(CheckInAnswer))
            .one()
            .done_text.startswith("@channel @here see Open (https://evil.example) <!everyone>")
        )


def test_a_vendor_name_with_markup_is_inert_in_every_checkin_post(harness: Harness) -> None:
    h = harness
    vendor_id = h.make_vendor(tz="Europe/Berlin", country="DE")
    with h.session() as s:
        vendor = s.get(Vendor, vendor_id)
        assert vendor is not None
        vendor.name = "<!channel> <https://evil.example|Acme>"
    h.command("checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")
    h.sweep("2027-03-09T09:05Z")  # the reminder
    h.sweep("2027-03-10T09:06Z")  # the escalation DM
    posts = h.posts(SHARED_CHANNEL) + h.dms(OWNER)
    assert len(posts) >= 3
    for post in posts:
        _assert_inert(post)


# --------------------------------------------------------------------------- true at delivery


def test_a_reminder_held_by_quiet_hours_is_dropped_once_answered(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("quiet 16:00-23:00")
    h.command("checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")  # posted Mon 10:01 CET; SLA 8 business hours
    message = last_checkin_message(h)
    h.sweep("2027-03-09T09:05Z")  # Tue 10:05 CET: reminder due and posted
    assert len(thread_replies(h, message["ts"])) == 1
    # Next week: the reminder falls due in quiet hours and waits; the vendor answers meanwhile.
    h.sweep("2027-03-15T09:01Z")
    second = last_checkin_message(h)
    assert second["ts"] != message["ts"]
    with h.session() as s:
        checkin = s.scalars(select(CheckIn).order_by(CheckIn.id.desc())).first()
        assert checkin is not None
        checkin.reminder_at = datetime(2027, 3, 15, 16, 0, tzinfo=UTC)  # 17:00 CET: quiet
    h.sweep("2027-03-15T16:01Z")
    assert thread_replies(h, second["ts"]) == []  # held
    h.clock.set(datetime(2027, 3, 15, 17, 0, tzinfo=UTC))
    h.say("Done: all of it", user=PRIYA, thread_ts=second["ts"])
    h.sweep("2027-03-15T22:01Z")  # quiet hours over
    replies = thread_replies(h, second["ts"])
    assert len(replies) == 1 and "Check-in update" in replies[0]["text"]
    with h.session() as s:
        row = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.dedupe_key == f"checkin:{checkin.id}:reminder"
            )
        ).one()
        assert row.state == "skipped"


# --------------------------------------------------------------------------- the vendor heard


def _question(h: Harness) -> None:
    h.clock.set(datetime(2027, 3, 8, 9, 30, tzinfo=UTC))  # Mon 10:30 CET
    h.say(f"<@{PRIYA}> when is the QA build coming?", user=OWNER)


def test_a_click_is_the_vendor_heard_no_slow_reply_dm(both: Harness) -> None:
    h = both
    message = _scheduled_checkin(h)
    _question(h)
    h.clock.set(datetime(2027, 3, 8, 10, 0, tzinfo=UTC))
    _open_form(h, message)  # the vendor presses Update (and never sends the form)
    h.sweep("2027-03-09T15:00Z")  # far past the SLA of 8 business hours
    assert [d for d in h.dms(OWNER) if "SLA" in d["text"]] == []
    with h.session() as s:
        clock = s.scalars(select(ResponseClock)).one()
        assert clock.stopped_by == PRIYA and clock.business_seconds == 1800
        vendor = s.scalars(select(Vendor)).one()
        assert vendor.last_vendor_message_at == datetime(2027, 3, 8, 10, 0, tzinfo=UTC)


def test_a_click_by_the_internal_side_is_not_the_vendor_heard(harness: Harness) -> None:
    h = harness
    message = _scheduled_checkin(h)
    _question(h)
    h.click_button(message, "Update", user=OWNER)  # refused: not the vendor's side
    h.sweep("2027-03-09T15:00Z")
    assert len([d for d in h.dms(OWNER) if "SLA" in d["text"]]) == 1


def test_a_form_answer_is_the_vendor_heard_no_slow_reply_dm(harness: Harness) -> None:
    h = harness
    message = _scheduled_checkin(h)
    meta = _open_form(h, message)  # opened before the question
    _question(h)
    h.clock.set(datetime(2027, 3, 8, 11, 0, tzinfo=UTC))
    _submit(h, meta, _form("QA build goes out Wednesday"))
    h.sweep("2027-03-09T15:00Z")
    assert [d for d in h.dms(OWNER) if "SLA" in d["text"]] == []
    with h.session() as s:
        assert s.scalars(select(ResponseClock)).one().stopped_by == PRIYA


def test_clicks_and_forms_keep_a_vendor_from_counting_as_silent(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command('deadline add "Beta" 2027-04-01')
    h.command("checkin every mon,thu 10:00")
    # The vendor never writes a message, but answers every check-in with the form.
    for day in ("2027-03-04", "2027-03-08", "2027-03-11", "2027-03-15"):
        h.sweep(f"{day}T09:01Z")
        meta = _open_form(h, last_checkin_message(h))
        h.clock.set(datetime.fromisoformat(f"{day}T09:30+00:00"))
        _submit(h, meta, _form(f"Progress of {day}"))
    h.sweep("2027-03-16T10:00Z")
    assert [d for d in h.dms(OWNER) if "silent" in d["text"]] == []
    # And once they stop answering, the silence is told as usual.
    h.sweep("2027-03-23T10:00Z")
    assert len([d for d in h.dms(OWNER) if "silent" in d["text"]]) == 1
