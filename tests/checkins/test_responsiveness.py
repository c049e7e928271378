"""Response-time clocks, breaches, silence and the SLA setting, through messages and sweeps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select

from bot.fakeslack.signing import message_event
from bot.services.responsiveness import response_stats
from storage.models import AuditEntry, Deadline, ResponseClock, Vendor
from tests.harness import ALEX, OWNER, PRIYA, RAVI, VENDOR_TEAM, Harness


def _at(h: Harness, iso: str) -> None:
    h.clock.set(datetime.fromisoformat(iso.replace("Z", "+00:00")))


def test_clock_across_a_weekend_counts_only_business_hours(both: Harness) -> None:
    h = both
    h.make_vendor(tz="Europe/Berlin", country="DE")
    _at(h, "2027-03-05T15:00Z")  # Fri 16:00 CET
    h.say(f"<@{PRIYA}> could you send the staging credentials", user=OWNER)
    _at(h, "2027-03-08T09:00Z")  # Mon 10:00 CET
    h.say("Sent them by mail", user=PRIYA)
    with h.session() as s:
        clock = s.scalars(select(ResponseClock)).one()
        assert clock.started_by == OWNER and clock.stopped_by == PRIYA
        assert clock.business_seconds == 2 * 3600  # Fri 16–17 and Mon 9–10
        vendor = s.scalars(select(Vendor)).one()
        median, p90, count = response_stats(s, vendor)
        assert (median, p90, count) == (2.0, 2.0, 1)
        assert vendor.last_vendor_message_at == datetime(2027, 3, 8, 9, 0, tzinfo=UTC)


def test_what_starts_and_stops_a_clock(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    _at(h, "2027-03-02T09:00Z")
    h.say("FYI the release went out", user=OWNER)  # no question, no mention: no clock
    h.say("Is staging down for you?", user=PRIYA)  # the vendor asking: no clock
    h.say("see <https://example.com/x?y=1>", user=OWNER)  # a `?` in a link is no question
    h.say("or https://example.com/a?b=2 and `x?`", user=OWNER)
    with h.session() as s:
        assert s.scalars(select(ResponseClock)).all() == []

    _, question = h.say("When can we expect the QA build?", user=ALEX)
    _at(h, "2027-03-02T09:30Z")
    h.say("Will send tomorrow", user=RAVI, thread_ts="1.000")  # another thread: not an answer
    with h.session() as s:
        assert s.scalars(select(ResponseClock)).one().stopped_at is None
    _at(h, "2027-03-02T10:00Z")
    h.say("Tonight", user=RAVI, thread_ts=question["ts"])
    _at(h, "2027-03-02T11:00Z")
    h.say("and one more thing", user=RAVI)  # nothing left running
    with h.session() as s:
        clock = s.scalars(select(ResponseClock)).one()
        assert clock.stopped_by == RAVI and clock.business_seconds == 3600
        assert clock.stop_ts is not None
        starts = s.scalars(select(AuditEntry).where(AuditEntry.action.like("response_clock.%")))
        assert sorted(a.action for a in starts) == ["response_clock.start", "response_clock.stop"]


@contextmanager
def _statements(h: Harness) -> Iterator[list[str]]:
    seen: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(h.db.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(h.db.engine, "before_cursor_execute", watch)


def _clock_queries(statements: list[str]) -> list[str]:
    return [s for s in statements if "FROM response_clocks" in s and "EXISTS" not in s]


def test_clocks_are_only_queried_when_one_may_be_running(both: Harness) -> None:
    """The vendor lookup says whether any clock runs; only then do messages ask which."""
    h = both
    h.make_vendor(tz="Europe/Berlin", country="DE")
    _at(h, "2027-03-02T09:00Z")
    with _statements(h) as seen:
        h.say("Deploy to staging finished", user=PRIYA)
        h.say("FYI the release went out", user=OWNER)
    assert _clock_queries(seen) == []

    with _statements(h) as seen:
        _, question = h.say("When can we expect the QA build?", user=ALEX)
    assert _clock_queries(seen) == []  # none running to look for: the clock just starts
    with _statements(h) as seen:
        h.say("Is the API down?", user=OWNER)  # the clock already running is the one
    assert len(_clock_queries(seen)) == 1
    _at(h, "2027-03-02T10:00Z")
    with _statements(h) as seen:
        h.say("Tonight", user=RAVI, thread_ts=question["ts"])
    assert len(_clock_queries(seen)) == 1
    with _statements(h) as seen:
        h.say("and one more thing", user=RAVI)  # nothing left running
    assert _clock_queries(seen) == []
    with h.session() as s:
        clock = s.scalars(select(ResponseClock)).one()
        assert clock.started_by == ALEX and clock.stopped_by == RAVI
        assert clock.business_seconds == 3600


def test_breach_dms_the_internal_primary_once(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    assert "within 4 business hours" in h.reply_text(h.command("sla 4"))
    _at(h, "2027-03-02T09:00Z")  # Tue 10:00 CET
    h.say(f"<@{PRIYA}> status of the invoice export?", user=ALEX)
    h.sweep("2027-03-02T12:59Z")  # 13:59 CET: 3h59m
    assert h.dms(OWNER) == []
    h.sweep("2027-03-02T13:01Z")
    h.sweep("2027-03-02T15:00Z")
    h.sweep("2027-03-03T15:00Z")
    dms = h.dms(OWNER)
    assert len(dms) == 1 and "SLA of 4 business hours" in dms[0]["text"]
    _at(h, "2027-03-03T09:00Z")
    h.say("done now, sorry", user=PRIYA)
    with h.session() as s:
        stats = response_stats(s, s.scalars(select(Vendor)).one())
        assert stats.count == 1 and stats.breaches == 1 and stats.running == 0
        assert stats.median_hours == 8.0  # Tue 10–17, Wed 9–10


def test_silence_for_five_business_days_with_open_deadlines(harness: Harness) -> None:
    h = harness
    vendor_id = h.make_vendor(tz="Europe/Berlin", country="DE")
    _at(h, "2027-03-01T10:00Z")  # Mon 11:00 CET
    h.say("Kick-off notes are in the doc", user=PRIYA)
    h.sweep("2027-03-08T10:01Z")  # 5 business days later, but no open deadline
    assert h.dms(OWNER) == []
    with h.session() as s:
        s.add(
            Deadline(
                vendor_id=vendor_id,
                number=1,
                title="Beta",
                due_at=datetime(2027, 4, 1, 16, 0, tzinfo=UTC),
                created_by=OWNER,
                created_at=h.clock.now(),
            )
        )
    h.sweep("2027-03-08T09:59Z")
    assert h.dms(OWNER) == []
    h.sweep("2027-03-08T10:01Z")
    h.sweep("2027-03-10T10:01Z")
    dms = h.dms(OWNER)
    assert len(dms) == 1 and "silent" in dms[0]["text"] and "call" in dms[0]["text"]
    # The vendor speaks: a new spell starts, and is reported once more when it lasts.
    _at(h, "2027-03-11T09:00Z")
    h.say("back from holidays", user=RAVI)
    h.sweep("2027-03-18T08:59Z")
    assert len(h.dms(OWNER)) == 1
    h.sweep("2027-03-18T09:01Z")
    h.sweep("2027-03-19T09:01Z")
    assert len(h.dms(OWNER)) == 2


def test_sla_change_moves_running_clocks(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    _at(h, "2027-03-02T09:00Z")
    h.say("Any news?", user=OWNER)
    h.command("sla 2")
    with h.session() as s:
        clock = s.scalars(select(ResponseClock)).one()
        assert clock.breach_at == datetime(2027, 3, 2, 11, 0, tzinfo=UTC)
        assert s.scalars(select(Vendor)).one().sla_hours == 2
    assert "already 2" in h.reply_text(h.command("sla 2"))
    with h.session() as s:
        assert [a.action for a in s.scalars(select(AuditEntry)) if "sla" in a.action] == [
            "vendor.sla_set"
        ]


def test_a_message_event_retried_minutes_later_counts_at_its_own_ts(harness: Harness) -> None:
    """Slack retries an event after about 1 and 5 minutes: the answer stops the SLA clock at the
    time it was written (`ts`), not when the retry arrived."""
    h = harness
    h.make_vendor(tz="Europe/Berlin", country="DE")
    _at(h, "2027-03-02T09:00Z")
    h.say(f"<@{PRIYA}> when can we expect the QA build?", user=OWNER)
    _at(h, "2027-03-02T10:00Z")  # Priya answers now …
    stored = h.fake.workspace.add_message(h.sender.channel_id, text="Tonight", user=PRIYA)
    answer = message_event(
        "Tonight", user=PRIYA, channel=h.sender.channel_id, ts=stored.ts, user_team=VENDOR_TEAM
    )
    _at(h, "2027-03-02T10:05Z")  # … and the event reaches us with Slack's second retry
    assert h.event(answer, event_id="Ev_ANSWER", retry_num=2).status == 200
    with h.session() as s:
        clock = s.scalars(select(ResponseClock)).one()
        assert clock.stopped_at == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
        assert clock.business_seconds == 3600
        vendor = s.scalars(select(Vendor)).one()
        assert vendor.last_vendor_message_at == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
