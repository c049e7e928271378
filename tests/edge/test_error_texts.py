"""What people are told when Slack rate-limits a post, and where a refused pick-contact form
shows its error."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.blocks.ids import BlockId, Callback
from bot.fakeslack.workspace import DEFAULT_BOT_USER_ID as BOT_USER
from storage.models import ChangeRequest, CheckIn, Vendor
from tests.deadlines.helpers import add, reply
from tests.harness import INTERNAL_TEAM, OWNER, PRIYA, RAVI, SHARED_CHANNEL, Harness
from tests.vendors.helpers import active, deliver, last_view, left

RATE_LIMITED = "Slack is rate-limiting us"
MOVE = 'deadline move 1 2027-03-12 17:00 reason "QA found a blocker"'


def _rate_limit_posts(h: Harness) -> None:
    # The client retries a 429 twice (honouring Retry-After); the third answer is final.
    h.fake.fail_next("chat.postMessage", status=429, times=3, retry_after=0)


def test_a_rate_limited_move_is_saved_answered_at_once_and_posted_once_slack_allows(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    _rate_limit_posts(h)
    text = reply(h, MOVE)
    # The change is saved and the person told so; the post waits for Slack, not the person.
    assert "Change request posted" in text and "rate-limiting" not in text
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(ChangeRequest)) == 1
    h.sweep()
    posted = [p for p in h.posts() if "QA found a blocker" in str(p.get("blocks"))]
    assert len(posted) == 1


def test_a_move_in_a_channel_the_bot_was_removed_from_asks_for_an_invite(
    harness: Harness,
) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.fake.workspace.remove_member(SHARED_CHANNEL, BOT_USER)  # someone removed the bot
    h.runtime.directory.forget_channel(INTERNAL_TEAM, SHARED_CHANNEL)
    text = reply(h, MOVE)
    assert "/invite @outsource-bot" in text and "nothing was changed" in text
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(ChangeRequest)) == 0


def test_a_rate_limited_check_in_is_answered_at_once_and_posted_once(harness: Harness) -> None:
    h = harness
    h.make_vendor()
    _rate_limit_posts(h)
    text = reply(h, "checkin now")
    # The answer never waits on Slack (DESIGN §6): it is given before the post leaves, and
    # neither blames the channel nor claims that nothing happened.
    assert "posted" in text
    assert "invite" not in text.lower() and "nothing was changed" not in text
    # The outbox waits out the rate limit and posts the check-in, once.
    h.sweep()
    posts = [p for p in h.posts() if "checkin_update_vendor" in str(p.get("blocks"))]
    assert len(posts) == 1
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn)) == 1
    # A channel the bot was removed from still gets the advice, and no check-in.
    h.fake.workspace.remove_member(SHARED_CHANNEL, "UBOT")
    h.runtime.directory.forget_channel(INTERNAL_TEAM, SHARED_CHANNEL)
    text = reply(h, "checkin now")
    assert "/invite @outsource-bot" in text and "nothing was changed" in text
    with h.session() as s:
        assert s.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_a_non_field_error_in_the_pick_contact_modal_shows_under_its_input(
    harness: Harness,
) -> None:
    h = harness
    vendor_id = h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    h.event(left(PRIYA))
    deliver(h)
    dm = h.dms(OWNER)[-1]
    h.click_button(dm, "Pick a new vendor contact", user=OWNER, channel=OWNER)
    view = last_view(h)
    assert view["callback_id"] == Callback.PICK_CONTACT_MODAL
    blocks_in_modal = {b.get("block_id") for b in view["blocks"]}

    with h.session() as s:  # archived while the modal was open
        vendor = s.get(Vendor, vendor_id)
        assert vendor is not None
        vendor.archived_at = h.clock.now()
    resp = h.submit(
        Callback.PICK_CONTACT_MODAL,
        {
            BlockId.CONTACT_USER: {
                BlockId.CONTACT_USER: {"type": "users_select", "selected_user": RAVI}
            }
        },
        user=OWNER,
        private_metadata=view["private_metadata"],
    )
    body = resp.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) <= blocks_in_modal  # else Slack shows a generic failure
    assert "archived" in body["errors"][BlockId.CONTACT_USER]
    assert "*" not in body["errors"][BlockId.CONTACT_USER]  # plain text under an input
    assert active(h) == {("internal", "primary"): OWNER}
