"""classify: what each unit holds, given its section and its shape."""

from __future__ import annotations

from bot.text.extraction.classify import classify
from bot.text.extraction.context import SectionKind, Unit
from tests.extraction.stages import make_ctx


def unit(
    text: str,
    section: SectionKind = "none",
    *,
    box: str | None = None,
    speaker: str | None = None,
    turn: bool = False,
) -> Unit:
    prose = section == "none"
    return Unit(text, text, section, box=box, speaker=speaker, turn=turn, prose=prose)


def kinds(*units: Unit) -> list[tuple[str, str, bool]]:
    for i, u in enumerate(units, 1):
        u.order = i
    return [(f.kind, f.text, f.strong) for f in classify(units, make_ctx())]


def test_the_section_decides_and_is_strong() -> None:
    assert kinds(
        unit("Go with B", "decisions"),
        unit("Send the estimate", "actions"),
        unit("Who pays", "questions"),
    ) == [
        ("decision", "Go with B", True),
        ("action", "Send the estimate", True),
        ("question", "Who pays", True),
    ]


def test_a_question_in_an_action_section_is_a_question() -> None:
    assert kinds(unit("Do we need VPN access?", "actions")) == [
        ("question", "Do we need VPN access?", True)
    ]


def test_tags_decide_outside_sections() -> None:
    assert kinds(unit("DECISION: go with B"), unit("ACTION: anil to fix it")) == [
        ("decision", "Go with B", True),
        ("action", "Fix it", True),
    ]


def test_prose_sentences_by_shape_are_weak() -> None:
    got = kinds(unit("We agreed to extend the pilot. Tom will send the report by Friday."))
    assert got == [
        ("decision", "We agreed to extend the pilot.", False),
        ("action", "Send the report", False),
    ]


def test_done_checkbox_and_info_tag_are_nothing() -> None:
    assert kinds(unit("Tom: signed the NDA", box="done"), unit("#info Tom is out")) == []


def test_an_unanswered_question_in_a_transcript() -> None:
    got = kinds(
        unit("Should we move the demo?", speaker="Marta Nowak", turn=True),
        unit("Hmm, I'm not sure yet.", speaker="Tom Becker", turn=True),
    )
    assert got == [("question", "Should we move the demo?", False)]


def test_an_answered_question_is_not_open() -> None:
    got = kinds(
        unit("Can we ship with those?", speaker="Priya", turn=True),
        unit("I think so, yes.", speaker="Anil", turn=True),
    )
    assert got == []
