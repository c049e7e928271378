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

Delivery. Every export is an `ExportRequest` row. A small one is uploaded at once, in the
request; a large one (over `INLINE_LIMIT` records, so the slash command is still answered
within Slack's 3 seconds) is left to the sweep, which runs every 30 s. If the upload fails, the
requester gets a clear DM through the outbox (once per export) and the sweep retries with
backoff (1, 2, 4 … minutes) up to `MAX_ATTEMPTS`, then says it gave up. The outbox only posts
chat messages, so the file itself is retried from the stored row, never re-requested by anyone.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.error import URLError
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import audit, outbox
from bot.actors import Actor
from bot.errors import NotFound
from bot.runtime import Runtime
from bot.services.export_record import Record, write_csv, write_markdown
from bot.services.vendors import require_side, require_vendor
from bot.timeparse import format_local
from storage.models import INTERNAL, AuditEntry, ChangeRequest, CheckIn, Deadline, Recap, Vendor
from storage.models.records import ExportRequest

if TYPE_CHECKING:
    from bot.sweep import SweepContext

log = logging.getLogger(__name__)

FORMATS = ("md", "csv")
INLINE_LIMIT = 2000
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
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
            out, record, tz=_vendor_tz(vendor), names=names, now=now, requested_by=requested_by
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
    """`/outsource export [md|csv]` in a vendor channel (internal side only)."""
    vendor = require_vendor(session, team_id=actor.team_id, channel_id=channel_id)
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
