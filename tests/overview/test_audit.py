"""The audit log: printed by `outsource-bot audit`, part of every export, and append-only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.app.cli import main
from storage.models import AuditEntry
from tests.harness import OWNER, Harness
from tests.overview.data import add_deadline, add_recap, home_event

ROOT = Path(__file__).resolve().parents[2]
# Code that would change or remove audit rows, in any of the ways SQLAlchemy or SQL allow.
FORBIDDEN = [
    re.compile(r"\b(update|delete)\(\s*AuditEntry\b"),
    re.compile(r"AuditEntry\b[^\n]*\.(update|delete)\("),
    re.compile(r"(?i)\b(UPDATE\s+audit_log|DELETE\s+FROM\s+audit_log)\b"),
    re.compile(r"\b(update|delete)\(\s*[\w.]*audit_log\b"),
    re.compile(r"session\.delete\(\s*(entry|audit\w*)\b"),
]


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    sources = [
        p
        for folder in ("bot", "handlers", "storage")
        for p in (ROOT / folder).rglob("*.py")
        if "migrations" not in p.parts
    ]
    assert len(sources) > 20
    offenders = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in sources
        for pattern in FORBIDDEN
        for m in pattern.finditer(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_patterns_would_catch_an_update() -> None:
    """The source scan above is not vacuous."""
    samples = [
        "session.execute(update(AuditEntry).values(actor='x'))",
        "session.execute(delete(AuditEntry).where(AuditEntry.id == 1))",
        "session.query(AuditEntry).filter_by(id=1).delete()",
        "conn.execute(text('DELETE FROM audit_log'))",
        "session.delete(entry)",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in FORBIDDEN), sample


def _snapshot(h: Harness) -> dict[int, tuple[Any, ...]]:
    with h.session() as s:
        return {
            e.id: (e.team_id, e.vendor_id, e.actor, e.action, e.subject, e.detail, e.at)
            for e in s.scalars(select(AuditEntry))
        }


def test_audit_rows_are_only_ever_inserted_by_every_flow(any_harness: Harness) -> None:
    h = any_harness
    statements: list[str] = []

    @event.listens_for(h.db.engine, "before_cursor_execute")
    def _watch(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    vid = h.make_vendor("Acme Dev")
    add_deadline(h, vid, 1, "First", h.clock.now())
    add_recap(h, vid, "notes", h.clock.now())
    h.command("access add GitHub")
    before = _snapshot(h)
    h.command("access add Jira <@U_PRIYA>")
    h.command("status")
    h.command("export md")
    h.fake.fail_next("files.getUploadURLExternal", status=500, times=3)
    h.command("export csv")
    h.event(home_event(OWNER))
    h.command("offboard")
    h.command("offboard")
    dm = h.fake.workspace.dm_channel_id(OWNER)
    for _ in range(10):
        found = [m for m in h.fake.messages(dm) if "Offboarding" in (m.get("text") or "")]
        if "offboard_item_done_internal" not in str(found[-1].get("blocks")):
            break
        h.click_button({**found[-1], "channel": dm}, "Done", channel=dm)
    h.sweep("2027-03-08T09:00:00Z")
    h.sweep("2027-03-08T10:00:00Z")
    after = _snapshot(h)

    assert len(after) > len(before) + 8  # the flows did write audit rows
    assert {k: after[k] for k in before} == before  # and changed none of the earlier ones
    touching = [s for s in statements if re.search(r"(?i)\b(update|delete from)\s+audit_log", s)]
    assert touching == []
    assert any(re.search(r"(?i)insert into audit_log", s) for s in statements)


@pytest.fixture
def cli_env(harness: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Harness:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", harness.settings.database_url)
    return harness


def test_cli_prints_the_audit_log(cli_env: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    h = cli_env
    acme = h.make_vendor("Acme Dev")
    other = h.make_vendor("Other Co", channel="C_OTHER", shared=False)
    add_deadline(h, acme, 1, "Acme thing", h.clock.now())
    h.clock.set(h.clock.now().replace(day=5))
    add_deadline(h, other, 1, "Other thing", h.clock.now())
    add_deadline(h, acme, 2, "Later Acme thing", h.clock.now())

    assert main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("2027-03-01T09:00:00Z  Acme Dev  U_DANA  deadline.add")

    assert main(["audit", "--vendor", "acme dev"]) == 0
    out = capsys.readouterr().out
    assert "Acme thing" in out and "Later Acme thing" in out and "Other thing" not in out

    assert main(["audit", "--vendor", "Acme Dev", "--since", "2027-03-02"]) == 0
    since_lines = capsys.readouterr().out.splitlines()
    assert len(since_lines) == 1 and "Later Acme thing" in since_lines[0]


def test_cli_unknown_vendor_and_bad_since(
    cli_env: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_env.make_vendor("Acme Dev")
    assert main(["audit", "--vendor", "Nope"]) == 1
    err = capsys.readouterr().err
    assert "no vendor named 'Nope'" in err and "Acme Dev" in err
    with pytest.raises(SystemExit):
        main(["audit", "--since", "last tuesday"])
    assert "ISO-8601" in capsys.readouterr().err
