"""Multi-workspace (OAuth) mode: an external user's recap modal and confirmation still reach
the host installation (bolt-python issue 767; the host team travels in private_metadata)."""

from __future__ import annotations

from bot.blocks import kit
from tests.harness import INTERNAL_TEAM, OWNER, PRIYA, VENDOR_TEAM, Harness
from tests.recaps.helpers import opened_views, recaps, submit_recap, the_recap_message


def test_an_external_user_submits_and_confirms_in_oauth_mode(oauth_harness: Harness) -> None:
    h = oauth_harness
    assert h.runtime.settings.oauth_enabled
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    # Priya's submission names her own workspace (no installation there) everywhere but in
    # the private_metadata the bot wrote.
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
    assert kit.decode(view["private_metadata"])["team"] == INTERNAL_TEAM
    h.click_button(the_recap_message(h), "recap_confirm_vendor", user=PRIYA)
    assert recaps(h)[0].vendor_confirmed_by == PRIYA
