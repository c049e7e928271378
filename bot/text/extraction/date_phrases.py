"""Where a date phrase is in a text: the atoms ("Friday", "EOD", "in 3 days") and the
preposition before them ("by" makes a deadline, "on" a mere mention)."""

from __future__ import annotations

import re
from collections.abc import Iterator

WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2,
}  # fmt: skip

WEEKDAYS = {
    "monday": 0, "mon": 0, "montag": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "dienstag": 1,
    "wednesday": 2, "wed": 2, "mittwoch": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "donnerstag": 3,
    "friday": 4, "fri": 4, "freitag": 4,
    "saturday": 5, "sat": 5, "samstag": 5,
    "sunday": 6, "sun": 6, "sonntag": 6,
}  # fmt: skip
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

MONTHS = {
    "january": 1, "jan": 1, "januar": 1, "february": 2, "feb": 2, "februar": 2,
    "march": 3, "mar": 3, "märz": 3, "maerz": 3, "april": 4, "apr": 4,
    "may": 5, "mai": 5, "june": 6, "jun": 6, "juni": 6, "july": 7, "jul": 7, "juli": 7,
    "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "oktober": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12, "dezember": 12,
}  # fmt: skip
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip


WD_WORD = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
)
MONTH_FULL = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|januar|februar|märz|maerz|mai|juni|juli|oktober|dezember)"
)
_MONTH_WORD = MONTH_FULL[:-1] + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th|\.)?"
# Zones written after a time ("5pmET", "10:30 Central", "14:00 UTC").
ZONE_WORDS = {
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles", "mt": "America/Denver", "mst": "America/Denver",
    "mdt": "America/Denver", "mountain": "America/Denver", "ct": "America/Chicago",
    "cst": "America/Chicago", "cdt": "America/Chicago", "central": "America/Chicago",
    "et": "America/New_York", "est": "America/New_York", "edt": "America/New_York",
    "eastern": "America/New_York", "utc": "UTC", "gmt": "UTC", "cet": "Europe/Berlin",
    "cest": "Europe/Berlin", "bst": "Europe/London", "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo", "aest": "Australia/Sydney", "aedt": "Australia/Sydney",
}  # fmt: skip
_ZONES = "|".join(sorted(ZONE_WORDS, key=len, reverse=True))
_CLOCK = (
    r"(?:(?:1[0-2]|0?[1-9])(?::[0-5]\d)?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"(?:\s*(?P<zone>" + _ZONES + r")(?:\s+time)?(?!\w)|(?!\w))"
    r"|(?<![\d.:])(?:[01]?\d|2[0-3]):[0-5]\d(?!\d)(?:\s*(?:h|uhr)\b)?"
    r"(?:\s*(?P<zone2>" + _ZONES + r")(?:\s+time)?(?!\w))?"
    r"|(?<![\d.:])(?:[01]?\d|2[0-3])\s*uhr\b)"
)
DATE_ATOM_RE = re.compile(
    r"(?P<iso>\b20\d\d-[01]\d-[0-3]\d(?:[T ](?P<iso_t>[0-2]\d:[0-5]\d))?\b)"
    r"|(?P<num>(?<![\d./:])(?P<num_a>[0-3]?\d)(?P<num_sep>[/.])(?P<num_b>[01]?\d)"
    r"(?:(?P=num_sep)(?P<num_y>(?:20)?\d\d)(?!\d))?(?P<num_dot>\.)?(?![\d/]))"
    r"|(?P<md>\b(?P<md_m>" + _MONTH_WORD + r")\s+(?P<md_d>" + _DAY + r")(?![\d:])"
    r"(?P<md_y>,?\s*20\d\d)?\b)"
    r"|(?P<dm>\b(?P<dm_d>" + _DAY + r")\s+(?:of\s+)?(?P<dm_m>" + _MONTH_WORD + r")"
    r"(?P<dm_y>,?\s*20\d\d)?(?!\w))"
    r"|(?P<eod>\b(?:eod|cob|eob|close\s+of\s+business|end\s+of\s+(?:the\s+)?(?:business\s+|"
    r"working\s+)?day)\b)"
    r"|(?P<sametime>\b(?:(?:at\s+)?(?:this|(?:the\s+)?same)\s+time\s+next\s+week|"
    r"next\s+week\s+at\s+(?:this|the\s+same)\s+time)\b)"
    r"|(?P<nw>(?:\b(?P<nw_mod>(?:the\s+)?end\s+of|early|mid|late|(?:the\s+)?beginning\s+of|"
    r"(?:the\s+)?start\s+of|sometime)\s+)?\b(?:next|the\s+following)\s+week\b"
    r"|\bnächste(?:n)?\s+woche\b|\bkommende(?:n)?\s+woche\b)"
    r"|(?P<eow>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:working\s+|work\s+)?week|eow|"
    r"ende\s+der\s+woche|(?:later\s+)?this\s+week|diese\s+woche)\b)"
    r"|(?P<nm>\b(?:(?:the\s+)?end\s+of\s+)?next\s+month\b)"
    r"|(?P<eomon>\b(?:the\s+)?end\s+of\s+(?P<eomon_m>" + MONTH_FULL + r")\b)"
    r"|(?P<eom>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month|eom|ende\s+des\s+monats|"
    r"monatsende|this\s+month)\b)"
    r"|(?P<eoq>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?quarter|eoq)\b)"
    r"|(?P<eoy>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year|eoy)\b)"
    r"|(?P<wom>\b(?:the\s+)?(?P<wom_n>first|second|third|fourth|last|1st|2nd|3rd|4th)\s+week\s+"
    r"(?:in|of)\s+(?P<wom_m>" + MONTH_FULL + r")(?P<wom_y>,?\s*20\d\d)?\b)"
    r"|(?P<rel>\b(?:in|within)\s+(?:the\s+(?:next|coming)\s+(?=(?:business\s+|working\s+)?"
    r"(?:hour|day|week|month)\b)|(?:the\s+next\s+)?(?P<rel_n>\d{1,3}|an?|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|a\s+couple\s+of|a\s+few)\s+)(?P<rel_b>business\s+|"
    r"working\s+)?(?P<rel_u>hours?|days?|weeks?|months?)\b)"
    r"|(?P<today>\b(?:today|tonight|heute|this\s+(?:morning|afternoon|evening))\b)"
    r"|(?P<tomorrow>\b(?:(?:the\s+)?day\s+after\s+tomorrow|übermorgen|tomorrow|tmrw|tmrow|"
    r"tmr|tomorow|tommorow|tommorrow|morgen)\b)"
    r"|(?P<wd>\b(?:(?P<wd_mod>this\s+coming|this|next|coming|the\s+following|nächsten|"
    r"nächster|kommenden|diesen)\s+)?(?P<wd_d>" + WD_WORD + r")(?P<wd_s>['’]s\b|s\b)?\b)"
    r"|(?P<vague>\b(?:asap|a\.s\.a\.p\.?|as\s+soon\s+as\s+possible|(?<!as\s)soon|shortly|"
    r"(?:the\s+)?next\s+sprint|this\s+sprint|(?:the\s+)?end\s+of\s+(?:the\s+)?sprint|"
    r"q[1-4]|h[12]|in\s+the\s+coming\s+(?:days|weeks)|(?:the\s+)?next\s+(?:call|meeting|sync|"
    r"update|release|check-?in|demo)|(?:early|mid|late)\s+" + MONTH_FULL + r"|"
    r"(?<=in\s)" + MONTH_FULL + r"|(?<=by\s)" + MONTH_FULL + r"|(?<=until\s)" + MONTH_FULL + r")\b)"
    r"|(?P<clock>" + _CLOCK + r"|\bnoon\b|\bmidday\b|\bmidnight\b)"
    r"|(?P<pod>\b(?:morning|afternoon|evening|night)\b)",
    re.I,
)
# Words an atom of DATE_ATOM_RE can start with: the atom regex is only tried there.
_DATE_HINTS = frozenset(
    set(WEEKDAYS)
    | set(MONTHS)
    | {
        "today",
        "tonight",
        "heute",
        "tomorrow",
        "tmrw",
        "tmrow",
        "tmr",
        "tomorow",
        "tommorow",
        "tommorrow",
        "morgen",
        "übermorgen",
        "day",
        "the",
        "this",
        "next",
        "coming",
        "following",
        "same",
        "end",
        "eod",
        "cob",
        "eob",
        "eow",
        "eom",
        "eoq",
        "eoy",
        "first",
        "second",
        "third",
        "fourth",
        "1st",
        "2nd",
        "3rd",
        "4th",
        "close",
        "early",
        "mid",
        "late",
        "later",
        "beginning",
        "start",
        "sometime",
        "ende",
        "monatsende",
        "diese",
        "nächste",
        "nächsten",
        "nächster",
        "kommende",
        "kommenden",
        "diesen",
        "in",
        "within",
        "asap",
        "a",
        "as",
        "soon",
        "shortly",
        "q1",
        "q2",
        "q3",
        "q4",
        "h1",
        "h2",
        "noon",
        "midday",
        "midnight",
        "morning",
        "afternoon",
        "evening",
        "night",
        "uhr",
    }
)
_HINT_WORD_RE = re.compile(r"[^\W_]+|\d")


def date_atoms(text: str) -> Iterator[re.Match[str]]:
    """Like DATE_ATOM_RE.finditer(text), but only tried where an atom can start."""
    end = 0
    for w in _HINT_WORD_RE.finditer(text):
        pos = w.start()
        if pos < end:
            continue
        word = w.group(0)
        if not (word[0].isdigit() or word.lower() in _DATE_HINTS):
            continue
        m = DATE_ATOM_RE.match(text, pos)
        if m is not None and m.end() > pos:
            end = m.end()
            yield m


_DEADLINE_PREPS = (
    "no later than",
    "not later than",
    "bis spätestens",
    "ideally before",
    "ideally by",
    "due date on",
    "due date by",
    "due date",
    "latest by",
    "due on",
    "due by",
    "deadline",
    "spätestens",
    "bis zum",
    "latest",
    "before",
    "until",
    "till",
    "til",
    "due",
    "bis",
    "by",
)
_NEUTRAL_PREPS = (
    "starting",
    "within",
    "around",
    "about",
    "from",
    "this",
    "for",
    "on",
    "at",
    "am",
    "in",
    "ab",
)
_PAST_WORDS = ("yesterday", "previous", "earlier", "gestern", "since", "last", "past", "ago")


def _word_suffix(low: str, words: tuple[str, ...]) -> str | None:
    for w in words:
        if low.endswith(w) and (len(low) == len(w) or not low[-len(w) - 1].isalnum()):
            return w
    return None


def prep_before(text: str, start: int) -> tuple[str, int] | None:
    """("dl" for by/before/until..., "nt" for on/at/in...; start index) of the word before."""
    seg = text[max(0, start - 40) : start]
    t = seg.rstrip().rstrip(":-").rstrip()
    low = t.lower()
    for kind, preps in (("dl", _DEADLINE_PREPS), ("nt", _NEUTRAL_PREPS)):
        w = _word_suffix(low, preps)
        if w is not None:
            return kind, start - len(seg) + len(t) - len(w)
    return None


def past_before(text: str, start: int) -> bool:
    low = text[max(0, start - 20) : start].rstrip().lower()
    return _word_suffix(low, _PAST_WORDS) is not None


ATOM_GAP_RE = re.compile(r"^\s*(?:,|at|on|by|@|um|-|,\s*at|,\s*by)?\s*$", re.I)
