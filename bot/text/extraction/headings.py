"""Which headings open which kind of section ("Action items", "Decisions", "Parking lot")."""

from __future__ import annotations

import re

from bot.text.extraction.context import SectionKind
from bot.text.extraction.normalize import strip_decor

_HEADINGS: dict[str, SectionKind] = {}


def _add_headings(kind: SectionKind, words: str) -> None:
    for w in words.split("|"):
        _HEADINGS[w.strip()] = kind


_add_headings(
    "decisions",
    "decisions|decision log|decisions made|key decisions|decided|agreed|agreements|"
    "what we agreed|what was agreed|agreed decisions|resolutions|entscheidungen|beschlüsse|"
    "beschluesse|vereinbarungen|ergebnisse und entscheidungen|conclusions|outcomes|"
    "agreements reached|decisions and agreements|decisions taken|decisions reached",
)
_add_headings(
    "actions",
    "action items|action item|actions|action points|next steps|suggested next steps|"
    "next actions|follow-ups|follow ups|followups|follow-up|follow up|follow-up tasks|"
    "follow up tasks|follow-up items|follow-up actions|to do|to-do|todo|todos|to-dos|to dos|"
    "tasks|task list|assignments|action items by person|ais|aufgaben|maßnahmen|massnahmen|"
    "nächste schritte|naechste schritte|to-dos und aufgaben|owners and next steps|"
    "homework|action item list|action items list|ai list|ais list",
)
_add_headings(
    "questions",
    "open questions|questions|open issues|open points|parking lot|parked|parked items|"
    "unresolved|unresolved questions|outstanding questions|questions and risks|"
    "risks and questions|offene fragen|offene punkte|fragen|to be decided|tbd",
)
_add_headings(
    "other",
    "summary|quick recap|recap|overview|outline|notes|meeting notes|details|discussion|"
    "discussion points|key points|key takeaways|takeaways|highlights|topics|chapters|"
    "keywords|agenda|attendees|participants|invited|invitees|attachments|transcript|"
    "meeting purpose|purpose|context|background|updates|status|status update|people present|"
    "meeting summary|minutes|meeting minutes|protokoll|teilnehmer|notizen|zusammenfassung|"
    "agenda items|topics discussed|key topics|risks|blockers|date|time|location|"
    "meeting details|speakers|info|information|chapters and topics|ai summary|present|"
    "regrets|absent|apologies|chair|chairs|scribe|guests|roll call|welcome|announcements|"
    "approval of minutes|adjourn|adjournment|any other business|aob|next meeting|reports|"
    "old business|new business|round table|roundtable|introductions|housekeeping|"
    "logistics|links|resources|references|call to order|public comment|action items review",
)
# Singular tag forms: "Decision: we go with B" is one item, not a section.
TAG_HEADINGS = {"decided", "agreed", "action item", "follow-up", "follow up", "todo", "tbd"}
# Inline content after these labels is never an item.
SKIP_INLINE = {
    "attendees", "participants", "invited", "invitees", "teilnehmer", "date", "time",
    "keywords", "attachments", "location", "speakers", "people present",
}  # fmt: skip

# "New action items", "Open actions", "Summary of decisions": the same sections.
_PREFIX = (
    r"(?:(?:new|current|key|main|our|today'?s|this\s+week'?s|"
    r"summary\s+of|list\s+of|summary\s+of\s+(?:new\s+)?)\s+)?"
)
# Items of earlier meetings, reviewed with their status: not this meeting's actions.
_PAST_RE = re.compile(
    r"^(?:(?:past|previous|prior|old|earlier|open|outstanding|pending|carried[- ]over|"
    r"last\s+(?:week|meeting|call|time)['’]?s?|"
    r"review(?:\s+of)?(?:\s+(?:the|previous|past|last|open|outstanding|pending))?)"
    r"\s+(?:action\s+items?|actions?|ais?|to-?dos?|tasks|follow[- ]?ups?)"
    r"|(?:action\s+items?|actions?|ais?|tasks|to-?dos?)\s+(?:review|status|update|"
    r"from\s+(?:the\s+)?(?:last|previous|past|prior)\b.*))$"
)
# "The board agreed that the:", "We decided:" above a list of decisions.
_DECIDED_LIST_RE = re.compile(
    r"^(?:the\s+\w+(?:\s+\w+)?|we|they|everyone|it\s+was)\s+(?:has\s+|have\s+)?"
    r"(?:agreed|decided|resolved)(?:\s+(?:that|on|to|the\s+following))?(?:\s+the)?$"
)
# "Action 1:", "Action item 3" above the item's text.
_NUMBERED_ACTION_RE = re.compile(r"^(?:action|action\s+item|ai)\s*#?\d{1,3}$")
_HEADING_KEYS_RE = re.compile(
    r"^"
    + _PREFIX
    + r"(?P<key>"
    + "|".join(re.escape(k) for k in sorted(_HEADINGS, key=len, reverse=True))
    + r")(?P<tail>(?:\s*[,(/&:\-–—]|\s+(?:for|by|from|of|with|and)\b).*)?$"
)


def heading_kind(text: str) -> tuple[SectionKind, str, str] | None:
    """(kind, key, inline content) when the text is a known heading."""
    if len(text) > 100:
        return None
    t = strip_decor(text).strip()
    t = re.sub(r"^#+\s*", "", t)
    norm = re.sub(r"\s+", " ", t.lower()).strip(" :.")
    norm = re.sub(r"\s*\(\d+\)$", "", norm)
    if not norm or len(norm) > 80:
        return None
    if _PAST_RE.match(norm):
        return "past", norm, ""
    if _NUMBERED_ACTION_RE.match(norm):
        return "actions", "action", ""
    if text.rstrip().endswith(":") and _DECIDED_LIST_RE.match(norm):
        return "decisions", "decided", ""
    m = _HEADING_KEYS_RE.match(norm)
    if m:
        key = m.group("key")
        tail = (m.group("tail") or "").strip()
        inline = ""
        if ":" in tail:
            inline = t.split(":", 1)[1].strip() if ":" in t else ""
        elif tail and len(norm.split()) > 8:
            return None
        return _HEADINGS[key], key, inline
    parts = re.split(r"\s*(?:/|&|\band\b|\+|\|)\s*", norm)
    if 1 < len(parts) <= 3 and len(norm.split()) <= 6:
        for part in parts:
            if part in _HEADINGS:
                return _HEADINGS[part], part, ""
    return None


_SUFFIX_KINDS: dict[str, SectionKind] = {
    "decisions": "decisions", "resolutions": "decisions", "agreements": "decisions",
    "action items": "actions", "actions": "actions", "next steps": "actions",
    "action points": "actions", "follow-ups": "actions", "todos": "actions",
    "questions": "questions", "open questions": "questions",
}  # fmt: skip


def heading_suffix_kind(text: str) -> SectionKind | None:
    """For a line marked as a heading: "Consented Decisions", "Board action items"."""
    norm = re.sub(r"\s+", " ", strip_decor(text).lower()).strip(" :.#")
    words = norm.split()
    if not 2 <= len(words) <= 5:
        return None
    for suffix, kind in _SUFFIX_KINDS.items():
        if norm.endswith(" " + suffix):
            return kind
    return None


def looks_like_title(text: str) -> bool:
    """A short title-case line with no sentence punctuation (e.g. Zoom topic headings)."""
    if len(text) > 60 or text[-1:] in ".!?,;:":
        return False
    words = text.split()
    if not 1 <= len(words) <= 6:
        return False
    long_words = [w for w in words if len(w) > 3]
    return bool(long_words) and all(w[0].isupper() or not w[0].isalpha() for w in long_words)
