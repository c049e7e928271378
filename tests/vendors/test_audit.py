"""Every state change leaves exactly one audit row (actor, action, subject); reads leave none."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from storage.models import AuditEntry, Vendor
from tests.harness import ALEX, OWNER, PLAIN_CHANNEL, PRIYA, RAVI, VENDOR_TEAM, Harness
from tests.vendors.helpers import left, snapshot, user_change


def _rows(h: Harness) -> list[AuditEntry]:
    with h.session() as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        for r in rows:
            s.expunge(r)
        return rows


def test_each_state_change_writes_one_audit_row_and_reads_write_none(harness: Harness) -> None:
    h = harness
    ws = h.fake.workspace

    def shared() -> None:
        h.event(
            {"type": "channel_shared", "connected_team_id": VENDOR_TEAM, "channel": PLAIN_CHANNEL}
        )

    def deactivate_ravi() -> None:
        ws.update_user(RAVI, deleted=True)
        h.event(user_change(h, RAVI))

    steps: list[tuple[Callable[[], object], str | None, str]] = [
        (lambda: h.command("vendor add Acme Dev tz Europe/Berlin"), "vendor.add", OWNER),
        (lambda: h.command("vendor add Acme Dev country DE"), "vendor.update", OWNER),
        (lambda: h.command(f"contact set internal <@{OWNER}>"), "contact.set", OWNER),
        (
            lambda: h.command(f"contact set internal <@{ALEX}> backup", user=ALEX),
            "contact.set",
            ALEX,
        ),
        (lambda: h.command(f"contact set vendor <@{PRIYA}>"), "contact.set", OWNER),
        (lambda: h.command(f"contact set vendor <@{RAVI}> backup"), "contact.set", OWNER),
        (lambda: h.command(f"contact set vendor <@{RAVI}>"), "contact.set", OWNER),  # a move
        (lambda: h.command(f"contact set vendor <@{PRIYA}> backup"), "contact.set", OWNER),
        (lambda: h.command("contacts"), None, ""),
        (lambda: h.command("vendor list"), None, ""),
        (lambda: h.command(f"contact set vendor <@{PRIYA}> backup"), None, ""),  # no change
        (lambda: h.command(f"contact set vendor <@{ALEX}>"), None, ""),  # refused
        (lambda: h.event(left(RAVI)), "contact.gone", "slack"),  # Priya promoted: same row
        (lambda: h.command(f"contact set vendor <@{RAVI}> backup"), "contact.set", OWNER),
        (deactivate_ravi, "contact.gone", "slack"),
        (lambda: h.command("vendor remove"), "vendor.archive", OWNER),
        (lambda: h.command("vendor add Acme Dev"), "vendor.reactivate", OWNER),
        (lambda: h.command("vendor add Beta Co", channel=PLAIN_CHANNEL), "vendor.add", OWNER),
        (shared, "vendor.shared", "slack"),
        (shared, None, ""),  # already known
    ]
    for number, (step, action, actor) in enumerate(steps, 1):
        before = _rows(h)
        step()
        new = _rows(h)[len(before) :]
        if action is None:
            assert new == [], f"step {number} wrote {[r.action for r in new]}"
            continue
        assert [(r.action, r.actor) for r in new] == [(action, actor)], f"step {number}"
        [row] = new
        assert row.at == h.clock.now()
        assert row.vendor_id is not None
        assert row.subject.startswith(("vendor:", "contact:"))

    with h.session() as s:
        acme = s.scalar(select(Vendor).where(Vendor.name == "Acme Dev"))
        assert acme is not None
        gone = [r for r in _rows(h) if r.action == "contact.gone"]
        assert [r.detail["user"] for r in gone] == [RAVI, RAVI]
        assert gone[0].detail["promoted"] == PRIYA
        assert gone[1].detail["reason"] == "deactivated"
        assert all(r.vendor_id == acme.id for r in gone)
    assert snapshot(h).vendors == 2
