"""`/outsource export [md|csv]`: the written record as a file in the requester's DM."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from bot.services import export as export_service
from storage.models import AuditEntry, Deadline
from storage.models.records import ExportRequest
from tests.harness import OWNER, PLAIN_CHANNEL, SHARED_CHANNEL, Harness
from tests.overview.data import add_change, add_checkin, add_deadline, add_recap

SECTIONS = [
    "Vendor",
    "Contacts over time",
    "Deadlines",
    "Change requests",
    "Call recaps",
    "Check-ins",
    "Access inventory",
    "Offboarding",
    "Audit log",
]
VERBATIM = "Decisions:\n- ship ```v2``` Friday\n\nAction items:\n- Priya to fix | pipes by Mar 5"


def uploads(h: Harness) -> list[tuple[dict, bytes]]:
    """(completeUploadExternal params, file bytes) of every accepted upload."""
    out = []
    for call in h.fake.calls("files.completeUploadExternal"):
        if not call.ok:
            continue
        for f in call.response["files"]:
            stored = h.fake.workspace.files[f["id"]]
            out.append((call.params, stored.content or b""))
    return out


def _record(h: Harness) -> int:
    vid = h.make_vendor("Acme Dev")
    now = h.clock.now()
    ids = [
        add_deadline(h, vid, n, f"Deliverable number {n}", now + timedelta(days=n))
        for n in range(1, 6)
    ]
    add_deadline(h, vid, 6, '=HYPERLINK("http://evil")', now + timedelta(days=9))
    add_change(
        h, vid, ids[0], old=now, new=now + timedelta(days=8), reason="QA blocker", approved_at=now
    )
    add_recap(
        h,
        vid,
        VERBATIM,
        now - timedelta(days=1),
        internal_confirmed_at=now,
        extracted={
            "decisions": [{"text": "Ship v2 Friday"}],
            "action_items": [{"what": "Fix pipes", "owner_user_id": "U_PRIYA", "due_at": None}],
            "open_questions": [{"text": "Who pays for hosting?"}],
        },
        revisions=["first draft of the notes"],
    )
    add_checkin(h, vid, now, answered_at=now, on_track="blocked", blockers_text="No VPN access")
    h.command("access add AWS console <@U_PRIYA>")
    return vid


def test_markdown_export_has_a_heading_per_section_and_every_item(any_harness: Harness) -> None:
    h = any_harness
    _record(h)
    body = h.command("export md").json()
    assert "in your DM" in body["text"]
    [(params, content)] = uploads(h)
    # To the requester's DM, never the shared channel.
    assert params["channel_id"] == h.fake.workspace.dm_channel_id(OWNER)
    assert SHARED_CHANNEL not in str(params)
    md = content.decode("utf-8")
    headings = re.findall(r"^## (.+)$", md, flags=re.M)
    assert headings == SECTIONS
    deadline_headings = re.findall(r"^### #(\d+) (.+)$", md, flags=re.M)
    assert [int(n) for n, _ in deadline_headings] == [1, 2, 3, 4, 5, 6]
    assert "QA blocker" in md and "approved" in md  # history of #1
    assert "Ship v2 Friday" in md and "Fix pipes" in md and "Who pays for hosting?" in md
    assert VERBATIM in md  # verbatim, and its backticks did not break the fence
    assert "````text\n" + VERBATIM in md
    assert "first draft of the notes" in md
    assert "No VPN access" in md
    assert "AWS console" in md
    with h.session() as s:
        # Every row but "export.sent", which is written once the file is uploaded.
        audit_rows = s.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action != "export.sent")
        )
    audit_section = md.split("## Audit log", 1)[1]
    assert audit_section.count("\n| 20") == audit_rows


def test_csv_export_is_one_table_that_the_csv_module_reads(any_harness: Harness) -> None:
    h = any_harness
    _record(h)
    h.command("export csv")
    [(params, content)] = uploads(h)
    assert params["channel_id"] == h.fake.workspace.dm_channel_id(OWNER)
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    kinds = Counter(r["kind"] for r in rows)
    with h.session() as s:
        audit_rows = s.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action != "export.sent")
        )
    assert kinds["vendor"] == 1
    assert kinds["contact"] == 2
    assert kinds["deadline"] == 6
    assert kinds["change_request"] == 1
    assert kinds["recap"] == 1 and kinds["recap_item"] == 3 and kinds["recap_revision"] == 1
    assert kinds["checkin"] == 1
    assert kinds["access"] == 1
    assert kinds["audit"] == audit_rows
    titles = {r["title"] for r in rows if r["kind"] == "deadline"}
    assert {f"Deliverable number {n}" for n in range(1, 6)} <= titles
    # A cell a spreadsheet would run as a formula is neutralised.
    assert '\'=HYPERLINK("http://evil")' in titles
    recap = next(r for r in rows if r["kind"] == "recap")
    assert recap["text"] == VERBATIM  # multi-line text survives the round trip


def test_export_when_upload_fails_tells_the_user_and_retries(any_harness: Harness) -> None:
    h = any_harness
    _record(h)
    # slack_sdk retries a 500 twice itself; three failures make the attempt fail.
    h.fake.fail_next("files.getUploadURLExternal", status=500, times=3)
    body = h.command("export md").json()
    assert "failed" in body["text"] and "retry" in body["text"]
    assert uploads(h) == []

    h.sweep(h.clock.now() + timedelta(seconds=10))  # delivers the notice; too early to retry
    notices = [p for p in h.dms(OWNER) if "couldn't upload" in p["text"]]
    assert len(notices) == 1 and "internal_error" in notices[0]["text"]
    assert uploads(h) == []

    h.sweep(h.clock.now() + timedelta(minutes=2))
    [(params, content)] = uploads(h)
    assert params["channel_id"] == h.fake.workspace.dm_channel_id(OWNER)
    assert content.startswith(b"# Acme Dev")
    h.sweep(h.clock.now() + timedelta(minutes=30))
    assert len(uploads(h)) == 1
    assert len([p for p in h.dms(OWNER) if "couldn't upload" in p["text"]]) == 1
    with h.session() as s:
        [req] = s.scalars(select(ExportRequest)).all()
        assert (req.state, req.attempts) == ("sent", 2)


def test_export_gives_up_after_repeated_failures_and_says_so(harness: Harness) -> None:
    h = harness
    h.make_vendor("Acme Dev")
    h.fake.fail_next("files.getUploadURLExternal", status=500, times=3 * 10)
    h.command("export csv")
    for _ in range(8):
        h.sweep(h.clock.now() + timedelta(hours=1))
    gave_up = [p for p in h.dms(OWNER) if "gave up" in p["text"]]
    assert len(gave_up) == 1 and "/outsource export" in gave_up[0]["text"]
    with h.session() as s:
        [req] = s.scalars(select(ExportRequest)).all()
        assert (req.state, req.attempts) == ("failed", export_service.MAX_ATTEMPTS)


def test_export_of_thousands_of_items_is_left_to_the_sweep(any_harness: Harness) -> None:
    """Over INLINE_LIMIT records the command answers at once; the sweep uploads the file."""
    h = any_harness
    vid = h.make_vendor("Big Co")
    now = h.clock.now()
    with h.session() as s:
        s.execute(
            insert(Deadline),
            [
                {
                    "vendor_id": vid,
                    "number": n,
                    "title": f"Item {n}",
                    "due_at": now + timedelta(hours=n),
                    "state": "open",
                    "created_by": OWNER,
                    "created_at": now,
                }
                for n in range(1, 3001)
            ],
        )
    body = h.command("export md").json()
    assert "being prepared" in body["text"]
    assert uploads(h) == []
    h.sweep(h.clock.now() + timedelta(seconds=5))
    [(_, content)] = uploads(h)
    md = content.decode()
    assert len(re.findall(r"^### #\d+ Item \d+$", md, flags=re.M)) == 3000
    assert "### #3000 Item 3000" in md


@pytest.mark.parametrize("text", ["export pdf", "export md csv"])
def test_export_bad_format_shows_the_usage(harness: Harness, text: str) -> None:
    harness.make_vendor("Acme Dev")
    body = harness.command(text).json()
    assert "/outsource export [md|csv]" in body["text"]
    assert uploads(harness) == []


def test_export_outside_a_vendor_channel(harness: Harness) -> None:
    body = harness.command("export", channel=PLAIN_CHANNEL).json()
    assert "not a vendor channel" in body["text"]
    with harness.session() as s:
        assert s.scalar(select(func.count(ExportRequest.id))) == 0
