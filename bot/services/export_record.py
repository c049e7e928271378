"""The written record of a vendor, read as streams and written as Markdown or CSV.

`Record` reads everything the export holds, batch by batch (`yield_per`); per-deadline,
per-recap and per-check-in children come from a second stream merged by parent id, so a big
vendor never sits in memory as objects.

- Markdown comes from the Jinja2 template `templates/record.md.j2` (people adapt it: its
  header lists what it is given). It is rendered with `Template.generate`, chunk by chunk into
  the file, while the template reads the record's streams.
- CSV is one `CsvRow` a line: `csv_rows` turns the record into rows, `write_csv` writes them
  with the csv module, neutralising cells a spreadsheet would run as a formula.

bot/services/export.py documents the formats and delivers the file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TextIO, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.services.audit_report import audit_entries, detail_text
from bot.time.timeparse import format_local
from storage.models import (
    AccessItem,
    AuditEntry,
    ChangeRequest,
    CheckIn,
    Contact,
    Deadline,
    Recap,
    RecapRevision,
    Vendor,
)
from storage.models.checkins import CheckInAnswer
from storage.models.records import OffboardingChecklist, OffboardingItem

if TYPE_CHECKING:
    from jinja2 import Environment
    from jinja2.runtime import Context

BATCH = 500
TEMPLATE = "record.md.j2"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")

# A user id to the label the export shows (`Real Name (U123)`); "" for none.
NameOf = Callable[[str | None], str]


# --------------------------------------------------------------------------- streams


class _Follower(Generic[T]):
    """Rows of a stream ordered by a key, taken key by key while the leading stream advances
    in the same order (a merge join that holds one row at a time)."""

    def __init__(self, rows: Iterable[T], key: Callable[[T], int]) -> None:
        self._it = iter(rows)
        self._key = key
        self._head: T | None = next(self._it, None)

    def take(self, k: int) -> list[T]:
        out: list[T] = []
        while self._head is not None:
            hk = self._key(self._head)
            if hk > k:
                break
            if hk == k:
                out.append(self._head)
            self._head = next(self._it, None)
        return out


def _stream(session: Session, query: Any) -> Iterator[Any]:
    return iter(session.scalars(query.execution_options(yield_per=BATCH)))


@dataclass
class Record:
    """Everything the export reads, as streams over one session."""

    session: Session
    vendor: Vendor

    def contacts(self) -> list[Contact]:
        return sorted(self.vendor.contacts, key=lambda c: (c.started_at, c.id))

    def _with_children(
        self, parents: Any, children: Any, parent_of: Callable[[Any], int]
    ) -> Iterator[tuple[Any, list[Any]]]:
        """Each parent row with its children: both streams ordered by the parent's id."""
        rows = _stream(self.session, parents)
        follower: _Follower[Any] = _Follower(_stream(self.session, children), parent_of)
        for row in rows:
            yield row, follower.take(row.id)

    def deadlines(self) -> Iterator[tuple[Deadline, list[ChangeRequest]]]:
        vid = self.vendor.id
        return self._with_children(
            select(Deadline).where(Deadline.vendor_id == vid).order_by(Deadline.id),
            select(ChangeRequest)
            .where(ChangeRequest.vendor_id == vid, ChangeRequest.deadline_id.is_not(None))
            .order_by(ChangeRequest.deadline_id, ChangeRequest.id),
            lambda c: int(c.deadline_id or 0),
        )

    def change_requests(self) -> Iterator[ChangeRequest]:
        return _stream(
            self.session,
            select(ChangeRequest)
            .where(ChangeRequest.vendor_id == self.vendor.id)
            .order_by(ChangeRequest.id),
        )

    def deadline_numbers(self) -> dict[int, int]:
        return {
            i: n
            for i, n in self.session.execute(
                select(Deadline.id, Deadline.number).where(
                    Deadline.id.in_(
                        select(ChangeRequest.deadline_id).where(
                            ChangeRequest.vendor_id == self.vendor.id
                        )
                    )
                )
            ).all()
        }

    def recaps(self) -> Iterator[tuple[Recap, list[RecapRevision]]]:
        vid = self.vendor.id
        return self._with_children(
            select(Recap).where(Recap.vendor_id == vid).order_by(Recap.id),
            select(RecapRevision)
            .join(Recap, Recap.id == RecapRevision.recap_id)
            .where(Recap.vendor_id == vid)
            .order_by(RecapRevision.recap_id, RecapRevision.revision, RecapRevision.id),
            lambda r: r.recap_id,
        )

    def checkins(self) -> Iterator[tuple[CheckIn, list[CheckInAnswer]]]:
        vid = self.vendor.id
        return self._with_children(
            select(CheckIn).where(CheckIn.vendor_id == vid).order_by(CheckIn.id),
            select(CheckInAnswer)
            .where(CheckInAnswer.vendor_id == vid)
            .order_by(CheckInAnswer.checkin_id, CheckInAnswer.id),
            lambda a: a.checkin_id,
        )

    def access(self) -> Iterator[AccessItem]:
        return _stream(
            self.session,
            select(AccessItem)
            .where(AccessItem.vendor_id == self.vendor.id)
            .order_by(AccessItem.id),
        )

    def offboarding(self) -> Iterator[tuple[OffboardingChecklist, list[OffboardingItem]]]:
        lists = self.session.scalars(
            select(OffboardingChecklist)
            .where(OffboardingChecklist.vendor_id == self.vendor.id)
            .order_by(OffboardingChecklist.id)
        ).all()
        for checklist in lists:
            items = self.session.scalars(
                select(OffboardingItem)
                .where(OffboardingItem.checklist_id == checklist.id)
                .order_by(OffboardingItem.id)
            ).all()
            yield checklist, list(items)

    def audit(self) -> Iterator[AuditEntry]:
        return audit_entries(self.session, vendor_ids=[self.vendor.id])


def recap_items(
    extracted: dict[str, Any] | None,
) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(kind, text, owner, due ISO) of a recap's extracted decisions, action items, questions."""
    data = extracted or {}
    for key, kind in (
        ("decisions", "decision"),
        ("action_items", "action"),
        ("open_questions", "question"),
    ):
        for item in data.get(key) or []:
            if isinstance(item, dict):
                text = str(item.get("text") or item.get("what") or "")
                owner = item.get("owner_user_id") or item.get("owner_name")
                due = item.get("due_at")
                yield kind, text, str(owner) if owner else None, str(due) if due else None
            else:
                yield kind, str(item), None, None


def _utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else ""


# --------------------------------------------------------------------------- Markdown


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _cell(value: str | None) -> str:
    return _one_line(value).replace("|", "\\|")


def _fenced(text: str, info: str = "text") -> str:
    """Verbatim text in a code fence longer than any backtick run inside it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}"


class _Formats:
    """The per-export part of the template's filters: the vendor's zone and people's names."""

    def __init__(self, tz: ZoneInfo, names: NameOf) -> None:
        self.tz = tz
        self.names = names
        self._shown: dict[datetime, str] = {}

    def local(self, at: datetime | None) -> str:
        if at is None:
            return "—"
        shown = self._shown.get(at)
        if shown is None:
            # Most instants repeat (creation times of bulk rows); a huge record may not.
            if len(self._shown) > 10_000:
                self._shown.clear()
            shown = self._shown[at] = format_local(at, self.tz)
        return shown

    def by(self, at: datetime | None, who: str | None) -> str:
        if at is None:
            return "not yet"
        return f"{self.local(at)} by {self.names(who)}" if who else self.local(at)


def _local_filter(ctx: Context, at: datetime | None) -> str:
    formats: _Formats = ctx["formats"]
    return formats.local(at)


def _by_filter(ctx: Context, at: datetime | None, who: str | None) -> str:
    formats: _Formats = ctx["formats"]
    return formats.by(at, who)


def _name_filter(ctx: Context, user_id: str | None) -> str:
    formats: _Formats = ctx["formats"]
    return formats.names(user_id)


@cache
def _environment() -> Environment:
    # Imported here: only an export needs Jinja2, not every process start.
    from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context

    env = Environment(
        loader=PackageLoader("bot.services", "templates"),
        autoescape=False,  # Markdown, not HTML: text goes in as typed (`cell`, `fenced` guard it)
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,  # a misspelt name in an adapted template fails loudly
    )
    env.filters.update(
        local=pass_context(_local_filter),
        by=pass_context(_by_filter),
        name=pass_context(_name_filter),
        one_line=_one_line,
        cell=_cell,
        fenced=_fenced,
        utc=_utc,
        detail=detail_text,
    )
    env.globals["recap_items"] = recap_items
    return env


class _Tally:
    """Counts the items the Markdown shows, as the template reads the record's streams."""

    def __init__(self) -> None:
        self.items = 0

    def __call__(
        self, stream: Callable[[], Iterable[T]], weight: Callable[[T], int] | None = None
    ) -> Iterator[T]:
        # A generator: the stream's query runs only when the template reaches its section.
        for item in stream():
            self.items += 1 if weight is None else weight(item)
            yield item


def write_markdown(
    out: TextIO,
    record: Record,
    *,
    tz: ZoneInfo,
    names: NameOf,
    now: datetime,
    requested_by: str,
) -> int:
    """The whole record as Markdown, written chunk by chunk; returns how many items it holds."""
    tally = _Tally()
    template = _environment().get_template(TEMPLATE)
    out.writelines(
        template.generate(
            vendor=record.vendor,
            now=now,
            requested_by=requested_by,
            formats=_Formats(tz, names),
            contacts=tally(record.contacts),
            deadlines=tally(record.deadlines),
            change_requests=tally(record.change_requests),
            deadline_numbers=record.deadline_numbers,
            recaps=tally(record.recaps),
            checkins=tally(record.checkins),
            access=tally(record.access),
            offboarding=tally(record.offboarding, lambda checklist: len(checklist[1])),
            audit=tally(record.audit),
        )
    )
    return tally.items


# --------------------------------------------------------------------------- CSV


class CsvRow(NamedTuple):
    """One line of the CSV export: its columns, in the file's order."""

    kind: str
    ref: str
    parent: str = ""
    title: str = ""
    text: str = ""
    state: str = ""
    at_utc: str = ""
    due_utc: str = ""
    actor: str = ""
    user: str = ""
    category: str = ""
    detail: str = ""


CSV_COLUMNS = list(CsvRow._fields)


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _kv(**values: Any) -> str:
    return "; ".join(f"{k}={v}" for k, v in values.items() if v not in (None, "", False))


def _answer_text(answer: CheckIn | CheckInAnswer) -> str:
    """A check-in's (or one answer's) texts, one labelled line each."""
    return "\n".join(
        f"{label}: {value}"
        for label, value in (
            ("done", answer.done_text),
            ("next", answer.next_text),
            ("blockers", answer.blockers_text),
        )
        if value
    )


def csv_rows(
    record: Record, names: NameOf, *, now: datetime, requested_by: str
) -> Iterator[CsvRow]:
    """Every row of the CSV export, in the file's order, read from the record's streams."""
    n = names
    v = record.vendor
    yield CsvRow(
        "vendor",
        f"vendor:{v.id}",
        title=v.name,
        state="archived" if v.archived_at else "active",
        at_utc=_utc(v.created_at),
        actor=n(v.created_by),
        detail=_kv(
            channel=v.channel_id,
            tz=v.tz,
            country=v.country,
            sla_hours=f"{v.sla_hours:g}",
            slack_connect=v.is_ext_shared,
            archived_at=_utc(v.archived_at),
            exported_at=_utc(now),
            exported_by=n(requested_by),
        ),
    )
    for ct in record.contacts():
        yield CsvRow(
            "contact",
            f"contact:{ct.id}",
            title=n(ct.user_id),
            state="current" if ct.ended_at is None else "ended",
            at_utc=_utc(ct.started_at),
            user=ct.user_id,
            category=f"{ct.side} {ct.role}",
            detail=_kv(ended_at=_utc(ct.ended_at), ended_reason=ct.ended_reason),
        )
    for d, changes in record.deadlines():
        yield CsvRow(
            "deadline",
            f"#{d.number}",
            parent=f"deadline:{d.parent_id}" if d.parent_id else "",
            title=d.title,
            state=d.state,
            at_utc=_utc(d.created_at),
            due_utc=_utc(d.due_at),
            actor=n(d.created_by),
            user=n(d.owner_user_id),
            detail=_kv(
                milestone=d.milestone,
                done_at=_utc(d.done_at),
                done_by=n(d.done_by),
                acknowledged_at=_utc(d.acknowledged_at),
                acknowledged_by=n(d.acknowledged_by),
                changes=len(changes),
            ),
        )
    numbers = record.deadline_numbers()
    for cr in record.change_requests():
        yield CsvRow(
            "change_request",
            f"change:{cr.id}",
            parent=f"#{numbers[cr.deadline_id]}" if cr.deadline_id in numbers else "",
            title=cr.description,
            text=cr.reason or "",
            state=cr.state,
            at_utc=_utc(cr.requested_at),
            due_utc=_utc(cr.new_due_at),
            actor=n(cr.requested_by),
            category=cr.kind,
            detail=_kv(
                old_due=_utc(cr.old_due_at),
                internal_approved_by=n(cr.internal_approved_by),
                internal_approved_at=_utc(cr.internal_approved_at),
                vendor_approved_by=n(cr.vendor_approved_by),
                vendor_approved_at=_utc(cr.vendor_approved_at),
                declined_by=n(cr.declined_by),
                declined_at=_utc(cr.declined_at),
                resolved_at=_utc(cr.resolved_at),
            ),
        )
    for r, revisions in record.recaps():
        ref = f"recap:{r.id}"
        both = r.internal_confirmed_at is not None and r.vendor_confirmed_at is not None
        either = r.internal_confirmed_at is not None or r.vendor_confirmed_at is not None
        yield CsvRow(
            "recap",
            ref,
            title=f"Call of {_utc(r.call_at)}",
            text=r.text,
            state="confirmed" if both else "partly confirmed" if either else "unconfirmed",
            at_utc=_utc(r.call_at),
            actor=n(r.created_by),
            detail=_kv(
                source=r.source,
                participants=", ".join(n(p) for p in r.participants or []),
                internal_confirmed_by=n(r.internal_confirmed_by),
                internal_confirmed_at=_utc(r.internal_confirmed_at),
                vendor_confirmed_by=n(r.vendor_confirmed_by),
                vendor_confirmed_at=_utc(r.vendor_confirmed_at),
                revision=r.revision,
            ),
        )
        for i, (kind, text, owner, due) in enumerate(recap_items(r.extracted), start=1):
            yield CsvRow(
                "recap_item",
                f"{ref}:item{i}",
                parent=ref,
                title=text,
                state=kind,
                due_utc=due or "",
                user=n(owner) if owner else "",
            )
        for rev in revisions:
            yield CsvRow(
                "recap_revision",
                f"{ref}:rev{rev.revision}",
                parent=ref,
                text=rev.text,
                at_utc=_utc(rev.edited_at),
                actor=n(rev.edited_by),
            )
    for ci, answers in record.checkins():
        ref = f"checkin:{ci.id}"
        yield CsvRow(
            "checkin",
            ref,
            title="Check-in",
            text=_answer_text(ci),
            state=ci.state,
            at_utc=_utc(ci.scheduled_for),
            actor=n(ci.answered_by),
            detail=_kv(answered_at=_utc(ci.answered_at), via=ci.via, on_track=ci.on_track),
        )
        for answer in answers:
            yield CsvRow(
                "checkin_answer",
                f"{ref}:answer{answer.id}",
                parent=ref,
                text=_answer_text(answer),
                state=answer.on_track or "",
                at_utc=_utc(answer.answered_at),
                actor=n(answer.user_id),
                detail=_kv(via=answer.via),
            )
    for a in record.access():
        yield CsvRow(
            "access",
            f"access:{a.id}",
            title=a.system,
            state="revoked" if a.revoked_at else "active",
            at_utc=_utc(a.added_at),
            actor=n(a.added_by),
            user=n(a.user_id),
            detail=_kv(revoked_at=_utc(a.revoked_at), revoked_by=n(a.revoked_by)),
        )
    for checklist, items in record.offboarding():
        for item in items:
            yield CsvRow(
                "offboarding_item",
                f"offboarding:{checklist.id}:{item.id}",
                parent=f"offboarding:{checklist.id}",
                title=item.label,
                state="done" if item.done_at else "open",
                at_utc=_utc(item.done_at),
                actor=n(item.done_by),
                category=item.kind,
            )
    for e in record.audit():
        yield CsvRow(
            "audit",
            f"audit:{e.id}",
            title=e.action,
            text=e.subject,
            at_utc=_utc(e.at),
            actor=n(e.actor),
            detail=detail_text(e),
        )


def write_csv(
    out: TextIO, record: Record, *, names: NameOf, now: datetime, requested_by: str
) -> int:
    """The whole record as one CSV table, row by row; returns how many rows it holds."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for row in csv_rows(record, names, now=now, requested_by=requested_by):
        kind, ref, *cells = row
        # The kind and the ref are ours; every other cell may hold someone's text.
        writer.writerow([kind, ref, *map(_safe, cells)])
        rows += 1
    return rows
