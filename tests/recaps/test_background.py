"""A transcript file may take longer to download than Slack waits for an answer (3 s): the
click is answered at once ("Reading …") and the recap is made after the ack, in a unit of
work of its own, by a Bolt lazy listener on a real thread pool here."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.fakeslack import FakeSlack
from tests.harness import OWNER, PRIYA, RAVI, SHARED_CHANNEL, Harness
from tests.recaps.helpers import (
    VTT,
    all_text,
    ephemeral_texts,
    offers,
    recaps,
    share_file,
    stored_message,
    submit_recap,
)


@pytest.fixture
def pooled(slack: FakeSlack, sqlite_url: str) -> Iterator[tuple[Harness, ThreadPoolExecutor]]:
    pool = ThreadPoolExecutor(2, thread_name_prefix="lazy")
    h = Harness(slack, sqlite_url, listener_executor=pool)
    yield h, pool
    pool.shutdown(wait=True)
    h.close()


def offered_file(h: Harness) -> dict[str, Any]:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    share_file(h, "F_CALL", "acme-sync.vtt", VTT.encode(), user=OWNER)
    h.sweep()
    return stored_message(h, h.fake.workspace.history(SHARED_CHANNEL)[-1].ts)


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the background work did not finish"
        time.sleep(0.05)


def test_the_click_is_answered_before_a_slow_download_and_the_recap_follows(
    pooled: tuple[Harness, ThreadPoolExecutor],
) -> None:
    h, _ = pooled
    offer_msg = offered_file(h)
    h.fake.delay("file_download", 2.0)  # Slack's file server is slow today

    response = h.click_button(offer_msg, "Make a recap", user=RAVI)

    assert response.status == 200
    assert recaps(h) == []  # answered while the download is still running
    assert "Reading acme-sync.vtt" in ephemeral_texts(h)[-1]
    wait_for(lambda: len(recaps(h)) == 1)  # committed by the background unit of work
    recap_post = h.posts(SHARED_CHANNEL)[-1]
    assert "Send the revised estimate" in all_text(recap_post)
    (recap,) = recaps(h)
    assert recap.source == "file" and recap.created_by == RAVI
    assert offers(h)[0].state == "made"


def test_a_failed_background_download_is_told_and_keeps_nothing(
    pooled: tuple[Harness, ThreadPoolExecutor],
) -> None:
    h, _ = pooled
    offer_msg = offered_file(h)
    h.fake.fail_next("file_download", status=404, times=1)

    assert h.click_button(offer_msg, "Make a recap", user=RAVI).status == 200
    wait_for(lambda: len(ephemeral_texts(h)) >= 2)

    reading, failure = ephemeral_texts(h)[-2:]
    assert "Reading acme-sync.vtt" in reading
    assert "couldn't download acme-sync.vtt" in failure and "404" in failure
    assert recaps(h) == []
    assert offers(h)[0].state != "made" and offers(h)[0].recap_id is None
    # The offer still works once Slack does.
    h.click_button(offer_msg, "Make a recap", user=RAVI)
    wait_for(lambda: len(recaps(h)) == 1)


def test_a_click_that_is_refused_at_once_starts_no_download(
    pooled: tuple[Harness, ThreadPoolExecutor],
) -> None:
    h, _ = pooled
    offer_msg = offered_file(h)
    h.click_button(offer_msg, "Make a recap", user=RAVI)
    wait_for(lambda: len(recaps(h)) == 1)
    downloads = len(h.fake.calls("file_download"))

    h.click_button(offer_msg, "Make a recap", user=OWNER)  # made already: said in the ack

    assert "already made" in ephemeral_texts(h)[-1]
    assert not any("Reading" in t for t in ephemeral_texts(h)[-1:])
    assert len(h.fake.calls("file_download")) == downloads


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
