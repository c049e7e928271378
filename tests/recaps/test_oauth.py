"""Multi-workspace (OAuth) mode: an external user's recap modal and confirmation still reach
the host installation (bolt-python issue 767; the host team travels in private_metadata)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.app.runtime import build_runtime
from bot.app.web import build_web_app
from bot.blocks import kit
from bot.fakeslack import FakeSlack
from bot.fakeslack.workspace import DEFAULT_APP_ID
from bot.slack.installations import stores_for
from tests.harness import BOT_TOKEN, INTERNAL_TEAM, OWNER, PRIYA, VENDOR_TEAM, Harness
from tests.recaps.helpers import opened_views, recaps, submit_recap, the_recap_message


@pytest.fixture
def oauth_harness(slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    """The standard harness rebuilt in OAuth mode: the bot token comes from the installation
    store (only the internal workspace installed the app), not from SLACK_BOT_TOKEN."""
    h = Harness(slack, sqlite_url)
    h.settings = replace(
        h.settings, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    stores = stores_for(h.settings, h.db)
    h.db.upgrade()
    stores.installations.save(
        Installation(
            app_id=DEFAULT_APP_ID,
            team_id=INTERNAL_TEAM,
            user_id=OWNER,
            bot_token=BOT_TOKEN,
            bot_id="BBOT",
            bot_user_id="UBOT",
            bot_scopes="commands,chat:write,files:read,users:read,channels:read",
        )
    )
    h.runtime = build_runtime(h.settings, clock=h.clock, db=h.db)
    h.runtime.inline_delivery = True  # as in the harness: posts land before the request returns
    h.runtime.extras["outbox"] = h.outbox
    h.web = build_web_app(h.runtime)
    h.sender.wsgi_app = h.web
    yield h
    h.close()


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
