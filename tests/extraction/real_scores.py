"""Scores of the extractor on the real-world set in tests/extraction/real/.

Each document is run through ``extract`` with the call time, zone and people of its label
file, and compared with its labels:

* **Action items** match one to one, as in test_corpus.py: the same owner (the same
  ``people`` id, or both without one), the same due minute in the document's zone (or both
  without a due), and every keyword of the label's ``what`` in the item's text
  (case-insensitive). Precision = matched / extracted, recall = matched / labelled.
* **Decisions and open questions** match one to one by text similarity: the Dice
  coefficient of their sets of content words (lower case, numbers kept, common words
  dropped) must be at least ``TEXT_MATCH`` (0.5); pairs are taken best first.

The dev half is for tuning: its per-document rows and its misses may be read. The
held-out half is only measured: ``report`` prints its totals, and its per-document rows
only when asked (``heldout_rows=True``), never its misses.

``line_ceiling`` answers a narrower question: how far would the extractor get if it knew
exactly which lines hold an action item? Every line that holds the key words of a labelled
item, and where the rules found none, is read as an action by the same owner/due/what stage
(``action_from``). What that still misses is the reading of owners, dates and words, not the
finding of lines.

Run ``pytest tests/extraction/test_real_scores.py -s`` or ``python bench/score_real.py``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.text.extraction import ActionItem, Extraction, Person, extract
from bot.text.extraction.actions import action_from
from bot.text.extraction.assemble import assemble
from bot.text.extraction.classify import classify
from bot.text.extraction.context import Found
from bot.text.extraction.pipeline import read
from bot.text.extraction.sentences import split_sentences

REAL = Path(__file__).parent / "real"
HALVES = ("dev", "heldout")
TEXT_MATCH = 0.5

_WORD_RE = re.compile(r"[^\W_]+")
_COMMON = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in",
        "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "we", "were",
        "will", "with",
    }
)  # fmt: skip


@dataclass
class Counts:
    expected: int = 0
    extracted: int = 0
    matched: int = 0

    def add(self, other: Counts) -> None:
        self.expected += other.expected
        self.extracted += other.extracted
        self.matched += other.matched

    @property
    def precision(self) -> float:
        return self.matched / self.extracted if self.extracted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0


@dataclass
class DocScore:
    name: str
    labelled: str
    actions: Counts
    decisions: Counts
    questions: Counts
    missed: list[dict[str, Any]] = field(default_factory=list)
    extra: list[ActionItem] = field(default_factory=list)
    missed_decisions: list[str] = field(default_factory=list)
    extra_decisions: list[str] = field(default_factory=list)
    missed_questions: list[str] = field(default_factory=list)
    extra_questions: list[str] = field(default_factory=list)
    miss_kinds: Counter[str] = field(default_factory=Counter)


def documents(half: str) -> list[Path]:
    return sorted((REAL / half).glob("*.json"))


def _call(labels: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of extract() that a label file gives."""
    tz = ZoneInfo(labels["tz"])
    return {
        "call_at": datetime.fromisoformat(labels["call_at"]).replace(tzinfo=tz),
        "tz": tz,
        "people": [Person.from_dict(p) for p in labels["people"]],
        "we_user_id": labels.get("we_user_id"),
        "they_user_id": labels.get("they_user_id"),
    }


def run_document(path: Path) -> tuple[dict[str, Any], Extraction]:
    """The labels of a document (NN-name.json) and what extract() finds in its text
    (NN-name.txt); the corpus in corpus/ uses the same format."""
    labels: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    text = path.with_suffix(".txt").read_text(encoding="utf-8")
    return labels, extract(text, **_call(labels))


def with_known_lines(path: Path) -> tuple[dict[str, Any], Extraction]:
    """What the extractor finds when it is also told which lines hold a labelled action
    item: each such sentence where the rules found no action is read by ``action_from``."""
    labels: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    units, ctx = read(path.with_suffix(".txt").read_text(encoding="utf-8"), **_call(labels))
    found = classify(units, ctx)
    has_action = {f.order for f in found if f.kind == "action"}
    keys = [[k.lower() for k in label["what"]] for label in labels["action_items"]]
    for unit in units:
        if unit.order in has_action or unit.section == "past":
            continue
        for sentence in split_sentences(unit.text) if unit.prose else [unit.text]:
            low = sentence.lower()
            if not any(all(k in low for k in ks) for ks in keys):
                continue
            item = action_from(sentence, unit, ctx, who=None, in_section=True)
            if item is not None:
                found.append(Found("action", item.what, unit.order, False, item))
                break
    found.sort(key=lambda f: f.order)
    return labels, assemble(found)


def item_matches(item: ActionItem, label: dict[str, Any], tz: ZoneInfo) -> bool:
    due = item.due_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if item.due_at else None
    return (
        item.owner_user_id == label["owner"]
        and due == label["due"]
        and all(k.lower() in item.what.lower() for k in label["what"])
    )


MISS_KINDS = (
    "owner: none found",
    "owner: another",
    "owner: label has none",
    "due",
    "words",
    "not found",
)


def miss_kind(label: dict[str, Any], extra: list[ActionItem], tz: ZoneInfo) -> str:
    """Why a labelled item was not matched, judged by the nearest unmatched item: it was
    found with another owner, with another due, with other words, or not at all."""

    def due(item: ActionItem) -> str | None:
        return item.due_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if item.due_at else None

    def has_words(item: ActionItem) -> bool:
        return all(k.lower() in item.what.lower() for k in label["what"])

    for item in extra:
        if has_words(item) and due(item) == label["due"]:
            if item.owner_user_id is None:
                return "owner: none found"
            return "owner: another" if label["owner"] else "owner: label has none"
    for item in extra:
        if has_words(item) and item.owner_user_id == label["owner"]:
            return "due"
    for item in extra:
        if similarity(item.what, label["text"]) >= TEXT_MATCH:
            return "words"
    return "not found"


def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD_RE.findall(text.lower()) if w not in _COMMON)


def similarity(a: str, b: str) -> float:
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    return 2 * len(wa & wb) / (len(wa) + len(wb))


def match_texts(found: Iterable[str], labelled: Iterable[str]) -> tuple[list[str], list[str]]:
    """(labelled texts not matched, found texts not matched), pairs taken best first."""
    found, labelled = list(found), list(labelled)
    pairs = sorted(
        ((similarity(f, lab), i, j) for i, f in enumerate(found) for j, lab in enumerate(labelled)),
        reverse=True,
    )
    used_f: set[int] = set()
    used_l: set[int] = set()
    for score, i, j in pairs:
        if score < TEXT_MATCH:
            break
        if i in used_f or j in used_l:
            continue
        used_f.add(i)
        used_l.add(j)
    return (
        [lab for j, lab in enumerate(labelled) if j not in used_l],
        [f for i, f in enumerate(found) if i not in used_f],
    )


def score_document(path: Path, *, known_lines: bool = False) -> DocScore:
    labels, result = with_known_lines(path) if known_lines else run_document(path)
    tz = ZoneInfo(labels["tz"])
    remaining = list(result.action_items)
    missed: list[dict[str, Any]] = []
    for label in labels["action_items"]:
        hit = next((item for item in remaining if item_matches(item, label, tz)), None)
        if hit is None:
            missed.append(label)
        else:
            remaining.remove(hit)
    n = len(labels["action_items"])
    kinds = Counter(miss_kind(label, remaining, tz) for label in missed)
    missed_d, extra_d = match_texts((d.text for d in result.decisions), labels["decisions"])
    missed_q, extra_q = match_texts(
        (q.text for q in result.open_questions), labels["open_questions"]
    )
    return DocScore(
        name=path.stem,
        labelled=labels["labelled"],
        actions=Counts(n, len(result.action_items), n - len(missed)),
        decisions=Counts(
            len(labels["decisions"]),
            len(result.decisions),
            len(labels["decisions"]) - len(missed_d),
        ),
        questions=Counts(
            len(labels["open_questions"]),
            len(result.open_questions),
            len(labels["open_questions"]) - len(missed_q),
        ),
        missed=missed,
        extra=remaining,
        missed_decisions=missed_d,
        extra_decisions=extra_d,
        missed_questions=missed_q,
        extra_questions=extra_q,
        miss_kinds=kinds,
    )


@dataclass
class HalfScore:
    half: str
    docs: list[DocScore]
    actions: Counts
    decisions: Counts
    questions: Counts


def score_half(half: str, *, known_lines: bool = False) -> HalfScore:
    docs = [score_document(p, known_lines=known_lines) for p in documents(half)]
    totals = HalfScore(half, docs, Counts(), Counts(), Counts())
    for d in docs:
        totals.actions.add(d.actions)
        totals.decisions.add(d.decisions)
        totals.questions.add(d.questions)
    return totals


def _pr(c: Counts) -> str:
    return f"{c.matched:>3}/{c.expected:<3}/{c.extracted:<3} P {c.precision:.2f} R {c.recall:.2f}"


def report(
    halves: Iterable[str] = HALVES,
    *,
    heldout_rows: bool = False,
    misses: bool = False,
    known_lines: bool = False,
) -> list[HalfScore]:
    """Print the scores of each half; dev documents row by row (and their misses). With
    ``known_lines``, the line ceiling (see the module's docstring) instead of the scores."""
    scores = []
    header = f"{'document':<42}{'actions m/l/x':<30}{'decisions':<30}{'open questions':<30}"
    for half in halves:
        s = score_half(half, known_lines=known_lines)
        scores.append(s)
        told = "; told which lines hold an action item" if known_lines else ""
        print(f"\n== {half} ({len(s.docs)} documents{told}; m/l/x = matched/labelled/extracted)")
        rows = half == "dev" or heldout_rows
        if rows:
            print(header)
            for d in s.docs:
                print(
                    f"{d.name:<42}{_pr(d.actions):<30}{_pr(d.decisions):<30}{_pr(d.questions):<30}"
                )
                if misses and half == "dev":
                    _print_misses(d)
        print(
            f"{'ALL ' + half:<42}{_pr(s.actions):<30}{_pr(s.decisions):<30}{_pr(s.questions):<30}"
        )
        rounds = sorted({d.labelled for d in s.docs})
        for labelled in rounds if len(rounds) > 1 else ():
            part = Counts()
            for d in s.docs:
                if d.labelled == labelled:
                    part.add(d.actions)
            n = sum(d.labelled == labelled for d in s.docs)
            print(f"{'   labelled ' + labelled + f' ({n})':<42}{_pr(part):<30}")
        kinds: Counter[str] = Counter()
        for d in s.docs:
            kinds.update(d.miss_kinds)
        print(
            "   action items missed, by the nearest item extracted: "
            + ", ".join(f"{k} {kinds[k]}" for k in MISS_KINDS)
        )
    return scores


def _print_misses(d: DocScore) -> None:
    for m in d.missed:
        print(
            f"      missed action: {m['text']!r} owner={m['owner']} due={m['due']} what={m['what']}"
        )
    for e in d.extra:
        due = e.due_at.isoformat() if e.due_at else None
        print(f"      extra action:  {e.what!r} owner={e.owner_user_id} due={due}")
    for t in d.missed_decisions:
        print(f"      missed decision: {t!r}")
    for t in d.extra_decisions:
        print(f"      extra decision:  {t!r}")
    for t in d.missed_questions:
        print(f"      missed question: {t!r}")
    for t in d.extra_questions:
        print(f"      extra question:  {t!r}")
