"""What the stages share: the call's context, the units segment() yields, what classify finds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.text.extraction.model import ActionItem
from bot.text.extraction.names import PeopleIndex

# "past": a review of earlier meetings' items, whose items are not this meeting's actions.
SectionKind = Literal["none", "other", "past", "decisions", "actions", "questions"]


@dataclass
class Context:
    """The call the notes are from: its local time and zone, who was on it, who "we"/"they"
    are, who signed the notes (for "I"), and the order of numeric dates (DMY or MDY)."""

    call_local: datetime  # naive, in tz
    tz: ZoneInfo
    people: PeopleIndex
    we: str | None
    they: str | None
    author: str | None = None
    date_order: str = "DMY"


@dataclass
class Unit:
    """One item, paragraph or speaker turn, and where it stands in the document."""

    text: str
    raw: str
    section: SectionKind
    bullet: bool = False
    box: str | None = None  # "open" | "done"
    speaker: str | None = None
    label: str | None = None  # "Name:" prefix of a line that is not known to be a speaker
    group_owner: str | None = None
    prose: bool = False
    turn: bool = False  # a speaker turn in a transcript
    due_hint: str | None = None  # the "Due" cell of a table row
    nested: bool = False  # a bullet under an item of a section: a note on it
    order: int = 0


@dataclass
class Found:
    """What classify found in a unit: strong when a heading or tag said so, weak when
    only the shape of a sentence did (weak findings lose to strong ones in assembly)."""

    kind: Literal["action", "decision", "question"]
    text: str
    order: int
    strong: bool
    action: ActionItem | None = None
    words: frozenset[str] = field(default_factory=frozenset)
    seq: int = 0
