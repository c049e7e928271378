"""`/outsource export [md|csv]`: the written record as a file in the requester's DM."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from datetime import timedelta
from typing import Any

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
    # The answer never waits on Slack: the upload runs after the commit, so the reply can only
    # promise the file; the failure is told in the DM, at once, through the outbox.
    body = h.command("export md").json()
    assert "in your DM" in body["text"] and "retry" in body["text"]
    assert uploads(h) == []
    notices = [p for p in h.dms(OWNER) if "couldn't upload" in p["text"]]
    assert len(notices) == 1 and "internal_error" in notices[0]["text"]

    h.sweep(h.clock.now() + timedelta(seconds=10))  # too early to retry
    assert uploads(h) == []
    assert len([p for p in h.dms(OWNER) if "couldn't upload" in p["text"]]) == 1

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


def test_the_same_export_request_delivered_twice_uploads_once(any_harness: Harness) -> None:
    """A slash command that reaches the app twice (the same trigger_id) is one export."""
    h = any_harness
    h.make_vendor("Acme Dev")
    first = h.command("export md", trigger_id="1111.2222.abcdef").json()
    again = h.command("export md", trigger_id="1111.2222.abcdef").json()
    assert "in your DM" in first["text"]
    assert "already on its way" in again["text"]
    h.sweep(h.clock.now() + timedelta(minutes=5))
    assert len(uploads(h)) == 1
    with h.session() as s:
        assert s.scalar(select(func.count(ExportRequest.id))) == 1
    # A new request (a new trigger_id) is a new export.
    h.command("export md")
    assert len(uploads(h)) == 2


def test_an_upload_slack_kept_but_failed_to_confirm_is_not_sent_again(
    any_harness: Harness,
) -> None:
    """Slack stored the file and answered 500: the DM is read before anything is retried."""
    h = any_harness
    h.make_vendor("Acme Dev")
    dm = h.fake.workspace.dm_channel_id(OWNER)

    def files_in_dm() -> list[dict]:
        return [m for m in h.fake.messages(dm) if m.get("files")]

    h.fake.accept_then_fail("files.completeUploadExternal", status=500)
    h.command("export md")
    assert len(files_in_dm()) == 1
    with h.session() as s:
        [req] = s.scalars(select(ExportRequest)).all()
        assert req.state == "sent" and req.file_id == files_in_dm()[0]["files"][0]["id"]
    assert not [p for p in h.dms(OWNER) if "couldn't upload" in p["text"]]

    # The same, but the DM cannot be read at once either: the retry reads it first.
    h.fake.accept_then_fail("files.completeUploadExternal", status=500)
    h.fake.fail_next("conversations.history", status=200, error="internal_error")
    h.command("export csv")
    assert len(files_in_dm()) == 2
    with h.session() as s:
        req = s.scalars(select(ExportRequest).order_by(ExportRequest.id.desc())).first()
        assert req is not None and req.state == "pending"
    h.sweep(h.clock.now() + timedelta(minutes=2))
    h.sweep(h.clock.now() + timedelta(hours=2))
    assert len(files_in_dm()) == 2
    with h.session() as s:
        assert [r.state for r in s.scalars(select(ExportRequest))] == ["sent", "sent"]


def test_an_upload_whose_process_died_is_taken_up_by_the_sweep(any_harness: Harness) -> None:
    """Claimed ("uploading") by a process that died before it uploaded: once the claim is
    older than the lease, the sweep uploads it — once, however often it runs."""
    h = any_harness
    vid = h.make_vendor("Acme Dev")
    now = h.clock.now()
    with h.session() as s:
        s.add(
            ExportRequest(
                team_id="T_INTERNAL",
                vendor_id=vid,
                requested_by=OWNER,
                fmt="csv",
                reason="command",
                state="uploading",
                attempts=1,
                next_attempt_at=now + export_service.LEASE,
                created_at=now,
            )
        )
    h.sweep(now + timedelta(minutes=5))  # still within its lease: left alone
    assert uploads(h) == []
    h.sweep(now + export_service.LEASE + timedelta(seconds=1))
    h.sweep(now + export_service.LEASE + timedelta(seconds=40))
    [(params, content)] = uploads(h)
    assert params["channel_id"] == h.fake.workspace.dm_channel_id(OWNER)
    assert content.startswith(b"\xef\xbb\xbf")
    with h.session() as s:
        [req] = s.scalars(select(ExportRequest)).all()
        assert (req.state, req.attempts) == ("sent", 2)


def test_the_file_holds_what_people_typed_and_its_message_escapes_it_once(
    any_harness: Harness,
) -> None:
    h = any_harness
    vid = h.make_vendor("R&D <Labs>")
    add_deadline(h, vid, 1, "Q&A sign-off <v2> <!channel>", h.clock.now() + timedelta(days=2))
    # What Slack sends when someone types: access add AT&T <portal>
    h.command("access add AT&amp;T &lt;portal&gt;")
    h.command("export md")
    h.command("export csv")
    [(md_params, md), (_, csv_bytes)] = uploads(h)
    for content in (md.decode("utf-8"), csv_bytes.decode("utf-8-sig")):
        assert "Q&A sign-off <v2> <!channel>" in content
        assert "AT&T <portal>" in content
        assert "R&D <Labs>" in content
        assert "&amp;" not in content and "&lt;" not in content
    comment = md_params["initial_comment"]
    assert "R&amp;D &lt;Labs&gt;" in comment and "<Labs>" not in comment
    assert "&amp;amp;" not in comment


def test_the_home_export_of_a_long_record_is_announced_in_the_dm(harness: Harness) -> None:
    h = harness
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
                for n in range(1, export_service.INLINE_LIMIT + 2)
            ],
        )
    from bot.blocks import kit

    h.click("home_export_internal", kit.encode({"v": vid}), user=OWNER, view={"id": "V1"})
    assert uploads(h) == []
    [notice] = [p for p in h.dms(OWNER) if "being prepared" in p["text"]]
    assert "*Big Co* has a long record" in notice["text"]
    h.sweep(h.clock.now() + timedelta(seconds=5))
    assert len(uploads(h)) == 1


def test_a_slow_upload_never_delays_the_answer(slack: Any, sqlite_url: str) -> None:
    """With the real courier: the file is built and uploaded after the commit, off the
    request's thread, so the slash command is answered at once."""
    h = Harness(slack, sqlite_url, inline_delivery=False)
    try:
        h.make_vendor("Acme Dev")
        h.fake.delay("files.getUploadURLExternal", 3.0)
        started = time.monotonic()
        body = h.command("export md").json()
        took = time.monotonic() - started
        assert "in your DM" in body["text"]
        assert took < 1.5, f"the export was answered after {took:.1f} s"
        h.settle(15)
        assert len(uploads(h)) == 1
        with h.session() as s:
            assert s.scalars(select(ExportRequest.state)).one() == "sent"
    finally:
        h.fake.delay("files.getUploadURLExternal", 0)
        h.close()
