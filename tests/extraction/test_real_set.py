"""The real-world evaluation set in tests/extraction/real/ is well formed.

These tests check the shape of the set only: every document has its labels, the labels
refer to people and text that exist, dates parse, and each half is big and varied enough.
They never run the extractor; scoring lives elsewhere.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

REAL = Path(__file__).parent / "real"
HALVES = ("dev", "heldout")
NAME = re.compile(r"^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
KEYS = {
    "title": str,
    "source": str,
    "community": str,
    "licence": str,
    "labelled": str,
    "call_at": str,
    "tz": str,
    "people": list,
    "we_user_id": (str, type(None)),
    "they_user_id": (str, type(None)),
    "decisions": list,
    "open_questions": list,
    "action_items": list,
}
ITEM_KEYS = ("owner_as_written", "owner", "due_as_written", "due", "what", "text")


def documents() -> list[Path]:
    return sorted(REAL.glob("*/*.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def squash(text: str) -> str:
    """Lower case with runs of whitespace made one space, so wrapped lines still match."""
    return re.sub(r"\s+", " ", text).strip().lower()


def test_every_text_has_labels_and_every_label_has_a_text() -> None:
    for half in HALVES:
        folder = REAL / half
        texts = {p.stem for p in folder.glob("*.txt")}
        labels = {p.stem for p in folder.glob("*.json")}
        assert texts == labels, f"{half}: unpaired {sorted(texts ^ labels)}"
    strays = [p.name for p in REAL.iterdir() if p.is_file() and p.suffix in (".txt", ".json")]
    assert strays == [], "documents belong in dev/ or heldout/"


def test_names_are_numbered_slugs_and_numbers_are_unique_across_halves() -> None:
    numbers: dict[str, str] = {}
    for path in documents():
        assert NAME.match(path.stem), path.name
        number = path.stem[:2]
        assert number not in numbers, f"{path.name} and {numbers.get(number)} share a number"
        numbers[number] = path.name


def test_each_half_is_big_enough_and_the_set_spans_enough_communities() -> None:
    per_half = {half: [load(p) for p in (REAL / half).glob("*.json")] for half in HALVES}
    for half, cases in per_half.items():
        assert len(cases) >= 15, f"{half} has {len(cases)} documents"
    communities = {case["community"] for cases in per_half.values() for case in cases}
    assert len(communities) >= 10, sorted(communities)


def test_a_community_with_several_documents_is_in_both_halves() -> None:
    halves_of: dict[str, set[str]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for path in documents():
        community = load(path)["community"]
        halves_of[community].add(path.parent.name)
        count[community] += 1
    lopsided = [c for c, n in count.items() if n > 1 and halves_of[c] != set(HALVES)]
    assert lopsided == []


def test_readme_lists_every_document_and_when_each_half_was_last_looked_at() -> None:
    readme = (REAL / "README.md").read_text(encoding="utf-8")
    missing = [p.stem for p in documents() if p.stem not in readme]
    assert missing == []
    for half in ("held-out half", "development half"):
        assert re.search(rf"^{half} last looked at: \d{{4}}-\d{{2}}-\d{{2}}", readme, re.M), half


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.stem)
def test_labels_are_well_formed(path: Path) -> None:
    case = load(path)
    text = squash(path.with_suffix(".txt").read_text(encoding="utf-8"))

    for key, kind in KEYS.items():
        assert isinstance(case.get(key), kind), f"{key} missing or of the wrong type"
    for key in ("title", "source", "community", "licence"):
        assert case[key].strip(), f"{key} is empty"
    assert case["source"].startswith("https://")
    date.fromisoformat(case["labelled"])
    assert MINUTE.match(case["call_at"]), case["call_at"]
    datetime.fromisoformat(case["call_at"])
    ZoneInfo(case["tz"])

    ids = [person["user_id"] for person in case["people"]]
    assert len(ids) == len(set(ids)), "user ids repeat"
    for person in case["people"]:
        assert person["side"] in ("internal", "vendor")
        assert person["names"], person["user_id"]
        for name in person["names"]:
            assert squash(name) in text, f"{name!r} does not occur in the text"
    for key in ("we_user_id", "they_user_id"):
        assert case[key] is None or case[key] in ids

    for item in case["action_items"]:
        assert set(item) == set(ITEM_KEYS), item
        assert item["owner"] is None or item["owner"] in ids, item["owner"]
        assert (item["due"] is None) == (item["due_as_written"] is None), item["text"]
        if item["due"] is not None:
            assert MINUTE.match(item["due"]), item["due"]
            datetime.fromisoformat(item["due"])
        assert 1 <= len(item["what"]) <= 3, item["text"]
        for keyword in item["what"]:
            assert keyword.strip() and keyword.lower() in item["text"].lower(), keyword
        assert squash(item["text"]) in text, f"not in the document: {item['text']!r}"
        for key in ("owner_as_written", "due_as_written"):
            if item[key] is not None:
                assert squash(item[key]) in text, f"not in the document: {item[key]!r}"

    for line in case["decisions"] + case["open_questions"]:
        assert squash(line) in text, f"not in the document: {line!r}"
