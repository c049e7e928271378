"""`/outsource export [md|csv]`: a vendor's written record, as a file in the requester's DM.

What is in it: the vendor, its contacts over time, every deadline with its history (creation,
acknowledgement, change requests and approvals, completion), every change request, every call
recap (verbatim text, extracted decisions / action items / open questions, both sides'
confirmations, every revision), every check-in and its answers, the access inventory, any
offboarding checklist, and the vendor's full audit log.

Formats.
- Markdown (`md`, the default): one `## ` heading per section (always present, "_None._" when
  empty), one `### ` heading per deadline, change request, recap and check-in. Verbatim text is
  fenced with a fence longer than any backtick run inside it, so it cannot break the document.
- CSV (`csv`): ONE long table with a `kind` column (vendor, contact, deadline, change_request,
  recap, recap_item, recap_revision, checkin, checkin_answer, access, offboarding_item, audit)
  and the same columns for every row (`category` refines the kind: a contact's side and role,
  a change request's move/scope, an offboarding item's access/member/deadline/recap). A
  spreadsheet user double-clicks one .csv and can filter by `kind`; a zip of one file per table
  would first have to be extracted and then opened file by file. The file starts with a UTF-8
  byte-order mark so Excel reads accents and non-Latin names correctly; times are UTC as
  `YYYY-MM-DD HH:MM:SS`, which spreadsheets parse as dates. Cells that a spreadsheet would run
  as a formula (starting with `=`, `+`, `-`, `@`, tab or CR — the vendor writes some of this
  text) get a leading `'`.

Streaming. Rows are read in batches (`yield_per`) and written straight to a temporary file;
per-deadline history is a merge of two streams ordered by deadline id, so a 10,000-deadline
vendor never sits in memory as objects (bench/bench_export.py measures it). slack_sdk's
`files_upload_v2` then reads the finished file and uploads it.

Delivery. Every export is an `ExportRequest` row. A small one is uploaded at once, in the
request; a large one (over `INLINE_LIMIT` records, so the slash command is still answered
within Slack's 3 seconds) is left to the sweep, which runs every 30 s. If the upload fails, the
requester gets a clear DM through the outbox (once per export) and the sweep retries with
backoff (1, 2, 4 … minutes) up to `MAX_ATTEMPTS`, then says it gave up. The outbox only posts
chat messages, so the file itself is retried from the stored row, never re-requested by anyone.
"""

from __future__ import annotations

import csv
import logging
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TextIO, TypeVar
from urllib.error import URLError
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit, outbox
from bot.actors import Actor
from bot.errors import NotFound
from bot.runtime import Runtime
from bot.services.audit_report import audit_entries, detail_text
from bot.services.vendors import require_side, require_vendor_record
from bot.timeparse import format_local
from storage.models import (
    INTERNAL,
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
from storage.models import checkins as checkin_models
from storage.models.records import ExportRequest, OffboardingChecklist, OffboardingItem

if TYPE_CHECKING:
    from bot.sweep import SweepContext

log = logging.getLogger(__name__)

FORMATS = ("md", "csv")
INLINE_LIMIT = 2000
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
BATCH = 500
BOT_ACTOR = "outsource-bot"
CSV_COLUMNS = [
    "kind",
    "ref",
    "parent",
    "title",
    "text",
    "state",
    "at_utc",
    "due_utc",
    "actor",
    "user",
    "category",
    "detail",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

T = TypeVar("T")


# --------------------------------------------------------------------------- names


class Names:
    """User ids to `Real Name (U123)`, looked up once each (users.info, cached)."""

    def __init__(self, runtime: Runtime | None, team_id: str, seed: dict[str, str] | None = None):
        self._runtime = runtime
        self._team_id = team_id
        self._cache: dict[str, str] = dict(seed or {})

    def __call__(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        hit = self._cache.get(user_id)
        if hit is not None:
            return hit
        label = user_id
        if self._runtime is not None and user_id.startswith(("U", "W")):
            try:
                user = self._runtime.directory.user(self._team_id, user_id)
            except (SlackApiError, LookupError):
                user = None
            if user is not None and user.label != user_id:
                label = f"{user.label} ({user_id})"
        self._cache[user_id] = label
        return label


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


def _checkin_answer_model() -> Any:
    """The check-in capability keeps every answer verbatim in `CheckInAnswer` where it exists."""
    return getattr(checkin_models, "CheckInAnswer", None)


@dataclass
class Record:
    """Everything the export reads, as streams over one session."""

    session: Session
    vendor: Vendor

    def contacts(self) -> list[Contact]:
        return sorted(self.vendor.contacts, key=lambda c: (c.started_at, c.id))

    def deadlines(self) -> Iterator[tuple[Deadline, list[ChangeRequest]]]:
        vid = self.vendor.id
        deadlines = _stream(
            self.session, select(Deadline).where(Deadline.vendor_id == vid).order_by(Deadline.id)
        )
        changes: _Follower[ChangeRequest] = _Follower(
            _stream(
                self.session,
                select(ChangeRequest)
                .where(ChangeRequest.vendor_id == vid, ChangeRequest.deadline_id.is_not(None))
                .order_by(ChangeRequest.deadline_id, ChangeRequest.id),
            ),
            lambda c: int(c.deadline_id or 0),
        )
        for d in deadlines:
            yield d, changes.take(d.id)

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
        recaps = _stream(
            self.session, select(Recap).where(Recap.vendor_id == vid).order_by(Recap.id)
        )
        revisions: _Follower[RecapRevision] = _Follower(
            _stream(
                self.session,
                select(RecapRevision)
                .join(Recap, Recap.id == RecapRevision.recap_id)
                .where(Recap.vendor_id == vid)
                .order_by(RecapRevision.recap_id, RecapRevision.revision, RecapRevision.id),
            ),
            lambda r: r.recap_id,
        )
        for r in recaps:
            yield r, revisions.take(r.id)

    def checkins(self) -> Iterator[tuple[CheckIn, list[Any]]]:
        vid = self.vendor.id
        checkins = _stream(
            self.session, select(CheckIn).where(CheckIn.vendor_id == vid).order_by(CheckIn.id)
        )
        model = _checkin_answer_model()
        if model is None:
            for c in checkins:
                yield c, []
            return
        answers: _Follower[Any] = _Follower(
            _stream(
                self.session,
                select(model).where(model.vendor_id == vid).order_by(model.checkin_id, model.id),
            ),
            lambda a: a.checkin_id,
        )
        for c in checkins:
            yield c, answers.take(c.id)

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


# --------------------------------------------------------------------------- Markdown


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _cell(value: str | None) -> str:
    return _one_line(value).replace("|", "\\|")


def _fenced(text: str, info: str = "text") -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text.rstrip()}\n{fence}\n"


class MarkdownWriter:
    def __init__(self, out: TextIO, tz: ZoneInfo, names: Names) -> None:
        self.out = out
        self.tz = tz
        self.names = names
        self._shown: dict[datetime, str] = {}

    def w(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def t(self, at: datetime | None) -> str:
        if at is None:
            return "—"
        shown = self._shown.get(at)
        if shown is None:
            if len(self._shown) > 10_000:
                self._shown.clear()
            shown = self._shown[at] = format_local(at, self.tz)
        return shown

    def by(self, at: datetime | None, who: str | None) -> str:
        if at is None:
            return "not yet"
        return f"{self.t(at)} by {self.names(who)}" if who else self.t(at)

    def write(self, record: Record, *, now: datetime, requested_by: str) -> int:
        """The whole record; returns how many items it holds."""
        v = record.vendor
        self.w(f"# {_one_line(v.name)} — written record")
        self.w()
        self.w(
            f"Exported {self.t(now)} by {self.names(requested_by)}. "
            f"Times are in the vendor's timezone, {v.tz}."
        )
        self.w()
        sections = (
            self._vendor,
            self._contacts_over_time,
            self._deadlines,
            self._change_requests,
            self._call_recaps,
            self._check_ins,
            self._access_inventory,
            self._offboarding,
            self._audit_log,
        )
        return sum(section(record) for section in sections)

    def _vendor(self, record: Record) -> int:
        v = record.vendor
        items = 0
        self.w("## Vendor")
        self.w()
        self.w(f"- Name: {_one_line(v.name)}")
        self.w(f"- Channel: {v.channel_id}" + (" (Slack Connect)" if v.is_ext_shared else ""))
        self.w(f"- Timezone: {v.tz}; country: {v.country or '—'}")
        self.w(f"- SLA: {v.sla_hours:g} business hours")
        self.w(f"- Registered: {self.by(v.created_at, v.created_by)}")
        if v.archived_at:
            self.w(f"- Archived: {self.t(v.archived_at)}")
        self.w()
        return items

    def _contacts_over_time(self, record: Record) -> int:
        items = 0
        self.w("## Contacts over time")
        self.w()
        contacts = record.contacts()
        if contacts:
            self.w("| side | role | person | from | until | why it ended |")
            self.w("|---|---|---|---|---|---|")
            for ct in contacts:
                items += 1
                until = self.t(ct.ended_at) if ct.ended_at else "current"
                self.w(
                    f"| {ct.side} | {ct.role} | {_cell(self.names(ct.user_id))}"
                    f" | {self.t(ct.started_at)} | {until} | {_cell(ct.ended_reason)} |"
                )
        else:
            self.w("_None._")
        self.w()
        return items

    def _deadlines(self, record: Record) -> int:
        items = 0
        self.w("## Deadlines")
        self.w()
        any_deadline = False
        for d, changes in record.deadlines():
            any_deadline = True
            items += 1
            self.w(f"### #{d.number} {_one_line(d.title)}")
            self.w()
            self.w(f"- Due: {self.t(d.due_at)}")
            state = d.state
            if d.done_at:
                state += f" ({self.by(d.done_at, d.done_by)})"
            self.w(f"- State: {state}")
            self.w(f"- Owner: {self.names(d.owner_user_id) or '—'}")
            if d.milestone:
                self.w("- Milestone")
            self.w(f"- Created: {self.by(d.created_at, d.created_by)}")
            if d.acknowledged_at:
                self.w(f"- Acknowledged: {self.by(d.acknowledged_at, d.acknowledged_by)}")
            self.w("- History:")
            first_due = (changes[0].old_due_at if changes else None) or d.due_at
            self.w(f"  - {self.t(d.created_at)}: created, due {self.t(first_due)}")
            if d.acknowledged_at:
                who = self.names(d.acknowledged_by)
                self.w(f"  - {self.t(d.acknowledged_at)}: acknowledged by {who}")
            for cr in changes:
                self.w(f"  - {self.t(cr.requested_at)}: {self._change_line(cr)}")
            if d.done_at:
                self.w(f"  - {self.t(d.done_at)}: done by {self.names(d.done_by)}")
            self.w()
        if not any_deadline:
            self.w("_None._")
            self.w()
        return items

    def _change_requests(self, record: Record) -> int:
        items = 0
        self.w("## Change requests")
        self.w()
        numbers = record.deadline_numbers()
        any_change = False
        for cr in record.change_requests():
            any_change = True
            items += 1
            target = f" of #{numbers.get(cr.deadline_id, '?')}" if cr.deadline_id else ""
            self.w(f"### Change {cr.id} — {cr.kind}{target}: {cr.state}")
            self.w()
            self.w(f"- What: {_one_line(cr.description)}")
            if cr.reason:
                self.w(f"- Why: {_one_line(cr.reason)}")
            if cr.old_due_at or cr.new_due_at:
                self.w(f"- Date: {self.t(cr.old_due_at)} → {self.t(cr.new_due_at)}")
            self.w(f"- Requested: {self.by(cr.requested_at, cr.requested_by)}")
            self.w(f"- Approved by us: {self.by(cr.internal_approved_at, cr.internal_approved_by)}")
            self.w(f"- Approved by vendor: {self.by(cr.vendor_approved_at, cr.vendor_approved_by)}")
            if cr.declined_at:
                self.w(f"- Declined: {self.by(cr.declined_at, cr.declined_by)}")
            self.w()
        if not any_change:
            self.w("_None._")
            self.w()
        return items

    def _call_recaps(self, record: Record) -> int:
        items = 0
        self.w("## Call recaps")
        self.w()
        any_recap = False
        for r, revisions in record.recaps():
            any_recap = True
            items += 1
            self.w(f"### Recap {r.id} — call of {self.t(r.call_at)}")
            self.w()
            self.w(
                f"- Source: {r.source}" + (f" ({_one_line(r.source_ref)})" if r.source_ref else "")
            )
            if r.participants:
                self.w("- Participants: " + ", ".join(self.names(p) for p in r.participants))
            self.w(f"- Recorded: {self.by(r.created_at, r.created_by)}")
            self.w(
                f"- Confirmed by us: {self.by(r.internal_confirmed_at, r.internal_confirmed_by)}"
            )
            self.w(
                f"- Confirmed by vendor: {self.by(r.vendor_confirmed_at, r.vendor_confirmed_by)}"
            )
            self.w(f"- Revision: {r.revision}")
            self.w()
            grouped: dict[str, list[str]] = {"decision": [], "action": [], "question": []}
            for kind, text, owner, due in recap_items(r.extracted):
                extra = []
                if owner:
                    extra.append(f"owner {self.names(owner)}")
                if due:
                    extra.append(f"due {due}")
                grouped[kind].append(_one_line(text) + (f" ({', '.join(extra)})" if extra else ""))
            for kind, title in (
                ("decision", "Decisions"),
                ("action", "Action items"),
                ("question", "Open questions"),
            ):
                self.w(f"#### {title}")
                self.w()
                for line in grouped[kind] or ["_None._"]:
                    self.w(f"- {line}" if line != "_None._" else line)
                self.w()
            self.w("#### Text (verbatim)")
            self.w()
            self.out.write(_fenced(r.text))
            self.w()
            if revisions:
                self.w("#### Revisions")
                self.w()
                for rev in revisions:
                    self.w(
                        f"##### Revision {rev.revision} — {self.by(rev.edited_at, rev.edited_by)}"
                    )
                    self.w()
                    self.out.write(_fenced(rev.text))
                    self.w()
        if not any_recap:
            self.w("_None._")
            self.w()
        return items

    def _check_ins(self, record: Record) -> int:
        items = 0
        self.w("## Check-ins")
        self.w()
        any_checkin = False
        for ci, answers in record.checkins():
            any_checkin = True
            items += 1
            self.w(f"### Check-in of {self.t(ci.scheduled_for)} — {ci.state}")
            self.w()
            if ci.answered_at:
                self.w(
                    f"- Answered: {self.by(ci.answered_at, ci.answered_by)}"
                    + (f" via {ci.via}" if ci.via else "")
                )
            if ci.on_track:
                self.w(f"- On track: {ci.on_track}")
            for label, value in (
                ("Done", ci.done_text),
                ("Next", ci.next_text),
                ("Blockers", ci.blockers_text),
            ):
                if value:
                    self.w(f"- {label}: {_one_line(value)}")
            for a in answers:
                self.w(f"- Answer {self.by(a.answered_at, a.user_id)} via {a.via}:")
                for label, value in (
                    ("done", a.done_text),
                    ("next", a.next_text),
                    ("blockers", a.blockers_text),
                ):
                    if value:
                        self.w(f"  - {label}: {_one_line(value)}")
            self.w()
        if not any_checkin:
            self.w("_None._")
            self.w()
        return items

    def _access_inventory(self, record: Record) -> int:
        items = 0
        self.w("## Access inventory")
        self.w()
        any_access = False
        for a in record.access():
            if not any_access:
                self.w("| system | person | added | revoked |")
                self.w("|---|---|---|---|")
            any_access = True
            items += 1
            revoked = _cell(self.by(a.revoked_at, a.revoked_by)) if a.revoked_at else "active"
            self.w(
                f"| {_cell(a.system)} | {_cell(self.names(a.user_id)) or '—'}"
                f" | {_cell(self.by(a.added_at, a.added_by))} | {revoked} |"
            )
        if not any_access:
            self.w("_None._")
        self.w()
        return items

    def _offboarding(self, record: Record) -> int:
        items = 0
        self.w("## Offboarding")
        self.w()
        any_offboarding = False
        for checklist, checklist_items in record.offboarding():
            any_offboarding = True
            state = (
                f"completed {self.t(checklist.completed_at)}"
                if checklist.completed_at
                else "in progress"
            )
            started = self.by(checklist.started_at, checklist.requested_by)
            self.w(f"### Checklist started {started} — {state}")
            self.w()
            for item in checklist_items:
                items += 1
                mark = "x" if item.done_at else " "
                done = f" — done {self.by(item.done_at, item.done_by)}" if item.done_at else ""
                self.w(f"- [{mark}] {_one_line(item.label)}{done}")
            self.w()
        if not any_offboarding:
            self.w("_None._")
            self.w()
        return items

    def _audit_log(self, record: Record) -> int:
        items = 0
        self.w("## Audit log")
        self.w()
        self.w("| at (UTC) | actor | action | subject | detail |")
        self.w("|---|---|---|---|---|")
        for e in record.audit():
            items += 1
            self.w(
                f"| {e.at.astimezone(UTC):%Y-%m-%d %H:%M:%S} | {_cell(self.names(e.actor))}"
                f" | {_cell(e.action)} | {_cell(e.subject)} | {_cell(detail_text(e))} |"
            )
        self.w()
        return items

    def _change_line(self, c: ChangeRequest) -> str:
        line = f"{c.kind} requested by {self.names(c.requested_by)}"
        if c.old_due_at or c.new_due_at:
            line += f": {self.t(c.old_due_at)} → {self.t(c.new_due_at)}"
        if c.reason:
            line += f" — “{_one_line(c.reason)}”"
        line += f" — {c.state}"
        approvals = []
        if c.internal_approved_at:
            approvals.append(f"us: {self.by(c.internal_approved_at, c.internal_approved_by)}")
        if c.vendor_approved_at:
            approvals.append(f"vendor: {self.by(c.vendor_approved_at, c.vendor_approved_by)}")
        if c.declined_at:
            approvals.append(f"declined {self.by(c.declined_at, c.declined_by)}")
        if approvals:
            line += " (" + "; ".join(approvals) + ")"
        return line


# --------------------------------------------------------------------------- CSV


def _utc(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _kv(**values: Any) -> str:
    return "; ".join(f"{k}={v}" for k, v in values.items() if v not in (None, "", False))


class CsvWriter:
    def __init__(self, out: TextIO, names: Names) -> None:
        self.writer = csv.writer(out)
        self.names = names
        self.rows = 0

    def row(self, kind: str, ref: str, **cols: Any) -> None:
        values = {c: cols.get(c) for c in CSV_COLUMNS[2:]}
        self.writer.writerow([kind, ref, *(_safe(values[c]) for c in CSV_COLUMNS[2:])])
        self.rows += 1

    def write(self, record: Record, *, now: datetime, requested_by: str) -> int:
        n = self.names
        v = record.vendor
        self.writer.writerow(CSV_COLUMNS)
        self.row(
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
            self.row(
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
            ref = f"#{d.number}"
            self.row(
                "deadline",
                ref,
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
            self.row(
                "change_request",
                f"change:{cr.id}",
                parent=f"#{numbers[cr.deadline_id]}" if cr.deadline_id in numbers else "",
                title=cr.description,
                text=cr.reason,
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
            self.row(
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
                self.row(
                    "recap_item",
                    f"{ref}:item{i}",
                    parent=ref,
                    title=text,
                    state=kind,
                    due_utc=due or "",
                    user=n(owner) if owner else "",
                )
            for rev in revisions:
                self.row(
                    "recap_revision",
                    f"{ref}:rev{rev.revision}",
                    parent=ref,
                    text=rev.text,
                    at_utc=_utc(rev.edited_at),
                    actor=n(rev.edited_by),
                )
        for ci, answers in record.checkins():
            ref = f"checkin:{ci.id}"
            self.row(
                "checkin",
                ref,
                title="Check-in",
                text="\n".join(
                    f"{label}: {value}"
                    for label, value in (
                        ("done", ci.done_text),
                        ("next", ci.next_text),
                        ("blockers", ci.blockers_text),
                    )
                    if value
                ),
                state=ci.state,
                at_utc=_utc(ci.scheduled_for),
                actor=n(ci.answered_by),
                detail=_kv(answered_at=_utc(ci.answered_at), via=ci.via, on_track=ci.on_track),
            )
            for a in answers:
                self.row(
                    "checkin_answer",
                    f"{ref}:answer{a.id}",
                    parent=ref,
                    text="\n".join(
                        f"{label}: {value}"
                        for label, value in (
                            ("done", a.done_text),
                            ("next", a.next_text),
                            ("blockers", a.blockers_text),
                        )
                        if value
                    ),
                    state=a.on_track or "",
                    at_utc=_utc(a.answered_at),
                    actor=n(a.user_id),
                    detail=_kv(via=a.via),
                )
        for a in record.access():
            self.row(
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
                self.row(
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
            self.row(
                "audit",
                f"audit:{e.id}",
                title=e.action,
                text=e.subject,
                at_utc=_utc(e.at),
                actor=n(e.actor),
                detail=detail_text(e),
            )
        return self.rows


# --------------------------------------------------------------------------- files


def filename_for(vendor: Vendor, fmt: str, now: datetime) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", vendor.name.lower()).strip("-") or f"vendor-{vendor.id}"
    return f"{slug}-record-{now.astimezone(UTC):%Y-%m-%d}.{fmt}"


def write_export(
    session: Session,
    *,
    vendor: Vendor,
    fmt: str,
    path: Path,
    now: datetime,
    requested_by: str,
    names: Names,
) -> int:
    """Write the record to `path`, streaming. Returns how many items it holds."""
    record = Record(session=session, vendor=vendor)
    if fmt == "csv":
        # utf-8-sig: the byte-order mark that makes Excel read the file as UTF-8.
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            return CsvWriter(out, names).write(record, now=now, requested_by=requested_by)
    with path.open("w", encoding="utf-8") as out:
        return MarkdownWriter(out, _vendor_tz(vendor), names).write(
            record, now=now, requested_by=requested_by
        )


def _vendor_tz(vendor: Vendor) -> ZoneInfo:
    try:
        return ZoneInfo(vendor.tz or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def record_size(session: Session, vendor_id: int) -> int:
    """Rows an export of this vendor reads (the big tables), to choose inline vs. the sweep."""
    total = 0
    for model in (Deadline, ChangeRequest, Recap, CheckIn, AuditEntry):
        total += int(
            session.scalar(
                select(func.count()).select_from(model).where(model.vendor_id == vendor_id)
            )
            or 0
        )
    return total


# --------------------------------------------------------------------------- requests


@dataclass
class ExportOutcome:
    request: ExportRequest
    vendor: Vendor

    @property
    def message(self) -> str:
        r = self.request
        kind = "Markdown" if r.fmt == "md" else "CSV"
        if r.state == "sent":
            return (
                f"The written record of *{self.vendor.name}* ({kind}) is in your DM with me: "
                f"`{r.filename}`. Only you received it."
            )
        if r.attempts == 0:
            return (
                f"*{self.vendor.name}* has a long record; the {kind} export is being prepared and "
                "will arrive in your DM with me in a minute or so."
            )
        return (
            f"The upload of *{self.vendor.name}*'s record failed (`{r.last_error}`). Nothing is "
            "lost: I'll retry automatically and send it to your DM with me."
        )


def create_export(
    session: Session,
    *,
    vendor: Vendor,
    requested_by: str,
    fmt: str,
    reason: str,
    now: datetime,
) -> ExportRequest:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    req = ExportRequest(
        team_id=vendor.team_id,
        vendor_id=vendor.id,
        requested_by=requested_by,
        fmt=fmt,
        reason=reason,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(req)
    session.flush()
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=requested_by,
        action="export.request",
        subject=f"export {req.id} ({fmt})",
        at=now,
        vendor_id=vendor.id,
        detail={"export_id": req.id, "fmt": fmt, "reason": reason},
    )
    return req


def start_export(
    session: Session,
    *,
    runtime: Runtime,
    vendor: Vendor,
    requested_by: str,
    fmt: str,
    reason: str,
    now: datetime,
) -> ExportOutcome:
    """Make the export request and upload it now when it is small; else the sweep does."""
    req = create_export(
        session, vendor=vendor, requested_by=requested_by, fmt=fmt, reason=reason, now=now
    )
    if record_size(session, vendor.id) <= INLINE_LIMIT:
        deliver_export(session, runtime=runtime, request=req, now=now)
    return ExportOutcome(request=req, vendor=vendor)


def request_export(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    fmt: str,
    now: datetime,
) -> ExportOutcome:
    """`/outsource export [md|csv]` in a vendor channel (internal side only). An archived
    vendor's record stays reachable, as `vendor remove` promises."""
    vendor = require_vendor_record(session, team_id=actor.team_id, channel_id=channel_id)
    require_side(runtime, vendor, actor, INTERNAL, "export the written record")
    return start_export(
        session,
        runtime=runtime,
        vendor=vendor,
        requested_by=actor.user_id,
        fmt=fmt,
        reason="command",
        now=now,
    )


def request_export_for_vendor(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    vendor_id: int,
    fmt: str,
    now: datetime,
) -> ExportOutcome:
    """The **Export record** button on the App Home."""
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or vendor.team_id != actor.team_id or vendor.archived_at is not None:
        raise NotFound("That vendor is no longer active.")
    require_side(runtime, vendor, actor, INTERNAL, "export the written record")
    return start_export(
        session,
        runtime=runtime,
        vendor=vendor,
        requested_by=actor.user_id,
        fmt=fmt,
        reason="home",
        now=now,
    )


def _backoff(attempts: int) -> timedelta:
    return FIRST_RETRY * (2 ** max(0, attempts - 1))


def _error_of(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__


def deliver_export(
    session: Session, *, runtime: Runtime, request: ExportRequest, now: datetime
) -> bool:
    """Build the file and upload it to the requester's DM. True when it was sent.

    On failure the request stays pending with a retry time; the requester gets one DM (through
    the outbox) saying it will come, and another if it is finally given up.
    """
    req = request
    vendor = session.get(Vendor, req.vendor_id)
    if vendor is None:
        req.state = "failed"
        req.last_error = "vendor gone"
        return False
    names = Names(
        runtime,
        vendor.team_id,
        {c.user_id: f"{c.display_name} ({c.user_id})" for c in vendor.contacts if c.display_name},
    )
    filename = filename_for(vendor, req.fmt, now)
    kind = "Markdown" if req.fmt == "md" else "CSV"
    req.attempts += 1
    try:
        with tempfile.TemporaryDirectory(prefix="outsource-export-") as tmp:
            path = Path(tmp) / filename
            count = write_export(
                session,
                vendor=vendor,
                fmt=req.fmt,
                path=path,
                now=now,
                requested_by=req.requested_by,
                names=names,
            )
            client = runtime.client(req.team_id)
            if client is None:
                raise LookupError("no installation for this workspace")
            dm = client.conversations_open(users=req.requested_by)["channel"]["id"]
            comment = (
                f"Written record of *{vendor.name}* ({kind}, {count} items), "
                f"exported {format_local(now, _vendor_tz(vendor))}."
            )
            if req.reason == "offboarding":
                comment = "Final " + comment[0].lower() + comment[1:]
            resp = client.files_upload_v2(
                file=str(path),
                filename=filename,
                title=f"{vendor.name} — written record",
                channel=dm,
                initial_comment=comment,
            )
    except (SlackApiError, SlackClientError, URLError, OSError, LookupError) as exc:
        _upload_failed(session, req=req, vendor=vendor, error=_error_of(exc), now=now)
        return False
    file = resp.get("file") or {}
    req.state = "sent"
    req.sent_at = now
    req.next_attempt_at = None
    req.filename = filename
    req.file_id = str(file.get("id") or "") or None
    req.last_error = None
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=BOT_ACTOR,
        action="export.sent",
        subject=f"export {req.id} ({req.fmt}) to {req.requested_by}",
        at=now,
        vendor_id=vendor.id,
        detail={
            "export_id": req.id,
            "file_id": req.file_id,
            "items": count,
            "attempt": req.attempts,
        },
    )
    return True


def _upload_failed(
    session: Session, *, req: ExportRequest, vendor: Vendor, error: str, now: datetime
) -> None:
    from bot.blocks.overview import export_failed_text, export_gave_up_text

    log.warning("export %s upload failed (attempt %s): %s", req.id, req.attempts, error)
    req.last_error = error[:500]
    gave_up = req.attempts >= MAX_ATTEMPTS
    if gave_up:
        req.state = "failed"
        req.next_attempt_at = None
        text = export_gave_up_text(vendor.name, req.attempts, error)
        key = f"export:{req.id}:gave-up"
    else:
        req.next_attempt_at = now + _backoff(req.attempts)
        text = export_failed_text(vendor.name, error, req.next_attempt_at, _vendor_tz(vendor))
        key = f"export:{req.id}:upload-failed"
    audit.record(
        session,
        team_id=vendor.team_id,
        actor=BOT_ACTOR,
        action="export.failed" if gave_up else "export.retry",
        subject=f"export {req.id} ({req.fmt})",
        at=now,
        vendor_id=vendor.id,
        detail={"export_id": req.id, "attempt": req.attempts, "error": error[:200]},
    )
    # One "it will come" DM per export (the key has no attempt number), one "gave up" DM.
    outbox.enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=key,
        channel_id=req.requested_by,
        kind="export_notice",
        now=now,
        text=text,
        vendor_id=vendor.id,
        budgeted=False,
        priority=outbox.PRIORITY_NUDGE,
    )


def export_step(session: Session, ctx: SweepContext) -> int:
    """Sweep step: upload exports that are due (large ones, and retries). Returns how many
    were sent."""
    query = (
        select(ExportRequest)
        .where(ExportRequest.state == "pending", ExportRequest.next_attempt_at <= ctx.now)
        .order_by(ExportRequest.next_attempt_at, ExportRequest.id)
        .limit(20)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    for req in session.scalars(query).all():
        sent += deliver_export(session, runtime=ctx.runtime, request=req, now=ctx.now)
    return sent
