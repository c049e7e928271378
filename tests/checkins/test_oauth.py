"""Multi-workspace (OAuth) mode: an external vendor user opens and submits the check-in form.

bolt-python issue 767: the submission may name the user's own workspace, where the app is not
installed; the host team travels in the view's private_metadata and authorizes the request."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import CheckIn
from tests.checkins.helpers import last_checkin_message, thread_replies
from tests.harness import INTERNAL_TEAM, PRIYA, VENDOR_TEAM, Harness


def test_external_user_answers_a_checkin_in_oauth_mode(oauth_harness: Harness) -> None:
    h = oauth_harness
    assert h.runtime.settings.oauth_enabled
    h.make_vendor(tz="Europe/Berlin", country="DE")
    h.command("checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")
    message = last_checkin_message(h)
    h.click_button(message, "Update", user=PRIYA)
    view = h.fake.calls("views.open")[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert json.loads(view["private_metadata"])["team"] == INTERNAL_TEAM
    resp = h.submit(
        "checkin_modal",
        {
            "checkin_done": {"checkin_done": "Search shipped"},
            "checkin_next": {"checkin_next": "Filters"},
            "checkin_blockers": {"checkin_blockers": ""},
            "checkin_on_track": {
                "checkin_on_track": {"type": "radio_buttons", "selected_option": {"value": "yes"}}
            },
        },
        user=PRIYA,
        team_id=VENDOR_TEAM,
        user_team_id=VENDOR_TEAM,
        private_metadata=view["private_metadata"],
    )
    assert resp.status == 200 and not resp.body_text.strip()
    with h.session() as s:
        checkin = s.scalars(select(CheckIn)).one()
        assert (checkin.state, checkin.answered_by, checkin.on_track) == ("answered", PRIYA, "yes")
    assert "Search shipped" in thread_replies(h, message["ts"])[0]["text"]
