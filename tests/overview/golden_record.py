"""Vendor records for the export's golden files, and the script that (re)writes those files.

`seed_rich` writes one vendor with every kind of row the export reads, chosen so that every
branch of the Markdown and CSV writers runs at least once (archived vendor, ended contacts,
deadlines done with and without a `done_by`, milestones, change requests of every state,
recaps with and without revisions, check-ins with answers, revoked and active access, a
finished and an open offboarding checklist, audit rows with and without detail). The text is
hostile on purpose: pipes, newlines, tabs, backtick runs, Markdown and CSV special
characters, spreadsheet formula starts, `<!channel>`, accents, CJK and emoji. `seed_empty` is
a vendor with nothing but itself (every "_None._").

The golden files hold what the export wrote for these records; the export must keep writing
exactly those bytes. Regenerate them only when a change of output is intended:

    PYTHONPATH=. python -m tests.overview.golden_record
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bot.services.export import Names, write_export
from storage.db import Database
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

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday; US clocks change on 14 March
TEAM = "T_GOLD"
OWNER = "U_OWNER"
PRIYA = "U_PRIYA"
RAVI = "W_RAVI"
GHOST = "U_GHOST"  # nobody knows this one: shown as the bare id

# What users.info would have said, as the export labels them (`Real Name (U123)`).
NAMES = {
    OWNER: "Ana | Ops *lead* (U_OWNER)",
    PRIYA: "Priya Ñúñez 🚀 (U_PRIYA)",
    RAVI: '=Ravi, "the" <!channel> 山田 (W_RAVI)',
}

SCENARIOS = ("rich", "empty", "leaving")


def names() -> Names:
    return Names(None, TEAM, dict(NAMES))


def at(days: float = 0, hours: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours)


def seed_empty(s: Session) -> int:
    v = Vendor(
        team_id=TEAM,
        channel_id="C_EMPTY",
        name="  Quiet\tLtd  ",
        tz="Not/AZone",  # an unknown zone: times fall back to UTC
        country=None,
        is_ext_shared=False,
        sla_hours=12.5,
        created_by=GHOST,
        created_at=at(-30),
    )
    s.add(v)
    s.flush()
    return v.id


def seed_rich(s: Session) -> int:
    v = Vendor(
        team_id=TEAM,
        channel_id="C_SHARED",
        name="Acme | Dev *GmbH*\n<!channel> & Söhne",
        tz="America/New_York",
        country="US",
        is_ext_shared=True,
        external_team_ids=["T_VENDOR"],
        sla_hours=8.0,
        created_by=OWNER,
        created_at=at(-40),
        archived_at=at(20),
    )
    s.add(v)
    s.flush()
    vid = v.id

    # -- contacts: two current, two ended (one for a reason with a pipe and a newline)
    for side, role, user, started, ended, reason, display in (
        ("internal", "primary", OWNER, at(-40), None, None, None),
        ("vendor", "primary", PRIYA, at(-40), None, None, None),
        ("vendor", "backup", RAVI, at(-39), at(-10), "left | moved\nteam", None),
        ("internal", "backup", GHOST, at(-38), at(-5), None, "Ghost"),
    ):
        s.add(
            Contact(
                vendor_id=vid,
                side=side,
                role=role,
                user_id=user,
                user_team_id=TEAM,
                display_name=display,
                started_at=started,
                ended_at=ended,
                ended_reason=reason,
            )
        )
    s.flush()

    # -- deadlines
    def deadline(number: int, title: str, due: datetime, **kw: object) -> Deadline:
        d = Deadline(
            vendor_id=vid,
            number=number,
            title=title,
            due_at=due,
            created_by=kw.pop("created_by", OWNER),
            created_at=kw.pop("created_at", at(-20)),
            **kw,
        )
        s.add(d)
        s.flush()
        return d

    d1 = deadline(
        1,
        "Ship v2 | *bold* _it_ `code`\nsecond line",
        at(10),
        owner_user_id=PRIYA,
        acknowledged_at=at(-19),
        acknowledged_by=PRIYA,
    )
    d2 = deadline(
        2,
        '=HYPERLINK("http://evil")',
        at(14, 7),  # after the US DST change: EDT
        owner_user_id=RAVI,
        milestone=True,
        state="done",
        done_at=at(12),
        done_by=PRIYA,
    )
    deadline(3, "-2 days +cc @here", at(3), state="done", done_at=at(2))  # done, nobody named
    deadline(
        4,
        "Sub-task 東京 ✓\ttabbed",
        at(5),
        parent_id=d1.id,
        owner_user_id=GHOST,
        created_by=GHOST,
    )
    d5 = deadline(5, "<!here> launch <https://x.test|click>", at(30), created_at=at(-1))

    # -- change requests: moved & approved by both, scope without dates, declined, pending
    def change(deadline_id: int | None, **kw: object) -> ChangeRequest:
        c = ChangeRequest(vendor_id=vid, deadline_id=deadline_id, **kw)
        s.add(c)
        s.flush()
        return c

    change(
        d1.id,
        kind="move",
        description="Move to 2027-03-11\nbecause QA",
        reason='QA blocker | "flaky" tests',
        old_due_at=at(8),
        new_due_at=at(10),
        state="approved",
        requested_by=PRIYA,
        requested_at=at(-15),
        internal_approved_by=OWNER,
        internal_approved_at=at(-14),
        vendor_approved_by=PRIYA,
        vendor_approved_at=at(-15),
        resolved_at=at(-14),
    )
    change(
        d1.id,
        kind="scope",
        description="Drop the export to PDF",
        reason=None,
        state="pending",
        requested_by=OWNER,
        requested_at=at(-13),
        vendor_approved_by=RAVI,
        vendor_approved_at=at(-12),
    )
    change(
        d2.id,
        kind="move",
        description="+1 week",
        reason="@channel holidays",
        old_due_at=None,
        new_due_at=at(21),
        state="declined",
        requested_by=RAVI,
        requested_at=at(-11),
        declined_by=OWNER,
        declined_at=at(-10),
        resolved_at=at(-10),
    )
    change(
        None,
        kind="scope",
        description="Add a dark mode — no deadline",
        reason="Users asked\n(twice)",
        state="approved",
        requested_by=GHOST,
        requested_at=at(-9),
        internal_approved_by=OWNER,
        internal_approved_at=at(-8),
        resolved_at=at(-8),
    )
    change(
        d5.id,
        kind="move",
        description="Earlier",
        old_due_at=at(31),
        new_due_at=None,
        state="pending",
        requested_by=OWNER,
        requested_at=at(-1),
    )

    # -- recaps: one rich with two revisions, one bare with no revision
    r1 = Recap(
        vendor_id=vid,
        channel_id="C_SHARED",
        source="file",
        source_ref="notes | v2.vtt\n(uploaded)",
        text=(
            "Decisions:\n- ship ```v2``` Friday | maybe\n\n"
            "Action items:\n- Priya to fix <!channel> pings by Mar 5\n"
            "    indented `code` line\n\n\n"
        ),
        call_at=at(-2, 6),
        participants=[OWNER, PRIYA, GHOST],
        extracted={
            "decisions": [{"text": "Ship v2 | Friday"}, "Keep the\nold API"],
            "action_items": [
                {"what": "Fix pings", "owner_user_id": PRIYA, "due_at": "2027-03-05"},
                {"text": "Write docs", "owner_name": "Ravi (contractor)"},
                {"text": "", "due_at": "2027-03-09T17:00:00Z"},
            ],
            "open_questions": [],
        },
        revision=3,
        created_by=OWNER,
        created_at=at(-2, 7),
        internal_confirmed_by=OWNER,
        internal_confirmed_at=at(-1),
        vendor_confirmed_by=PRIYA,
        vendor_confirmed_at=at(-1, 2),
    )
    r2 = Recap(
        vendor_id=vid,
        channel_id="C_SHARED",
        source="modal",
        source_ref=None,
        text="````\nfour backticks\n````\n=SUM(A1:A9)",
        call_at=at(1),
        participants=[],
        extracted={},
        revision=1,
        created_by=PRIYA,
        created_at=at(1, 1),
        vendor_confirmed_by=PRIYA,
        vendor_confirmed_at=at(1, 2),
    )
    r3 = Recap(
        vendor_id=vid,
        channel_id="C_SHARED",
        source="huddle",
        text="-",
        call_at=at(2),
        participants=[RAVI],
        extracted={"decisions": [], "open_questions": ["Who pays | for hosting?"]},
        revision=1,
        created_by=GHOST,
        created_at=at(2, 1),
    )
    s.add_all([r1, r2, r3])
    s.flush()
    for i, text in enumerate(["first draft ``` with a fence", "second draft\n\n"], start=1):
        s.add(
            RecapRevision(
                recap_id=r1.id,
                revision=i,
                text=text,
                extracted={},
                edited_by=OWNER if i == 1 else PRIYA,
                edited_at=at(-2, 8 + i),
            )
        )

    # -- check-ins: answered (two answers), open, answered by thread with no texts
    c1 = CheckIn(
        vendor_id=vid,
        scheduled_for=at(-7),
        channel_id="C_SHARED",
        state="answered",
        answered_by=PRIYA,
        answered_at=at(-7, 2),
        via="form",
        done_text="Login page | signup\nmostly",
        next_text="+ tests",
        blockers_text="No VPN <!channel>",
        on_track="blocked",
    )
    c2 = CheckIn(vendor_id=vid, scheduled_for=at(0), channel_id="C_SHARED", state="open")
    c3 = CheckIn(
        vendor_id=vid,
        scheduled_for=at(7),
        channel_id="C_SHARED",
        state="answered",
        answered_by=RAVI,
        answered_at=at(7, 1),
        via=None,
        on_track=None,
    )
    s.add_all([c1, c2, c3])
    s.flush()
    s.add_all(
        [
            CheckInAnswer(
                checkin_id=c1.id,
                vendor_id=vid,
                user_id=PRIYA,
                via="form",
                done_text="Login page | signup\nmostly",
                blockers_text="No VPN <!channel>",
                on_track="blocked",
                answered_at=at(-7, 2),
            ),
            CheckInAnswer(
                checkin_id=c1.id,
                vendor_id=vid,
                user_id=RAVI,
                via="thread",
                next_text="@Priya — ünïcode",
                blockers_text="\rcarriage\r\nreturns\r\n",
                answered_at=at(-7, 3),
            ),
            CheckInAnswer(
                checkin_id=c3.id,
                vendor_id=vid,
                user_id=GHOST,
                via="thread",
                answered_at=at(7, 1),
            ),
        ]
    )

    # -- access: active, revoked by someone, revoked by nobody named, nobody's
    for system, user, added_by, revoked_at, revoked_by in (
        ("AWS | console", PRIYA, OWNER, None, None),
        ("GitHub *org*\nadmin", RAVI, OWNER, at(-10), OWNER),
        ("=cmd|' /C calc'!A0", GHOST, PRIYA, at(-3), None),
        ("Shared 1Password vault 🔐", None, OWNER, None, None),
        ("\tVPN (tab first)\r\n", PRIYA, OWNER, None, None),
    ):
        s.add(
            AccessItem(
                vendor_id=vid,
                system=system,
                user_id=user,
                added_by=added_by,
                added_at=at(-30),
                revoked_at=revoked_at,
                revoked_by=revoked_by,
            )
        )

    # -- offboarding: a finished checklist (one checklist a vendor; `seed_leaving` has an open one)
    done = OffboardingChecklist(
        vendor_id=vid, requested_by=OWNER, started_at=at(-6), completed_at=at(-4)
    )
    s.add(done)
    s.flush()
    for kind, ref, label, done_at, done_by in (
        ("access", "access:2", "GitHub *org*\nadmin", at(-5), OWNER),
        ("member", RAVI, "Remove =Ravi | from #shared", at(-4), None),
    ):
        s.add(
            OffboardingItem(
                checklist_id=done.id,
                kind=kind,
                ref=ref,
                label=label,
                done_at=done_at,
                done_by=done_by,
            )
        )

    # -- audit: details with unicode, pipes and newlines; one empty; two at the same instant
    for actor, action, subject, detail, when in (
        (OWNER, "vendor.register", "vendor Acme | Dev", {"channel": "C_SHARED"}, at(-40)),
        (PRIYA, "deadline.add", "deadline #1 Ship v2\n| *bold*", {"deadline_id": d1.id}, at(-20)),
        (RAVI, "change.request", "change 3", {"reason": "ünï | côdé\nline", "n": 3}, at(-11)),
        ("outsource-bot", "checkin.post", "check-in <!channel>", {}, at(-7)),
        (GHOST, "access.revoke", "=SUM(1)", {"nested": {"b": [1, 2], "a": None}}, at(-3)),
        (OWNER, "export.request", "export 1 (md)", {"fmt": "md"}, at(-3)),
    ):
        s.add(
            AuditEntry(
                team_id=TEAM,
                vendor_id=vid,
                actor=actor,
                action=action,
                subject=subject,
                detail=detail,
                at=when,
            )
        )
    # Another vendor's row: never in this vendor's export.
    s.add(
        AuditEntry(
            team_id=TEAM,
            vendor_id=None,
            actor=OWNER,
            action="team.settings",
            subject="not a vendor's",
            detail={},
            at=at(-2),
        )
    )
    s.flush()
    return vid


def seed_leaving(s: Session) -> int:
    """A vendor being offboarded: the checklist is in progress, one item done."""
    v = Vendor(
        team_id=TEAM,
        channel_id="C_LEAVING",
        name="Leaving Co",
        tz="Asia/Kolkata",
        created_by=OWNER,
        created_at=at(-10),
    )
    s.add(v)
    s.flush()
    checklist = OffboardingChecklist(vendor_id=v.id, requested_by=GHOST, started_at=at(19))
    s.add(checklist)
    s.flush()
    for kind, ref, label, done_at, done_by in (
        ("deadline", "#5", "Close #5 <!here> launch", None, None),
        ("recap", "recap:3", "-Confirm recap 3", at(19, 2), PRIYA),
        ("access", "access:9", "VPN | prod\n(all)", None, None),
    ):
        s.add(
            OffboardingItem(
                checklist_id=checklist.id,
                kind=kind,
                ref=ref,
                label=label,
                done_at=done_at,
                done_by=done_by,
            )
        )
    s.flush()
    return v.id


SEEDERS = {"rich": seed_rich, "empty": seed_empty, "leaving": seed_leaving}


def seed(db: Database) -> dict[str, int]:
    """Every scenario's vendor, in one database; returns their ids by scenario."""
    ids: dict[str, int] = {}
    with db.transaction() as s:
        for scenario in SCENARIOS:
            ids[scenario] = SEEDERS[scenario](s)
    return ids


def export_file(db: Database, vendor_id: int, fmt: str, tmp: Path) -> tuple[bytes, int]:
    """The bytes of the export file, written the way the bot writes it, and its item count."""
    path = tmp / f"export-{vendor_id}.{fmt}"
    with db.transaction() as s:
        vendor = s.get(Vendor, vendor_id)
        assert vendor is not None
        items = write_export(
            s,
            vendor=vendor,
            fmt=fmt,
            path=path,
            now=NOW,
            requested_by=OWNER,
            names=names(),
        )
    return path.read_bytes(), items


def golden_path(scenario: str, fmt: str) -> Path:
    return GOLDEN / f"record-{scenario}.{fmt}"


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/golden.db")
        db.upgrade()
        ids = seed(db)
        for scenario, vid in ids.items():
            for fmt in ("md", "csv"):
                path = golden_path(scenario, fmt)
                path.write_bytes(export_file(db, vid, fmt, Path(tmp))[0])
                print(f"wrote {path}", file=sys.stderr)
        db.dispose()


if __name__ == "__main__":
    main()
