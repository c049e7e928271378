"""`deadline add|list|show|done`: confirmations in both zones, numbers per channel, and bad
input answered with a clear ephemeral message while nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from storage.models import AuditEntry, Deadline
from tests.deadlines.helpers import ADD, add, audit_actions, counts, deadline, reply
from tests.harness import ALEX, OWNER, PLAIN_CHANNEL, Harness


def test_add_confirms_in_vendor_and_requester_zone(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    resp = h.command(ADD.removeprefix("/outsource "))
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    # Dana is in London: both zones are shown.
    assert "Wed 10 Mar 2027 17:00 CET (16:00 GMT your time)" in body["text"]
    assert "Owner: <@U_PRIYA>" in body["text"]
    assert "First reminder Sun 7 Mar 2027 17:00 CET (16:00 GMT your time)" in body["text"]
    d = deadline(h)
    assert (d.number, d.title, d.owner_user_id, d.created_by) == (
        1,
        "API v2 handover",
        "U_PRIYA",
        OWNER,
    )
    assert d.due_at == datetime(2027, 3, 10, 16, tzinfo=UTC)
    assert d.next_reminder_at == datetime(2027, 3, 7, 16, tzinfo=UTC)
    with h.session() as s:
        entry = s.scalar(select(AuditEntry))
        assert entry is not None and entry.action == "deadline.add" and entry.actor == OWNER
        assert entry.detail["number"] == 1


def test_same_zone_shows_one_time(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/London")
    text = add(h)
    assert "Wed 10 Mar 2027 17:00 GMT*" in text
    assert "your time" not in text


def test_numbers_are_per_channel(harness: Harness) -> None:
    h = harness
    first = h.make_vendor(tz="Europe/Berlin")
    other = h.make_vendor("Other Co", channel=PLAIN_CHANNEL, shared=False, vendor=())
    add(h)
    add(h, ADD.replace("API v2 handover", "Second"))
    text = reply(h, 'deadline add "Elsewhere" 2027-03-10', channel=PLAIN_CHANNEL)
    assert "*#1 Elsewhere*" in text
    with h.session() as s:
        numbers = sorted((d.vendor_id, d.number) for d in s.scalars(select(Deadline)))
    assert numbers == sorted([(first, 1), (first, 2), (other, 1)])


def test_without_vendor_zone_the_requesters_slack_zone_is_used(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="")
    text = reply(h, 'deadline add "Spec" 2027-03-10 09:00', user=ALEX)  # Alex: New York
    # Read in Alex's zone; shown in the default zone (UTC here) and Alex's.
    assert "Wed 10 Mar 2027 14:00 UTC (09:00 EST your time)" in text
    assert deadline(h).due_at == datetime(2027, 3, 10, 14, tzinfo=UTC)


def test_natural_language_dates(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    text = reply(h, 'deadline add "Demo" next friday')
    assert "Fri 5 Mar 2027 17:00 CET" in text
    text = reply(h, 'deadline add "Retro" in 3 days')
    assert "Thu 4 Mar 2027 17:00 CET" in text


def test_milestones_and_children(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    assert "Milestone" in reply(h, 'deadline add "Beta" 2027-04-01 milestone')
    text = reply(h, 'deadline add "Beta docs" 2027-03-25 under 1')
    assert "Part of milestone #1 Beta" in text
    assert deadline(h, 2).parent_id == deadline(h, 1).id
    listing = reply(h, "deadline list")
    assert "◆ *#1 Beta*" in listing and "*#2 Beta docs* · part of #1" in listing
    detail = reply(h, "deadline show 1")
    assert "Includes: #2 Beta docs" in detail
    # Only a milestone can hold deadlines.
    before = counts(h)
    assert "#2 is not a milestone" in reply(h, 'deadline add "X" 2027-03-20 under 2')
    assert counts(h) == before


def test_list_shows_state_both_zones_and_done_recently(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    add(h, '/outsource deadline add "Old thing" 2027-03-02 owner <@U_RAVI>')
    add(h, '/outsource deadline add "Later" 2027-03-20 owner <@U_RAVI>')
    reply(h, 'deadline move 3 2027-03-25 reason "Holidays"')
    h.sweep("2027-03-02T17:00Z")  # Old thing is overdue now
    reply(h, "deadline done 1")
    resp = h.command("deadline list")
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    text = body["text"]
    assert text.index("Old thing") < text.index("Later")
    assert "Tue 2 Mar 2027 17:00 CET (16:00 GMT your time)" in text
    assert "⚠️ overdue" in text
    assert "change pending" in text
    assert "Done recently: #1 API v2 handover" in text


@pytest.mark.parametrize("db", ["harness", "pg_harness"])
def test_list_reads_everything_in_one_query_after_the_vendor(
    db: str, request: pytest.FixtureRequest
) -> None:
    """The most used command: open deadlines, their pending changes and milestones and the
    recently done ones come in one statement, however many are shown."""
    h: Harness = request.getfixturevalue(db)
    h.make_vendor(tz="Europe/Berlin")
    reply(h, 'deadline add "Beta" 2027-04-01 milestone')
    reply(h, 'deadline add "Beta docs" 2027-03-25 under 1')
    reply(h, 'deadline add "Old thing" 2027-03-02')
    reply(h, 'deadline add "Spare" 2027-03-03')
    reply(h, 'deadline move 2 2027-03-26 reason "Holidays"')
    reply(h, "deadline done 3")
    statements: list[str] = []

    def watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(h.db.engine, "before_cursor_execute", watch)
    try:
        text = reply(h, "deadline list")
    finally:
        event.remove(h.db.engine, "before_cursor_execute", watch)
    assert len([s for s in statements if "deadlines" in s]) == 1
    assert text.startswith("Deadlines — Acme Dev (3 open)")
    assert text.index("Spare") < text.index("Beta docs") < text.index("◆ *#1 Beta*")
    assert "*#2 Beta docs* · part of #1" in text
    assert text.count("change pending") == 1
    assert "Done recently: #3 Old thing (Mon 1 Mar)" in text


def test_list_when_empty(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    assert "No open deadlines" in reply(h, "deadline list")


def test_done_by_command_stops_reminders_and_is_audited(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    assert "is done" in reply(h, "deadline done #1")
    d = deadline(h)
    assert (d.state, d.done_by, d.next_reminder_at) == ("done", OWNER, None)
    assert audit_actions(h) == ["deadline.add", "deadline.done"]
    before = counts(h)
    assert "already done" in reply(h, "deadline done 1")
    assert counts(h) == before


LONG = "x" * 201


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deadline add 2027-03-10", "title in double quotes"),
        ('deadline add "API v2 handover"', "When is it due?"),
        ('deadline add "API v2 handover 2027-03-10', "opening quote without a closing one"),
        (f'deadline add "{LONG}" 2027-03-10', "keep it under 200"),
        ('deadline add "API" 2077-03-10', "more than 5 years away"),
        ('deadline add "API" 2027-02-20', "that is in the past"),
        ('deadline add "API" 03/04/2027', "could be 3 Apr or 4 Mar"),
        ('deadline add "API" someday soon', "couldn't read 'someday soon'"),
        ('deadline add "API" 2027-03-10 owner bob', "not a mention of a Slack user"),
        ('deadline add "API" 2027-03-10 owner <@U_NOBODY>', "can't find <@U_NOBODY>"),
        ('deadline add "API" 2027-03-10 under 9', "no deadline #9"),
        ("deadline done 7", "There is no deadline #7 in this channel"),
        ("deadline done x", "is not a deadline number"),
        ("deadline show 7", "There is no deadline #7"),
        ('deadline move 7 2027-03-12 reason "x"', "There is no deadline #7"),
        ("deadline move 1 2027-03-12", "needs a reason"),
        ('deadline move 1 2020-01-01 reason "x"', "that is in the past"),
        ('deadline move 1 2027-03-10 17:00 reason "x"', "is already due"),
        ("change", "Describe the change."),
    ],
)
def test_bad_input_is_explained_and_changes_nothing(
    harness: Harness, text: str, expected: str
) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    before = counts(h)
    posts_before = len(h.posts())
    resp = h.command(text)
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    assert expected in body["text"], body["text"]
    assert "Traceback" not in body["text"]
    assert counts(h) == before
    assert len(h.posts()) == posts_before
    assert deadline(h).due_at == datetime(2027, 3, 10, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        'deadline add "API" 2027-03-10',
        "deadline list",
        "deadline done 1",
        "deadline show 1",
        'deadline move 1 2027-03-12 reason "x"',
        'change "Add SSO"',
    ],
)
def test_commands_outside_a_vendor_channel_suggest_vendor_add(harness: Harness, text: str) -> None:
    h = harness
    before = counts(h)
    body = h.command(text, channel=PLAIN_CHANNEL).json()
    assert body["response_type"] == "ephemeral"
    assert "not a vendor channel" in body["text"] and "vendor add" in body["text"]
    assert counts(h) == before
    assert h.posts() == []


def test_show_has_the_details(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.sweep("2027-03-07T16:00Z")
    text = reply(h, "deadline show 1")
    assert "*#1 API v2 handover*" in text
    assert "Due: *Wed 10 Mar 2027 17:00 CET (16:00 GMT your time)*" in text
    assert "Owner: <@U_PRIYA>" in text and "not acknowledged" in text
    assert "Next reminder: Tue 9 Mar 2027 17:00 CET" in text
    assert "No change requests" in str(h.command("deadline show 1").json()["blocks"])


def test_a_long_list_stays_within_slacks_block_limit(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    for i in range(45):
        reply(h, f'deadline add "Item {i}" 2027-04-{1 + i % 28:02d}')
    body = h.command("deadline list").json()
    assert len(body["blocks"]) <= 50
    assert body["text"].startswith("Deadlines — Acme Dev (45 open, the first 40 shown)")
    assert "and 5 more open deadlines" in str(body["blocks"][-3:])
