"""The name index of a call's people: who a name, handle or mention in the text is."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.text.extraction.model import Person
from bot.text.extraction.normalize import MENTION
from bot.text.extraction.vocabulary import COMMON_WORD_NAMES, NOT_NICKS, STATUS_WORDS

MODAL_STRONG = (
    r"will|shall|to|is\s+to|are\s+to|is\s+going\s+to|are\s+going\s+to|am\s+going\s+to|"
    r"is\s+gonna|are\s+gonna|am\s+gonna|must|has\s+to|have\s+to|"
    r"(?:has\s+|have\s+)?(?:agreed|agrees|committed|commits|promised|promises|volunteered|"
    r"volunteers|offered|offers)(?:\s+(?!to\b)[\w'’]+){0,4}?\s+to|plans?\s+to|intends?\s+to|"
    r"is\s+responsible\s+for|are\s+responsible\s+for|will\s+be\s+responsible\s+for|"
    r"am\s+responsible\s+for|will\s+own|owns|takes\s+care\s+of|will\s+take\s+care\s+of|"
    r"(?:is|are|am)\s+(?:checking|looking\s+into|following\s+up|preparing|drafting|reviewing|"
    r"investigating|handling|working\s+on|sorting\s+out|chasing|organi[sz]ing|arranging|"
    r"setting\s+up|fixing|updating|writing|sending|scheduling|taking\s+care\s+of|"
    r"putting\s+together|confirming)"
)
MODAL_WEAK = r"can|could|should|needs\s+to|need\s+to|would"
CONTRACTION = (
    r"['’](?:ll|s\s+going\s+to|re\s+going\s+to|m\s+going\s+to|m\s+gonna|s\s+gonna|re\s+gonna)"
)


_TRAIL_DASH_RE = re.compile(r"\s[\-–—]\s*")
# An IRC-style nickname or handle, written where an owner stands in an item known to be an
# action ("ACTION: mriedem to …", "- jdoe: …", "… (dims)"); checked by plausible_nick.
NICK = r"@?[A-Za-z_][\w\-|]{1,30}(?:\.[\w\-]{1,20})?"
_NICK_RE = re.compile(NICK)
_NICK_CHAIN = NICK + r"(?:\s*(?:,\s*and|,|and|&|\+|/)\s*" + NICK + r")*+"
_NICK_SPLIT_RE = re.compile(r"\s*(?:,\s*and|,|\band\b|&|\+|/)\s*")
_TRAIL_HANDLES_RE = re.compile(
    r"(?P<rest>.*?\S)\s+(?:(?:owner|owners|assignee|cc)\s*:?\s*)?"
    r"(?P<o>@[\w.\-]{2,40}(?:\s*(?:,|and|&|/)\s*@[\w.\-]{2,40})*)$",
    re.I,
)
# Words before a trailing @handle that make it the object, not the owner ("… with @x").
_HANDLE_OBJECT_WORDS = {
    "with", "to", "from", "for", "by", "cc", "ask", "ping", "tell", "thank", "thanks", "and",
    "or", "via", "of", "on", "at", "about", "per", "contact", "email", "notify", "inform",
    "remind", "invite", "loop", "include", "involve", "help", "assist", "pair", "sync",
}  # fmt: skip


def plausible_nick(token: str) -> bool:
    """Whether a single word can be someone's nickname or handle rather than a word."""
    if _NICK_RE.fullmatch(token.strip()) is None:
        return False
    word = token.strip().lstrip("@").rstrip(".").lower()
    if token.strip().startswith("@"):
        return len(word) >= 2
    return (
        2 <= len(word) <= 31
        and word not in NOT_NICKS
        and any(c.isalpha() for c in word)
        and not word.isdigit()
    )


def nick_tokens(text: str) -> list[str]:
    return [t for t in _NICK_SPLIT_RE.split(text.strip()) if t]


class PeopleIndex:
    """Name lookup over the given people: full names, first names, handles."""

    def __init__(self, people: tuple[Person, ...]) -> None:
        keys: dict[str, set[str]] = {}
        self.display: dict[str, str] = {}
        self.side: dict[str, str] = {}
        for p in people:
            self.side[p.user_id] = p.side
            if p.names:
                self.display[p.user_id] = p.names[0]
            for raw in p.names:
                for key in _name_keys(raw):
                    keys.setdefault(key, set()).add(p.user_id)
        self.by_key: dict[str, tuple[str, ...]] = {k: tuple(sorted(v)) for k, v in keys.items()}
        alts = sorted(self.by_key, key=len, reverse=True)
        # Names matched case-insensitively, except names that are also common words
        # ("Will", "May", "Mark"): those only with a capital, so "Tom will" stays a verb.
        self.alternation = "|".join(
            r"(?-i:" + re.escape(k.capitalize()) + "|" + re.escape(k.upper()) + ")"
            if k in COMMON_WORD_NAMES
            else re.escape(k)
            for k in alts
        )
        self.full_re: re.Pattern[str] | None = (
            re.compile(r"@?(?:" + self.alternation + r")", re.I) if alts else None
        )
        # Every owner alternative is atomic and chains are possessive: a name that could be
        # read two ways ("Priya" as a known person or as a capitalised word) must not make
        # the engine try both for every name in "Priya and Priya and ...".
        people_alt = (r"|(?:" + self.alternation + r")(?![\w])") if alts else ""
        generic = (
            r"(?-i:[A-Z][\w'\-]+(?:\s+(?:van\s+|von\s+|de\s+|da\s+|del\s+)?[A-Z][\w'\-]+){0,2})"
        )
        owner = (
            r"(?>"
            + MENTION
            + r"|@[\w.\-]+(?-i:\s+[A-Z][\w'\-]+)?"
            + people_alt
            + r"|(?:I|we|they|us|(?:the\s+)?vendor(?:\s+(?:team|side))?|our\s+(?:side|team)|"
            r"their\s+(?:side|team)|your\s+(?:side|team)|you\s+guys|someone|somebody|"
            r"everyone|everybody|nobody)\b|" + generic + r")"
        )
        chain = owner + r"(?:\s*(?:,\s*and|,|and|&|\+|/)\s*" + owner + r")*+"
        self.owner_chain_re = re.compile(chain, re.I)
        self.subject_re = re.compile(
            r"^(?P<owner>" + chain + r")"
            r"(?:\s*\([^)]{1,40}\))?"
            r"(?:\s+(?:also|then|now|still|just|first|probably|hopefully|already))?"
            r"(?:(?P<c>"
            + CONTRACTION
            + r")|\s*,?\s+(?P<m>"
            + MODAL_STRONG
            + r"|"
            + MODAL_WEAK
            + r"))\s+(?P<rest>\S.*)$",
            re.I,
        )
        lead_one = r"(?>" + MENTION + r"|@[\w.\-]+(?-i:\s+[A-Z][\w'\-]+)?" + people_alt + r")"
        self.lead_owner_re = re.compile(
            r"^(?P<owner>"
            + lead_one
            + r"(?:\s*(?:,|and|&|\+|/)\s*"
            + lead_one
            + r")*+)\s*(?P<sep>[:\-–—,])?\s+(?P<rest>\S.*)$",
            re.I,
        )
        self.nick_subject_re = re.compile(
            r"^(?P<owner>" + _NICK_CHAIN + r")"
            r"(?:(?P<c>"
            + CONTRACTION
            + r")|\s*,?\s+(?P<m>"
            + MODAL_STRONG
            + r"))\s+(?P<rest>\S.*)$",
        )
        self.nick_lead_re = re.compile(r"^(?P<owner>" + _NICK_CHAIN + r")\s*:\s+(?P<rest>\S.*)$")
        self.label_owner_re = re.compile(
            r"\b(?:owner|owners|assignee|assigned\s+to|responsible|who|verantwortlich)\s*[:=]\s*"
            r"(?P<o>" + owner + r")",
            re.I,
        )

    def trailing_owner(self, body: str, *, nicks: bool = False) -> tuple[str, str] | None:
        """(rest, owner) for "... - Priya Sharma", "... (Tom Becker)", "... [Anil]"; with
        nicks, also "... (dims)", "... - jdoe"."""
        text = body.rstrip().rstrip(".!").rstrip()
        if text.endswith((")", "]")):
            i = text.rfind("(" if text.endswith(")") else "[")
            if i <= 0:
                return None
            cand, rest = text[i + 1 : -1].strip(), text[:i].rstrip()
        else:
            tail_start = max(0, len(text) - 100)
            dashes = list(_TRAIL_DASH_RE.finditer(text, tail_start))
            if not dashes:
                return None
            last = dashes[-1]
            cand, rest = text[last.end() :].strip(), text[: last.start()].rstrip()
        if not cand or not rest or len(cand) > 80 or cand.lower() in STATUS_WORDS:
            return None
        if self.owner_chain_re.fullmatch(cand):
            return rest, cand
        if nicks and all(plausible_nick(n) for n in nick_tokens(cand)) and len(cand) <= 60:
            return rest, cand
        return None

    def trailing_handles(self, body: str) -> tuple[str, str] | None:
        """(rest, handles) for "Write the RFC @aturon" (not "… sync with @aturon")."""
        m = _TRAIL_HANDLES_RE.match(body.rstrip().rstrip(".!").rstrip())
        if m is None:
            return None
        before = m.group("rest").split()[-1].lower().strip(",;:")
        if before in _HANDLE_OBJECT_WORDS:
            return None
        return m.group("rest").rstrip(" ,;:-–—"), m.group("o")

    def lookup(self, text: str) -> tuple[str, ...]:
        key = _norm_name(text)
        ids = self.by_key.get(key)
        if ids is None and key.startswith("@"):
            ids = self.by_key.get(key[1:])
        return ids or ()

    def is_person(self, text: str) -> bool:
        return bool(self.lookup(text))


def _norm_name(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip("*_:,.").lower())


def _name_keys(raw: str) -> set[str]:
    name = _norm_name(raw).lstrip("@")
    if not name:
        return set()
    keys = {name}
    if " " in name:
        first = name.split(" ", 1)[0]
        if len(first) >= 2 and first not in ("the", "a", "an", "our", "their", "mr", "ms", "dr"):
            keys.add(first)  # not "the" of "The chair"
    elif re.search(r"[._]", name):
        first = re.split(r"[._]", name, maxsplit=1)[0]
        if len(first) >= 3:
            keys.add(first)
        keys.add(re.sub(r"[._]", " ", name))
    return keys


@lru_cache(maxsize=64)
def people_index(people: tuple[Person, ...]) -> PeopleIndex:
    return PeopleIndex(people)
