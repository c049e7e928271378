"""The extractor's public data model: people, and what a recap holds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

Side = Literal["internal", "vendor"]
_SIDES: tuple[str, ...] = ("internal", "vendor")


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
