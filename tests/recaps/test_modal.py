"""The recap modal: `/outsource recap`, submission, the record, confirmations, edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.blocks import kit
from storage.models import AuditEntry, Recap
from tests.harness import (
    ALEX,
    INTERNAL_TEAM,
    MALLORY,
    OWNER,
    PLAIN_CHANNEL,
    PRIYA,
    RAVI,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Harness,
)
from tests.recaps.helpers import (
    SUMMARY,
    all_text,
    audit_actions,
    buttons,
    count,
    deadlines,
    ephemeral_texts,
    opened_views,
    recaps,
    revisions,
    submit_recap,
    the_recap_message,
)


def test_recap_command_opens_the_modal_with_the_fixed_ids(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    resp = h.command("recap")
    assert resp.status == 200
    (view,) = opened_views(h)
    assert view["callback_id"] == "recap_modal"
    summary = next(b for b in view["blocks"] if b.get("block_id") == "summary")
    assert summary["type"] == "input" and not summary.get("optional")
    assert summary["element"]["type"] == "plain_text_input"
    assert summary["element"]["action_id"] == "summary"
    assert summary["element"]["multiline"] is True
    meta = kit.decode(view["private_metadata"])
    assert meta == {"team": INTERNAL_TEAM, "channel": SHARED_CHANNEL}
    people = next(b for b in view["blocks"] if b.get("block_id") == "participants")
    assert people["element"]["initial_users"] == [OWNER, PRIYA]
    date = next(b for b in view["blocks"] if b.get("block_id") == "call_date")
    time = next(b for b in view["blocks"] if b.get("block_id") == "call_time")
    # Now (Mon 09:00 UTC) in the vendor's zone, Berlin.
    assert date["element"]["initial_date"] == "2027-03-01"
    assert time["element"]["initial_time"] == "10:00"
    transcript = next(b for b in view["blocks"] if b.get("block_id") == "transcript")
    assert transcript["optional"] is True and transcript["element"]["type"] == "file_input"


def test_submission_posts_the_recap_with_items_and_two_confirm_buttons(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA, RAVI))
    resp = submit_recap(h, SUMMARY)
    assert resp.status == 200 and not resp.body_text.strip()  # the modal closes

    (post,) = h.posts(SHARED_CHANNEL)
    text = all_text(post)
    assert "Call recap: Acme Dev, Mon 1 Mar 2027" in text
    assert "We go with the phased rollout." in text
    assert "Who pays for the extra licences?" in text
    # Action items with owners (as mentions) and due dates in the vendor's zone.
    assert "Send the revised estimate" in text and "<@U_PRIYA>" in text
    assert "Fri 5 Mar 2027 17:00 CET" in text
    assert "Book the security review" in text and "Wed 10 Mar 2027 17:00 CET" in text
    assert "Check the staging logs" in text and "no due date" in text
    assert buttons(post) == {
        "recap_confirm_internal": "Confirm for internal team",
        "recap_confirm_vendor": "Confirm for Acme Dev",
        "recap_edit": "Edit",
    }

    (recap,) = recaps(h)
    assert recap.text == SUMMARY  # verbatim
    assert recap.source == "modal" and recap.created_by == OWNER
    assert recap.participants == [OWNER, PRIYA, RAVI]
    assert recap.message_ts and recap.thread_ts is None
    assert [r.text for r in revisions(h, recap.id)] == [SUMMARY]
    # Items with an owner and a due date became deadlines, numbered, linked, shown.
    made = deadlines(h)
    assert [(d.number, d.owner_user_id, d.recap_id) for d in made] == [
        (1, PRIYA, recap.id),
        (2, OWNER, recap.id),
    ]
    assert made[0].due_at == datetime(2027, 3, 5, 16, 0, tzinfo=UTC)
    assert "deadline *#1*" in text and "deadline *#2*" in text
    assert audit_actions(h, "recap.") == ["recap.created"]


def test_each_side_confirms_and_the_message_says_so(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h)
    message = the_recap_message(h)

    h.clock.advance(timedelta(minutes=30))
    assert h.click_button(message, "recap_confirm_internal", user=ALEX).status == 200
    updated = the_recap_message(h)
    assert updated["ts"] == message["ts"]
    assert "internal team: confirmed by <@U_ALEX> on Mon 1 Mar 2027 10:30 CET" in all_text(updated)
    assert "recap_confirm_internal" not in buttons(updated)
    assert "recap_confirm_vendor" in buttons(updated)

    h.clock.advance(timedelta(hours=2))
    h.click_button(updated, "recap_confirm_vendor", user=PRIYA)
    final = the_recap_message(h)
    text = all_text(final)
    assert "Confirmed by both sides" in text
    assert "<@U_ALEX> (internal team) on Mon 1 Mar 2027 10:30 CET" in text
    assert "<@U_PRIYA> (Acme Dev) on Mon 1 Mar 2027 12:30 CET" in text
    assert set(buttons(final)) == {"recap_edit"}

    (recap,) = recaps(h)
    assert (recap.internal_confirmed_by, recap.vendor_confirmed_by) == (ALEX, PRIYA)
    assert recap.internal_confirmed_at == datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
    assert recap.vendor_confirmed_at == datetime(2027, 3, 1, 11, 30, tzinfo=UTC)
    assert recap.confirm_nudge_at is None
    assert audit_actions(h, "recap.") == ["recap.created", "recap.confirmed", "recap.confirmed"]

    # A second press changes nothing and says who confirmed.
    h.click_button(final, "Edit", user=MALLORY)  # a third organization may not edit either
    assert "or the internal contact can edit" in ephemeral_texts(h)[-1]
    h.click_button(updated, "recap_confirm_vendor", user=RAVI)
    assert "<@U_PRIYA> already confirmed this for Acme Dev" in ephemeral_texts(h)[-1]
    assert audit_actions(h, "recap.") == ["recap.created", "recap.confirmed", "recap.confirmed"]


def test_a_vendor_user_cannot_confirm_for_the_internal_side(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h)
    message = the_recap_message(h)

    # External users never get past the middleware with an `_internal` button.
    h.click_button(message, "recap_confirm_internal", user=PRIYA)
    assert "that button is for the internal team" in ephemeral_texts(h)[-1]
    # The internal side cannot confirm for the vendor, nor can a third organization.
    h.click_button(message, "recap_confirm_vendor", user=OWNER)
    assert "Only Acme Dev's people can confirm for Acme Dev" in ephemeral_texts(h)[-1]
    h.click_button(message, "recap_confirm_vendor", user=MALLORY)
    assert "Only Acme Dev's people can confirm" in ephemeral_texts(h)[-1]

    (recap,) = recaps(h)
    assert recap.internal_confirmed_by is None and recap.vendor_confirmed_by is None
    assert audit_actions(h, "recap.") == ["recap.created"]
    assert h.fake.calls("chat.update") == []


def test_a_vendor_contact_of_our_own_workspace_confirms_only_for_the_vendor(
    harness: Harness,
) -> None:
    """In a channel that is not shared the vendor's people are members of our workspace: the
    middleware lets them press any button, the service checks the side."""
    h = harness
    ws = h.fake.workspace
    ws.add_user("U_GITA", INTERNAL_TEAM, name="gita", real_name="Gita Rao", tz="Asia/Kolkata")
    ws.add_member(PLAIN_CHANNEL, "U_GITA")
    h.make_vendor(channel=PLAIN_CHANNEL, shared=False, internal=(OWNER,), vendor=("U_GITA",))
    submit_recap(h, channel=PLAIN_CHANNEL)
    message = the_recap_message(h, PLAIN_CHANNEL)
    h.click_button(message, "recap_confirm_internal", user="U_GITA", channel=PLAIN_CHANNEL)
    assert "Only the internal team can confirm" in ephemeral_texts(h)[-1]
    assert recaps(h)[0].internal_confirmed_by is None
    h.click_button(message, "recap_confirm_vendor", user="U_GITA", channel=PLAIN_CHANNEL)
    (recap,) = recaps(h)
    assert recap.vendor_confirmed_by == "U_GITA" and recap.internal_confirmed_by is None


def test_edit_keeps_revisions_updates_in_place_and_asks_again(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h, user=ALEX)  # Alex recorded it; Dana is the internal contact
    message = the_recap_message(h)
    h.click_button(message, "recap_confirm_vendor", user=PRIYA)

    # Neither the creator nor the internal contact: refused.
    h.click_button(message, "Edit", user=RAVI)
    assert "Only <@U_ALEX> (who recorded it) or the internal contact" in ephemeral_texts(h)[-1]
    assert opened_views(h) == []

    h.click_button(message, "Edit", user=OWNER)
    (view,) = opened_views(h)
    assert view["title"]["text"] == "Edit call recap"
    summary = next(b for b in view["blocks"] if b.get("block_id") == "summary")
    assert summary["element"]["initial_value"] == SUMMARY
    meta = view["private_metadata"]
    assert kit.decode(meta)["recap"] == recaps(h)[0].id

    edited = (
        SUMMARY.replace("by Friday", "by Thursday") + "- Ravi to fix the login bug by 2027-03-04\n"
    )
    h.clock.advance(timedelta(hours=1))
    assert submit_recap(h, edited, user=OWNER, meta=meta).status == 200
    (recap,) = recaps(h)
    assert recap.revision == 2 and recap.text == edited
    assert [(r.revision, r.edited_by) for r in revisions(h, recap.id)] == [(1, ALEX), (2, OWNER)]
    assert revisions(h, recap.id)[0].text == SUMMARY  # the original, verbatim
    # The message is updated in place, not posted again; confirmations start over.
    assert len(h.posts(SHARED_CHANNEL)) == 1
    updated = the_recap_message(h)
    assert updated["ts"] == message["ts"]
    text = all_text(updated)
    assert "Thu 4 Mar 2027 17:00 CET" in text and "revision 2" in text
    assert recap.vendor_confirmed_by is None
    assert {"recap_confirm_internal", "recap_confirm_vendor"} <= set(buttons(updated))
    # The unchanged item keeps its deadline #2; changed and new items get new ones.
    numbers = {d.title: d.number for d in deadlines(h)}
    assert numbers["Book the security review"] == 2  # the title without its "by …"
    assert "deadline *#2*" in text and "deadline *#3*" in text
    assert audit_actions(h, "recap.")[-1] == "recap.edited"
    # Friday's deadline #1 is no longer in the record: the editor alone is told it still runs.
    (notice,) = h.fake.calls("chat.postEphemeral")
    assert notice.params["user"] == OWNER
    assert "Deadline #1 came from action items no longer in this recap" in notice.params["text"]
    assert "/outsource deadline done" in notice.params["text"]


def test_an_external_creator_edits_through_the_modal(harness: Harness) -> None:
    """Vendor-side modals work for external users: the host team travels in private_metadata
    (bolt-python issue 767), even when Slack names the user's own team in the payload."""
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    resp = submit_recap(
        h,
        "Priya to share the staging URL by 2027-03-03",
        user=PRIYA,
        team_id=VENDOR_TEAM,
        user_team_id=VENDOR_TEAM,
    )
    assert resp.status == 200 and not resp.body_text.strip()
    (recap,) = recaps(h)
    assert recap.created_by == PRIYA
    message = the_recap_message(h)
    h.click_button(message, "Edit", user=PRIYA)
    (view,) = opened_views(h)
    resp = submit_recap(
        h,
        "Priya to share the staging URL by 2027-03-04",
        user=PRIYA,
        meta=view["private_metadata"],
        team_id=VENDOR_TEAM,
    )
    assert resp.status == 200 and not resp.body_text.strip()
    assert recaps(h)[0].revision == 2
    assert "Thu 4 Mar 2027 17:00 CET" in all_text(the_recap_message(h))
    # And confirms for their side.
    h.click_button(the_recap_message(h), "recap_confirm_vendor", user=PRIYA)
    assert recaps(h)[0].vendor_confirmed_by == PRIYA


def test_unsure_items_become_deadlines_once_both_sides_confirm(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h, "Action items:\n- we will share the test plan next week\n")
    text = all_text(the_recap_message(h))
    assert "owner unsure" in text
    assert deadlines(h) == []
    h.click_button(the_recap_message(h), "recap_confirm_internal", user=OWNER)
    h.click_button(the_recap_message(h), "recap_confirm_vendor", user=PRIYA)
    (deadline,) = deadlines(h)
    assert deadline.owner_user_id == OWNER and deadline.recap_id == recaps(h)[0].id
    assert "deadline *#1*" in all_text(the_recap_message(h))


def test_every_state_change_writes_one_audit_row(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h)
    with h.session() as s:
        rows = s.query(AuditEntry).filter(AuditEntry.action == "recap.created").all()
        assert len(rows) == 1 and rows[0].actor == OWNER
        assert rows[0].subject == f"recap:{s.query(Recap).one().id}"
    assert count(h, Recap) == 1
