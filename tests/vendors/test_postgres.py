"""The vendor flows on PostgreSQL (skipped unless TEST_DATABASE_URL is set)."""

from __future__ import annotations

from tests.harness import ALEX, OWNER, PLAIN_CHANNEL, PRIYA, RAVI, Harness
from tests.vendors.helpers import active, audit_actions, deliver, ephemeral_text, left, user_change


def test_register_set_contacts_and_list_on_postgres(pg_harness: Harness) -> None:
    h = pg_harness
    h.command("vendor add Acme Dev tz Asia/Kolkata country IN")
    for text in (
        f"contact set internal <@{OWNER}>",
        f"contact set vendor <@{PRIYA}>",
        f"contact set vendor <@{RAVI}> backup",
    ):
        assert "✅" in ephemeral_text(h, h.command(text))
    assert "Slack Connect with Acme Dev" in ephemeral_text(h, h.command("vendor list"))
    assert "Priya Sharma" in ephemeral_text(h, h.command("contacts"))
    assert audit_actions(h) == ["vendor.add", "contact.set", "contact.set", "contact.set"]


def test_departures_and_retries_on_postgres(pg_harness: Harness) -> None:
    h = pg_harness
    h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
    h.make_vendor("Acme Ops", channel=PLAIN_CHANNEL, internal=(ALEX,), vendor=(RAVI,))
    h.event(left(PRIYA), event_id="Ev0PG000001")
    h.event(left(PRIYA), event_id="Ev0PG000001", retry_num=1)
    h.fake.workspace.update_user(RAVI, deleted=True)
    h.event(user_change(h, RAVI))
    deliver(h)
    assert len(h.dms(OWNER)) == 2  # Priya left; then Ravi (promoted) was deactivated
    assert len(h.dms(ALEX)) == 1
    assert active(h) == {("internal", "primary"): OWNER}
    assert audit_actions(h) == ["contact.gone", "contact.gone", "contact.gone"]
