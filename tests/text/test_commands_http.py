"""`/outsource` through signed HTTP into the app and the fake Slack: one-line answers with the
right form, did-you-mean, Slack's escaping decoded once and escaped once, quotes in titles."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.text.commands import USAGE, Status
from handlers.routing import ROUTES
from storage.models import AccessItem, AuditEntry, Deadline, OutboxMessage
from tests.harness import SHARED_CHANNEL, Harness


def _answer(h: Harness, text: str) -> dict[str, Any]:
    resp = h.command(text)
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral", body
    assert "Traceback" not in body["text"] and "went wrong" not in body["text"]
    return body


def _counts(h: Harness) -> tuple[int, int, int, int]:
    with h.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Deadline)) or 0,
            s.scalar(select(func.count()).select_from(AccessItem)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        )


def _usage_line(key: str) -> str:
    return "Usage: `" + USAGE[key].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@pytest.mark.parametrize(
    ("typed", "says", "usage_key"),
    [
        ("hlep", "Did you mean `help`?", "help"),
        ('dealine add "API v2" 2027-03-10', "Did you mean `deadline add`?", "deadline add"),
        ('deadline ad "API v2" 2027-03-10', "Did you mean `deadline add`?", "deadline add"),
        ("acess remove GitHub", "Did you mean `access remove`?", "access remove"),
    ],
)
def test_a_typo_gets_one_line_with_the_suggestion(
    harness: Harness, typed: str, says: str, usage_key: str
) -> None:
    h = harness
    h.make_vendor()
    before = _counts(h)
    body = _answer(h, typed)
    assert "blocks" not in body  # not the whole help
    lines = body["text"].splitlines()
    assert len(lines) == 2
    assert says in lines[0]
    assert lines[1].startswith(_usage_line(usage_key))
    assert _counts(h) == before and h.posts() == []


def test_only_help_and_an_empty_command_show_the_whole_help(harness: Harness) -> None:
    h = harness
    for typed in ("help", ""):
        body = _answer(h, typed)
        assert "deadline cancel" in body["text"] and "vendor restore" in body["text"]
        assert "access remove" in body["text"] and "change withdraw" in body["text"]
        assert "quotes" in body["text"]  # the quote rule is explained
        assert len(body["text"].splitlines()) > 30
    body = _answer(h, "help access")
    assert "access remove" in body["text"] and "deadline add" not in body["text"]
    for typed in ("status now", "deadline", "deadline done x", "sla 0"):
        assert len(_answer(h, typed)["text"].splitlines()) <= 2, typed


def test_slack_escaped_title_is_stored_plain_and_shown_escaped_once(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    # What Slack sends when someone types: deadline add "Q&A sign-off <v2>" 2027-03-10
    body = _answer(h, 'deadline add "Q&amp;A sign-off &lt;v2&gt;" 2027-03-10')
    with h.session() as s:
        assert s.scalars(select(Deadline.title)).one() == "Q&A sign-off <v2>"
    assert "Q&amp;A sign-off &lt;v2&gt;" in body["text"]
    assert html.unescape(body["text"]).count("Q&A sign-off <v2>") == 1
    (post,) = h.posts(SHARED_CHANNEL)
    shown = [post["text"], *(b["text"]["text"] for b in post["blocks"] if "text" in b)]
    assert any("Q&amp;A sign-off &lt;v2&gt;" in t for t in shown)
    for t in (body["text"], *shown):
        assert "&amp;amp;" not in t and "&amp;lt;" not in t and "<v2>" not in t


def test_a_title_typed_with_broadcasts_and_links_stays_text(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    # Slack sends the special mention and the link as markup; stored readable, never live.
    _answer(h, 'deadline add "<!channel> read <https://evil.example/login|the spec>" 2027-03-10')
    with h.session() as s:
        title = s.scalars(select(Deadline.title)).one()
    assert title == "@channel read the spec (https://evil.example/login)"
    (post,) = h.posts(SHARED_CHANNEL)
    for t in [post["text"], *(b["text"]["text"] for b in post["blocks"] if "text" in b)]:
        assert "<!channel>" not in t and "<https://evil" not in t


def test_quotes_inside_a_title(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    _answer(h, 'deadline add "The "beta" launch" 2027-03-10')
    _answer(h, "deadline add “Bob's 27\" monitor” 2027-03-11")
    with h.session() as s:
        titles = s.scalars(select(Deadline.title).order_by(Deadline.number)).all()
    assert titles == ['The "beta" launch', "Bob's 27\" monitor"]


def test_control_characters_never_reach_the_database(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    _answer(h, 'deadline add "API\x00 v2\u202e\x1b handover" 2027-03-10')
    body = _answer(h, 'deadline add "\u200b\x00" 2027-03-10')
    assert body["text"].startswith("The title is empty.")
    with h.session() as s:
        assert s.scalars(select(Deadline.title)).all() == ["API v2 handover"]


def test_a_service_error_shows_the_form_of_the_subcommand_typed(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    _answer(h, 'deadline add "API v2" 2027-03-10')
    before = _counts(h)
    body = _answer(h, 'deadline move 1 yesterday reason "slipped"')
    assert "in the past" in body["text"]
    assert _usage_line("deadline move") in body["text"]
    assert "deadline add" not in body["text"]
    body = _answer(h, 'deadline move 1 friday reason "QA found a blocker')
    assert body["text"].startswith("The reason has an opening quote without a closing one")
    assert "title" not in body["text"]
    assert _counts(h) == before


def test_sla_bounds_are_the_real_ones(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    text = _answer(h, "sla 0")["text"]
    assert text.startswith("The SLA must be between 0.5 and 200 business hours.")
    assert "within 0.5 business hours" in html.unescape(_answer(h, "sla 0.5")["text"])


def test_an_at_word_that_is_not_a_mention_is_refused(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    before = _counts(h)
    text = _answer(h, "access add GitHub @nobody")["text"]
    assert text.startswith("I can't find @nobody — pick the person from the @ menu.")
    assert _usage_line("access add") in text
    text = _answer(h, 'deadline add "API" 2027-03-10 owner <@U_PRIYA> owner <@U_ALEX>')["text"]
    assert text.startswith("`owner` given twice")
    assert _counts(h) == before and h.posts() == []


def test_a_subcommand_without_a_route_says_so_in_one_line(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    h.make_vendor()
    monkeypatch.delitem(ROUTES, Status)
    before = _counts(h)
    body = _answer(h, "status")
    assert body["text"] == "`/outsource status` is not available yet in this build."
    assert "blocks" not in body
    assert _counts(h) == before and h.posts() == []
