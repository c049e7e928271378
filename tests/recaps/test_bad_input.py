"""Bad input: a clear message (a field error in the modal), and nothing half-stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.text.transcripts import MAX_SUMMARY_CHARS, MAX_TRANSCRIPT_BYTES
from storage.models import AuditEntry, Deadline, Recap, RecapRevision
from tests.harness import INTERNAL_TEAM, OTHER_CHANNEL, OWNER, PRIYA, SHARED_CHANNEL, Harness
from tests.recaps.helpers import (
    VTT,
    count,
    ephemeral_texts,
    offers,
    opened_views,
    share_file,
    stored_message,
    submit_recap,
)

PASTE_40K = ("Priya to send the estimate by Friday. " * 1100)[:40_000]


def assert_nothing_stored(h: Harness) -> None:
    for model in (Recap, RecapRevision, Deadline):
        assert count(h, model) == 0, model.__name__
    with h.session() as s:
        actions = [a.action for a in s.query(AuditEntry).all()]
    assert not [a for a in actions if a.startswith(("recap.created", "deadline"))]
    assert [p for p in h.posts(SHARED_CHANNEL) if "Call recap" in str(p.get("text"))] == []


def field_errors(resp: Any) -> dict[str, str]:
    body = resp.json()
    assert body["response_action"] == "errors", body
    return dict(body["errors"])


@pytest.mark.parametrize("summary", ["", "   \n\t  \n"])
def test_empty_or_whitespace_summary_is_a_field_error(harness: Harness, summary: str) -> None:
    h = harness
    h.make_vendor()
    errors = field_errors(submit_recap(h, summary))
    assert list(errors) == ["summary"]
    assert "The summary is empty" in errors["summary"]
    assert_nothing_stored(h)


def test_a_40000_character_paste_is_refused(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    assert len(PASTE_40K) > MAX_SUMMARY_CHARS
    errors = field_errors(submit_recap(h, PASTE_40K))
    assert "too long: 40,000 characters" in errors["summary"]
    # The same paste as a message, turned into a recap with the shortcut.
    _, event = h.say(PASTE_40K, user=PRIYA)
    h.shortcut("recap_from_message", stored_message(h, event["ts"]), user=OWNER)
    assert "too long: 40,000 characters" in ephemeral_texts(h)[-1]
    assert_nothing_stored(h)


def test_a_modal_for_a_channel_that_is_no_vendor_channel(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    errors = field_errors(submit_recap(h, "We agreed on the plan.", channel=OTHER_CHANNEL))
    assert "not a vendor channel" in errors["summary"] and "vendor add" in errors["summary"]
    assert_nothing_stored(h)
    # And the command there says so before any modal opens.
    resp = h.command("recap", channel=OTHER_CHANNEL)
    assert "not a vendor channel" in h.reply_text(resp)
    assert opened_views(h) == []


def test_a_call_in_the_future_is_a_field_error(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    resp = submit_recap(
        h,
        "We agreed on the plan.",
        values={"call_date": {"call_date": {"type": "datepicker", "selected_date": "2027-03-02"}}},
    )
    assert "in the future" in field_errors(resp)["call_date"]
    assert_nothing_stored(h)


def _file_value(h: Harness, file_id: str) -> dict[str, Any]:
    f = h.fake.workspace.file_json(h.fake.workspace.files[file_id])
    return {"transcript": {"transcript": {"type": "file_input", "files": [f]}}}


def test_a_transcript_uploaded_in_the_modal_is_read(harness: Harness) -> None:
    h = harness
    h.make_vendor(vendor=(PRIYA,))
    h.fake.workspace.add_file("F_UP", "sync.vtt", VTT.encode(), user=OWNER)
    resp = submit_recap(h, "Weekly sync, see the transcript.", values=_file_value(h, "F_UP"))
    assert resp.status == 200 and not resp.body_text.strip()
    with h.session() as s:
        recap = s.query(Recap).one()
        assert recap.transcript_name == "sync.vtt" and recap.transcript == VTT
        assert recap.text == "Weekly sync, see the transcript."
        owners = {d.owner_user_id for d in s.query(Deadline).all()}
    assert PRIYA in owners  # "I'll send …" said by Priya in the transcript


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("notes.txt", b"PK\x03\x04\x00\x00\x08\x00binary zip data\x00\x00", "is not a text file"),
        ("notes.txt", "Caf\u00e9 notes: Priya to send".encode("cp1252"), "is not a text file"),
        ("slides.pdf", b"%PDF-1.4", "I read .vtt, .srt and .txt"),
    ],
)
def test_a_binary_or_wrongly_encoded_upload_is_a_field_error(
    harness: Harness, name: str, content: bytes, needle: str
) -> None:
    h = harness
    h.make_vendor()
    h.fake.workspace.add_file("F_BAD", name, content, user=OWNER)
    errors = field_errors(submit_recap(h, "Sync notes.", values=_file_value(h, "F_BAD")))
    assert list(errors) == ["transcript"] and needle in errors["transcript"]
    assert_nothing_stored(h)


def test_a_50_mb_upload_is_refused_before_downloading(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    h.fake.workspace.add_file("F_BIG", "all-hands.vtt", b"WEBVTT\n", user=OWNER, size=50 * 2**20)
    errors = field_errors(submit_recap(h, "Sync notes.", values=_file_value(h, "F_BIG")))
    assert "all-hands.vtt is 50.0 MB" in errors["transcript"]
    assert h.fake.calls("file_download") == []
    assert_nothing_stored(h)


def test_an_upload_the_bot_cannot_download(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    h.fake.workspace.add_file("F_GONE", "sync.vtt", VTT.encode(), user=OWNER)
    h.fake.fail_next("file_download", status=403, error="forbidden")
    errors = field_errors(submit_recap(h, "Sync notes.", values=_file_value(h, "F_GONE")))
    assert "I couldn't download sync.vtt (Slack answered 403)" in errors["transcript"]
    assert_nothing_stored(h)


def _offer_message(h: Harness) -> dict[str, Any]:
    h.sweep()
    return stored_message(h, h.fake.workspace.history(SHARED_CHANNEL)[-1].ts)


def test_a_binary_transcript_shared_in_the_channel(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    share_file(h, "F_BIN", "call.txt", b"\x00\x01\x02\x03" * 100, user=PRIYA)
    h.click_button(_offer_message(h), "Make a recap", user=OWNER)
    assert "is not a text file" in ephemeral_texts(h)[-1]
    assert offers(h)[0].recap_id is None
    assert_nothing_stored(h)


def test_a_50_mb_file_shared_in_the_channel_gets_a_note_and_no_download(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    share_file(h, "F_BIG", "recording.vtt", b"WEBVTT\n", user=PRIYA, size=50 * 2**20)
    h.sweep()
    (note,) = h.posts(SHARED_CHANNEL)
    assert "recording.vtt is 50.0 MB" in note["text"]
    assert f"up to {MAX_TRANSCRIPT_BYTES // 2**20} MB" in note["text"]
    assert "blocks" not in note or "recap_make" not in str(note.get("blocks"))
    assert offers(h)[0].state == "refused"
    assert h.fake.calls("file_download") == []
    assert_nothing_stored(h)


def test_a_shared_file_the_bot_cannot_download(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    share_file(h, "F_LOST", "call.vtt", VTT.encode(), user=PRIYA)
    message = _offer_message(h)
    h.fake.fail_next("file_download", status=404, error="file_not_found")
    h.click_button(message, "Make a recap", user=OWNER)
    assert "I couldn't download call.vtt (Slack answered 404)" in ephemeral_texts(h)[-1]
    assert_nothing_stored(h)
    # It works once Slack serves the file again; the offer was not used up. (The first click
    # was answered before the download: a press a moment later is a new click.)
    h.clock.advance(timedelta(seconds=30))
    h.click_button(message, "Make a recap", user=OWNER)
    assert count(h, Recap) == 1


def test_shortcut_on_a_message_without_text_or_outside_a_vendor_channel(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    h.shortcut("recap_from_message", {"type": "message", "ts": "1.000100", "text": "  "})
    assert "has no text to make a recap from" in ephemeral_texts(h)[-1]
    h.shortcut(
        "recap_from_message",
        {"type": "message", "ts": "1.000200", "text": "We agreed."},
        channel_id=OTHER_CHANNEL,
    )
    assert "not a vendor channel" in ephemeral_texts(h)[-1]
    assert_nothing_stored(h)


def test_a_channel_the_bot_is_not_in_is_a_field_error_and_nothing_is_kept(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor()
    h.fake.workspace.remove_member(SHARED_CHANNEL, "UBOT")
    h.runtime.directory.forget_channel(INTERNAL_TEAM, SHARED_CHANNEL)
    errors = field_errors(submit_recap(h, "Priya to send the estimate by 2027-03-05."))
    assert (
        "/invite @outsource-bot" in errors["summary"] and "nothing was saved" in errors["summary"]
    )
    assert_nothing_stored(h)


def test_a_post_slack_refuses_after_the_answer_is_kept_and_posted_once_it_can_be(
    harness: Harness,
) -> None:
    """The record leaves after the commit (DESIGN §6): a refusal then cannot undo the answer.
    The recap is kept, and its record is posted once Slack takes it — once."""
    h = harness
    h.make_vendor()
    h.fake.fail_next("chat.postMessage", status=200, error="not_in_channel")
    resp = submit_recap(h, "Priya to send the estimate by 2027-03-05.")
    assert resp.status == 200 and not resp.body_text.strip()
    assert count(h, Recap) == 1 and h.posts(SHARED_CHANNEL) == []
    h.clock.advance(timedelta(hours=1))
    h.sweep()
    h.sweep()
    records = [m for m in h.fake.messages(SHARED_CHANNEL) if "Call recap" in str(m.get("text"))]
    assert len(records) == 1
    with h.session() as s:
        assert s.query(Recap).one().message_ts == records[0]["ts"]
