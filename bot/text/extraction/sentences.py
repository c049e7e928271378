"""Sentences and item text: splitting prose into sentences, tidying an item's text."""

from __future__ import annotations

import re

_SENT_SPLIT_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[^\W_]|<@|@)")
_ABBREVIATIONS = frozenset(
    {
        "e.g", "i.e", "etc", "vs", "approx", "mr", "mrs", "ms", "dr", "st", "no", "incl", "ca",
        "cf", "fig", "dept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
        "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "u.s", "a.m", "p.m", "z.b",
        "bzw", "ggf", "evtl",
    }
)  # fmt: skip


def ends_with_abbreviation(text: str) -> bool:
    last = text.rsplit(None, 1)[-1] if text.strip() else ""
    if not last.endswith("."):
        return False
    core = last[:-1].lower().lstrip("(")
    return core in _ABBREVIATIONS or (len(core) == 1 and core.isalpha())


FILLER_RE = re.compile(
    r"^(?:(?:sure|ok|okay|yes|yeah|yep|yup|great|perfect|good|cool|right|alright|"
    r"sounds good|no problem|of course|absolutely|will do|and|so|then|also|hmm+|um+|uh+|"
    r"well|also|plus|but|fine|got it|understood|thanks|thank you|fair enough|"
    r"in that case|after that|afterwards|meanwhile|on our side|on my side)[,.!]?\s+)+",
    re.I,
)


def split_sentences(text: str) -> list[str]:
    parts = _SENT_SPLIT_RE.split(text)
    out: list[str] = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if out and ends_with_abbreviation(out[-1]):
            out[-1] += " " + p
        else:
            out.append(p)
    return out


_SHORTCODE_END_RE = re.compile(r"(?<![\w:]):[a-z0-9][a-z0-9_+\-]*:$")


def tidy(text: str) -> str:
    """An item's text: one space between words, no dangling punctuation, a capital first."""
    text = re.sub(r"\s+", " ", text).strip()
    text = text.lstrip(" \t-–—:;,")
    if _SHORTCODE_END_RE.search(text) is None:  # ":tada:" keeps its closing colon
        text = text.rstrip(" \t-–—:;,")
    if text[:1].islower():
        text = text[0].upper() + text[1:]
    return text


def is_question_text(text: str) -> bool:
    return text.rstrip(" )\"'").endswith("?")
