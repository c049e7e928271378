"""dates: the due phrase of an item, resolved relative to the call (Wed 6 March 2024 15:00)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.text.extraction.date_phrases import date_atoms, prep_before
from bot.text.extraction.dates import find_due
from tests.extraction.stages import BERLIN, make_ctx


def due(text: str, tz: ZoneInfo = BERLIN) -> tuple[str | None, str, bool] | None:
    found = find_due(text, make_ctx(tz=tz))
    if found is None:
        return None
    at, phrase, sure = found
    return (at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else None), phrase, sure


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("send it by Friday", ("2024-03-08 17:00", "by Friday", True)),
        ("send it EOD tomorrow", ("2024-03-07 17:00", "EOD tomorrow", True)),
        ("send it on Thursday at 10am", ("2024-03-07 10:00", "on Thursday at 10am", True)),
        ("send it in 3 business days", ("2024-03-11 17:00", "in 3 business days", True)),
        ("send it by end of month", ("2024-03-29 17:00", "by end of month", True)),
        ("send it by next Friday", ("2024-03-08 17:00", "by next Friday", False)),
        ("send it by 4/5", ("2024-05-04 17:00", "by 4/5", False)),
        ("send it ASAP", (None, "ASAP", False)),
    ],
)
def test_due_phrases(text: str, expected: tuple[str | None, str, bool]) -> None:
    assert due(text) == expected


def test_a_deadline_preposition_beats_a_mention() -> None:
    assert due("after the demo on Tuesday, send the notes by Friday") == (
        "2024-03-08 17:00",
        "by Friday",
        True,
    )


def test_us_zones_read_month_first() -> None:
    ny = ZoneInfo("America/New_York")
    assert due("rotate the keys before 4/5", ny) == ("2024-04-05 17:00", "before 4/5", False)


@pytest.mark.parametrize(
    "text",
    [
        "move the demo to Thursdays",
        "deploy 2.4.1 to staging",
        "check what happened since Monday",
        "follow up on the call from last Friday",
        "send the report",
    ],
)
def test_not_due_dates(text: str) -> None:
    found = due(text)
    assert found is None or found[0] is None


def test_atoms_and_prepositions() -> None:
    text = "ship it by Friday 3pm"
    assert [m.group(0) for m in date_atoms(text)] == ["Friday", "3pm"]
    assert prep_before(text, text.index("Friday")) == ("dl", text.index("by"))
