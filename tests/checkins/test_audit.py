"""Every state change of this capability leaves exactly one audit row, with actor and time."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry
from tests.harness import OWNER, Harness


def _audit(h: Harness) -> list[tuple[str, str]]:
    with h.session() as s:
        return [(a.actor, a.action) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_each_setting_change_is_one_audit_row(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    steps = [
        ("checkin every mon,thu 10:00", "checkin.cadence_set"),
        ("sla 6", "vendor.sla_set"),
        ("quiet 19:00-08:00", "vendor.quiet_set"),
        ("quiet off", "vendor.quiet_off"),
        ("pause 2d", "vendor.pause"),
        ("resume", "vendor.resume"),
        ("checkin off", "checkin.cadence_off"),
        ("checkin now", "checkin.now"),
    ]
    for command, action in steps:
        before = len(_audit(h))
        h.command(command)
        assert _audit(h)[before:] == [(OWNER, action)], command
    # Asking for what is already so changes nothing and records nothing.
    before = len(_audit(h))
    for command in ("sla 6", "quiet off", "resume", "checkin off"):
        assert "nothing changed" in h.reply_text(h.command(command))
    assert len(_audit(h)) == before
