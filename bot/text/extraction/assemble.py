"""Stage 4, assemble: what classify found becomes an Extraction, near-duplicates merged."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from bot.text.extraction.context import Found
from bot.text.extraction.model import ActionItem, Decision, Extraction, OpenQuestion
from bot.text.extraction.normalize import MENTION_RE
from bot.text.extraction.vocabulary import FOLLOWUP_VERBS, STOPWORDS

_WORD_RE = re.compile(r"[^\W_]+", re.U)


def _words(text: str) -> frozenset[str]:
    text = MENTION_RE.sub(" ", text.lower())
    return frozenset(w for w in _WORD_RE.findall(text) if w not in STOPWORDS and len(w) > 1)


def _containment(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _objects(words: frozenset[str]) -> frozenset[str]:
    """The words of a task without its verbs of follow-up work ("follow up with the team"
    and "follow up with Solomon" are two tasks)."""
    return frozenset(w for w in words if w not in FOLLOWUP_VERBS and w != "up") or words


def _distinct(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two tagged items are two: each has words the other lacks, more than one in
    five ("comment on X" and "leave a comment on Y"; not "send the SOW" and "send the SOW
    with the new pricing", which says the same thing at more length). Numbers do not count:
    dates left in a text."""
    a_only = {w for w in a - b if not w.isdigit()}
    b_only = {w for w in b - a if not w.isdigit()}
    return bool(a_only and b_only) and len(a_only | b_only) > max(1, len(a | b) // 5)


def _same_text(a: str, b: str) -> bool:
    """The same words in the same order, numbers included ("module 2" is not "module 12")."""
    return _WORD_RE.findall(a.lower()) == _WORD_RE.findall(b.lower())


def _owners_compatible(a: ActionItem, b: ActionItem) -> bool:
    if a.owner_user_id and b.owner_user_id:
        return a.owner_user_id == b.owner_user_id
    if a.owner_user_id is None and b.owner_user_id is None:
        return (a.owner_name or "").lower() == (b.owner_name or "").lower() or not (
            a.owner_name and b.owner_name
        )
    return True


# How many items one action may give when it is written again and again with other dates.
MAX_DATE_VARIANTS = 2


def assemble(found: list[Found]) -> Extraction:
    actions: list[Found] = []
    decisions: list[Found] = []
    questions: list[Found] = []
    for seq, f in enumerate(found):
        f.seq = seq
        if f.kind == "action" and f.action is not None:
            f.words = _words(f.action.what) | (
                _words(f.action.line) if not f.strong else frozenset()
            )
            actions.append(f)
        elif f.text:
            f.words = _words(f.text)
            (decisions if f.kind == "decision" else questions).append(f)

    kept_actions: list[Found] = []
    ranked = sorted(
        actions,
        key=lambda f: (
            not f.strong,
            f.action is not None and f.action.due_at is None,
            f.action is not None and f.action.owner_user_id is None,
            f.order,
            f.seq,
        ),
    )
    what_words: dict[int, frozenset[str]] = {}
    index: dict[str, list[int]] = {}  # word → positions in kept_actions
    exact: set[tuple[str, str | None, datetime | None]] = set()
    cluster: list[int] = []  # kept position → first kept item of the same thing
    dated: dict[int, list[int]] = {}  # first kept item → kept items of it with their dates
    for f in ranked:
        item = f.action
        assert item is not None
        key = (item.what.lower(), item.owner_user_id or item.owner_name, item.due_at)
        if key in exact:
            continue
        ww = _words(item.what)
        what_words[f.seq] = ww
        candidates = {i for w in (ww | f.words) for i in index.get(w, ())}
        dup = False
        variant_of: int | None = None
        for i in sorted(candidates):
            k = kept_actions[i]
            assert k.action is not None
            if not _owners_compatible(item, k.action):
                continue
            if item.due_at and k.action.due_at and item.due_at != k.action.due_at:
                if variant_of is None and _same_text(item.what, k.action.what):
                    variant_of = cluster[i]
                continue
            both_strong = f.strong and k.strong
            threshold = 0.9 if both_strong else 0.5
            kw = what_words[k.seq]
            if both_strong and _distinct(ww, kw):
                continue  # two tagged items differing in more than a word are two tasks
            # Loose (weak) matches of items nobody owns need three words in common.
            loose_ok = bool(item.owner_name or k.action.owner_name)
            if (
                _containment(ww, kw) >= threshold
                and (both_strong or _objects(ww) & _objects(kw))
                and (threshold > 0.5 or loose_ok or len(ww & kw) >= 3 or ww <= kw or kw <= ww)
            ) or (
                not f.strong
                and ww & kw  # lines alike, but not a word of the two tasks in common: two tasks
                and _containment(f.words, k.words) >= threshold
                and (loose_ok or len(f.words & k.words) >= 3)
            ):
                dup = True
                break
        if dup:
            continue
        if variant_of is not None:
            # The same item again with another date: a pasted run of near-identical lines
            # gives one or two items whose date is unsure, not one item per line.
            if len(dated[variant_of]) >= MAX_DATE_VARIANTS:
                continue
            dated[variant_of].append(len(kept_actions))
        exact.add(key)
        pos = len(kept_actions)
        cluster.append(variant_of if variant_of is not None else pos)
        dated.setdefault(cluster[pos], [pos])
        for w in ww | f.words:
            index.setdefault(w, []).append(pos)
        kept_actions.append(f)
    for members in dated.values():
        if len(members) > 1:
            for i in members:
                a = kept_actions[i].action
                assert a is not None
                kept_actions[i].action = replace(a, due_sure=False)
    kept_actions.sort(key=lambda f: (f.order, f.seq))

    def dedup_texts(items: list[Found], threshold: float) -> list[Found]:
        kept: list[Found] = []
        seen: set[str] = set()
        by_word: dict[str, list[int]] = {}
        for f in sorted(items, key=lambda f: (not f.strong, f.order, f.seq)):
            low = f.text.lower()
            if low in seen:
                continue
            near = {i for w in f.words for i in by_word.get(w, ())}
            if any(
                _containment(f.words, kept[i].words) >= threshold
                # two tagged lines that differ in more than a word are two ("Resolution:
                # publish draft A", "Resolution: publish draft B")
                and not (f.strong and kept[i].strong and _distinct(f.words, kept[i].words))
                for i in near
            ):
                continue
            seen.add(low)
            for w in f.words:
                by_word.setdefault(w, []).append(len(kept))
            kept.append(f)
        kept.sort(key=lambda f: (f.order, f.seq))
        return kept

    return Extraction(
        decisions=tuple(Decision(f.text) for f in dedup_texts(decisions, 0.6)),
        action_items=tuple(f.action for f in kept_actions if f.action is not None),
        open_questions=tuple(OpenQuestion(f.text) for f in dedup_texts(questions, 0.8)),
    )
