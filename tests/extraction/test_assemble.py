"""assemble: findings become an Extraction; near-duplicates are merged, strong ones win."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.text.extraction import ActionItem, Decision, OpenQuestion
from bot.text.extraction.assemble import assemble
from bot.text.extraction.context import Found


def action(what: str, owner: str | None, order: int, *, strong: bool = True) -> Found:
    item = ActionItem(
        what=what,
        owner_user_id=owner,
        owner_name=None,
        owner_sure=owner is not None,
        due_at=None,
        due_text=None,
        due_sure=False,
        line=what,
    )
    return Found("action", what, order, strong, item)


def test_the_same_item_twice_is_kept_once_in_document_order() -> None:
    found = [
        action("Resend it with the breakdown", "U1", 1, strong=False),
        action("Resend the February invoice with the hours breakdown", "U1", 2),
        action("Book the retest", "U2", 3),
    ]
    ex = assemble(found)
    assert [a.what for a in ex.action_items] == [
        "Resend the February invoice with the hours breakdown",
        "Book the retest",
    ]


def test_different_owners_or_due_dates_are_different_items() -> None:
    a = action("Send the report", "U1", 1)
    b = action("Send the report", "U2", 2)
    assert len(assemble([a, b]).action_items) == 2
    friday, monday = datetime(2024, 3, 8, 16, tzinfo=UTC), datetime(2024, 3, 11, 16, tzinfo=UTC)
    c, d = action("Send the report", "U1", 3), action("Send the report", "U1", 4)
    assert c.action is not None and d.action is not None
    c.action = replace(c.action, due_at=friday)
    d.action = replace(d.action, due_at=monday)
    assert len(assemble([c, d]).action_items) == 2
    # an item without a date is the same item as one with a date: the dated one stays
    (kept,) = assemble([a, c]).action_items
    assert kept.due_at == friday


def test_decisions_and_questions_are_deduplicated_by_words() -> None:
    ex = assemble(
        [
            Found("decision", "Go with option B for the ledger", 1, True),
            Found("decision", "We go with option B for the ledger.", 2, False),
            Found("question", "Who pays for the seats?", 3, True),
        ]
    )
    assert ex.decisions == (Decision("Go with option B for the ledger"),)
    assert ex.open_questions == (OpenQuestion("Who pays for the seats?"),)
