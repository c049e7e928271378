"""The recap flows on PostgreSQL (skipped unless TEST_DATABASE_URL is set)."""

from __future__ import annotations

from tests.harness import OWNER, PRIYA, SHARED_CHANNEL, Harness
from tests.recaps.helpers import (
    VTT,
    all_text,
    deadlines,
    offers,
    recaps,
    share_file,
    stored_message,
    submit_recap,
    the_recap_message,
)


def test_modal_confirmations_and_deadlines_on_postgres(pg_harness: Harness) -> None:
    h = pg_harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h)
    h.click_button(the_recap_message(h), "recap_confirm_internal", user=OWNER)
    h.click_button(the_recap_message(h), "recap_confirm_vendor", user=PRIYA)
    assert "Confirmed by both sides" in all_text(the_recap_message(h))
    assert [d.number for d in deadlines(h)] == [1, 2]


def test_transcript_offer_once_and_recap_on_postgres(pg_harness: Harness) -> None:
    h = pg_harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    event = share_file(h, "F_CALL", "sync.vtt", VTT.encode(), user=OWNER)
    h.event(event)  # the same file again (another event id): still one offer
    h.sweep()
    assert len(offers(h)) == 1
    offer = stored_message(h, h.fake.workspace.history(SHARED_CHANNEL)[-1].ts)
    h.click_button(offer, "Make a recap", user=PRIYA)
    (recap,) = recaps(h)
    assert recap.source == "file" and recap.thread_ts == event["ts"]
