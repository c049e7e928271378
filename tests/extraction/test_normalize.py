"""normalize: what people paste becomes plain lines."""

from __future__ import annotations

import pytest

from bot.text.extraction.normalize import prepare_lines, strip_decor, strip_timestamps, unslack


def test_prepare_lines_any_line_break_and_odd_spaces() -> None:
    text = "a\r\nb\rc\u00a0d\u200be\tf"
    assert prepare_lines(text) == ["a", "b", "c de f"]


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("see <https://example.com/doc|the doc>", "see the doc"),
        ("see <https://example.com/doc>", "see https://example.com/doc"),
        ("in <#C123ABC|ext-acme>", "in #ext-acme"),
        ("<!here> please", "@here please"),
        ("ping <!subteam^S12|@qa-team>", "ping @qa-team"),
        ("on <!date^1710000000^{date}|Mar 9>", "on Mar 9"),
        ("a &lt;b&gt; &amp; c", "a <b> & c"),
        ("<@U01PRIYA> stays", "<@U01PRIYA> stays"),
    ],
)
def test_unslack(raw: str, plain: str) -> None:
    assert unslack(raw) == plain


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("**Send** the _draft_ `now`", "Send the draft now"),
        ("~old~ plan", "old plan"),
        ("  spaced   out  ", "spaced out"),
        ("snake_case_name stays", "snake_case_name stays"),
    ],
)
def test_strip_decor(raw: str, plain: str) -> None:
    assert strip_decor(raw) == plain


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("[00:12:03] we will ship", "we will ship"),
        ("12:03 - we will ship", "we will ship"),
        ("Document the retry policy (06:41)", "Document the retry policy"),
        ("Fix it [at 14:22]", "Fix it"),
        ("Meet at 10:30 on Friday", "Meet at 10:30 on Friday"),
        ("Topic - WATCH (00:12)", "Topic"),
    ],
)
def test_strip_timestamps(raw: str, plain: str) -> None:
    assert strip_timestamps(raw) == plain
