"""Markdown tables: a row of a Task/Owner/Due table is one item."""

from __future__ import annotations

import re

from bot.text.extraction.context import SectionKind, Unit
from bot.text.extraction.normalize import strip_markup

TABLE_RULE_RE = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
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


def table_cells(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") else inner
    return [strip_markup(c).strip() for c in inner.split("|")]


def table_columns(cells: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, c in enumerate(cells):
        role = _TABLE_HEADERS.get(c.lower().strip(" :"))
        if role and role not in cols:
            cols[role] = i
    return cols


def table_unit(
    cells: list[str],
    cols: dict[str, int] | None,
    raw: str,
    section: SectionKind,
    group_owner: str | None,
    order: int,
) -> Unit | None:
    def cell(role: str) -> str:
        i = (cols or {}).get(role)
        return cells[i] if i is not None and i < len(cells) else ""

    if cols and "task" in cols:
        text = cell("task")
        if not text:
            return None
        status = cell("status").lower()
        done = status in {"done", "closed", "complete", "completed", "erledigt", "x", "✓", "✔"}
        return Unit(
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
        return Unit(text=cell("decision"), raw=raw, section="decisions", order=order)
    if cols and "question" in cols:
        return Unit(text=cell("question"), raw=raw, section="questions", order=order)
    text = " – ".join(c for c in cells if c)
    if not text:
        return None
    special = section in ("actions", "decisions", "questions")
    return Unit(text=text, raw=raw, section=section, prose=not special, order=order)
