"""The `/outsource` parser: for any text, a parsed command or a UserError — nothing else."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.text.commands import DeadlineAdd, DeadlineMove, parse
from bot.time.timeparse import parse_when

WORDS = st.sampled_from(
    [
        "deadline",
        "deadlines",
        "add",
        "list",
        "done",
        "move",
        "show",
        "change",
        "owner",
        "milestone",
        "under",
        "reason",
        "#2",
        "0",
        "7",
        "999999999999",
        '"',
        "“",
        "”",
        '"API v2"',
        "<@U123>",
        "<@U123|bob>",
        "<#C123>",
        "<!here>",
        "2027-03-10",
        "17:00",
        "next friday",
        "in 3 days",
        "\n",
        "\t",
        "",
        "x" * 210,
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_any_text_parses_or_says_why(text: str) -> None:
    try:
        command = parse(text)
    except UserError as exc:
        assert exc.message
        return
    assert dataclasses.is_dataclass(command)


@settings(max_examples=600, deadline=None)
@given(st.lists(WORDS, max_size=10).map(" ".join))
def test_deadline_like_text_parses_or_says_why(text: str) -> None:
    try:
        command = parse(text)
    except UserError as exc:
        assert exc.render()
        return
    assert dataclasses.is_dataclass(command)
    if isinstance(command, DeadlineAdd):
        assert command.title and len(command.title) <= 200 and command.when
    if isinstance(command, DeadlineMove):
        assert command.number > 0 and command.when and command.reason


# The command line and the date reader together: what a person types after the title (or
# the number) reaches the deadline with its hour, minute and day as typed, or is refused.

_NOW = datetime(2027, 3, 12, 9, 0, tzinfo=UTC)  # Friday 10:00 in Berlin
_BERLIN = ZoneInfo("Europe/Berlin")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@st.composite
def _clock(draw: st.DrawFn) -> tuple[str, tuple[int, int] | None]:
    hour = draw(st.integers(0, 30))
    minute = draw(st.integers(0, 75))
    if draw(st.booleans()):
        ok = hour <= 23 and minute <= 59
        return f"{hour}:{minute:02d}", (hour, minute) if ok else None
    pm = draw(st.booleans())
    ok = 1 <= hour <= 12
    return f"{hour}{'pm' if pm else 'am'}", (hour % 12 + (12 if pm else 0), 0) if ok else None


@st.composite
def _day(draw: st.DrawFn) -> tuple[str, date | None]:
    """A day as typed and the date it must be (None when only the weekday is known)."""
    kind = draw(st.sampled_from(["tomorrow", "weekday", "month day"]))
    if kind == "tomorrow":
        return "tomorrow", date(2027, 3, 13)
    if kind == "weekday":
        return draw(st.sampled_from(["monday", "next tuesday", "wed", "friday"])), None
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, 31))
    year = draw(st.sampled_from([2028, 2029]))
    try:
        expected: date | None = date(year, month, day)
    except ValueError:
        expected = None
    return f"{day} {_MONTHS[month - 1]} {year}", expected or date.min


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    day=_day(),
    clock=_clock(),
    move=st.booleans(),
    owner=st.booleans(),
)
def test_a_typed_when_survives_the_command_line_or_is_refused(
    day: tuple[str, date | None], clock: tuple[str, tuple[int, int] | None], move: bool, owner: bool
) -> None:
    day_text, expected_day = day
    clock_text, expected_clock = clock
    when_text = f"{day_text} {clock_text}"
    if move:
        text = f'deadline move 2 {when_text} reason "late"'
    else:
        text = f'deadline add "API v2" {when_text}' + (" owner <@U123>" if owner else "")
    command = parse(text)
    assert isinstance(command, DeadlineMove | DeadlineAdd)
    assert command.when == when_text
    try:
        w = parse_when(command.when, tz=_BERLIN, now=_NOW)
    except UserError as exc:
        assert exc.message
        assert expected_clock is None or expected_day in (None, date.min), (when_text, exc.message)
        return
    assert expected_clock is not None, (when_text, w.local)
    assert expected_day is not date.min, (when_text, w.local)  # 31 Apr is refused
    if w.note is None:
        assert (w.local.hour, w.local.minute) == expected_clock, (when_text, w.local)
    else:  # a time the clocks skip that night: moved to when they jump, and said so
        assert "does not exist" in w.note and w.local.hour == 3, (when_text, w.local)
    if expected_day is not None:
        assert w.local.date() == expected_day, (when_text, w.local)
