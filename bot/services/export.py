"""`/outsource export [md|csv]`: a vendor's written record, as a file in the requester's DM.

What is in it: the vendor, its contacts over time, every deadline with its history (creation,
acknowledgement, change requests and approvals, completion), every change request, every call
recap (verbatim text, extracted decisions / action items / open questions, both sides'
confirmations, every revision), every check-in and its answers, the access inventory, any
offboarding checklist, and the vendor's full audit log.

Formats (written by bot/services/export_record.py).
- Markdown (`md`, the default), from the template bot/services/templates/record.md.j2, which
  people may adapt: one `## ` heading per section (always present, "_None._" when empty), one
  `### ` heading per deadline, change request, recap and check-in. Verbatim text is fenced with
  a fence longer than any backtick run inside it, so it cannot break the document.
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

Delivery. Every export is an `ExportRequest` row, written with the request's other changes.
A small one is uploaded right after the request's commit (never inside a transaction: see
"after the commit" below); a large one (over `INLINE_LIMIT` records) is left to the sweep,
which runs every 30 s. If the upload fails, the requester gets a clear DM through the outbox
(once per export) and the sweep retries with backoff (1, 2, 4 … minutes) up to
`MAX_ATTEMPTS`, then says it gave up. The outbox only posts chat messages, so the file itself
is retried from the stored row, never re-requested by anyone. A request delivered twice (the
same `trigger_id`) makes one export.

The file holds plain text: what people typed, as they typed it (no Slack escaping); only the
message the file arrives with is escaped for Slack.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import audit
from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery import outbox
from bot.delivery.unit_of_work import after_commit, run_unit
from bot.errors import NotFound
from bot.services.export_record import Record, write_csv, write_markdown
from bot.services.vendors.lookup import require_side, require_vendor_record
from bot.text import escaping as slack_text
from bot.time.timeparse import format_local
from storage.models import (
    INTERNAL,
    AuditEntry,
    ChangeRequest,
    CheckIn,
    Deadline,
    Recap,
    Vendor,
)
from storage.models.records import ExportRequest
from storage.repositories import claim_event

if TYPE_CHECKING:
    from bot.delivery.sweep import SweepContext

log = logging.getLogger(__name__)

FORMATS = ("md", "csv")
INLINE_LIMIT = 2000
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
# How long an upload may take before the sweep takes the process that claimed it for dead.
LEASE = timedelta(minutes=30)
BATCH_PER_SWEEP = 20
# ExportRequest.state
PENDING = "pending"
UPLOADING = "uploading"
SENT = "sent"
FAILED = "failed"
BOT_ACTOR = "outsource-bot"


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
            return write_csv(out, record, names=names, now=now, requested_by=requested_by)
    with path.open("w", encoding="utf-8") as out:
        return write_markdown(
            out, record, tz=vendor_zone(vendor), names=names, now=now, requested_by=requested_by
        )


def vendor_zone(vendor: Vendor) -> ZoneInfo:
    """The vendor's zone (UTC when its name is not one)."""
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
    """What became of an export request: `request` is None for a duplicate of a request
    already handled (the same slash command or click delivered twice)."""

    request: ExportRequest | None
    vendor: Vendor
    inline: bool = True  # uploaded right after the commit (else by the sweep)

    @property
    def message(self) -> str:
        r = self.request
        name = slack_text.mrkdwn(self.vendor.name)
        if r is None:
            return (
                f"That export of *{name}* is already on its way to your DM with me; "
                "nothing more was started."
            )
        kind = "Markdown" if r.fmt == "md" else "CSV"
        if r.state == "sent":
            return (
                f"The written record of *{name}* ({kind}) is in your DM with me: "
                f"`{slack_text.mrkdwn(r.filename or '')}`. Only you received it."
            )
        if r.state == "failed":
            error = slack_text.mrkdwn(r.last_error or "")
            return (
                f"The upload of *{name}*'s record failed (`{error}`). "
                "Run `/outsource export` to try again."
            )
        if not self.inline:
            return (
                f"*{name}* has a long record; the {kind} export is being prepared and will arrive "
                "in your DM with me in a minute or so."
            )
        return (
            f"The written record of *{name}* ({kind}) will be in your DM with me in a moment. "
            "Only you receive it; if the upload fails, I'll tell you there and retry."
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
        state=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(req)
    session.flush()
    _audit(
        session,
        req,
        actor=requested_by,
        action="export.request",
        at=now,
        detail={"fmt": fmt, "reason": reason},
    )
    return req


def _audit(
    session: Session,
    req: ExportRequest,
    *,
    actor: str,
    action: str,
    at: datetime,
    detail: dict[str, Any],
    to: str | None = None,
) -> None:
    """One audit entry about an export request; its id leads the detail."""
    audit.record(
        session,
        team_id=req.team_id,
        actor=actor,
        action=action,
        subject=f"export {req.id} ({req.fmt})" + (f" to {to}" if to else ""),
        at=at,
        vendor_id=req.vendor_id,
        detail={"export_id": req.id, **detail},
    )


def _request_key(request_key: str) -> str:
    """The key a request's export is claimed under (fits `processed_events.event_id`)."""
    return "export:" + hashlib.sha256(request_key.encode()).hexdigest()[:40]


def start_export(
    session: Session,
    *,
    runtime: Runtime,
    vendor: Vendor,
    requested_by: str,
    fmt: str,
    reason: str,
    now: datetime,
    request_key: str | None = None,
) -> ExportOutcome:
    """Make the export request; a small one is uploaded right after the commit, a large one
    by the sweep. `request_key` (a slash command's or a click's `trigger_id`) makes the same
    request, delivered twice, one export."""
    if request_key and not claim_event(
        session, team_id=vendor.team_id, event_id=_request_key(request_key), at=now
    ):
        return ExportOutcome(request=None, vendor=vendor)
    req = create_export(
        session, vendor=vendor, requested_by=requested_by, fmt=fmt, reason=reason, now=now
    )
    inline = record_size(session, vendor.id) <= INLINE_LIMIT
    if inline:
        after_commit(session, partial(upload_export, runtime, req.id, now=now))
    return ExportOutcome(request=req, vendor=vendor, inline=inline)


def request_export(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    channel_id: str,
    fmt: str,
    now: datetime,
    request_key: str | None = None,
) -> ExportOutcome:
    """`/outsource export [md|csv]` in a vendor channel (internal side only). An archived
    vendor's record stays reachable, as `vendor remove` promises."""
    vendor = require_vendor_record(session, team_id=actor.team_id, channel_id=channel_id)
    return _export_by(session, runtime, vendor, actor, fmt, "command", now, request_key)


def _export_by(
    session: Session,
    runtime: Runtime,
    vendor: Vendor,
    actor: Actor,
    fmt: str,
    reason: str,
    now: datetime,
    request_key: str | None,
) -> ExportOutcome:
    """An export asked for by a person: the internal side only."""
    require_side(runtime, vendor, actor, INTERNAL, "export the written record")
    return start_export(
        session,
        runtime=runtime,
        vendor=vendor,
        requested_by=actor.user_id,
        fmt=fmt,
        reason=reason,
        now=now,
        request_key=request_key,
    )


def request_export_for_vendor(
    session: Session,
    *,
    runtime: Runtime,
    actor: Actor,
    vendor_id: int,
    fmt: str,
    now: datetime,
    request_key: str | None = None,
) -> ExportOutcome:
    """The **Export record** button on the App Home. A click has no reply of its own: a long
    record that the sweep will upload is announced in the requester's DM."""
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or vendor.team_id != actor.team_id or vendor.archived_at is not None:
        raise NotFound("That vendor is no longer active.")
    outcome = _export_by(session, runtime, vendor, actor, fmt, "home", now, request_key)
    if outcome.request is not None and not outcome.inline:
        _notice(session, outcome.request, "preparing", now=now)
    return outcome


def _notice(session: Session, req: ExportRequest, what: str, *, now: datetime) -> None:
    """A DM to the requester about this export (once per export and kind of notice), rendered
    when delivered (`bot.posts.overview`): dropped if the file got there first."""
    outbox.reply(
        session,
        team_id=req.team_id,
        channel_id=req.requested_by,
        key=f"export:{req.id}:{what}",
        now=now,
        kind="export_notice",
        render={"kind": "overview.export_notice", "export": req.id, "what": what},
        vendor_id=req.vendor_id,
    )


# --------------------------------------------------------------------------- after the commit
#
# The upload never runs inside a transaction: a claim (one short unit), the file built from a
# read-only unit, the upload with no transaction open, then a unit that records the outcome.
# The claim is a compare-and-set on the request's state, so the request's own after-commit
# upload and a sweep that finds the same request due upload it once. A retry first looks in
# the DM for the file an earlier attempt may have delivered although its answer was lost
# (the file's message names `export #<id>`), so a 5xx after Slack kept the file, or a crash
# between the upload and its record, never leaves two copies.


def _backoff(attempts: int) -> timedelta:
    return FIRST_RETRY * (2 ** max(0, attempts - 1))


def _error_of(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    return type(exc).__name__


@dataclass(frozen=True)
class _Claim:
    export_id: int
    team_id: str
    requested_by: str
    attempts: int


@dataclass(frozen=True)
class _Built:
    path: Path
    filename: str
    title: str
    comment: str
    items: int


def upload_export(runtime: Runtime, export_id: int, *, now: datetime | None = None) -> bool:
    """Upload one export to its requester's DM. Run after a commit (never with a transaction
    open). True when the file is in Slack."""
    now = now or runtime.clock.now()
    claim = run_unit(runtime, partial(_claim_upload, export_id=export_id, now=now))
    if claim is None:
        return False  # not due, or another process has it
    client = runtime.client(claim.team_id)
    if claim.attempts > 1 and client is not None:
        landed = _find_landed(client, claim)
        if landed is not None:
            run_unit(runtime, partial(_record_sent, export_id=export_id, file=landed, now=now))
            return True
    with tempfile.TemporaryDirectory(prefix="outsource-export-") as tmp:
        try:
            built = run_unit(
                runtime,
                partial(
                    _build_file, runtime=runtime, export_id=export_id, folder=Path(tmp), now=now
                ),
            )
        except OSError as exc:  # no room for the file: like a failed upload, retried later
            built, error = None, _error_of(exc)
        else:
            error = "vendor gone"
        if built is not None:
            try:
                file: dict[str, Any] | None = _upload(client, claim, built)
            except (SlackApiError, SlackClientError, URLError, OSError, LookupError) as exc:
                error = _error_of(exc)
                # Slack may have kept the file and failed only to say so (a 5xx, a timeout,
                # or slack_sdk's retry of those, which then finds the upload completed).
                file = _find_landed(client, claim) if client is not None else None
            if file is not None:
                run_unit(
                    runtime,
                    partial(
                        _record_sent,
                        export_id=export_id,
                        file={**file, "name": built.filename},
                        now=now,
                        items=built.items,
                    ),
                )
                return True
    run_unit(runtime, partial(_record_failure, export_id=export_id, error=error, now=now))
    return False


def _claim_upload(session: Session, *, export_id: int, now: datetime) -> _Claim | None:
    claimed = session.execute(
        update(ExportRequest)
        .where(
            ExportRequest.id == export_id,
            ExportRequest.state == PENDING,
            ExportRequest.next_attempt_at <= now,
        )
        .values(state=UPLOADING, attempts=ExportRequest.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    req = session.get(ExportRequest, export_id)
    assert req is not None
    return _Claim(export_id, req.team_id, req.requested_by, req.attempts)


def _build_file(
    session: Session, *, runtime: Runtime, export_id: int, folder: Path, now: datetime
) -> _Built | None:
    """The file, written from one read transaction (run again, from the start, when Slack
    reads of people's names were noted)."""
    req = session.get(ExportRequest, export_id)
    vendor = session.get(Vendor, req.vendor_id) if req is not None else None
    if req is None or vendor is None:
        return None
    names = Names(
        runtime,
        vendor.team_id,
        {c.user_id: f"{c.display_name} ({c.user_id})" for c in vendor.contacts if c.display_name},
    )
    filename = filename_for(vendor, req.fmt, now)
    path = folder / filename
    items = write_export(
        session,
        vendor=vendor,
        fmt=req.fmt,
        path=path,
        now=now,
        requested_by=req.requested_by,
        names=names,
    )
    kind = "Markdown" if req.fmt == "md" else "CSV"
    what = "Final written record" if req.reason == "offboarding" else "Written record"
    comment = (
        f"{what} of *{slack_text.mrkdwn(vendor.name)}* ({kind}, {items} items), exported "
        f"{format_local(now, vendor_zone(vendor))} · export #{req.id}"
    )
    return _Built(path, filename, f"{vendor.name} — written record", comment, items)


def _dm(client: WebClient, user_id: str) -> str:
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def _upload(client: WebClient | None, claim: _Claim, built: _Built) -> dict[str, Any]:
    if client is None:
        raise LookupError("no installation for this workspace")
    resp = client.files_upload_v2(
        file=str(built.path),
        filename=built.filename,
        title=built.title,
        channel=_dm(client, claim.requested_by),
        initial_comment=built.comment,
    )
    file: dict[str, Any] = dict(resp.get("file") or {})
    return file


def _find_landed(client: WebClient, claim: _Claim) -> dict[str, Any] | None:
    """The file an earlier attempt delivered, if its message is in the requester's DM."""
    marker = re.compile(rf"\bexport #{claim.export_id}\b")
    try:
        history = client.conversations_history(channel=_dm(client, claim.requested_by), limit=200)
    except (SlackApiError, SlackClientError, URLError, OSError) as exc:
        # Unverifiable: uploading again risks a second copy, never a lost record.
        log.warning(
            "export %s: could not read the DM to check an earlier upload: %s",
            claim.export_id,
            _error_of(exc),
        )
        return None
    for message in history.get("messages") or []:
        files = message.get("files") or []
        if files and marker.search(str(message.get("text") or "")):
            return dict(files[0])
    return None


def _record_sent(
    session: Session,
    *,
    export_id: int,
    file: dict[str, Any],
    now: datetime,
    items: int | None = None,
) -> None:
    req = session.get(ExportRequest, export_id)
    if req is None or req.state == SENT:
        return
    req.state = SENT
    req.sent_at = now
    req.next_attempt_at = None
    req.filename = str(file.get("name") or "")[:200] or None
    req.file_id = str(file.get("id") or "")[:32] or None
    req.last_error = None
    _audit(
        session,
        req,
        actor=BOT_ACTOR,
        action="export.sent",
        at=now,
        to=req.requested_by,
        detail={"file_id": req.file_id, "items": items, "attempt": req.attempts},
    )


def _record_failure(session: Session, *, export_id: int, error: str, now: datetime) -> None:
    """The attempt failed: retried with backoff (the requester told once), or given up after
    `MAX_ATTEMPTS` (told again)."""
    req = session.get(ExportRequest, export_id)
    if req is None or req.state != UPLOADING:
        return
    log.warning("export %s upload failed (attempt %s): %s", req.id, req.attempts, error)
    req.last_error = error[:500]
    gave_up = req.attempts >= MAX_ATTEMPTS or error == "vendor gone"
    if gave_up:
        req.state = FAILED
        req.next_attempt_at = None
    else:
        req.state = PENDING
        req.next_attempt_at = now + _backoff(req.attempts)
    _audit(
        session,
        req,
        actor=BOT_ACTOR,
        action="export.failed" if gave_up else "export.retry",
        at=now,
        detail={"attempt": req.attempts, "error": error[:200]},
    )
    # One "it will come" DM per export (the key has no attempt number), one "gave up" DM.
    _notice(session, req, "gave-up" if gave_up else "upload-failed", now=now)


def export_step(session: Session, ctx: SweepContext) -> int:
    """Sweep step: exports that are due (large ones, retries) are uploaded after this step's
    commit; an upload whose process died (its claim outlived `LEASE`) is due again. Returns
    how many uploads were started."""
    now = ctx.now
    stale = session.scalars(
        select(ExportRequest.id)
        .where(ExportRequest.state == UPLOADING, ExportRequest.next_attempt_at <= now)
        .limit(BATCH_PER_SWEEP)
    ).all()
    if stale:
        log.warning("exports %s: their upload never finished; trying again", list(stale))
        session.execute(
            update(ExportRequest)
            .where(
                ExportRequest.id.in_(stale),
                ExportRequest.state == UPLOADING,
                ExportRequest.next_attempt_at <= now,
            )
            .values(state=PENDING, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    due = session.scalars(
        select(ExportRequest.id)
        .where(ExportRequest.state == PENDING, ExportRequest.next_attempt_at <= now)
        .order_by(ExportRequest.next_attempt_at, ExportRequest.id)
        .limit(BATCH_PER_SWEEP)
    ).all()
    for export_id in due:
        after_commit(session, partial(upload_export, ctx.runtime, export_id, now=now))
    return len(due)
