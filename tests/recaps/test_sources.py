"""Where recaps come from besides the modal: the message shortcut, transcript files, meeting-note
apps' posts and huddles (offered in thread)."""

from __future__ import annotations

from dataclasses import replace

from bot.blocks import kit
from tests.harness import OWNER, PRIYA, RAVI, SHARED_CHANNEL, VENDOR_TEAM, Harness
from tests.recaps.helpers import (
    SUMMARY,
    VTT,
    all_text,
    audit_actions,
    bot_post,
    buttons,
    deadlines,
    ephemeral_texts,
    last_with_button,
    offers,
    opened_views,
    recaps,
    share_file,
    stored_message,
    submit_recap,
    the_recap_message,
)

ZOOM_POST = """Meeting summary for Acme weekly sync
Quick recap
The team agreed to ship the beta on March 15.
Next steps
- Priya Sharma will send the revised estimate by Friday.
- Dana Scully will book the security review by March 10.
"""


def test_shortcut_on_a_message_posts_the_recap_in_its_thread(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    _, event = h.say(SUMMARY, user=PRIYA)
    original = stored_message(h, event["ts"])

    resp = h.shortcut("recap_from_message", original, user=OWNER, channel_id=SHARED_CHANNEL)
    assert resp.status == 200

    (post,) = h.posts(SHARED_CHANNEL)
    assert post["thread_ts"] == event["ts"]
    text = all_text(post)
    permalink = h.fake.workspace.permalink(SHARED_CHANNEL, event["ts"])
    assert f"<{permalink}|the original message>" in text
    assert "Send the revised estimate" in text and "<@U_PRIYA>" in text
    assert {"recap_confirm_internal", "recap_confirm_vendor"} <= set(buttons(post))
    # The original is quoted by link, never altered.
    after = stored_message(h, event["ts"])
    assert after["text"] == SUMMARY and "edited" not in after
    (recap,) = recaps(h)
    assert (recap.source, recap.source_ref, recap.text) == ("shortcut", event["ts"], SUMMARY)
    assert recap.thread_ts == event["ts"] and recap.source_permalink == permalink
    assert len(deadlines(h)) == 2


def test_shortcut_on_a_thread_reply_stays_in_that_thread(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    _, parent = h.say("Notes from today's sync below", user=OWNER)
    _, reply = h.say(SUMMARY, user=OWNER, thread_ts=parent["ts"])
    message = stored_message(h, reply["ts"])
    h.shortcut("recap_from_message", message, user=OWNER, channel_id=SHARED_CHANNEL)
    (post,) = h.posts(SHARED_CHANNEL)
    assert post["thread_ts"] == parent["ts"]


def test_a_vtt_transcript_is_offered_and_becomes_a_recap_with_speaker_owners(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    event = share_file(h, "F_CALL", "acme-sync.vtt", VTT.encode(), user=OWNER)
    # The offer is an outbox row of the event's unit of work, posted after its commit; a
    # sweep finds nothing more to post.
    (offer_post,) = h.posts(SHARED_CHANNEL)
    h.sweep()
    assert len(h.posts(SHARED_CHANNEL)) == 1
    assert offer_post["thread_ts"] == event["ts"]
    assert "acme-sync.vtt" in offer_post["text"]
    assert buttons(offer_post) == {"recap_make": "Make a recap"}

    offer_msg = stored_message(h, h.fake.workspace.history(SHARED_CHANNEL)[-1].ts)
    assert h.click_button(offer_msg, "Make a recap", user=RAVI).status == 200
    # Downloaded from url_private with the bot token.
    (download,) = h.fake.calls("file_download")
    assert download.token == "xoxb-test"

    recap_post = h.posts(SHARED_CHANNEL)[-1]
    assert recap_post["thread_ts"] == event["ts"]
    text = all_text(recap_post)
    assert "Send the revised estimate" in text and "<@U_PRIYA>" in text
    assert "Book the security review" in text and "<@U_DANA>" in text
    (recap,) = recaps(h)
    assert recap.source == "file" and recap.source_ref == "F_CALL"
    assert recap.transcript_name == "acme-sync.vtt" and recap.transcript == VTT  # verbatim
    owners = {d.owner_user_id for d in deadlines(h)}
    assert owners == {PRIYA, OWNER}
    assert offers(h)[0].state == "made" and offers(h)[0].recap_id == recap.id

    # The button again: nothing new.
    h.click_button(offer_msg, "Make a recap", user=OWNER)
    assert "already made" in ephemeral_texts(h)[-1]
    assert len(recaps(h)) == 1


def test_the_same_transcript_shared_twice_is_offered_once(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    share_file(h, "F_CALL", "call.srt", b"1\n00:00:01,000 --> 00:00:02,000\nHi\n", user=PRIYA)
    h.fake.workspace.add_message(SHARED_CHANNEL, text="again", user=PRIYA, files=["F_CALL"])
    event = {
        "type": "message",
        "subtype": "file_share",
        "user": PRIYA,
        "user_team": VENDOR_TEAM,
        "text": "again",
        "ts": h.fake.workspace.history(SHARED_CHANNEL)[-1].ts,
        "channel": SHARED_CHANNEL,
        "files": [h.fake.workspace.file_json(h.fake.workspace.files["F_CALL"])],
    }
    h.event(event)
    h.sweep()
    assert len(offers(h)) == 1
    assert len(h.posts(SHARED_CHANNEL)) == 1
    # Files that are not transcripts are left alone.
    share_file(h, "F_IMG", "screenshot.png", b"\x89PNG....", user=PRIYA)
    h.sweep()
    assert len(offers(h)) == 1


def test_a_meeting_note_app_post_is_offered_and_becomes_a_recap(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    event = bot_post(h, ZOOM_POST, name="Zoom")
    bot_post(h, "Build #42 passed", name="Jenkins", bot_id="B_CI")  # not a meeting app
    h.sweep()
    (offer_post,) = h.posts(SHARED_CHANNEL)
    assert offer_post["thread_ts"] == event["ts"]
    assert "Zoom posted meeting notes" in offer_post["text"]

    offer_msg = last_with_button(h, "recap_make")
    h.click_button(offer_msg, "Make a recap", user=OWNER)
    recap_post = h.posts(SHARED_CHANNEL)[-1]
    assert recap_post["thread_ts"] == event["ts"]
    text = all_text(recap_post)
    assert "ship the beta on March 15" in text
    assert "<@U_PRIYA>" in text and "<@U_DANA>" in text
    (recap,) = recaps(h)
    assert recap.source == "bot" and recap.text == ZOOM_POST
    assert audit_actions(h, "recap.") == ["recap.offered", "recap.created"]


def test_meeting_note_apps_are_configurable_and_matched_case_insensitively(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor()
    h.runtime.settings = replace(h.runtime.settings, meeting_note_apps=("b_custom", "read.ai"))
    bot_post(h, "Notes: Ravi to send logs by Friday", name="Some Recorder", bot_id="B_CUSTOM")
    bot_post(h, "Summary: we agreed on the plan", name="Read.AI Notetaker", bot_id="B_READ")
    bot_post(h, "Otter summary", name="Otter.ai", bot_id="B_OTTER")  # no longer configured
    h.sweep()
    assert [o.posted_by for o in offers(h)] == ["Some Recorder", "Read.AI Notetaker"]


def test_a_huddle_is_offered_and_an_external_user_records_it(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    msg = h.fake.workspace.add_message(SHARED_CHANNEL, text="", user=OWNER, subtype="huddle_thread")
    h.event(
        {
            "type": "message",
            "subtype": "huddle_thread",
            "user": OWNER,
            "user_team": "T_INTERNAL",
            "text": "",
            "ts": msg.ts,
            "channel": SHARED_CHANNEL,
            "room": {"id": "R1", "has_ended": True},
        }
    )
    h.sweep()
    (offer_post,) = h.posts(SHARED_CHANNEL)
    assert offer_post["thread_ts"] == msg.ts and "huddle" in offer_post["text"]

    # Priya (external, Slack Connect) presses the button: the modal opens for her.
    offer_msg = stored_message(h, h.fake.workspace.history(SHARED_CHANNEL)[-1].ts)
    h.click_button(offer_msg, "Make a recap", user=PRIYA)
    (view,) = opened_views(h)
    meta = kit.decode(view["private_metadata"])
    assert meta["team"] == "T_INTERNAL" and meta["thread_ts"] == msg.ts
    # She submits it; Slack names her own team in the payload.
    resp = submit_recap(
        h,
        "Priya to send the API keys by Thursday",
        user=PRIYA,
        meta=view["private_metadata"],
        team_id=VENDOR_TEAM,
        user_team_id=VENDOR_TEAM,
    )
    assert resp.status == 200 and not resp.body_text.strip()
    (recap,) = recaps(h)
    assert recap.source == "huddle" and recap.created_by == PRIYA and recap.thread_ts == msg.ts
    assert h.posts(SHARED_CHANNEL)[-1]["thread_ts"] == msg.ts
    assert offers(h)[0].recap_id == recap.id
    # And confirms it for the vendor side; Dana for ours.
    h.click_button(the_recap_message(h), "recap_confirm_vendor", user=PRIYA)
    h.click_button(the_recap_message(h), "recap_confirm_internal", user=OWNER)
    assert "Confirmed by both sides" in all_text(the_recap_message(h))


def test_a_file_from_the_vendor_org_arriving_as_a_stub_is_looked_up(harness: Harness) -> None:
    """Slack Connect: a file shared from another organization comes as
    `file_access: check_file_info`; files.info gives its name and size."""
    h = harness
    h.make_vendor()
    ws = h.fake.workspace
    ws.add_file("F_EXT", "vendor-call.srt", b"1\n00:00:01,000 --> 00:00:03,000\nHi\n", user=PRIYA)
    msg = ws.add_message(SHARED_CHANNEL, text="", user=PRIYA, files=["F_EXT"])
    h.event(
        {
            "type": "message",
            "subtype": "file_share",
            "user": PRIYA,
            "user_team": VENDOR_TEAM,
            "text": "",
            "ts": msg.ts,
            "channel": SHARED_CHANNEL,
            "files": [{"id": "F_EXT", "mode": "file_access", "file_access": "check_file_info"}],
        }
    )
    assert [(o.ref, o.file_name) for o in offers(h)] == [("F_EXT", "vendor-call.srt")]


def test_a_long_record_keeps_its_buttons_within_slacks_block_limit(harness: Harness) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    items = "\n".join(
        f"- Priya to update module {i} by 2027-03-{10 + i % 15:02d}" for i in range(60)
    )
    submit_recap(h, "Action items:\n" + items)
    post = h.posts(SHARED_CHANNEL)[-1]
    assert len(post["blocks"]) <= 50
    assert {"recap_confirm_internal", "recap_confirm_vendor"} <= set(buttons(post))
    (recap,) = recaps(h)
    found = len(recap.extracted["action_items"])  # all kept with the record
    assert found > 25
    assert f"and {found - 25} more" in all_text(post)
