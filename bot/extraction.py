"""Deterministic extraction of decisions, action items and open questions from call notes.

The input is whatever people paste: AI meeting summaries (Zoom, Meet/Gemini, Otter,
Fireflies, Fathom, Teams), transcripts with speaker turns, IRC meeting-bot minutes,
e-mail recaps, checklists and messy Slack messages. Nothing here talks to Slack.

Rules, in short:

* Sections are found from their headings ("Decisions", "Action items", "Next steps",
  "Open questions", "Parking lot", ... with or without ``#``/``**``/``:``). In an action
  section every item is an action item; in a decision section every item a decision; in a
  question section every item an open question.
* Outside those sections a sentence is classified by its shape: ``ACTION:``/``TODO:``/
  ``AI:``/``DECISION:``/``AGREED:`` tags, "<owner> to/will <verb>", "I'll <verb>" in a
  speaker turn, "we agreed to ...", "let's go with ...", "open question: ...".
* Owners resolve to Slack user ids through mentions, the names of ``people``, the speaker
  of a turn ("I"), ``we_user_id`` ("we") and ``they_user_id`` ("they"). An owner that
  cannot be tied to exactly one person keeps its name with ``owner_user_id=None``.
* Due dates are read from a date phrase found by regex and resolved relative to the call
  (dateparser for the natural-language parts, cached). A date without a time means 17:00
  local; "end of week" and "next week" mean that week's Friday 17:00.
* Whatever is not certain is marked (``owner_sure`` / ``due_sure`` = False), never invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import dateparser

__all__ = [
    "ActionItem",
    "Decision",
    "Extraction",
    "OpenQuestion",
    "Person",
    "Side",
    "extract",
    "warm_up",
]

Side = Literal["internal", "vendor"]
_SIDES: tuple[str, ...] = ("internal", "vendor")

DEFAULT_DUE_TIME = time(17, 0)


# --------------------------------------------------------------------------------------
# Public data model
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone who may own an action item: a Slack user and the names people call them."""

    user_id: str
    names: tuple[str, ...]
    side: Side

    def __post_init__(self) -> None:
        if not isinstance(self.names, tuple):
            object.__setattr__(self, "names", tuple(self.names))
        if self.side not in _SIDES:
            raise ValueError(f"side must be 'internal' or 'vendor', not {self.side!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "names": list(self.names), "side": self.side}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Person:
        return cls(
            user_id=str(data["user_id"]),
            names=tuple(str(n) for n in data.get("names", ())),
            side=cast(Side, data["side"]),
        )


@dataclass(frozen=True)
class ActionItem:
    what: str
    owner_user_id: str | None
    owner_name: str | None
    owner_sure: bool
    due_at: datetime | None
    due_text: str | None
    due_sure: bool
    line: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "owner_user_id": self.owner_user_id,
            "owner_name": self.owner_name,
            "owner_sure": self.owner_sure,
            "due_at": self.due_at.astimezone(UTC).isoformat() if self.due_at else None,
            "due_text": self.due_text,
            "due_sure": self.due_sure,
            "line": self.line,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionItem:
        due_raw = data.get("due_at")
        due_at: datetime | None = None
        if due_raw:
            due_at = datetime.fromisoformat(str(due_raw))
            if due_at.tzinfo is None:
                due_at = due_at.replace(tzinfo=UTC)
            due_at = due_at.astimezone(UTC)
        return cls(
            what=str(data["what"]),
            owner_user_id=data.get("owner_user_id"),
            owner_name=data.get("owner_name"),
            owner_sure=bool(data.get("owner_sure", False)),
            due_at=due_at,
            due_text=data.get("due_text"),
            due_sure=bool(data.get("due_sure", False)),
            line=str(data.get("line", "")),
        )


@dataclass(frozen=True)
class Decision:
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(text=str(data["text"]))


@dataclass(frozen=True)
class OpenQuestion:
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OpenQuestion:
        return cls(text=str(data["text"]))


@dataclass(frozen=True)
class Extraction:
    decisions: tuple[Decision, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    open_questions: tuple[OpenQuestion, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "decisions": [d.to_dict() for d in self.decisions],
            "action_items": [a.to_dict() for a in self.action_items],
            "open_questions": [q.to_dict() for q in self.open_questions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Extraction:
        return cls(
            decisions=tuple(Decision.from_dict(d) for d in data.get("decisions", ())),
            action_items=tuple(ActionItem.from_dict(a) for a in data.get("action_items", ())),
            open_questions=tuple(OpenQuestion.from_dict(q) for q in data.get("open_questions", ())),
        )

    @property
    def empty(self) -> bool:
        return not (self.decisions or self.action_items or self.open_questions)


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

_SectionKind = Literal["none", "other", "decisions", "actions", "questions"]

_HEADINGS: dict[str, _SectionKind] = {}


def _add_headings(kind: _SectionKind, words: str) -> None:
    for w in words.split("|"):
        _HEADINGS[w.strip()] = kind


_add_headings(
    "decisions",
    "decisions|decision log|decisions made|key decisions|decided|agreed|agreements|"
    "what we agreed|what was agreed|agreed decisions|resolutions|entscheidungen|beschlüsse|"
    "beschluesse|vereinbarungen|ergebnisse und entscheidungen",
)
_add_headings(
    "actions",
    "action items|action item|actions|action points|next steps|suggested next steps|"
    "next actions|follow-ups|follow ups|followups|follow-up|follow up|follow-up tasks|"
    "follow up tasks|follow-up items|follow-up actions|to do|to-do|todo|todos|to-dos|to dos|"
    "tasks|task list|assignments|action items by person|ais|aufgaben|maßnahmen|massnahmen|"
    "nächste schritte|naechste schritte|to-dos und aufgaben|owners and next steps",
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
    "meeting details|speakers|info|information|chapters and topics|ai summary",
)
# Singular tag forms: "Decision: we go with B" is one item, not a section.
_TAG_HEADINGS = {"decided", "agreed", "action item", "follow-up", "follow up", "todo", "tbd"}
# Inline content after these labels is never an item.
_SKIP_INLINE = {
    "attendees", "participants", "invited", "invitees", "teilnehmer", "date", "time",
    "keywords", "attachments", "location", "speakers", "people present",
}  # fmt: skip

_HEADING_KEYS_RE = re.compile(
    r"^(?P<key>"
    + "|".join(re.escape(k) for k in sorted(_HEADINGS, key=len, reverse=True))
    + r")(?P<tail>(?:\s*[,(/&:\-–—]|\s+(?:for|by|from|of|with|and)\b).*)?$"
)

_WORD_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2,
}  # fmt: skip

_WEEKDAYS = {
    "monday": 0, "mon": 0, "montag": 0,
    "tuesday": 1, "tue": 1, "tues": 1, "dienstag": 1,
    "wednesday": 2, "wed": 2, "mittwoch": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "donnerstag": 3,
    "friday": 4, "fri": 4, "freitag": 4,
    "saturday": 5, "sat": 5, "samstag": 5,
    "sunday": 6, "sun": 6, "sonntag": 6,
}  # fmt: skip
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_MONTHS = {
    "january": 1, "jan": 1, "januar": 1, "february": 2, "feb": 2, "februar": 2,
    "march": 3, "mar": 3, "märz": 3, "maerz": 3, "april": 4, "apr": 4,
    "may": 5, "mai": 5, "june": 6, "jun": 6, "juni": 6, "july": 7, "jul": 7, "juli": 7,
    "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "oktober": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12, "dezember": 12,
}  # fmt: skip
_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
)  # fmt: skip

# Words that look like a capitalised name at the start of a line but are labels.
_LABEL_WORDS = {
    "note", "notes", "summary", "update", "updates", "status", "context", "background",
    "owner", "owners", "due", "deadline", "date", "time", "when", "where", "what", "why",
    "how", "who", "which", "re", "subject", "from", "to", "cc", "bcc", "sent", "attendees",
    "participants", "agenda", "topic", "topics", "goal", "goals", "result", "results",
    "outcome", "risk", "risks", "blocker", "blockers", "question", "questions", "answer",
    "q", "a", "ps", "p.s", "important", "fyi", "reminder", "link", "links", "location",
    "meeting", "call", "project", "decision", "decisions", "action", "actions", "todo",
    "idea", "info", "edit", "also", "next", "tldr", "tl;dr", "example", "options", "option",
    "priority", "scope", "timeline", "budget", "the", "this", "that", "it", "we", "they",
    "i", "you", "he", "she", "there", "here", "so", "and", "but", "ok", "okay", "yes", "no",
    "well", "hi", "hello", "thanks", "thank", "dear", "invited", "teilnehmer", "datum",
    "ort", "thema", "ergebnis", "recap", "transcript", "speaker", "speakers", "step",
    "steps", "open", "agreed", "decided", "resolved", "unresolved", "tbd", "ai", "keywords",
    "attachments", "overview", "purpose", "details", "highlights", "outline", "chapter",
}  # fmt: skip

# Capitalised words that are never an owner when they start a clause.
_NOT_NAMES = _LABEL_WORDS | {
    "everyone", "everybody", "nobody", "someone", "somebody", "all", "both", "each",
    "if", "then", "our", "their", "your", "my", "his", "her", "its", "last", "please",
    "let", "lets", "let's", "today", "tomorrow", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "release", "any", "some", "none",
    "nothing", "one", "two", "three", "these", "those", "after", "before", "during",
    "once", "when", "while", "because", "since", "until", "in", "on", "at", "for", "with",
    "without", "maybe", "perhaps", "probably", "hopefully", "not", "only", "just",
    "first", "second", "third", "finally", "otherwise", "however", "still", "yet", "go",
    "send", "share", "add", "fix", "check", "review", "update", "make", "get", "do",
    "schedule", "confirm", "provide", "prepare", "create", "set", "move", "keep", "use",
    "write", "document", "deploy", "book", "ask", "find", "give", "hand", "rotate",
    "upload", "announce", "explain", "decide", "sort", "run", "test", "invoice",
    "everything", "anything", "something", "who", "whoever", "there's",
}  # fmt: skip

_COMMON_WORD_NAMES = {
    "will", "may", "mark", "bill", "pat", "sue", "hope", "grace", "june", "april", "rose",
    "max", "ray", "chase", "art", "jack", "frank", "don", "rob", "sunny", "summer",
    "august", "faith", "joy", "dawn", "gene", "guy", "ken", "lane", "miles", "penny",
}  # fmt: skip

_FOLLOWUP_VERBS = {
    "send", "share", "email", "e-mail", "mail", "forward", "follow", "get", "check",
    "confirm", "prepare", "draft", "write", "update", "review", "look", "investigate",
    "schedule", "set", "book", "create", "open", "file", "fix", "deploy", "ship",
    "deliver", "provide", "upload", "post", "ping", "ask", "reach", "talk", "call",
    "sync", "coordinate", "circle", "loop", "add", "put", "finalize", "finalise",
    "finish", "complete", "sign", "approve", "test", "run", "merge", "push", "release",
    "organize", "organise", "arrange", "invite", "document", "compile", "collect",
    "gather", "estimate", "quote", "summarize", "summarise", "clarify", "escalate",
    "raise", "handle", "take", "own", "dig", "figure", "sort", "work", "start", "build",
    "implement", "migrate", "move", "provision", "grant", "revoke", "pay", "invoice",
    "submit", "record", "circulate", "distribute", "publish", "let", "double-check",
    "verify", "validate", "align", "chase", "nudge", "remind", "research", "evaluate",
    "compare", "come", "find", "reply", "respond", "answer", "hand", "kick", "onboard",
    "bring", "make", "have", "turn", "port", "refactor", "revise", "resend", "rerun",
    "re-run", "do", "give", "drop", "remove", "clean", "contact", "tell",
    "inform", "notify", "announce", "rotate", "renew", "order", "buy", "request",
    "reserve", "plan", "present", "demo", "walk", "explain", "introduce", "connect",
    "configure", "install", "enable", "disable", "backport", "patch", "roll", "debug",
    "reproduce", "triage", "assign", "reassign", "close", "resolve", "cancel",
    "reschedule", "postpone", "extend", "adjust", "change", "correct", "attach",
    "export", "import", "sketch", "design", "mock", "spec", "outline",
}  # fmt: skip

_STOP_VERBS = {
    "be", "been", "need", "see", "know", "want", "like", "think", "say", "admit", "bet",
    "guess", "hear", "mean", "miss", "lose", "forget", "love", "hate", "happen", "depend",
    "stay", "remain", "feel", "believe", "hope", "wish", "probably", "likely", "not",
    "never", "no", "only", "keep", "be.", "agree", "wait", "get.",
}  # fmt: skip

_ADVERBS = {
    "also", "then", "just", "quickly", "still", "now", "first", "probably", "likely",
    "definitely", "actually", "really", "soon", "ideally", "please", "personally",
    "try", "and", "so", "hopefully", "later", "again", "both", "all", "each", "gladly",
    "happily", "briefly", "formally", "officially", "finally", "properly",
}  # fmt: skip

_STOPWORDS = {
    "the", "a", "an", "and", "or", "to", "of", "for", "on", "in", "at", "by", "with",
    "from", "is", "are", "was", "were", "be", "will", "it", "its", "this", "that", "these",
    "those", "we", "they", "i", "you", "he", "she", "our", "their", "his", "her", "my",
    "your", "as", "so", "if", "then", "than", "also", "re", "not", "no", "do", "did",
    "does", "have", "has", "had", "can", "could", "should", "would", "all", "any", "some",
    "before", "after", "about", "into", "up", "out", "over", "once", "anything", "agreed",
    "decided", "decision", "team", "group", "sides", "both", "let", "lets", "us",
    "ll", "s", "going", "go", "need", "needs", "must", "shall", "due", "eod",
    "today", "tomorrow", "next", "week", "there", "which", "what", "who", "how",
}  # fmt: skip

_BOILERPLATE_RE = re.compile(
    r"^(?:ai-generated content|generated by|transcribed by|you should review|"
    r"please provide feedback|get tips and learn|be sure to check|view recording|"
    r"recording:|meeting recording|this summary was|this editable transcript|"
    r"this message was|sent from my|powered by|made with|notes by gemini$)",
    re.I,
)

_SIGNOFF_RE = re.compile(
    r"^(?:best|best regards|regards|kind regards|warm regards|many thanks|thanks|thanks!|"
    r"thank you|cheers|thx|br|all the best|talk soon|viele grüße|beste grüße|lg|vg|"
    r"mit freundlichen grüßen|gruß|grüße)[,.!]*$",
    re.I,
)

# --------------------------------------------------------------------------------------
# Regular expressions: lines
# --------------------------------------------------------------------------------------

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_SPACES_RE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]")
_ZERO_WIDTH_RE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
# Bounded repetitions throughout: an unclosed "<http://x|..." must not make every "<"
# scan to the end of a long line.
_SLACK_LINK_RE = re.compile(r"<((?:https?|mailto|tel):[^|>\s]{1,2000})(?:\|([^>\n]{0,300}))?>")
_SLACK_CHANNEL_RE = re.compile(r"<#[CG][A-Z0-9]{1,20}(?:\|([^>\n]{0,100}))?>")
_SLACK_SPECIAL_RE = re.compile(r"<!(here|channel|everyone)(?:\|[^>\n]{0,100})?>")
_SLACK_SUBTEAM_RE = re.compile(r"<!subteam\^[A-Z0-9]{1,20}(?:\|([^>\n]{0,100}))?>")
_SLACK_DATE_RE = re.compile(r"<!date\^\d{1,12}\^[^|>\n]{0,100}\|([^>\n]{0,100})>")
_MENTION = r"<@[UW][A-Z0-9]{2,20}(?:\|[^>\n]{0,80})?>"
_MENTION_RE = re.compile(r"<@(?P<id>[UW][A-Z0-9]{2,20})(?:\|(?P<label>[^>\n]{0,80}))?>")
_SHORTCODE_RE = re.compile(r"(?<![\w:]):[a-z0-9][a-z0-9_+\-]*:(?![\w:])")
_EMOJI_RE = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u20e3]")
_QUOTE_RE = re.compile(r"^(?:>|&gt;)\s?")
_UNDERLINE_RE = re.compile(r"^\s*(?:={3,}|-{3,}|_{3,}|\*{3,})\s*$")

_BOX_OPEN = (
    r"\[\s?\]|☐|□|❑|❒|⬜|◻|▢|:white_large_square:|:black_square_button:|:white_square_button:"
)
_BOX_DONE = r"\[[xX✓✔]\]|☑|☒|✅|✔️?|✓|:white_check_mark:|:heavy_check_mark:|:ballot_box_with_check:"
_BULLET_RE = re.compile(
    r"^(?P<indent>\s*)"
    r"(?:(?P<mark>[-*+•◦▪▫·‣⁃●○■–—]|\d{1,3}[.)]|\(\d{1,3}\)|[a-z][.)])\s+)?"
    r"(?:(?P<box>" + _BOX_OPEN + "|" + _BOX_DONE + r")\s*)?"
    r"(?P<rest>.*)$",
    re.S,
)
_BOX_DONE_RE = re.compile(_BOX_DONE)

_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE_RE = re.compile(r"^(\*\*|__|\*|_)(?P<t>[^*_\s](?:.*?[^*_\s])?)\1\s*:?\s*$")
_BOLD_LABEL_RE = re.compile(r"^(\*\*|__|\*)(?P<t>[^*_]{1,40}?):?\1:?\s+(?P<rest>\S.*)$")
_EMPHASIS_RE = re.compile(r"\*\*|__|~~|`")
_SINGLE_EMPH_RE = re.compile(r"(?<![\w*])[*_~](?=\S)([^*_~\n]*?\S)[*_~](?![\w*])")

_SPEAKER_HEADER_RE = re.compile(
    r"^(?:(?:\[(?P<n1>[^\]\d]{1,60})\]|(?P<n2>[^\W\d_][\w'.\-]*(?:\s[^\W\d_][\w'.\-]*){0,3}))"
    r"\s+(?:\[|\()?" + _TS + r"(?:\s*[AaPp]\.?[Mm]\.?)?(?:\]|\))?"
    r"|[\[(]" + _TS + r"(?:\s*[AaPp]\.?[Mm]\.?)?[\])]\s*"
    r"(?P<n3>[^\W\d_][\w'.\-]*(?:\s[^\W\d_][\w'.\-]*){0,3}))\s*$"
)
_SPEAKER_TURN_RE = re.compile(
    r"^(?:[\[(]?" + _TS + r"[\])]?\s*(?:[-–|]\s*)?)?"
    r"(?P<name>" + _MENTION + r"|@?[^\W\d_][\w'.\-]*(?:\s+[^\W\d_][\w'.\-]*){0,3}(?:\s\d{1,3})?)"
    r"\s*(?:[\[(]\s*" + _TS + r"\s*[\])])?\s*:\s+(?P<rest>\S.*)$"
)
_IRC_RE = re.compile(
    r"^(?:[\[(]?" + _TS + r"[\])]?\s*)?<(?P<name>[A-Za-z_\[\]\\^{}|`][\w\-\[\]\\^{}|`]{0,30})>\s+"
    r"(?P<rest>.*)$"
)
_LEAD_TS_RE = re.compile(r"^[\[(]?" + _TS + r"[\])]?\s*(?:[-–|]\s+)?(?=\S)")
_TRAIL_PAREN_TS_RE = re.compile(r"\s?[(\[][^()\[\]]{0,40}?\b" + _TS + r"\b[^()\[\]]{0,20}[)\]]\s*$")
_INLINE_TS_RE = re.compile(
    r"\s?[(\[]\s*" + _TS + r"(?:\s*[-–]\s*" + _TS + r")?\s*[)\]]|\s[-–]\s+WATCH\b.*$"
)

_TAG_RE = re.compile(
    r"^(?:"
    r"(?P<tag>action items?|action|todo|to-do|to do|decision|decided|agreed|resolved|"
    r"open questions?|open points?|open items?|open issues?|open|still open|unresolved|"
    r"questions?|q|tbd|idea|info|note|fyi|"
    r"help|link|topic|aufgabe|entscheidung|beschluss|offene frage|frage)"
    r"(?:\s*\((?P<who>[^)]{1,40})\))?\s*[:\-–]\s+"
    r"|(?P<ai>AI)(?:\s*\((?P<aiwho>[^)]{1,40})\)|\s+(?P<aiwho2>@?[\w.\-]{2,30}))?\s*[:\-–]\s+"
    r"|(?P<todowho>todo|action)\s+(?P<who2>@[\w.\-]+|" + _MENTION + r")\s*:?\s+"
    r"|#(?P<irc>action|agreed|agree|decided|decision|info|idea|link|topic|help|todo|"
    r"question|startmeeting|endmeeting|chair|undo)\b\s*"
    r")(?P<rest>.*)$",
    re.I | re.S,
)
_TAG_KIND: dict[str, str] = {
    "action": "action", "action item": "action", "action items": "action", "todo": "action",
    "to-do": "action", "to do": "action", "aufgabe": "action", "decision": "decision",
    "decided": "decision", "agreed": "decision", "agree": "decision", "resolved": "decision",
    "entscheidung": "decision", "beschluss": "decision", "open question": "question",
    "open questions": "question", "open": "question", "still open": "question",
    "unresolved": "question", "question": "question", "questions": "question",
    "open point": "question", "open points": "question", "open item": "question",
    "open items": "question", "open issue": "question", "open issues": "question",
    "q": "question", "tbd": "question", "offene frage": "question", "frage": "question",
}  # fmt: skip

_SENT_SPLIT_RE = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[^\W_]|<@|@)")
_ABBREVIATIONS = frozenset(
    {
        "e.g", "i.e", "etc", "vs", "approx", "mr", "mrs", "ms", "dr", "st", "no", "incl", "ca",
        "cf", "fig", "dept", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
        "nov", "dec", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "u.s", "a.m", "p.m", "z.b",
        "bzw", "ggf", "evtl",
    }
)  # fmt: skip


def _ends_with_abbreviation(text: str) -> bool:
    last = text.rsplit(None, 1)[-1] if text.strip() else ""
    if not last.endswith("."):
        return False
    core = last[:-1].lower().lstrip("(")
    return core in _ABBREVIATIONS or (len(core) == 1 and core.isalpha())


_CLAUSE_SPLIT_RE = re.compile(r"\s?;\s*|\s+[–—-]\s+|,\s+(?:and\s+|but\s+|so\s+|then\s+)?|\s+and\s+")
_FILLER_RE = re.compile(
    r"^(?:(?:sure|ok|okay|yes|yeah|yep|yup|great|perfect|good|cool|right|alright|"
    r"sounds good|no problem|of course|absolutely|will do|and|so|then|also|hmm+|um+|uh+|"
    r"well|also|plus|but|fine|got it|understood|thanks|thank you|fair enough|"
    r"in that case|after that|afterwards|meanwhile|on our side|on my side)[,.!]?\s+)+",
    re.I,
)

# --------------------------------------------------------------------------------------
# Regular expressions: meaning
# --------------------------------------------------------------------------------------

_DECISION_RE = re.compile(
    r"(?<!what\s)(?<!what\s\s)\b(?:we|they|the\s+team|the\s+group|both\s+sides|both\s+teams|everyone|all\s+parties|"
    r"all\s+of\s+us|the\s+\w+\s+team|the\s+vendor)\s+(?:have\s+|had\s+|all\s+|then\s+|also\s+|"
    r"finally\s+|jointly\s+)?(?:agreed|decided|settled|concluded|aligned)\b(?!\s+with\b)"
    r"|\b[A-Z][\w\-]+\s+(?:and|&)\s+[A-Z][\w\-]+\s+(?:have\s+|both\s+)?(?:agreed|decided)\b"
    r"|\b(?:from\s+now\s+on|going\s+forward|moving\s+forward|henceforth|ab\s+sofort)\b"
    r"|^(?:it\s+was\s+|it\s+is\s+|it's\s+)?(?:agreed|decided)\s*(?:that|to|on|:)"
    r"|\bdecision\s+(?:is|was|made)\b|\bdecision\s+to\b|\b(?:the\s+)?decision:"
    r"|\blet'?s\s+(?:go\s+with|go\s+for|keep|stick\s+with|use|ship|move|postpone|drop|"
    r"skip|proceed|cut|go\s+ahead|not\s+\w+)\b"
    r"|\b(?:we'?ll|we\s+will|we\s+are|we're|we\s+are\s+going\s+to|we're\s+going\s+to|"
    r"we'?re\s+gonna|we\s+go|they'?ll|they\s+will)\s+go\s+(?:with|for|ahead)\b"
    r"|^(?:going|go|we\s+go|we're\s+going)\s+with\b"
    r"|\bsigned\s+off\s+on\b|\breached\s+consensus\b|\bconsensus\s+(?:is|was)\b"
    r"|\bsettled\s+on\b|^we\s+(?:keep|stick\s+with|go\s+with|drop|skip|postpone)\b"
    r"|^[A-Z][\w\-]+(?:\s+[A-Z][\w\-]+)?\s+will\s+(?:use|adopt|switch\s+to|stick\s+with|"
    r"stay\s+on|standardi[sz]e\s+on)\b",
    re.I,
)
_DECISION_KEYS = (
    "agreed",
    "decided",
    "settled",
    "concluded",
    "aligned",
    "decision",
    "let",
    "go with",
    "going with",
    "go for",
    "go ahead",
    "signed off",
    "consensus",
    "now on",
    "forward",
    "henceforth",
    "sofort",
    "will use",
    "will adopt",
    "switch to",
    "stick with",
    "stay on",
    "standardi",
    "we keep",
    "we drop",
    "we skip",
    "we postpone",
)


_DECISION_KEYS_RE = re.compile("|".join(re.escape(k) for k in _DECISION_KEYS), re.I)


def _decision_like(text: str) -> bool:
    return _DECISION_KEYS_RE.search(text) is not None and _DECISION_RE.search(text) is not None


_DECIDED_THAT_RE = re.compile(r"\b(?:agreed|decided|confirmed)\s+that\s+(?P<clause>.+)$", re.I)

_OPENQ_INLINE_RE = re.compile(
    r"\b(?:remains?|is|are|still|was|it's)\s+(?:still\s+)?(?:unclear|undecided|open|unknown|"
    r"tbd|not\s+(?:yet\s+)?(?:clear|decided|known|agreed))(?:\s+yet)?\s*"
    r"(?:whether|if|how|who|what|when|which|why)\b"
    r"|\b(?:unclear|undecided|tbd|unknown)\s*:"
    r"|\bnobody\s+owns\b|\bno\s+(?:one|owner)\s+(?:owns|yet|assigned)\b|\bunassigned\b"
    r"|\b(?:still\s+)?to\s+be\s+(?:decided|determined|clarified|confirmed)\b"
    r"|\bopen\s+question\b|[,;–—-]\s*tbd\s*[.!]?$|\bundecided\b",
    re.I,
)
_OPENQ_KEYS = (
    "unclear",
    "undecided",
    "open",
    "unknown",
    "tbd",
    "not ",
    "nobody",
    "no one",
    "no owner",
    "unassigned",
    "to be ",
)


_OPENQ_KEYS_RE = re.compile("|".join(re.escape(k) for k in _OPENQ_KEYS), re.I)


def _open_question_like(text: str) -> bool:
    return _OPENQ_KEYS_RE.search(text) is not None and _OPENQ_INLINE_RE.search(text) is not None


_UNRESOLVED_REPLY_RE = re.compile(
    r"^(?:(?:hmm+|um+|uh+|well|so|honestly|ok(?:ay)?|good question|tough one)[,.!]?\s+)*"
    r"(?:i'?m\s+not\s+(?:sure|certain)|not\s+sure|not\s+decided|no\s+idea|"
    r"i\s+don'?t\s+know|don'?t\s+know|good\s+question|let'?s\s+(?:decide|discuss|talk\s+about|"
    r"park|revisit)|let\s+me\s+(?:check|get\s+back|think)|tbd|unclear|we'?ll\s+see|"
    r"not\s+yet|undecided|(?:we\s+)?haven'?t\s+decided|nobody\s+knows|open\s+question)",
    re.I,
)
_NOW_ACTION_RE = re.compile(
    r"\b(?:share\s+my\s+screen|stop\s+sharing|share\s+(?:the|my)\s+screen|right\s+now|"
    r"real\s+quick|in\s+a\s+(?:sec|second|minute|moment)|hand\s+(?:it\s+)?over\s+to|"
    r"pass\s+(?:it\s+)?(?:over|on)\s+to|turn\s+it\s+over|keep\s+it\s+short|be\s+quick|"
    r"start\s+(?:with|by)\b|kick\s+(?:us|things|this)\s+off|mute|unmute|drop\s+off|"
    r"jump\s+off|let\s+you\s+go|see\s+you|talk\s+(?:to\s+you\s+)?soon|take\s+notes|"
    r"recap\s+quickly|go\s+through|walk\s+(?:you|us)\s+through|do\s+it\s+now|now\b)",
    re.I,
)
_PRONOUN_RE = re.compile(r"\b(?:it|that|this|those|them|these|the\s+same)\b", re.I)

_MODAL_STRONG = (
    r"will|shall|to|is\s+to|are\s+to|is\s+going\s+to|are\s+going\s+to|am\s+going\s+to|"
    r"is\s+gonna|are\s+gonna|am\s+gonna|must|has\s+to|have\s+to|"
    r"(?:has\s+|have\s+)?(?:agreed|agrees|committed|commits|promised|promises|volunteered|"
    r"volunteers|offered|offers)\s+to|is\s+responsible\s+for|are\s+responsible\s+for|"
    r"am\s+responsible\s+for|will\s+own|owns|takes\s+care\s+of|will\s+take\s+care\s+of|"
    r"(?:is|are|am)\s+(?:checking|looking\s+into|following\s+up|preparing|drafting|reviewing|"
    r"investigating|handling|working\s+on|sorting\s+out|chasing|organi[sz]ing|arranging|"
    r"setting\s+up|fixing|updating|writing|sending|scheduling|taking\s+care\s+of|"
    r"putting\s+together|confirming)"
)
_MODAL_WEAK = r"can|could|should|needs\s+to|need\s+to|plans?\s+to|intends?\s+to|would"
_CONTRACTION = (
    r"['’](?:ll|s\s+going\s+to|re\s+going\s+to|m\s+going\s+to|m\s+gonna|s\s+gonna|re\s+gonna)"
)

# --------------------------------------------------------------------------------------
# Regular expressions: dates
# --------------------------------------------------------------------------------------

_WD_WORD = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
)
_MONTH_FULL = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|januar|februar|märz|maerz|mai|juni|juli|oktober|dezember)"
)
_MONTH_WORD = _MONTH_FULL[:-1] + r"|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th|\.)?"
_CLOCK = (
    r"(?:(?:1[0-2]|0?[1-9])(?::[0-5]\d)?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)"
    r"|(?<![\d.:])(?:[01]?\d|2[0-3]):[0-5]\d(?!\d)(?:\s*(?:h|uhr)\b)?"
    r"|(?<![\d.:])(?:[01]?\d|2[0-3])\s*uhr\b)"
)
_DATE_ATOM_RE = re.compile(
    r"(?P<iso>\b20\d\d-[01]\d-[0-3]\d(?:[T ](?P<iso_t>[0-2]\d:[0-5]\d))?\b)"
    r"|(?P<num>(?<![\d./:])(?P<num_a>[0-3]?\d)(?P<num_sep>[/.])(?P<num_b>[01]?\d)"
    r"(?:(?P=num_sep)(?P<num_y>(?:20)?\d\d)(?!\d))?(?P<num_dot>\.)?(?![\d/]))"
    r"|(?P<md>\b(?P<md_m>" + _MONTH_WORD + r")\s+(?P<md_d>" + _DAY + r")(?![\d:])"
    r"(?P<md_y>,?\s*20\d\d)?\b)"
    r"|(?P<dm>\b(?P<dm_d>" + _DAY + r")\s+(?:of\s+)?(?P<dm_m>" + _MONTH_WORD + r")"
    r"(?P<dm_y>,?\s*20\d\d)?(?!\w))"
    r"|(?P<eod>\b(?:eod|cob|eob|close\s+of\s+business|end\s+of\s+(?:the\s+)?(?:business\s+|"
    r"working\s+)?day)\b)"
    r"|(?P<nw>(?:\b(?P<nw_mod>(?:the\s+)?end\s+of|early|mid|late|(?:the\s+)?beginning\s+of|"
    r"(?:the\s+)?start\s+of|sometime)\s+)?\b(?:next|the\s+following)\s+week\b"
    r"|\bnächste(?:n)?\s+woche\b|\bkommende(?:n)?\s+woche\b)"
    r"|(?P<eow>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?:working\s+|work\s+)?week|eow|"
    r"ende\s+der\s+woche|(?:later\s+)?this\s+week|diese\s+woche)\b)"
    r"|(?P<nm>\b(?:(?:the\s+)?end\s+of\s+)?next\s+month\b)"
    r"|(?P<eomon>\b(?:the\s+)?end\s+of\s+(?P<eomon_m>" + _MONTH_FULL + r")\b)"
    r"|(?P<eom>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month|eom|ende\s+des\s+monats|"
    r"monatsende|this\s+month)\b)"
    r"|(?P<eoq>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?quarter|eoq)\b)"
    r"|(?P<eoy>\b(?:(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?year|eoy)\b)"
    r"|(?P<rel>\b(?:in|within)\s+(?:the\s+next\s+)?(?P<rel_n>\d{1,3}|an?|one|two|three|four|"
    r"five|six|seven|eight|nine|ten|a\s+couple\s+of|a\s+few)\s+(?P<rel_b>business\s+|"
    r"working\s+)?(?P<rel_u>hours?|days?|weeks?|months?)\b)"
    r"|(?P<today>\b(?:today|tonight|heute|this\s+(?:morning|afternoon|evening))\b)"
    r"|(?P<tomorrow>\b(?:(?:the\s+)?day\s+after\s+tomorrow|übermorgen|tomorrow|tmrw|tmrow|"
    r"tmr|tomorow|tommorow|tommorrow|morgen)\b)"
    r"|(?P<wd>\b(?:(?P<wd_mod>this\s+coming|this|next|coming|the\s+following|nächsten|"
    r"nächster|kommenden|diesen)\s+)?(?P<wd_d>" + _WD_WORD + r")(?P<wd_s>['’]s\b|s\b)?\b)"
    r"|(?P<vague>\b(?:asap|a\.s\.a\.p\.?|as\s+soon\s+as\s+possible|(?<!as\s)soon|shortly|"
    r"(?:the\s+)?next\s+sprint|this\s+sprint|(?:the\s+)?end\s+of\s+(?:the\s+)?sprint|"
    r"q[1-4]|h[12]|in\s+the\s+coming\s+(?:days|weeks)|(?:the\s+)?next\s+(?:call|meeting|sync|"
    r"update|release|check-?in|demo)|(?:early|mid|late)\s+" + _MONTH_FULL + r"|"
    r"(?<=in\s)"
    + _MONTH_FULL
    + r"|(?<=by\s)"
    + _MONTH_FULL
    + r"|(?<=until\s)"
    + _MONTH_FULL
    + r")\b)"
    r"|(?P<clock>" + _CLOCK + r"|\bnoon\b|\bmidday\b|\bmidnight\b)"
    r"|(?P<pod>\b(?:morning|afternoon|evening|night)\b)",
    re.I,
)
# Words an atom of _DATE_ATOM_RE can start with: the atom regex is only tried there.
_DATE_HINTS = frozenset(
    set(_WEEKDAYS)
    | set(_MONTHS)
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
        "end",
        "eod",
        "cob",
        "eob",
        "eow",
        "eom",
        "eoq",
        "eoy",
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


def _date_atoms(text: str) -> Iterator[re.Match[str]]:
    """Like _DATE_ATOM_RE.finditer(text), but only tried where an atom can start."""
    end = 0
    for w in _HINT_WORD_RE.finditer(text):
        pos = w.start()
        if pos < end:
            continue
        word = w.group(0)
        if not (word[0].isdigit() or word.lower() in _DATE_HINTS):
            continue
        m = _DATE_ATOM_RE.match(text, pos)
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


def _prep_before(text: str, start: int) -> tuple[str, int] | None:
    """("dl" for by/before/until..., "nt" for on/at/in...; start index) of the word before."""
    seg = text[max(0, start - 40) : start]
    t = seg.rstrip().rstrip(":-").rstrip()
    low = t.lower()
    for kind, preps in (("dl", _DEADLINE_PREPS), ("nt", _NEUTRAL_PREPS)):
        w = _word_suffix(low, preps)
        if w is not None:
            return kind, start - len(seg) + len(t) - len(w)
    return None


def _past_before(text: str, start: int) -> bool:
    low = text[max(0, start - 20) : start].rstrip().lower()
    return _word_suffix(low, _PAST_WORDS) is not None


_ATOM_GAP_RE = re.compile(r"^\s*(?:,|at|on|by|@|um|-|,\s*at|,\s*by)?\s*$", re.I)

_DATE_TIME_KINDS = {"clock", "pod", "eod"}


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Owner:
    user_id: str | None
    name: str | None
    sure: bool


_NO_OWNER = _Owner(None, None, False)


_TRAIL_DASH_RE = re.compile(r"\s[\-–—]\s*")


class _People:
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
            if k in _COMMON_WORD_NAMES
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
            + _MENTION
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
            r"(?:(?P<c>"
            + _CONTRACTION
            + r")|\s*,?\s+(?P<m>"
            + _MODAL_STRONG
            + r"|"
            + _MODAL_WEAK
            + r"))\s+(?P<rest>\S.*)$",
            re.I,
        )
        lead_one = r"(?>" + _MENTION + r"|@[\w.\-]+(?-i:\s+[A-Z][\w'\-]+)?" + people_alt + r")"
        self.lead_owner_re = re.compile(
            r"^(?P<owner>"
            + lead_one
            + r"(?:\s*(?:,|and|&|\+|/)\s*"
            + lead_one
            + r")*+)\s*[:\-–—,]?\s+(?P<rest>\S.*)$",
            re.I,
        )
        self.label_owner_re = re.compile(
            r"\b(?:owner|owners|assignee|assigned\s+to|responsible|who|verantwortlich)\s*[:=]\s*"
            r"(?P<o>" + owner + r")",
            re.I,
        )

    def trailing_owner(self, body: str) -> tuple[str, str] | None:
        """(rest, owner) for "... - Priya Sharma", "... (Tom Becker)", "... [Anil]"."""
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
        if not cand or not rest or len(cand) > 80 or not self.owner_chain_re.fullmatch(cand):
            return None
        return rest, cand

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
        if len(first) >= 2:
            keys.add(first)
    elif re.search(r"[._]", name):
        first = re.split(r"[._]", name, maxsplit=1)[0]
        if len(first) >= 3:
            keys.add(first)
        keys.add(re.sub(r"[._]", " ", name))
    return keys


@lru_cache(maxsize=64)
def _people_index(people: tuple[Person, ...]) -> _People:
    return _People(people)


# --------------------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    call_local: datetime  # naive, in tz
    tz: ZoneInfo
    people: _People
    we: str | None
    they: str | None
    author: str | None = None
    date_order: str = "DMY"


@dataclass
class _Unit:
    text: str
    raw: str
    section: _SectionKind
    bullet: bool = False
    box: str | None = None  # "open" | "done"
    speaker: str | None = None
    label: str | None = None  # "Name:" prefix of a line that is not known to be a speaker
    group_owner: str | None = None
    prose: bool = False
    turn: bool = False  # a speaker turn in a transcript
    due_hint: str | None = None  # the "Due" cell of a table row
    order: int = 0


@dataclass
class _Found:
    kind: Literal["action", "decision", "question"]
    text: str
    order: int
    strong: bool
    action: ActionItem | None = None
    words: frozenset[str] = field(default_factory=frozenset)
    seq: int = 0


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def extract(
    text: str,
    *,
    call_at: datetime,
    tz: ZoneInfo,
    people: Sequence[Person] = (),
    we_user_id: str | None = None,
    they_user_id: str | None = None,
) -> Extraction:
    """Find decisions, action items and open questions in pasted call notes."""
    if call_at.tzinfo is None:
        raise ValueError("call_at must be timezone-aware")
    ctx = _Ctx(
        call_local=call_at.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0),
        tz=tz,
        people=_people_index(tuple(people)),
        we=we_user_id,
        they=they_user_id,
        date_order="MDY" if tz.key.startswith("America/") else "DMY",
    )
    if not text or not text.strip():
        return Extraction()
    lines = _prepare_lines(text)
    ctx.author = _find_author(lines)
    found: list[_Found] = []
    prev_turn_question: str | None = None
    prev_turn_speaker: str | None = None
    prev_last_sentence = ""
    for unit in _segment(lines, ctx):
        if unit.turn and unit.speaker != prev_turn_speaker:
            if prev_turn_question and _UNRESOLVED_REPLY_RE.match(unit.text):
                found.append(_Found("question", prev_turn_question, unit.order - 1, False))
            prev_turn_question = None
            prev_turn_speaker = unit.speaker
        _classify_unit(unit, ctx, found, prev_last_sentence if unit.turn else "")
        sentences = _sentences(unit.text) if unit.prose else [unit.text]
        prev_last_sentence = sentences[-1] if sentences else ""
        if unit.turn:
            last = prev_last_sentence
            prev_turn_question = last if last.rstrip().endswith("?") else None
    return _assemble(found)


def warm_up() -> None:
    """Load dateparser's language data now rather than on the first recap (~0.1 s)."""
    _dateparser_parse("friday", datetime(2024, 1, 1, 12, 0), "DMY")


# --------------------------------------------------------------------------------------
# Lines and segmentation
# --------------------------------------------------------------------------------------


def _prepare_lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text)
    return text.split("\n")


def _unslack(s: str) -> str:
    if "<" in s:
        s = _SLACK_LINK_RE.sub(lambda m: m.group(2) or m.group(1), s)
        s = _SLACK_CHANNEL_RE.sub(lambda m: "#" + (m.group(1) or "channel"), s)
        s = _SLACK_SPECIAL_RE.sub(lambda m: "@" + m.group(1), s)
        s = _SLACK_SUBTEAM_RE.sub(lambda m: m.group(1) or "@team", s)
        s = _SLACK_DATE_RE.sub(lambda m: m.group(1), s)
    if "&" in s:
        s = s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return s


def _strip_decor(s: str) -> str:
    """Emoji, shortcodes, markdown emphasis: gone. Mentions stay."""
    changed = False
    if ":" in s and _SHORTCODE_RE.search(s):
        s = _SHORTCODE_RE.sub("", s)
        changed = True
    if not s.isascii():
        s = _EMOJI_RE.sub("", s)
        changed = True
    if "*" in s or "_" in s or "~" in s or "`" in s:
        s = _EMPHASIS_RE.sub("", s)
        s = _SINGLE_EMPH_RE.sub(r"\1", s)
        changed = True
    if changed or "  " in s:
        s = _MULTISPACE_RE.sub(" ", s)
    return s.strip()


_MULTISPACE_RE = re.compile(r"\s{2,}")
_TS_HINT_RE = re.compile(r"\d:\d\d")


def _strip_timestamps(s: str) -> str:
    if ":" not in s or _TS_HINT_RE.search(s) is None:
        return s
    s = _LEAD_TS_RE.sub("", s)
    s = _TRAIL_PAREN_TS_RE.sub("", s)
    s = _INLINE_TS_RE.sub("", s)
    return s.strip()


def _find_author(lines: list[str]) -> str | None:
    """The name under a sign-off at the end of an e-mail style recap."""
    tail = [ln.strip() for ln in lines[-8:] if ln.strip()]
    for i in range(len(tail) - 1):
        if _SIGNOFF_RE.match(_strip_decor(tail[i])):
            name = _strip_decor(tail[i + 1]).lstrip("-–— ")
            if 0 < len(name.split()) <= 3 and re.fullmatch(r"[^\W\d_][\w'.\- ]*", name):
                return name
    return None


def _heading_kind(text: str) -> tuple[_SectionKind, str, str] | None:
    """(kind, key, inline content) when the text is a known heading."""
    if len(text) > 100:
        return None
    t = _strip_decor(text).strip()
    t = re.sub(r"^#+\s*", "", t)
    norm = re.sub(r"\s+", " ", t.lower()).strip(" :.")
    norm = re.sub(r"\s*\(\d+\)$", "", norm)
    if not norm or len(norm) > 80:
        return None
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


def _looks_like_title(text: str) -> bool:
    """A short title-case line with no sentence punctuation (e.g. Zoom topic headings)."""
    if len(text) > 60 or text[-1:] in ".!?,;:":
        return False
    words = text.split()
    if not 1 <= len(words) <= 6:
        return False
    long_words = [w for w in words if len(w) > 3]
    return bool(long_words) and all(w[0].isupper() or not w[0].isalpha() for w in long_words)


def _owner_only(text: str, ctx: _Ctx, *, loose: bool) -> str | None:
    """The text when it is nothing but an owner reference (a group heading)."""
    t = _strip_decor(text).strip().rstrip(":").strip()
    t = re.sub(r"^#+\s*", "", t)
    if not t or len(t) > 60:
        return None
    if _MENTION_RE.fullmatch(t):
        return t
    if ctx.people.full_re is not None and ctx.people.full_re.fullmatch(t):
        return t
    if t.lower() in {"unassigned", "everyone", "all", "team", "both"}:
        return t
    if (
        loose
        and re.fullmatch(r"@?[A-Z][\w'\-]+(?:\s+[A-Z][\w'\-]+){0,2}", t)
        and t.split()[0].lower().lstrip("@") not in _NOT_NAMES
        and not _heading_kind(t)
    ):
        return t
    return None


_ANON_SPEAKER_RE = re.compile(
    r"(?i)^(?:speaker|participant|unknown\s+speaker|guest|sprecher(?:in)?)\s*\d{0,3}$"
)


def _name_like(name: str, ctx: _Ctx) -> bool:
    """Whether a "Name:" prefix is a person (a speaker or an owner), not a label."""
    n = name.strip()
    if _ANON_SPEAKER_RE.match(n):
        return True
    if _MENTION_RE.fullmatch(n) or n.startswith("@"):
        return True
    if ctx.people.is_person(n):
        return True
    words = n.split()
    if not 1 <= len(words) <= 4 or words[0].lower() in _LABEL_WORDS:
        return False
    return all(
        w[0].isupper() or w.lower() in {"van", "von", "de", "da", "del", "der", "la", "le"}
        for w in words
    ) and not any(w.lower() in _LABEL_WORDS for w in words[1:])


def _segment(lines: list[str], ctx: _Ctx) -> Iterator[_Unit]:
    """Turn lines into units: one per item, paragraph or speaker turn, with section state."""
    section: _SectionKind = "none"
    section_bullets = False
    group_owner: str | None = None
    header_speaker: str | None = None
    blank_before = False
    para: list[str] = []
    para_raw: list[str] = []
    pending: _Unit | None = None  # an item of a special section, open for continuation lines
    table_cols: dict[str, int] | None = None
    order = 0
    n = len(lines)

    def flush() -> Iterator[_Unit]:
        nonlocal para, para_raw, order, pending
        if pending is not None:
            yield pending
            pending = None
        if para:
            order += 1
            yield _Unit(
                text=" ".join(para),
                raw=" ".join(para_raw),
                section=section,
                speaker=header_speaker,
                prose=True,
                turn=header_speaker is not None,
                order=order,
            )
        para = []
        para_raw = []

    for i, raw_line in enumerate(lines):
        stripped = raw_line.strip()
        if not stripped:
            yield from flush()
            blank_before = True
            continue
        if _UNDERLINE_RE.match(stripped):
            continue
        line = _QUOTE_RE.sub("", _unslack(raw_line.rstrip()))
        nxt = lines[i + 1] if i + 1 < n else ""
        setext = bool(_UNDERLINE_RE.match(nxt)) and not stripped.startswith(("- ", "* "))

        bm = _BULLET_RE.match(line)
        assert bm is not None
        mark = bm.group("mark")
        box_raw = bm.group("box")
        indent = len(bm.group("indent"))
        rest = bm.group("rest")
        box = None
        if box_raw:
            box = "done" if _BOX_DONE_RE.fullmatch(box_raw.strip()) else "open"
        is_bullet = bool(mark or box_raw)
        clean = _strip_timestamps(_strip_decor(rest)).strip()
        if not clean or clean in {"-", "*", "•"}:
            continue
        if _BOILERPLATE_RE.match(clean) or (
            ctx.author is not None and _SIGNOFF_RE.match(clean) and i >= n - 8
        ):
            yield from flush()
            continue

        # Tables ----------------------------------------------------------------------
        if stripped.startswith("|") and stripped.count("|") >= 2:
            cells = _table_cells(stripped)
            if _TABLE_RULE_RE.match(stripped):
                continue
            if table_cols is None and _TABLE_RULE_RE.match(nxt.strip()):
                yield from flush()
                table_cols = _table_columns(cells)
                continue
            yield from flush()
            order += 1
            unit = _table_unit(cells, table_cols, stripped, section, group_owner, order)
            if unit is not None:
                yield unit
            continue
        table_cols = None

        # Headings -------------------------------------------------------------------
        md = _MD_HEADING_RE.match(rest.strip()) if not is_bullet else None
        bold = _BOLD_LINE_RE.match(rest.strip()) if not md else None
        bold_label = _BOLD_LABEL_RE.match(rest.strip()) if not (md or bold) else None
        marked = bool(md or bold or setext)
        hk = None
        if not is_bullet or bold:
            hk = _heading_kind(md.group(2) if md else clean)
        if hk is None and bold_label is not None:
            hk2 = _heading_kind(bold_label.group("t"))
            if hk2 is not None:
                hk = (hk2[0], hk2[1], _strip_decor(bold_label.group("rest")))
        if hk is not None and not (hk[2] and hk[1] in _TAG_HEADINGS):
            kind, key, inline = hk
            yield from flush()
            section = kind
            section_bullets = False
            group_owner = None
            header_speaker = None
            blank_before = False
            if inline and key not in _SKIP_INLINE:
                order += 1
                unit = _Unit(
                    text=inline,
                    raw=stripped,
                    section=section,
                    prose=section in ("none", "other"),
                    order=order,
                )
                if section in ("actions", "decisions", "questions"):
                    _split_label(unit, ctx)
                yield unit
            continue

        special = section in ("actions", "decisions", "questions")
        # Group owner headings (Fireflies "**Name**", MeetBot "* anil", "Priya:") -----------
        if section == "actions" and not box:
            # Strict (a known person or mention) unless the line is marked as a heading.
            go = _owner_only(clean, ctx, loose=marked and not is_bullet)
            if go is not None:
                yield from flush()
                group_owner = go
                blank_before = False
                continue
        if marked and not is_bullet:
            # An unknown heading: a new part of the document.
            yield from flush()
            section = "other"
            section_bullets = False
            group_owner = None
            header_speaker = None
            blank_before = False
            continue

        # Transcript speaker headers (Otter "Name  0:03", Zoom "[Name] 10:02:33") ------------
        if not is_bullet:
            hm = _SPEAKER_HEADER_RE.match(stripped)
            if hm:
                name = (hm.group("n1") or hm.group("n2") or hm.group("n3") or "").strip()
                if _name_like(name, ctx):
                    yield from flush()
                    header_speaker = name
                    blank_before = False
                    continue

        # End of a bulleted special section: a blank line, then plain prose ----------------
        if special and blank_before and section_bullets and not is_bullet:
            yield from flush()
            section = "other"
            group_owner = None
            special = False
        after_blank = blank_before
        blank_before = False

        if special:
            # A wrapped continuation of the previous item?
            if (
                pending is not None
                and not is_bullet
                and not after_blank
                and (indent > 0 or (clean[:1].islower() and pending.text[-1:] not in ".!?:"))
            ):
                pending.text += " " + clean
                pending.raw += " " + stripped
                continue
            yield from flush()
            if is_bullet:
                section_bullets = True
            order += 1
            pending = _Unit(
                text=clean,
                raw=stripped,
                section=section,
                bullet=is_bullet,
                box=box,
                group_owner=group_owner,
                order=order,
            )
            _split_label(pending, ctx)
            continue

        # Outside special sections ------------------------------------------------------
        if is_bullet:
            yield from flush()
            order += 1
            pending = _Unit(
                text=clean,
                raw=stripped,
                section=section,
                bullet=True,
                box=box,
                prose=True,
                speaker=header_speaker,
                turn=header_speaker is not None,
                order=order,
            )
            _split_label(pending, ctx)
            continue
        if pending is not None and indent > 0 and not after_blank:
            pending.text += " " + clean
            pending.raw += " " + stripped
            continue

        irc = _IRC_RE.match(clean)
        turn = _SPEAKER_TURN_RE.match(_strip_decor(stripped)) if not irc else None
        if irc or (turn and _name_like(turn.group("name"), ctx) and not _TAG_RE.match(clean)):
            m = irc or turn
            assert m is not None
            yield from flush()
            header_speaker = None
            order += 1
            yield _Unit(
                text=_strip_timestamps(_strip_decor(m.group("rest"))),
                raw=stripped,
                section=section,
                speaker=m.group("name").strip(),
                prose=True,
                turn=True,
                order=order,
            )
            continue
        if not para and header_speaker is None and _looks_like_title(clean):
            nb = _BULLET_RE.match(nxt.strip())
            if nxt.strip() and nb is not None and not nb.group("mark"):
                continue  # a Zoom-style topic title directly above its paragraph
        if pending is not None:
            yield pending
            pending = None
        para.append(clean)
        para_raw.append(stripped)
    yield from flush()


_TABLE_RULE_RE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_TABLE_HEADERS = {
    "task": "task", "tasks": "task", "action": "task", "action item": "task",
    "action items": "task", "item": "task", "what": "task", "todo": "task", "to do": "task",
    "description": "task", "next step": "task", "next steps": "task", "aufgabe": "task",
    "owner": "owner", "owners": "owner", "who": "owner", "assignee": "owner",
    "assigned to": "owner", "responsible": "owner", "verantwortlich": "owner",
    "due": "due", "due date": "due", "when": "due", "deadline": "due", "by": "due",
    "date": "due", "target date": "due", "bis": "due", "termin": "due", "status": "status",
    "decision": "decision", "question": "question", "open question": "question",
}  # fmt: skip


def _table_cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [_strip_decor(c).strip() for c in inner.split("|")]


def _table_columns(cells: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, c in enumerate(cells):
        role = _TABLE_HEADERS.get(c.lower().strip(" :"))
        if role and role not in cols:
            cols[role] = i
    return cols


def _table_unit(
    cells: list[str],
    cols: dict[str, int] | None,
    raw: str,
    section: _SectionKind,
    group_owner: str | None,
    order: int,
) -> _Unit | None:
    def cell(role: str) -> str:
        i = (cols or {}).get(role)
        return cells[i] if i is not None and i < len(cells) else ""

    if cols and "task" in cols:
        text = cell("task")
        if not text:
            return None
        status = cell("status").lower()
        done = status in {"done", "closed", "complete", "completed", "erledigt", "x", "✓", "✔"}
        return _Unit(
            text=text,
            raw=raw,
            section="actions",
            box="done" if done else None,
            label=cell("owner") or None,
            group_owner=group_owner,
            due_hint=cell("due") or None,
            order=order,
        )
    if cols and "decision" in cols:
        return _Unit(text=cell("decision"), raw=raw, section="decisions", order=order)
    if cols and "question" in cols:
        return _Unit(text=cell("question"), raw=raw, section="questions", order=order)
    text = " – ".join(c for c in cells if c)
    if not text:
        return None
    special = section in ("actions", "decisions", "questions")
    return _Unit(text=text, raw=raw, section=section, prose=not special, order=order)


def _split_label(unit: _Unit, ctx: _Ctx) -> None:
    """Move a leading "Name:" of an item into unit.label (Fathom "Rahul: share ...")."""
    m = _SPEAKER_TURN_RE.match(unit.text)
    if m and not _TAG_RE.match(unit.text) and _name_like(m.group("name"), ctx):
        unit.label = m.group("name").strip()
        unit.text = m.group("rest").strip()


# --------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------


def _sentences(text: str) -> list[str]:
    parts = _SENT_SPLIT_RE.split(text)
    out: list[str] = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        if out and _ends_with_abbreviation(out[-1]):
            out[-1] += " " + p
        else:
            out.append(p)
    return out


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = text.strip(" \t-–—:;,")
    if text[:1].islower():
        text = text[0].upper() + text[1:]
    return text


def _is_question_text(text: str) -> bool:
    return text.rstrip(" )\"'").endswith("?")


def _classify_unit(unit: _Unit, ctx: _Ctx, found: list[_Found], context: str = "") -> None:
    if unit.section in ("actions", "decisions", "questions"):
        _classify_item(unit, ctx, found)
        return
    # Free text: each sentence on its own.
    if unit.box == "open":
        _classify_item(unit, ctx, found, forced="action")
        return
    if unit.box == "done":
        return
    sentences = _sentences(unit.text) if unit.prose else [unit.text]
    for sentence in sentences:
        _classify_sentence(sentence, unit, ctx, found, context)
        if len(_FILLER_RE.sub("", sentence + " ").split()) > 2:
            context = sentence


def _tag_of(text: str) -> tuple[str | None, str | None, str]:
    """(kind, who, rest) for a tagged line ("ACTION: ...", "AI jonas: ...", "#agreed ...")."""
    m = _TAG_RE.match(text)
    if not m:
        return None, None, text
    tag = m.group("tag") or m.group("irc") or m.group("todowho")
    if m.group("ai"):
        return "action", m.group("aiwho") or m.group("aiwho2"), m.group("rest")
    assert tag is not None
    kind = _TAG_KIND.get(tag.lower(), "none")
    who = m.group("who") or m.group("who2")
    if kind == "none" and tag.lower() not in (
        "idea",
        "info",
        "note",
        "fyi",
        "help",
        "link",
        "topic",
        "startmeeting",
        "endmeeting",
        "chair",
        "undo",
    ):
        return None, None, text
    return kind, who, m.group("rest")


def _classify_item(unit: _Unit, ctx: _Ctx, found: list[_Found], forced: str | None = None) -> None:
    """An item of a headed section (or a checkbox): the section decides what it is."""
    text = unit.text
    kind, who, rest = _tag_of(text)
    if kind == "none":
        return
    if kind is None:
        kind = (
            forced
            or {"actions": "action", "decisions": "decision", "questions": "question"}[unit.section]
        )
    else:
        text = rest
    if unit.box == "done" and kind == "action":
        return
    if not text.strip() or re.fullmatch(r"(?i)\W*(?:none|n/?a|nothing|-+|tbd)\W*", text):
        return
    if kind == "action" and _is_question_text(text) and not who:
        kind = "question"
    if kind == "decision":
        found.append(_Found("decision", _tidy(text), unit.order, True))
    elif kind == "question":
        found.append(_Found("question", _tidy(text), unit.order, True))
    else:
        item = _action_from(text, unit, ctx, who=who, in_section=True)
        if item is not None:
            found.append(_Found("action", item.what, unit.order, True, item))


def _classify_sentence(
    sentence: str, unit: _Unit, ctx: _Ctx, found: list[_Found], context: str
) -> None:
    kind, who, rest = _tag_of(sentence)
    if kind == "none":
        return
    if kind == "decision":
        found.append(_Found("decision", _tidy(rest), unit.order, True))
        return
    if kind == "question":
        if rest.strip():
            found.append(_Found("question", _tidy(rest), unit.order, True))
        return
    if kind == "action":
        item = _action_from(rest, unit, ctx, who=who, in_section=True)
        if item is not None:
            found.append(_Found("action", item.what, unit.order, True, item))
        return
    if _open_question_like(sentence):
        found.append(_Found("question", _tidy(sentence), unit.order, False))
        return
    if _is_question_text(sentence):
        return
    body = _FILLER_RE.sub("", sentence)
    if _decision_like(body):
        m = _DECIDED_THAT_RE.search(body)
        if m:
            item = _prose_action(m.group("clause"), unit, ctx, context, named_only=True)
            if item is not None:
                found.append(_Found("action", item.what, unit.order, False, item))
                return
        found.append(_Found("decision", _tidy(sentence), unit.order, False))
        return
    lm = _TOPIC_LABEL_RE.match(sentence)
    if lm and not ctx.people.subject_re.match(_FILLER_RE.sub("", sentence)):
        sentence = lm.group("rest")
    for clause, clause_context in _clauses(sentence, ctx, context):
        item = _prose_action(clause, unit, ctx, clause_context, named_only=False)
        if item is not None:
            found.append(_Found("action", item.what, unit.order, False, item))


_TOPIC_LABEL_RE = re.compile(r"^(?P<label>[^:;.!?]{2,40}?):\s+(?P<rest>\S.*)$")


def _clauses(sentence: str, ctx: _Ctx, context: str) -> list[tuple[str, str]]:
    """Split a sentence where a new "<owner> will/to ..." clause starts."""
    pieces = _CLAUSE_SPLIT_RE.split(sentence)
    if len(pieces) == 1:
        return [(sentence, context)]
    out: list[tuple[str, str]] = []
    seps = [m.group(0) for m in _CLAUSE_SPLIT_RE.finditer(sentence)]
    current = pieces[0]
    for sep, piece in zip(seps, pieces[1:], strict=False):
        starts = _FILLER_RE.sub("", piece)
        if ctx.people.subject_re.match(starts) or re.match(r"(?i)let\s+me\s", starts):
            out.append((current, context))
            if len(_FILLER_RE.sub("", current + " ").split()) > 2:
                context = current
            current = piece
        else:
            current += sep + piece
    out.append((current, context))
    return out


# --------------------------------------------------------------------------------------
# Action items
# --------------------------------------------------------------------------------------


def _first_verb(rest: str) -> tuple[str, str]:
    """(first verb, remainder starting at it) after skipping adverbs."""
    words = rest.split()
    i = 0
    while i < len(words) - 1 and words[i].lower().strip(",") in _ADVERBS:
        if words[i].lower() == "try" and i + 1 < len(words) and words[i + 1].lower() == "to":
            i += 2
            continue
        i += 1
    if i < len(words):
        return words[i].lower().strip(".,;:!"), " ".join(words[i:])
    return "", rest


_DETERMINERS = frozenset(
    {
        "the", "a", "an", "this", "that", "these", "those", "our", "their", "his", "her", "its",
        "my", "your", "all", "every", "each", "some", "any", "no", "it",
    }
)  # fmt: skip


def _is_commitment(verb: str, rest: str) -> bool:
    if not verb or verb in _STOP_VERBS:
        return verb == "be" and re.match(r"(?i)be\s+\w+ing\b", rest) is not None
    if verb in _DETERMINERS:
        return False
    return not verb[:1].isdigit()


def _followup(verb: str) -> bool:
    v = verb.lower()
    if v in _FOLLOWUP_VERBS:
        return True
    for suffix in ("ing", "s", "ed"):
        if v.endswith(suffix) and v[: -len(suffix)] in _FOLLOWUP_VERBS:
            return True
    return False


def _prose_action(
    clause: str, unit: _Unit, ctx: _Ctx, context: str, *, named_only: bool
) -> ActionItem | None:
    """An action item in free text: needs an owner subject and a commitment."""
    body = _FILLER_RE.sub("", clause).strip()
    m_let = re.match(r"(?i)^let\s+me\s+(?P<rest>\S.*)$", body)
    if m_let:
        owner_text, modal, rest, strong = "I", "let me", m_let.group("rest"), True
    else:
        m = ctx.people.subject_re.match(body)
        if not m:
            return None
        owner_text = m.group("owner")
        modal = (m.group("c") or m.group("m") or "").lower()
        rest = m.group("rest")
        strong = not re.fullmatch(_MODAL_WEAK, modal)
    if re.match(r"(?i)(?:not|never|no\s+longer)\b", rest):
        return None
    verb, rest_v = _first_verb(rest)
    progressive = modal.startswith(("is ", "are ", "am "))
    if not progressive and not _is_commitment(verb, rest_v):
        return None
    if modal in ("to",) and (not verb[:1].isalpha() or verb.endswith("ing")):
        return None
    kind = _owner_kind(owner_text, ctx)
    if named_only and kind not in ("person", "mention"):
        return None
    if kind == "generic" and (owner_text.split()[0].lower() in _NOT_NAMES):
        return None
    due = _find_due(clause, ctx)
    resolved_due = due is not None and due[0] is not None
    if kind in ("self", "group", "generic") and not (_followup(verb) or resolved_due):
        return None
    if kind == "self" and _NOW_ACTION_RE.search(rest_v) and not resolved_due:
        return None
    if not strong and not resolved_due:
        return None
    owner = _resolve_owner(owner_text, unit, ctx)
    if progressive:  # "Rahul is checking with his team" → "Checking with his team"
        what = _tidy(re.sub(r"(?i)^(?:is|are|am)\s+", "", modal) + " " + rest)
    else:
        what = _tidy(rest_v)
    if _PRONOUN_RE.search(what) and len(what.split()) <= 7 and context:
        what = f"{what.rstrip('.')} (re: {_tidy(_shorten(context)).rstrip('.')})"
    line = unit.raw if len(unit.raw) <= 300 else clause
    return _make_item(what, owner, due, line)


def _shorten(text: str, limit: int = 140) -> str:
    text = _FILLER_RE.sub("", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _action_from(
    text: str, unit: _Unit, ctx: _Ctx, *, who: str | None, in_section: bool
) -> ActionItem | None:
    """An item known to be an action: find its owner, due date and what."""
    body = text.strip()
    owner: _Owner | None = None
    # 1. an owner given with the tag: "AI jonas:", "TODO(sofia):"
    if who:
        owner = _resolve_owner(who, unit, ctx)
    # 2. "[Name] Title: ..." (Gemini)
    m = re.match(r"^\[(?P<o>[^\]]{2,40})\]\s*(?P<rest>\S.*)$", body)
    if owner is None and m and _owner_kind(m.group("o"), ctx) in ("person", "mention"):
        owner = _resolve_owner(m.group("o"), unit, ctx)
        body = m.group("rest")
    # 3. "<owner> will/to ..." at the start
    stripped = _FILLER_RE.sub("", body)
    sm = ctx.people.subject_re.match(stripped)
    if sm is not None:
        kind = _owner_kind(sm.group("owner"), ctx)
        if kind != "generic" or sm.group("owner").split()[0].lower() not in _NOT_NAMES:
            if owner is None:
                owner = _resolve_owner(sm.group("owner"), unit, ctx)
            modal = (sm.group("c") or sm.group("m") or "").lower()
            if modal.startswith(("is ", "are ", "am ")):
                body = re.sub(r"(?i)^(?:is|are|am)\s+", "", modal) + " " + sm.group("rest")
            else:
                body = sm.group("rest")
    else:
        m_let = re.match(r"(?i)^(?:let\s+me|i\s+can)\s+(?P<rest>\S.*)$", stripped)
        if m_let:
            owner = owner or _resolve_owner("I", unit, ctx)
            body = m_let.group("rest")
    # 4. a leading mention / @name / known name without a verb: "<@U1> rollback script"
    if owner is None or sm is None:
        lm = ctx.people.lead_owner_re.match(body)
        if lm is not None:
            if owner is None:
                owner = _resolve_owner(lm.group("owner"), unit, ctx)
            body = lm.group("rest")
    # 5. a trailing owner: "... - Priya Sharma", "... (Tom Becker)"
    trailing = ctx.people.trailing_owner(body)
    if trailing is not None:
        t_rest, t_owner = trailing
        if _owner_kind(t_owner, ctx) != "generic" or _plausible_generic(t_owner):
            if owner is None:
                owner = _resolve_owner(t_owner, unit, ctx)
            body = t_rest
    # 6. "owner: X" anywhere
    if owner is None:
        om = ctx.people.label_owner_re.search(body)
        if om is not None:
            owner = _resolve_owner(om.group("o"), unit, ctx)
            body = body[: om.start()].rstrip(" ,;-–—(") or body
    # 7. a "Name:" label of the item (or an Owner cell), then a group heading above it
    if owner is None and unit.label:
        owner = _resolve_owner(unit.label, unit, ctx)
    if owner is None and unit.group_owner:
        owner = _resolve_owner(unit.group_owner, unit, ctx)
    if owner is None and unit.speaker and re.match(r"(?i)^(?:i\b|i'|let me)", text.strip()):
        owner = _resolve_owner("I", unit, ctx)
    due = _find_due(unit.due_hint, ctx) if unit.due_hint else _find_due(text, ctx)
    if unit.due_hint and due is None:
        due = (None, unit.due_hint, False)
    what = _tidy(body)
    if not what:
        return None
    line = unit.raw if len(unit.raw) <= 300 else text
    return _make_item(what, owner or _NO_OWNER, due, line)


def _plausible_generic(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 3
        and words[0].lower() not in _NOT_NAMES
        and not any(w.lower() in _STOPWORDS for w in words)
        and not re.search(r"\d", text)
        and not _DATE_ATOM_RE.search(text)
    )


def _make_item(
    what: str,
    owner: _Owner,
    due: tuple[datetime | None, str, bool] | None,
    line: str,
) -> ActionItem:
    due_at, due_text, due_sure = (None, None, False) if due is None else due
    return ActionItem(
        what=what,
        owner_user_id=owner.user_id,
        owner_name=owner.name,
        owner_sure=owner.sure and owner.user_id is not None,
        due_at=due_at,
        due_text=due_text,
        due_sure=due_sure and due_at is not None,
        line=line.strip(),
    )


# --------------------------------------------------------------------------------------
# Owners
# --------------------------------------------------------------------------------------

_SELF_RE = re.compile(r"(?i)^(?:i|me|myself)$")
_WE_RE = re.compile(r"(?i)^(?:we|us|our\s+(?:side|team))$")
_THEY_RE = re.compile(
    r"(?i)^(?:they|them|(?:the\s+)?vendor(?:\s+(?:team|side))?|their\s+(?:side|team))$"
)
_YOU_RE = re.compile(r"(?i)^(?:your\s+(?:side|team)|you\s+guys)$")
_NOBODY_RE = re.compile(
    r"(?i)^(?:someone|somebody|everyone|everybody|nobody|all|team|the\s+team|both|unassigned)$"
)
_MULTI_RE = re.compile(r"\s*(?:,|\band\b|&|\+|/)\s*")


def _owner_kind(text: str, ctx: _Ctx) -> str:
    t = text.strip()
    if _MULTI_RE.search(t) and len([p for p in _MULTI_RE.split(t) if p]) > 1:
        return "multi"
    if _MENTION_RE.fullmatch(t):
        return "mention"
    if _SELF_RE.match(t):
        return "self"
    if _WE_RE.match(t) or _THEY_RE.match(t) or _YOU_RE.match(t):
        return "group"
    if _NOBODY_RE.match(t):
        return "nobody"
    if ctx.people.is_person(t):
        return "person"
    return "generic"


def _resolve_owner(text: str, unit: _Unit, ctx: _Ctx) -> _Owner:
    t = text.strip().strip(",:;.")
    kind = _owner_kind(t, ctx)
    if kind == "multi":
        return _Owner(None, t, False)
    if kind == "mention":
        m = _MENTION_RE.fullmatch(t)
        assert m is not None
        uid = m.group("id")
        name = ctx.people.display.get(uid) or (m.group("label") or None)
        return _Owner(uid, name, True)
    if kind == "self":
        speaker = unit.speaker or unit.label or ctx.author
        if speaker and not _SELF_RE.match(speaker):
            return _resolve_owner(speaker, unit, ctx)
        return _Owner(None, None, False)
    if kind == "group":
        side = _speaker_side(unit, ctx)
        if _WE_RE.match(t):
            uid = ctx.they if side == "vendor" else ctx.we
        elif _THEY_RE.match(t):
            uid = ctx.we if side == "vendor" else ctx.they
        else:  # "your side": the side the speaker is not on
            uid = {"vendor": ctx.we, "internal": ctx.they}.get(side or "")
        return _Owner(uid, t.lower(), False)
    if kind == "nobody":
        return _Owner(None, t, False)
    if kind == "person":
        ids = ctx.people.lookup(t)
        if len(ids) == 1:
            name = t.lstrip("@")
            if name.islower():
                name = ctx.people.display.get(ids[0], name)
            return _Owner(ids[0], name, True)
        return _Owner(None, t.lstrip("@"), False)
    name = t.lstrip("@")
    if name.lower() in _COMMON_WORD_NAMES and name[:1].islower():
        return _NO_OWNER
    return _Owner(None, name or None, False)


def _speaker_side(unit: _Unit, ctx: _Ctx) -> str | None:
    speaker = unit.speaker or unit.label or ctx.author
    if not speaker:
        return None
    m = _MENTION_RE.fullmatch(speaker)
    ids = (m.group("id"),) if m else ctx.people.lookup(speaker)
    if len(ids) == 1:
        return ctx.people.side.get(ids[0])
    return None


# --------------------------------------------------------------------------------------
# Due dates
# --------------------------------------------------------------------------------------


@dataclass
class _Atom:
    kind: str
    start: int
    end: int
    m: re.Match[str]
    prep: str | None = None  # "dl" (deadline: by/before/until...) or "nt" (on/at/in...)


def _find_due(text: str, ctx: _Ctx) -> tuple[datetime | None, str, bool] | None:
    """The due date of an action item: (due_at UTC or None, due_text, sure)."""
    atoms: list[_Atom] = []
    for m in _date_atoms(text):
        kind = m.lastgroup or ""  # the outer group of an alternative closes last
        before = text[max(0, m.start() - 40) : m.start()]
        if _past_before(text, m.start()) or text[m.end() : m.end() + 5].lower() == " ago":
            continue
        pb = _prep_before(text, m.start())
        prep = pb[0] if pb else None
        if kind == "num":
            if m.group("num_sep") == "." and not (m.group("num_y") or m.group("num_dot")):
                continue
            if prep is None and not re.search(r"(?i)\b(?:" + _WD_WORD + r")\W*$", before):
                continue
        if kind == "wd":
            word = m.group("wd_d").lower()
            if m.group("wd_s") and m.group("wd_s").lower() == "s":
                continue  # "Thursdays": a recurring day, not a date
            if re.search(r"(?i)\b(?:the|a|every|each|weekly|biweekly|on\s+the)\s*$", before):
                continue
            if word not in _WEEKDAY_NAMES and word not in (
                "montag",
                "dienstag",
                "mittwoch",
                "donnerstag",
                "freitag",
                "samstag",
                "sonntag",
            ):
                tail = text[m.end() :].strip(" .!)")
                if (
                    prep is None
                    and not m.group("wd_mod")
                    and tail
                    and not before.rstrip().endswith(",")
                ):
                    continue
        if kind == "vague":
            v = m.group(0).lower()
            month_word = v.split()[-1] in _MONTHS
            if (
                prep != "dl"
                and not month_word
                and not v.startswith(("asap", "a.s.a.p", "as soon", "soon", "shortly"))
            ):
                continue
        atoms.append(_Atom(kind, m.start(), m.end(), m, prep))
    if not atoms:
        return None
    # Group adjacent atoms into phrases ("EOD tomorrow", "Thursday at 10am").
    phrases: list[list[_Atom]] = []
    for a in atoms:
        if phrases and _ATOM_GAP_RE.match(text[phrases[-1][-1].end : a.start]):
            phrases[-1].append(a)
        else:
            phrases.append([a])
    candidates: list[tuple[int, int, datetime | None, str, bool]] = []
    for idx, ph in enumerate(phrases):
        if all(a.kind == "pod" for a in ph):
            continue
        if all(a.kind in ("clock", "pod") for a in ph) and ph[0].prep is None:
            continue
        start = ph[0].start
        pb = _prep_before(text, start)
        if pb is not None:
            start = pb[1]
        due_text = text[start : ph[-1].end].strip(" ,")
        resolved, sure = _resolve_phrase(ph, ctx)
        score = (2 if ph[0].prep == "dl" else 0) + (1 if resolved is not None else 0)
        candidates.append((score, -idx, resolved, due_text, sure))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    best = candidates[0]
    _, _, local, due_text, sure = best
    others = [c for c in candidates[1:] if c[0] == best[0] and c[2] is not None and c[2] != local]
    if others:
        sure = False
    if local is None:
        return None, due_text, False
    due_at = local.replace(tzinfo=ctx.tz).astimezone(UTC)
    if local.date() < ctx.call_local.date() or local > ctx.call_local + timedelta(days=366):
        sure = False
    return due_at, due_text, sure


def _resolve_phrase(atoms: list[_Atom], ctx: _Ctx) -> tuple[datetime | None, bool]:
    """A phrase of atoms → local naive datetime, or None when it names no date."""
    base = ctx.call_local
    sure = True
    tod: time | None = None
    day: date | None = None
    date_atoms = [a for a in atoms if a.kind not in _DATE_TIME_KINDS]
    for a in atoms:
        if a.kind == "clock":
            tod = _parse_clock(a.m.group(0))
        elif a.kind == "pod" and tod is None:
            tod = {
                "morning": time(9, 0),
                "afternoon": time(15, 0),
                "evening": time(19, 0),
                "night": time(20, 0),
            }.get(a.m.group(0).lower())
        elif a.kind == "eod" and tod is None:
            tod = DEFAULT_DUE_TIME
    if not date_atoms:
        if any(a.kind == "eod" for a in atoms):
            day = base.date()
        elif tod is not None:
            day = base.date()
            if datetime.combine(day, tod) <= base:
                day += timedelta(days=1)
                sure = False
        else:
            return None, False
        return datetime.combine(day, tod or DEFAULT_DUE_TIME), sure
    # The most specific date atom wins ("Saturday 23 March" → 23 March).
    rank = {"iso": 0, "md": 1, "dm": 1, "num": 2, "wd": 3}
    a = min(date_atoms, key=lambda x: rank.get(x.kind, 4))
    m = a.m
    k = a.kind
    text = m.group(0).lower()
    if k == "iso":
        try:
            day = date.fromisoformat(m.group("iso")[:10])
        except ValueError:
            return None, False
        if m.group("iso_t"):
            tod = _parse_clock(m.group("iso_t"))
    elif k == "num":
        day, sure_num = _numeric_date(m, ctx)
        sure = sure and sure_num
    elif k in ("md", "dm"):
        mon = _MONTHS.get((m.group(k + "_m") or "").lower().rstrip("."), 0)
        dnum = int(re.sub(r"\D", "", m.group(k + "_d")) or 0)
        yr = m.group(k + "_y")
        phrase = f"{_MONTH_NAMES[mon - 1]} {dnum}" + (f" {re.sub(r'[^0-9]', '', yr)}" if yr else "")
        parsed = _dateparser_parse(phrase, base, ctx.date_order) if mon else None
        if parsed is None:
            return None, False
        day = parsed.date()
        if not yr and day.year > base.year:
            sure = False  # "by Mar 1" said on Mar 6: next year, or a typo?
    elif k == "wd":
        word = m.group("wd_d").lower()
        name = _WEEKDAY_NAMES[_WEEKDAYS[word]]
        mod = (m.group("wd_mod") or "").lower()
        if mod in ("next", "nächsten", "nächster", "the following"):
            phrase = "next " + name
            sure = False
        elif mod in ("this", "this coming", "coming", "kommenden", "diesen"):
            phrase = "this " + name if _WEEKDAYS[word] >= base.weekday() else name
        else:
            phrase = name
            if _WEEKDAYS[word] == base.weekday():
                sure = False  # "by Friday" said on a Friday: today or next week?
        parsed = _dateparser_parse(phrase, base, ctx.date_order)
        if parsed is None:
            return None, False
        day = parsed.date()
    elif k == "today":
        day = base.date()
        if "tonight" in text and tod is None:
            tod = time(20, 0)
    elif k == "tomorrow":
        if "after" in text or "übermorgen" in text:
            day = base.date() + timedelta(days=2)
        else:
            parsed = _dateparser_parse("tomorrow", base, ctx.date_order)
            day = parsed.date() if parsed else base.date() + timedelta(days=1)
    elif k == "eow":
        day = _friday_on_or_after(base.date())
        if "later" in text:
            sure = False
    elif k == "nw":
        monday = base.date() + timedelta(days=7 - base.weekday())
        mod = (m.group("nw_mod") or "").lower()
        if mod.startswith(("early", "beginning", "the beginning", "start", "the start")):
            day = monday
            sure = not mod.startswith("early")
        elif mod.startswith("mid"):
            day, sure = monday + timedelta(days=2), False
        elif mod.startswith(("late", "sometime")):
            day, sure = monday + timedelta(days=4), False
        else:
            day = monday + timedelta(days=4)
    elif k == "eom":
        day = _last_weekday_of_month(base.year, base.month)
    elif k == "nm":
        y, mo = (base.year + 1, 1) if base.month == 12 else (base.year, base.month + 1)
        day = _last_weekday_of_month(y, mo)
    elif k == "eomon":
        mo = _MONTHS[m.group("eomon_m").lower()]
        y = base.year if mo >= base.month else base.year + 1
        day = _last_weekday_of_month(y, mo)
    elif k == "eoq":
        qm = ((base.month - 1) // 3 + 1) * 3
        day = _last_weekday_of_month(base.year, qm)
    elif k == "eoy":
        day = _last_weekday_of_month(base.year, 12)
    elif k == "rel":
        n_raw = m.group("rel_n").lower()
        if n_raw == "a few":
            return None, False
        n = int(n_raw) if n_raw.isdigit() else _WORD_NUMBERS.get(re.sub(r"\s+", " ", n_raw), 0)
        if n_raw.startswith("a couple"):
            sure = False
        unit_word = m.group("rel_u").lower().rstrip("s")
        if unit_word == "hour":
            return base + timedelta(hours=n), sure
        if m.group("rel_b"):
            day = _add_business_days(base.date(), n)
        else:
            parsed = _dateparser_parse(f"in {n} {unit_word}s", base, ctx.date_order)
            if parsed is None:
                return None, False
            day = parsed.date()
    else:  # vague
        return None, False
    if day is None:
        return None, False
    return datetime.combine(day, tod or DEFAULT_DUE_TIME), sure


def _numeric_date(m: re.Match[str], ctx: _Ctx) -> tuple[date | None, bool]:
    a, b = int(m.group("num_a")), int(m.group("num_b"))
    sep = m.group("num_sep")
    order = "DMY" if sep == "." else ctx.date_order
    d, mo = (a, b) if order == "DMY" else (b, a)
    sure = True
    if sep == "/" and a <= 12 and b <= 12 and a != b:
        sure = False  # 4/5: April 5 or 4 May?
    if not 1 <= mo <= 12:
        d, mo = mo, d
        if not 1 <= mo <= 12:
            return None, False
        sure = False
    base = ctx.call_local.date()
    y_raw = m.group("num_y")
    try:
        if y_raw:
            y = int(y_raw) + (2000 if len(y_raw) == 2 else 0)
            return date(y, mo, d), sure
        day = date(base.year, mo, d)
        if day < base - timedelta(days=14):
            day = date(base.year + 1, mo, d)
            sure = False
        return day, sure
    except ValueError:
        return None, False


def _parse_clock(text: str) -> time | None:
    t = text.lower().replace(".", "").strip()
    if t in ("noon", "midday", "mittag"):
        return time(12, 0)
    if t == "midnight":
        return time(23, 59)
    mm = re.match(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", t)
    if not mm:
        return None
    h, mi = int(mm.group(1)), int(mm.group(2) or 0)
    if mm.group(3) == "pm" and h < 12:
        h += 12
    elif mm.group(3) == "am" and h == 12:
        h = 0
    if not (0 <= h <= 23 and 0 <= mi <= 59):
        return None
    return time(h, mi)


def _friday_on_or_after(d: date) -> date:
    if d.weekday() <= 4:
        return d + timedelta(days=4 - d.weekday())
    return d + timedelta(days=11 - d.weekday())


def _last_weekday_of_month(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    d = nxt - timedelta(days=1)
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def _add_business_days(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


@lru_cache(maxsize=4096)
def _dateparser_parse(phrase: str, base: datetime, date_order: str) -> datetime | None:
    settings: dict[str, Any] = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "DATE_ORDER": date_order,
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        result = dateparser.parse(phrase, languages=["en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    return result


# --------------------------------------------------------------------------------------
# Assembly and de-duplication
# --------------------------------------------------------------------------------------

_WORD_RE = re.compile(r"[^\W_]+", re.U)


def _words(text: str) -> frozenset[str]:
    text = _MENTION_RE.sub(" ", text.lower())
    return frozenset(w for w in _WORD_RE.findall(text) if w not in _STOPWORDS and len(w) > 1)


def _containment(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _owners_compatible(a: ActionItem, b: ActionItem) -> bool:
    if a.owner_user_id and b.owner_user_id:
        return a.owner_user_id == b.owner_user_id
    if a.owner_user_id is None and b.owner_user_id is None:
        return (a.owner_name or "").lower() == (b.owner_name or "").lower() or not (
            a.owner_name and b.owner_name
        )
    return True


def _assemble(found: list[_Found]) -> Extraction:
    actions: list[_Found] = []
    decisions: list[_Found] = []
    questions: list[_Found] = []
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

    kept_actions: list[_Found] = []
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
        for i in sorted(candidates):
            k = kept_actions[i]
            assert k.action is not None
            if not _owners_compatible(item, k.action):
                continue
            if item.due_at and k.action.due_at and item.due_at != k.action.due_at:
                continue
            threshold = 0.9 if f.strong and k.strong else 0.5
            if _containment(ww, what_words[k.seq]) >= threshold or (
                not f.strong and _containment(f.words, k.words) >= threshold
            ):
                dup = True
                break
        if dup:
            continue
        exact.add(key)
        for w in ww | f.words:
            index.setdefault(w, []).append(len(kept_actions))
        kept_actions.append(f)
    kept_actions.sort(key=lambda f: (f.order, f.seq))

    def dedup_texts(items: list[_Found], threshold: float) -> list[_Found]:
        kept: list[_Found] = []
        seen: set[str] = set()
        by_word: dict[str, list[int]] = {}
        for f in sorted(items, key=lambda f: (not f.strong, f.order, f.seq)):
            low = f.text.lower()
            if low in seen:
                continue
            near = {i for w in f.words for i in by_word.get(w, ())}
            if any(_containment(f.words, kept[i].words) >= threshold for i in near):
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
