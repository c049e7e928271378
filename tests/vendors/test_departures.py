"""A contact leaves the channel or is deactivated: the backup takes over, the internal primary
is told by DM (once per Slack event, retries or not), with a button when someone is missing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.blocks.ids import Action, BlockId, Callback
from bot.fakeslack import FakeSlack
from handlers.middleware import EXTERNAL_ACTION_REFUSAL
from storage.models import Contact
from tests.harness import ALEX, MALLORY, OWNER, PRIYA, RAVI, SHARED_CHANNEL, Harness
from tests.vendors.helpers import (
    active,
    audit_actions,
    buttons,
    deliver,
    last_view,
    left,
    snapshot,
    user_change,
)


def _ended(h: Harness) -> list[tuple[str, str, str, str | None]]:
    with h.session() as s:
        return [
            (c.user_id, c.side, c.role, c.ended_reason)
            for c in s.scalars(
                select(Contact).where(Contact.ended_at.is_not(None)).order_by(Contact.id)
            )
        ]


def test_vendor_primary_leaving_promotes_the_backup_and_dms_the_internal_primary(
    harness: Harness,
) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER, ALEX), vendor=(PRIYA, RAVI))
    resp = harness.event(left(PRIYA))
    assert resp.status == 200

    assert active(harness) == {
        ("internal", "primary"): OWNER,
        ("internal", "backup"): ALEX,
        ("vendor", "primary"): RAVI,
    }
    assert _ended(harness) == [
        (PRIYA, "vendor", "primary", "left the channel"),
        (RAVI, "vendor", "backup", "promoted to primary"),
    ]
    # Delivered right after the event's commit, not at the next sweep …
    [dm] = harness.dms(OWNER)
    deliver(harness)
    assert harness.dms(OWNER) == [dm]  # … and once
    assert dm["text"] == (
        "Heads-up about *Acme Dev*: <@U_PRIYA>, the vendor primary contact, left <#C_ACME>.\n"
        "<@U_RAVI>, the backup, took over as vendor primary contact.\n"
        "There is no vendor backup now."
    )
    assert [b["text"]["text"] for b in buttons(dm)] == ["Pick a new vendor backup"]
    assert harness.dms(ALEX) == [] and harness.posts(SHARED_CHANNEL) == []
    assert audit_actions(harness) == ["contact.gone"]


def test_without_a_backup_the_dm_has_a_button_to_pick_a_new_contact(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    harness.event(left(PRIYA))
    deliver(harness)
    [dm] = harness.dms(OWNER)
    assert "<@U_PRIYA>, the vendor primary contact, left <#C_ACME>." in dm["text"]
    assert "There is *no vendor contact* now — please pick one." in dm["text"]
    [button] = buttons(dm)
    assert button["text"]["text"] == "Pick a new vendor contact"
    assert button["action_id"] == Action.PICK_CONTACT_INTERNAL
    assert button["action_id"].endswith("_internal")
    assert active(harness) == {("internal", "primary"): OWNER}

    # The button opens a modal with a user select; picking Ravi makes him the contact.
    harness.click_button(dm, "Pick a new vendor contact", user=OWNER, channel=OWNER)
    view = last_view(harness)
    assert view["callback_id"] == Callback.PICK_CONTACT_MODAL
    [select_block] = [b for b in view["blocks"] if b.get("block_id") == BlockId.CONTACT_USER]
    assert select_block["element"]["type"] == "users_select"

    def pick(user: str) -> dict:
        resp = harness.submit(
            Callback.PICK_CONTACT_MODAL,
            {
                BlockId.CONTACT_USER: {
                    BlockId.CONTACT_USER: {"type": "users_select", "selected_user": user}
                }
            },
            user=OWNER,
            private_metadata=view["private_metadata"],
        )
        return resp.json() if resp.body_text else {}

    # Not someone of our own workspace in a Connect channel: shown in the modal, nothing stored.
    errors = pick(ALEX)["errors"]
    assert "must be someone from Acme Dev's workspace" in errors[BlockId.CONTACT_USER]
    assert active(harness) == {("internal", "primary"): OWNER}

    assert pick(RAVI) == {}
    assert active(harness) == {("internal", "primary"): OWNER, ("vendor", "primary"): RAVI}
    confirmation = harness.dms(OWNER)[-1]
    assert confirmation["text"] == "✅ <@U_RAVI> is now *Acme Dev*'s vendor primary contact."
    assert audit_actions(harness) == ["contact.gone", "contact.set"]


def test_the_pick_button_is_refused_for_external_users(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    harness.event(left(PRIYA))
    deliver(harness)
    [dm] = harness.dms(OWNER)
    harness.click_button(dm, "Pick a new vendor contact", user=MALLORY, channel=SHARED_CHANNEL)
    assert harness.fake.calls("views.open") == []
    assert harness.fake.responses()[-1]["text"] == EXTERNAL_ACTION_REFUSAL


def test_the_same_event_delivered_twice_sends_one_dm(harness: Harness) -> None:
    vid = harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
    first = harness.event(left(PRIYA), event_id="Ev0LEFT0001")
    assert first.status == 200
    # Priya is back as the backup before Slack's retries arrive: without the de-duplication
    # (its key claimed with the first delivery's commit) a retry would end her again and DM.
    with harness.session() as s:
        s.add(
            Contact(
                vendor_id=vid,
                side="vendor",
                role="backup",
                user_id=PRIYA,
                user_team_id="T_VENDOR",
                started_at=harness.clock.now(),
            )
        )
    retry = harness.event(left(PRIYA), event_id="Ev0LEFT0001", retry_num=1)
    again = harness.event(left(PRIYA), event_id="Ev0LEFT0001", retry_num=2)
    assert [r.status for r in (retry, again)] == [200, 200]
    deliver(harness)
    deliver(harness)
    assert len(harness.dms(OWNER)) == 1
    assert audit_actions(harness) == ["contact.gone"]
    assert active(harness)[("vendor", "primary")] == RAVI
    assert active(harness)[("vendor", "backup")] == PRIYA


def test_a_second_departure_event_for_the_same_person_does_nothing(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
    harness.event(left(PRIYA))
    harness.fake.workspace.update_user(PRIYA, deleted=True)
    harness.event(user_change(harness, PRIYA))  # a different event_id, same person
    deliver(harness)
    assert len(harness.dms(OWNER)) == 1
    assert audit_actions(harness) == ["contact.gone"]


def test_a_backup_leaving_keeps_the_primary_and_offers_a_new_backup(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
    harness.event(left(RAVI))
    deliver(harness)
    [dm] = harness.dms(OWNER)
    assert "<@U_RAVI>, the vendor backup contact, left <#C_ACME>." in dm["text"]
    assert "there is no vendor backup now" in dm["text"]
    assert [b["text"]["text"] for b in buttons(dm)] == ["Pick a new vendor backup"]
    assert active(harness) == {("internal", "primary"): OWNER, ("vendor", "primary"): PRIYA}


def test_someone_who_is_no_contact_leaving_changes_nothing(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    before = snapshot(harness)
    harness.event(left(RAVI))
    harness.event(left(PRIYA, channel="C_PLAIN"))  # not a vendor channel
    assert snapshot(harness) == before


def test_a_deactivated_vendor_contact_is_replaced_by_the_backup(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
    harness.make_vendor("Acme Ops", channel="C_PLAIN", internal=(ALEX,), vendor=(PRIYA,))
    harness.fake.workspace.update_user(PRIYA, deleted=True)
    harness.event(user_change(harness, PRIYA))
    deliver(harness)
    [to_dana] = harness.dms(OWNER)
    assert "<@U_PRIYA>, the vendor primary contact, was deactivated in Slack." in to_dana["text"]
    assert "<@U_RAVI>, the backup, took over" in to_dana["text"]
    [to_alex] = harness.dms(ALEX)
    assert "Heads-up about *Acme Ops*" in to_alex["text"]
    assert "no vendor contact" in to_alex["text"]
    assert audit_actions(harness) == ["contact.gone", "contact.gone"]


def test_the_internal_primary_leaving_promotes_the_internal_backup_who_is_told(
    harness: Harness,
) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER, ALEX), vendor=(PRIYA,))
    harness.event(left(OWNER))
    deliver(harness)
    assert active(harness)[("internal", "primary")] == ALEX
    [dm] = harness.dms(ALEX)
    assert "<@U_DANA>, the internal primary contact, left <#C_ACME>." in dm["text"]
    assert "<@U_ALEX>, the backup, took over as internal primary contact." in dm["text"]
    assert harness.dms(OWNER) == []


def test_when_no_internal_contact_is_left_the_person_who_registered_is_told(
    harness: Harness,
) -> None:
    harness.make_vendor("Acme Dev", internal=(ALEX,), vendor=(PRIYA,))  # registered by Dana
    harness.event(left(ALEX))
    deliver(harness)
    [dm] = harness.dms(OWNER)
    assert "There is *no internal contact* now — please pick one." in dm["text"]
    assert [b["text"]["text"] for b in buttons(dm)] == ["Pick a new internal contact"]


def test_the_dm_leaves_right_after_the_events_commit_with_the_real_courier(
    slack: FakeSlack, sqlite_url: str
) -> None:
    h = Harness(slack, sqlite_url, inline_delivery=False)
    try:
        h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
        assert h.event(left(PRIYA)).status == 200
        h.settle()  # the request's own delivery, off its thread; no sweep runs
        [dm] = h.dms(OWNER)
        assert "<@U_RAVI>, the backup, took over" in dm["text"]
    finally:
        h.close()


def test_the_dm_says_who_is_missing_when_it_is_delivered(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    # Slack refuses the DM for now; a new contact is picked before it goes out.
    harness.fake.fail_next("chat.postMessage", status=200, error="cannot_dm_bot")
    harness.event(left(PRIYA))
    assert harness.dms(OWNER) == []
    harness.command(f"contact set vendor <@{RAVI}>")
    harness.clock.advance(timedelta(hours=1))
    deliver(harness)
    [dm] = harness.dms(OWNER)
    assert "<@U_PRIYA>, the vendor primary contact, left <#C_ACME>." in dm["text"]
    assert "no vendor contact" not in dm["text"]
    assert [b["text"]["text"] for b in buttons(dm)] == ["Pick a new vendor backup"]
