"""A transcript file may take longer to download than Slack waits for an answer (3 s): the
click is answered at once ("Reading …") and the recap is made after the commit — the download
first, outside any transaction, then the recap in a unit of work of its own — on the courier's
threads (`inline_delivery=False`: the real background threads)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.fakeslack import FakeSlack
from bot.text.transcripts import DOWNLOAD_OPENER
from storage.db import transaction_open
from tests.harness import OWNER, PRIYA, RAVI, SHARED_CHANNEL, Harness
from tests.recaps.helpers import (
    VTT,
    all_text,
    ephemeral_texts,
    last_with_button,
    offers,
    recaps,
    share_file,
    submit_recap,
)


@pytest.fixture
def threaded(slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    h = Harness(slack, sqlite_url, inline_delivery=False)
    yield h
    h.settle()
    h.close()


def offered_file(h: Harness) -> dict[str, Any]:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    share_file(h, "F_CALL", "acme-sync.vtt", VTT.encode(), user=OWNER)
    h.settle()
    h.sweep()
    return last_with_button(h, "recap_make")


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the background work did not finish"
        time.sleep(0.05)


def _said(h: Harness, needle: str) -> Callable[[], bool]:
    return lambda: any(needle in t for t in ephemeral_texts(h))


def test_the_click_is_answered_before_a_slow_download_and_the_recap_follows(
    threaded: Harness,
) -> None:
    h = threaded
    offer_msg = offered_file(h)
    h.fake.delay("file_download", 2.0)  # Slack's file server is slow today

    started = time.monotonic()
    response = h.click_button(offer_msg, "Make a recap", user=RAVI)
    took = time.monotonic() - started

    assert response.status == 200
    assert took < 1.5, f"the click was answered after {took:.1f} s"
    assert recaps(h) == []  # answered while the download is still running
    wait_for(_said(h, "Reading acme-sync.vtt"))
    wait_for(lambda: len(recaps(h)) == 1)  # committed by the background unit of work
    h.settle()
    wait_for(lambda: any("Send the revised estimate" in all_text(p) for p in h.posts()))
    recap_post = h.posts(SHARED_CHANNEL)[-1]
    assert "Send the revised estimate" in all_text(recap_post)
    (recap,) = recaps(h)
    assert recap.source == "file" and recap.created_by == RAVI
    assert offers(h)[0].state == "made"


def test_a_failed_background_download_is_told_and_keeps_nothing(threaded: Harness) -> None:
    h = threaded
    offer_msg = offered_file(h)
    h.fake.fail_next("file_download", status=404, times=1)

    assert h.click_button(offer_msg, "Make a recap", user=RAVI).status == 200
    wait_for(_said(h, "couldn't download"))
    h.settle()

    texts = ephemeral_texts(h)
    assert any("Reading acme-sync.vtt" in t for t in texts)
    (failure,) = [t for t in texts if "couldn't download" in t]
    assert "couldn't download acme-sync.vtt" in failure and "404" in failure
    assert recaps(h) == []
    assert offers(h)[0].state != "made" and offers(h)[0].recap_id is None
    # The offer still works once Slack does (a press a moment later is a new click).
    h.clock.advance(timedelta(seconds=30))
    h.click_button(offer_msg, "Make a recap", user=RAVI)
    wait_for(lambda: len(recaps(h)) == 1)


def test_a_click_that_is_refused_at_once_starts_no_download(threaded: Harness) -> None:
    h = threaded
    offer_msg = offered_file(h)
    h.click_button(offer_msg, "Make a recap", user=RAVI)
    wait_for(lambda: len(recaps(h)) == 1)
    h.settle()
    downloads = len(h.fake.calls("file_download"))
    readings = len([t for t in ephemeral_texts(h) if "Reading" in t])

    h.clock.advance(timedelta(seconds=30))
    h.click_button(offer_msg, "Make a recap", user=OWNER)  # made already: said at once
    wait_for(_said(h, "already made"))
    h.settle()

    assert len([t for t in ephemeral_texts(h) if "Reading" in t]) == readings
    assert len(h.fake.calls("file_download")) == downloads
    assert len(recaps(h)) == 1


def modal_with_file(h: Harness) -> dict[str, Any]:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    ws = h.fake.workspace
    stored = ws.add_file("F_UP", "call.vtt", VTT.encode(), user=OWNER)
    return {"transcript": {"transcript": {"type": "file_input", "files": [ws.file_json(stored)]}}}


def test_a_transcript_attached_in_the_modal_becomes_the_recap(harness: Harness) -> None:
    h = harness
    values = modal_with_file(h)

    response = submit_recap(h, "Weekly sync, see the transcript.", values=values)

    assert response.status == 200 and not response.body_text  # the modal closes
    (recap,) = recaps(h)
    assert recap.transcript_name == "call.vtt" and recap.transcript == VTT


def test_a_download_slower_than_the_modal_can_wait_is_a_field_error(harness: Harness) -> None:
    """A view submission gets 3 s from Slack; the download gets 2 of them, then the user is
    asked to try again — nothing is stored, so a second submit cannot make a duplicate."""
    h = harness
    values = modal_with_file(h)
    h.fake.delay("file_download", 3.0)

    response = submit_recap(h, "Weekly sync, see the transcript.", values=values)

    errors = response.json()["errors"]
    assert "couldn't download call.vtt" in errors["transcript"]
    assert recaps(h) == []


def test_no_transaction_is_open_while_a_transcript_downloads(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A download may take seconds: it never holds a database transaction (DESIGN §6) —
    not in the modal, not for the shortcut, not for an offer."""
    h = harness
    opened: list[bool] = []
    real_open = DOWNLOAD_OPENER.open

    def watched(*args: Any, **kwargs: Any) -> Any:
        opened.append(transaction_open())
        return real_open(*args, **kwargs)

    monkeypatch.setattr(DOWNLOAD_OPENER, "open", watched)
    values = modal_with_file(h)  # the modal
    submit_recap(h, "Weekly sync, see the transcript.", values=values)
    share_file(h, "F_CALL", "acme-sync.vtt", VTT.encode(), user=OWNER)
    h.click_button(last_with_button(h, "recap_make"), "Make a recap", user=RAVI)  # an offer
    h.clock.advance(timedelta(seconds=30))
    share_file(h, "F_MORE", "more.vtt", VTT.encode(), user=PRIYA, text="the notes")
    message = next(m for m in h.fake.messages(SHARED_CHANNEL) if m.get("text") == "the notes")
    h.shortcut("recap_from_message", message, user=OWNER)  # the shortcut
    assert len(recaps(h)) == 3
    assert opened == [False, False, False]
