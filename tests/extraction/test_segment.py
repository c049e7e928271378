"""segment: lines become units with their section, bullet, checkbox, speaker and label."""

from __future__ import annotations

from typing import Any

from bot.text.extraction.headings import heading_kind
from bot.text.extraction.normalize import prepare_lines
from bot.text.extraction.segment import find_author, segment_lines
from tests.extraction.stages import make_ctx


def units(text: str) -> list[dict[str, Any]]:
    """Each unit as a dict of the fields that are set (raw text left out)."""
    out = []
    for u in segment_lines(prepare_lines(text), make_ctx()):
        fields = {k: v for k, v in vars(u).items() if v not in (None, False, "")}
        fields.pop("raw")
        fields.pop("order")
        out.append(fields)
    return out


def test_headed_sections_bullets_and_checkboxes() -> None:
    text = (
        "Decisions\n- Go with B\n\nAction items\n- [ ] Priya: send the estimate\n"
        "  to finance\n- [x] Tom to sign\n"
    )
    assert units(text) == [
        {"text": "Go with B", "section": "decisions", "bullet": True},
        {
            "text": "send the estimate to finance",
            "section": "actions",
            "bullet": True,
            "box": "open",
            "label": "Priya",
        },
        {"text": "Tom to sign", "section": "actions", "bullet": True, "box": "done"},
    ]


def test_group_owner_heading_and_timestamps() -> None:
    text = "Action items\n**Anil Kumar**\nDocument the retry policy (06:41)\n"
    assert units(text) == [
        {"text": "Document the retry policy", "section": "actions", "group_owner": "Anil Kumar"}
    ]


def test_unknown_heading_ends_a_section_and_prose_is_one_unit() -> None:
    text = "Action items\n- Send it\n\n## Notes\nSome prose here.\nMore prose.\n"
    assert units(text)[1] == {
        "text": "Some prose here. More prose.",
        "section": "other",
        "prose": True,
    }


def test_speaker_turns_irc_and_headers() -> None:
    text = (
        "Anil Kumar: I will fix it.\n[14:02] <priya> I will announce it\n\n"
        "Priya Sharma  0:03\nOkay so.\n"
    )
    got = [(u["speaker"], u["text"], u.get("turn")) for u in units(text)]
    assert got == [
        ("Anil Kumar", "I will fix it.", True),
        ("priya", "I will announce it", True),
        ("Priya Sharma", "Okay so.", True),
    ]


def test_a_label_that_is_not_a_person_is_not_a_speaker() -> None:
    (unit,) = units("Note: the sandbox was slow.")
    assert "speaker" not in unit and unit["text"] == "Note: the sandbox was slow."


def test_table_rows() -> None:
    text = "| Task | Owner | Due |\n|---|---|---|\n| Fix tests | Anil | Mar 8 |\n"
    assert units(text) == [
        {"text": "Fix tests", "section": "actions", "label": "Anil", "due_hint": "Mar 8"}
    ]


def test_boilerplate_is_dropped() -> None:
    assert units("AI-generated content may be incorrect.\nWe agreed to ship.") == [
        {"text": "We agreed to ship.", "section": "none", "prose": True}
    ]


def test_heading_kinds() -> None:
    assert heading_kind("## Next Steps (3)") == ("actions", "next steps", "")
    assert heading_kind("Action items: Tom to review") == (
        "actions",
        "action items",
        "Tom to review",
    )
    assert heading_kind("Decisions & open questions") == ("decisions", "decisions", "")
    assert heading_kind("We will send the estimate to finance by Friday") is None


def test_find_author_under_a_sign_off() -> None:
    assert find_author(prepare_lines("Hi all,\n\nI'll do it.\n\nBest,\nPriya\n")) == "Priya"
    assert find_author(prepare_lines("I'll do it.\nThanks for the call today.")) is None
