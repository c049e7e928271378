"""Shapes seen in real minutes that the extractor used to miss or garble, one test each."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.extraction import ActionItem, Extraction, Person, extract

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 6 March 2024, 15:00 in Berlin.
CALL = datetime(2024, 3, 6, 15, 0, tzinfo=BERLIN)
PEOPLE = (
    Person("U01PRIYA", ("Priya Sharma", "priya"), "internal"),
    Person("U02TOM", ("Tom Becker", "tom.becker"), "internal"),
    Person("U11ANIL", ("Anil Kumar", "anil.k"), "vendor"),
)


def run(text: str, people: tuple[Person, ...] = PEOPLE) -> Extraction:
    return extract(
        text, call_at=CALL, tz=BERLIN, people=people, we_user_id="U01PRIYA", they_user_id="U11ANIL"
    )


def local(item: ActionItem) -> str | None:
    return item.due_at.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") if item.due_at else None


def test_emoji_stay_in_items() -> None:
    ex = run(
        "Decision: ship the beta 🚢\n\nAction items\n"
        "- 👉 Tom to fix the login bug 🐛 by Friday\n- Priya to thank the 👩‍💻 team :tada:\n"
    )
    assert [d.text for d in ex.decisions] == ["Ship the beta 🚢"]
    assert [a.what for a in ex.action_items] == [
        "Fix the login bug 🐛",
        "Thank the 👩‍💻 team :tada:",
    ]


def test_what_ends_before_its_due_phrase_and_full_stop() -> None:
    ex = run(
        "Action items\n- Tom to send the report by Friday.\n- Anil to patch staging (EOD)\n"
        "- Priya to send by Friday the signed copy.\n- Tom to review, by Monday\n"
    )
    assert [(a.what, a.due_text) for a in ex.action_items] == [
        ("Send the report", "by Friday"),
        ("Patch staging", "EOD"),
        ("Send by Friday the signed copy", "by Friday"),
        ("Review", "by Monday"),
    ]
    assert local(ex.action_items[0]) == "2024-03-08 17:00"


def test_a_title_line_before_decided_is_not_part_of_the_decision() -> None:
    assert [d.text for d in run("Weekly sync\nDecided: keep the release date\n").decisions] == [
        "Keep the release date"
    ]
    assert [d.text for d in run("Weekly sync\nDecision: we go with Postgres\n").decisions] == [
        "We go with Postgres"
    ]


def test_tagged_lines_one_after_another_are_items_each() -> None:
    ex = run(
        "Vendor call 6 March\nDecided: keep the release date\nDecision: go with B\n"
        "ACTION: priya to send the estimate\nACTION: Tom to fix CI by Friday.\n"
    )
    assert [d.text for d in ex.decisions] == ["Keep the release date", "Go with B"]
    assert [(a.what, a.owner_user_id) for a in ex.action_items] == [
        ("Send the estimate", "U01PRIYA"),
        ("Fix CI", "U02TOM"),
    ]


def test_an_item_that_continues_on_the_next_line() -> None:
    ex = run(
        "Notes from the call\nACTION: Tom to send the revised estimate to\nfinance by Friday\n"
        "The rest was chat.\n\nNext steps\n- Anil to rotate the keys and\n"
        "update the runbook\n- Priya to book the retest\n"
    )
    assert [(a.what, local(a)) for a in ex.action_items] == [
        ("Send the revised estimate to finance", "2024-03-08 17:00"),
        ("Rotate the keys and update the runbook", None),
        ("Book the retest", None),
    ]
