"""Precision and recall of action items over the corpus of realistic call summaries.

Each case is corpus/NN-name.txt (the text as a person would paste it) with
corpus/NN-name.json (call time, timezone, people, we/they ids, expected counts of
decisions and open questions, and the expected action items).

An extracted action item matches an expected one when the owner user id is the same
(or both are null), the due date-time is the same to the minute in the case's timezone
(or both are null), and `what` contains every expected keyword (case-insensitive).
Matching is one-to-one. An item given to several people belongs to the first one named
(the convention of the real-world set in real/, README "Owners"). Figures are printed
(run with -s to see them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.text.extraction import ActionItem, Extraction
from tests.extraction.real_scores import item_matches, run_document

CORPUS = Path(__file__).parent / "corpus"
MIN_RECALL = 0.96
MIN_PRECISION = 0.98


@dataclass
class CaseResult:
    name: str
    expected: int
    extracted: int
    matched: int
    decisions: tuple[int, int]  # (extracted, expected)
    questions: tuple[int, int]
    misses: list[dict[str, Any]]
    extras: list[ActionItem]


def load_cases() -> list[Path]:
    return sorted(CORPUS.glob("*.json"))


def run_case(path: Path) -> tuple[dict[str, Any], Extraction]:
    return run_document(path)  # the same label format as the real-world set


def score(path: Path) -> CaseResult:
    case, result = run_case(path)
    tz = ZoneInfo(case["tz"])
    remaining = list(result.action_items)
    misses: list[dict[str, Any]] = []
    for exp in case["action_items"]:
        hit = next((g for g in remaining if item_matches(g, exp, tz)), None)
        if hit is None:
            misses.append(exp)
        else:
            remaining.remove(hit)
    n_expected = len(case["action_items"])
    return CaseResult(
        name=path.stem,
        expected=n_expected,
        extracted=len(result.action_items),
        matched=n_expected - len(misses),
        decisions=(len(result.decisions), case["decisions"]),
        questions=(len(result.open_questions), case["open_questions"]),
        misses=misses,
        extras=remaining,
    )


def test_corpus_is_big_enough() -> None:
    cases = load_cases()
    assert len(cases) >= 15
    for path in cases:
        assert path.with_suffix(".txt").exists(), path


@pytest.mark.parametrize("path", load_cases(), ids=lambda p: p.stem)
def test_case_is_well_formed(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    ZoneInfo(case["tz"])
    datetime.fromisoformat(case["call_at"])
    ids = {p["user_id"] for p in case["people"]}
    for item in case["action_items"]:
        assert item["owner"] is None or item["owner"] in ids
        assert item["what"], item
        if item["due"] is not None:
            datetime.fromisoformat(item["due"])


def test_corpus_precision_and_recall() -> None:
    results = [score(p) for p in load_cases()]
    expected = sum(r.expected for r in results)
    extracted = sum(r.extracted for r in results)
    matched = sum(r.matched for r in results)
    precision = matched / extracted if extracted else 1.0
    recall = matched / expected if expected else 1.0
    dec_exact = sum(r.decisions[0] == r.decisions[1] for r in results)
    q_exact = sum(r.questions[0] == r.questions[1] for r in results)

    print()
    print(f"{'case':<34}{'items':>7}{'found':>7}{'ok':>5}{'dec':>8}{'ques':>8}")
    for r in results:
        print(
            f"{r.name:<34}{r.expected:>7}{r.extracted:>7}{r.matched:>5}"
            f"{r.decisions[0]:>4}/{r.decisions[1]:<3}{r.questions[0]:>4}/{r.questions[1]:<3}"
        )
        for m in r.misses:
            print(f"    missed: {m}")
        for e in r.extras:
            print(f"    extra:  {e.what!r} owner={e.owner_user_id} due={e.due_at}")
    print(
        f"\n{len(results)} cases, {expected} expected action items, {extracted} extracted, "
        f"{matched} matched: precision {precision:.3f}, recall {recall:.3f}"
    )
    print(
        f"decision counts exact in {dec_exact}/{len(results)} cases, "
        f"open-question counts exact in {q_exact}/{len(results)}"
    )
    assert recall >= MIN_RECALL, f"recall {recall:.3f} < {MIN_RECALL}"
    assert precision >= MIN_PRECISION, f"precision {precision:.3f} < {MIN_PRECISION}"
    # Decisions and questions are reported, with a loose floor so regressions show.
    assert dec_exact >= 0.7 * len(results)
    assert q_exact >= 0.8 * len(results)
