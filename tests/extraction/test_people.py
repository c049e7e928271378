"""people and names: owners as written become Slack user ids when exactly one person fits."""

from __future__ import annotations

import pytest

from bot.text.extraction import Person
from bot.text.extraction.context import Unit
from bot.text.extraction.names import people_index
from bot.text.extraction.people import Owner, owner_kind, resolve_owner
from tests.extraction.stages import PEOPLE, make_ctx


def owner(text: str, *, speaker: str | None = None, author: str | None = None) -> Owner:
    unit = Unit(text="", raw="", section="none", speaker=speaker)
    return resolve_owner(text, unit, make_ctx(author=author))


def test_the_index_knows_full_names_first_names_and_handles() -> None:
    index = people_index(PEOPLE)
    assert index.lookup("Priya Sharma") == ("U01PRIYA",)
    assert index.lookup("priya") == ("U01PRIYA",)
    assert index.lookup("@tom.becker") == ("U02TOM",)
    assert index.lookup("tom becker") == ("U02TOM",)
    assert index.lookup("anil") == ("U11ANIL",)
    assert index.lookup("Maria") == ()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("<@U02TOM>", "mention"),
        ("I", "self"),
        ("we", "group"),
        ("the vendor team", "group"),
        ("everyone", "nobody"),
        ("Marta", "person"),
        ("Tom and Marta", "multi"),
        ("Maria", "generic"),
    ],
)
def test_owner_kinds(text: str, kind: str) -> None:
    assert owner_kind(text, make_ctx()) == kind


def test_resolution() -> None:
    assert owner("<@U02TOM|tom>") == Owner("U02TOM", "Tom Becker", True)
    assert owner("marta") == Owner("U12MARTA", "Marta Nowak", True)
    assert owner("Maria") == Owner(None, "Maria", False)
    assert owner("Tom and Marta") == Owner("U02TOM", "Tom and Marta", False)


def test_i_is_the_speaker_or_the_author() -> None:
    assert owner("I", speaker="Anil Kumar") == Owner("U11ANIL", "Anil Kumar", True)
    assert owner("I", author="Priya") == Owner("U01PRIYA", "Priya", True)
    assert owner("I") == Owner(None, None, False)


def test_we_and_they_depend_on_the_speakers_side() -> None:
    assert owner("we", speaker="Priya Sharma").user_id == "U01PRIYA"
    assert owner("we", speaker="Anil Kumar").user_id == "U11ANIL"
    assert owner("they", speaker="Anil Kumar").user_id == "U01PRIYA"
    assert owner("we").sure is False


def test_an_ambiguous_first_name_is_not_guessed() -> None:
    people = (*PEOPLE, Person("U09TOM", ("Tom Schulz",), "vendor"))
    ctx = make_ctx(people)
    unit = Unit(text="", raw="", section="none")
    assert resolve_owner("Tom", unit, ctx) == Owner(None, "Tom", False)
    assert resolve_owner("Tom Becker", unit, ctx).user_id == "U02TOM"
