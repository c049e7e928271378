"""The `/outsource` parser: for any text, a parsed command or a UserError — nothing else."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands import DeadlineAdd, DeadlineMove, parse
from bot.errors import UserError

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
