"""bot.text.escaping: Slack's text decoded once on the way in, people's text escaped once on
the way out.

A table of hostile inputs (what the output must and must not contain) and properties over
arbitrary text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.escaping import (
    clean,
    from_slack,
    mention_ids,
    mrkdwn,
    plain,
    slack_escape,
    unescape,
)

LIVE = frozenset({"U_IN"})

# Markup that must never come out of the bot live, whoever typed it.
FORBIDDEN = ("<!", "<http", "<mailto", "<#", "<@U_OUT", "<@W")

# (text as Slack sends it in a slash command or message, plain text stored, what the post
# must contain, what it must not contain)
SLACK_TEXT = [
    ("<!channel> deploy now", "@channel deploy now", ["@channel deploy now"], ["<!channel>"]),
    ("<!here|here> ping", "@here ping", ["@here ping"], ["<!here"]),
    ("<!everyone>", "@everyone", ["@everyone"], ["<!everyone"]),
    ("<!subteam^S1|@devs> look", "@devs look", ["@devs look"], ["<!subteam"]),
    ("<!subteam^S1>", "@S1", ["@S1"], ["<!subteam"]),
    (
        "<https://evil.example/login|Open the spec>",
        "Open the spec (https://evil.example/login)",
        ["Open the spec (https://evil.example/login)"],
        ["<https://", "|Open"],
    ),
    ("<https://example.com>", "https://example.com", ["https://example.com"], ["<https"]),
    (
        "<mailto:cfo@example.com|mail me>",
        "mail me (cfo@example.com)",
        ["mail me (cfo@example.com)"],
        ["<mailto"],
    ),
    ("<#C123|general> is noisy", "#general is noisy", ["#general is noisy"], ["<#C123"]),
    ("<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014", ["Feb 18, 2014"], ["<!date"]),
    (
        "Q&amp;A sign-off &lt;v2&gt;",
        "Q&A sign-off <v2>",
        ["Q&amp;A sign-off &lt;v2&gt;"],
        ["&amp;amp;", "<v2>"],
    ),
    ("R&amp;D &gt; ops", "R&D > ops", ["R&amp;D &gt; ops"], ["&amp;amp;", "&gt;;"]),
    # Typed literally (Slack escaped the brackets): text, not markup.
    ("&lt;!channel&gt;", "<!channel>", ["&lt;!channel&gt;"], ["<!channel>"]),
    (
        "&lt;https://evil.example|x&gt;",
        "<https://evil.example|x>",
        ["&lt;https://evil.example|x&gt;"],
        ["<https"],
    ),
    ("&amp;amp; stays", "&amp; stays", ["&amp;amp; stays"], ["&amp;amp;amp;"]),
    # Mentions: live only for people in the channel.
    ("ask <@U_IN|priya>", "ask <@U_IN|priya>", ["ask <@U_IN>"], ["@priya"]),
    ("ask <@U_OUT|ceo>", "ask <@U_OUT|ceo>", ["ask @ceo"], ["<@U_OUT"]),
    ("ask <@U_OUT>", "ask <@U_OUT>", ["ask @U_OUT"], ["<@U_OUT"]),
]


@pytest.mark.parametrize(("sent", "stored", "shows", "never"), SLACK_TEXT)
def test_slack_text_is_decoded_once_and_escaped_once(
    sent: str, stored: str, shows: list[str], never: list[str]
) -> None:
    assert from_slack(sent) == stored
    out = mrkdwn(stored, live_users=LIVE)
    for needle in shows:
        assert needle in out
    for needle in [*never, *FORBIDDEN]:
        assert needle not in out
    one_line = plain(stored)
    for needle in FORBIDDEN:
        assert needle not in one_line
    assert "<@" not in one_line  # a one-line summary mentions nobody unless asked


# Modal input and anything else stored raw: (stored text, shows, never)
RAW_TEXT = [
    ("<!channel>", ["&lt;!channel&gt;"], ["<!channel>"]),
    ("<!here> and <!everyone>", ["&lt;!here&gt; and &lt;!everyone&gt;"], ["<!"]),
    ("<!subteam^S1|@devs>", ["&lt;!subteam^S1|@devs&gt;"], ["<!subteam"]),
    ("<https://evil.example|Open the spec>", ["&lt;https://evil.example|Open the spec&gt;"], []),
    ("<#C1>", ["&lt;#C1&gt;"], []),
    ("Q&amp;A typed as is", ["Q&amp;amp;A typed as is"], []),
    ("a < b > c & d", ["a &lt; b &gt; c &amp; d"], []),
    ("nul\x00bel\x07esc\x1b[31m", ["nulbelesc[31m"], ["\x00", "\x07", "\x1b"]),
    ("abc\u202etxt.exe", ["abctxt.exe"], ["\u202e"]),
    ("iso\u2066late\u2069", ["isolate"], ["\u2066", "\u2069"]),
    ("c1\x85\x9bcontrol", ["c1control"], ["\x85", "\x9b"]),
    ("line one\r\nline two", ["line one\nline two"], ["\r"]),
]


@pytest.mark.parametrize(("stored", "shows", "never"), RAW_TEXT)
def test_raw_text_never_becomes_markup(stored: str, shows: list[str], never: list[str]) -> None:
    out = mrkdwn(stored, live_users=LIVE)
    for needle in shows:
        assert needle in out
    for needle in [*never, *FORBIDDEN]:
        assert needle not in out


@pytest.mark.parametrize(
    ("text", "multiline", "expected"),
    [
        ("  API v2  ", False, "API v2"),
        ("a\x00b", False, "ab"),
        ("\x00", False, ""),
        ("\u200b\u200b", False, ""),
        (" \u200b \ufeff\u2060 ", False, ""),
        ("\u202e\u202d", False, ""),
        ("\u200d\u0301", False, ""),  # a joiner and a lone combining mark show nothing
        ("RTL \u202eevil", False, "RTL evil"),
        ("two\nlines\tand tab", False, "two lines and tab"),
        ("two\nlines\tand tab", True, "two\nlines\tand tab"),
        ("keep\r\nnewlines\r", True, "keep\nnewlines"),
        ("\ud800lone surrogate", False, "lone surrogate"),
        ("👨\u200d👩\u200d👧 family", False, "👨\u200d👩\u200d👧 family"),  # joiners inside stay
        ("עברית", False, "עברית"),
    ],
)
def test_clean(text: str, multiline: bool, expected: str) -> None:
    assert clean(text, multiline=multiline) == expected


def test_plain_is_one_line_cut_without_breaking_a_mention() -> None:
    assert plain("first\nsecond\t third") == "first second third"
    assert plain("x" * 30, limit=10) == "x" * 9 + "…"
    cut = plain("hello <@U_OUT|someone> there", limit=12)
    assert cut == "hello…"
    assert plain("<@U_IN|p> & co", live_users=LIVE) == "<@U_IN> &amp; co"


def test_mention_ids() -> None:
    assert mention_ids(from_slack("<@U1|a> and <@U2> and <@U1>")) == ["U1", "U2"]
    assert mention_ids("&lt;@U3&gt;") == []


# --------------------------------------------------------------------------- properties

# Text that looks like what people paste: Slack markup, entities, controls, quotes.
PIECES = st.sampled_from(
    [
        "<!channel>",
        "<!here|here>",
        "<!subteam^S1|@devs>",
        "<https://evil.example|Open>",
        "<mailto:a@b.c>",
        "<#C1|gen>",
        "<@U_IN|priya>",
        "<@U_OUT>",
        "<@W1|x>",
        "&amp;",
        "&lt;",
        "&gt;",
        "&",
        "<",
        ">",
        "|",
        "@channel",
        "\x00",
        "\u202e",
        "\u200b",
        "\n",
        '"',
        "“",
        " ",
    ]
)
MIXED = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=12).map("".join)
ANY = st.one_of(st.text(), MIXED)


UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _shown(text: str) -> str:
    return UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _without_live_mentions(out: str) -> str:
    return re.sub(r"<@U_IN>", "", out)


@settings(max_examples=500, deadline=None)
@given(ANY)
def test_decode_undoes_slack_escaping(text: str) -> None:
    assert from_slack(slack_escape(text)) == text
    assert unescape(slack_escape(text)) == text


@settings(max_examples=500, deadline=None)
@given(ANY)
def test_mrkdwn_never_lets_markup_through(text: str) -> None:
    for source in (text, from_slack(text)):
        out = mrkdwn(source, live_users=LIVE)
        rest = _without_live_mentions(out)
        assert "<" not in rest and ">" not in rest
        for needle in FORBIDDEN:
            assert needle not in out
        assert "\x00" not in out and "\u202e" not in out
        line = plain(source)
        assert "<" not in line and ">" not in line and "\n" not in line


@settings(max_examples=500, deadline=None)
@given(ANY)
def test_mrkdwn_escapes_exactly_once(text: str) -> None:
    out = mrkdwn(text)
    if "&amp;" not in text:
        assert "&amp;amp;" not in out
    if "<@" not in text:
        # Undoing one escaping gives back the text, less what may never be shown.
        assert unescape(out) == _shown(text)


@settings(max_examples=500, deadline=None)
@given(ANY, st.booleans())
def test_clean_is_idempotent_and_drops_controls(text: str, multiline: bool) -> None:
    once = clean(text, multiline=multiline)
    assert clean(once, multiline=multiline) == once
    assert not UNSAFE.search(once) and "\r" not in once
    if not multiline:
        assert "\n" not in once and "\t" not in once
