"""Recaps on the one way out to Slack (DESIGN §5, §6): a record is posted once however its
submission or Slack falters, its buttons act only on their own recap in their own channel,
and nobody's words become a broadcast, a masked link or a mention of someone not there.

Counted in the channel's history (what people see). Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.blocks import kit
from bot.fakeslack import FakeSlack
from storage.models import Recap
from storage.models.recaps import RecapOffer
from tests.harness import OTHER_CHANNEL, OWNER, PRIYA, RAVI, SHARED_CHANNEL, Harness
from tests.recaps.helpers import (
    SUMMARY,
    VTT,
    all_text,
    bot_post,
    count,
    ephemeral_texts,
    last_with_button,
    recaps,
    share_file,
    stored_message,
    submit_recap,
    the_recap_message,
)

# Markup no person's words may turn into in a post.
LIVE_MARKUP = ("<!channel>", "<!here>", "<!everyone>", "<!subteam", "<https://evil")


@pytest.fixture
def h(slack: FakeSlack, any_db_url: str) -> Iterator[Harness]:
    harness = Harness(slack, any_db_url)
    yield harness
    harness.close()


def _records(h: Harness, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    return [m for m in h.fake.messages(channel) if "Call recap" in str(m.get("text"))]


def _shown(h: Harness) -> str:
    """Everything the bot said: posts, updates, ephemerals and response_url messages."""
    parts = [all_text(p) for p in h.posts()]
    parts += [all_text(c.params) for c in h.fake.calls("chat.update")]
    parts += [all_text(c.params) for c in h.fake.calls("chat.postEphemeral")]
    parts += [str(r.get("text") or "") for r in h.fake.responses()]
    return "\n".join(parts)


def _assert_inert(shown: str) -> None:
    for markup in LIVE_MARKUP:
        assert markup not in shown, markup


# -- once ------------------------------------------------------------------------------------


def test_a_submission_that_arrives_twice_makes_one_recap_and_one_post(h: Harness) -> None:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    first = submit_recap(h, SUMMARY, view_id="V_TWICE")
    again = submit_recap(h, SUMMARY, view_id="V_TWICE")  # a double press, or a retry
    assert first.status == again.status == 200
    assert not again.body_text.strip()  # the modal closes: no error for the second one
    assert count(h, Recap) == 1
    assert len(_records(h)) == 1
    h.sweep()
    assert len(_records(h)) == 1


def test_a_record_slack_accepted_then_answered_500_for_is_in_the_channel_once(
    h: Harness,
) -> None:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    h.fake.accept_then_fail("chat.postMessage")
    resp = submit_recap(h, SUMMARY)
    assert resp.status == 200 and not resp.body_text.strip()
    h.clock.advance(timedelta(minutes=5))
    h.sweep()
    h.sweep()
    (record,) = _records(h)
    (recap,) = recaps(h)
    assert recap.message_ts == record["ts"]  # its buttons are bound to the one message
    # And those buttons work.
    message = the_recap_message(h)
    h.click_button(message, "recap_confirm_vendor", user=PRIYA)
    assert recaps(h)[0].vendor_confirmed_by == PRIYA
    assert "confirmed by <@U_PRIYA>" in all_text(the_recap_message(h))
    assert len(_records(h)) == 1


def test_a_shortcut_used_twice_on_one_message_makes_one_recap(h: Harness) -> None:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    _, event = h.say(SUMMARY, user=PRIYA)
    original = stored_message(h, event["ts"])
    h.shortcut("recap_from_message", original, user=OWNER)
    h.clock.advance(timedelta(seconds=20))
    h.shortcut("recap_from_message", original, user=PRIYA)
    assert "already made" in ephemeral_texts(h)[-1]
    assert count(h, Recap) == 1 and len(_records(h)) == 1


# -- buttons bound to their recap and channel ------------------------------------------------


def _two_vendors_with_a_recap_each(h: Harness) -> tuple[dict[str, Any], int]:
    """Acme's record (in the shared channel) and the id of Beta's recap (another channel)."""
    h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    h.make_vendor("Beta Labs", channel=OTHER_CHANNEL, internal=(OWNER,), vendor=(), shared=False)
    submit_recap(h, "Beta to ship the build by 2027-03-05", channel=OTHER_CHANNEL)
    beta = recaps(h)[0].id
    submit_recap(h, SUMMARY)
    return the_recap_message(h), beta


def test_a_confirm_naming_another_vendors_recap_is_refused_and_changes_nothing(
    h: Harness,
) -> None:
    acme_message, beta = _two_vendors_with_a_recap_each(h)
    updates = len(h.fake.calls("chat.update"))
    forged = kit.encode({"recap": beta})
    for action in ("recap_confirm_internal", "recap_edit"):
        resp = h.click(
            action,
            forged,
            user=OWNER,
            channel_id=SHARED_CHANNEL,
            message=acme_message,
            message_ts=acme_message["ts"],
        )
        assert resp.status == 200
        assert "not one of this channel's" in ephemeral_texts(h)[-1]
        assert "nothing was changed" in ephemeral_texts(h)[-1]
    by_id = {r.id: r for r in recaps(h)}
    assert by_id[beta].internal_confirmed_by is None
    assert len(h.fake.calls("chat.update")) == updates
    assert h.fake.calls("views.open") == []
    # A copy of the record that is not the record (a stale or forged message) does nothing.
    ghost = h.fake.workspace.add_message(
        SHARED_CHANNEL, text=acme_message["text"], bot_id="BBOT", blocks=acme_message["blocks"]
    )
    h.click_button(dict(acme_message, ts=ghost.ts), "recap_confirm_internal", user=OWNER)
    assert "not one of this channel's" in ephemeral_texts(h)[-1]
    assert all(r.internal_confirmed_by is None for r in recaps(h))
    # The real button on the real record still works.
    h.click_button(acme_message, "recap_confirm_internal", user=OWNER)
    acme = max(recaps(h), key=lambda r: r.id)
    assert acme.internal_confirmed_by == OWNER


def test_make_a_recap_naming_another_channels_offer_is_refused(h: Harness) -> None:
    h.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    h.make_vendor("Beta Labs", channel=OTHER_CHANNEL, internal=(OWNER,), vendor=(), shared=False)
    share_file(h, "F_BETA", "beta-sync.vtt", VTT.encode(), user=OWNER, channel=OTHER_CHANNEL)
    with h.session() as s:
        (offer,) = s.query(RecapOffer).all()
        offer_id = offer.id
    h.click("recap_make", kit.encode({"offer": offer_id}), user=OWNER, channel_id=SHARED_CHANNEL)
    assert "not one of this channel's" in ephemeral_texts(h)[-1]
    assert h.fake.calls("file_download") == [] and count(h, Recap) == 0


# -- people's words stay words ---------------------------------------------------------------

HOSTILE_SUMMARY = """Decisions:
- <!channel> we go with <https://evil.example/login|click> for R&D
Action items:
- Priya to send <!here> the estimate by 2027-03-05
Open questions:
- Does <!subteam^S1|@devs> pay? Ask <@U_MALLORY>
"""


def test_a_summary_typed_in_the_modal_is_shown_as_typed_and_never_as_markup(h: Harness) -> None:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(h, HOSTILE_SUMMARY)
    (recap,) = recaps(h)
    assert recap.text == HOSTILE_SUMMARY  # kept as given (modal input arrives raw)
    shown = all_text(the_recap_message(h))
    _assert_inert(shown)
    assert "<@U_MALLORY>" not in shown and "@U_MALLORY" in shown  # not in the channel
    assert "we go with" in shown and "the estimate" in shown  # the words are all there
    assert "R&amp;D" in shown and "&amp;amp;" not in shown  # escaped once
    assert "<@U_PRIYA>" in shown  # the owner, who is in the channel, is mentioned


def test_a_message_made_a_recap_is_decoded_once_and_escaped_once(h: Harness) -> None:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    # As Slack sends it: typed angle brackets and ampersands escaped, markup in raw brackets.
    sent = (
        "Decisions: we agreed &lt;!channel&gt; stays quiet, R&amp;D signs off "
        "<https://evil.example/login|click> and <!here> knows.\n"
        "Action items: Priya to send the estimate by 2027-03-05"
    )
    _, event = h.say(sent, user=PRIYA)
    h.shortcut("recap_from_message", stored_message(h, event["ts"]), user=OWNER)
    (recap,) = recaps(h)
    assert "&lt;" not in recap.text and "&amp;" not in recap.text  # stored plain
    assert "<!channel> stays quiet, R&D signs off" in recap.text
    assert "click (https://evil.example/login)" in recap.text  # a link never hides its target
    assert "@here knows" in recap.text
    shown = all_text(the_recap_message(h))
    _assert_inert(shown)
    assert "stays quiet" in shown and "R&amp;D signs off" in shown
    assert "&amp;lt;" not in shown and "&amp;amp;" not in shown


def test_a_transcript_files_name_is_never_markup(h: Harness) -> None:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    name = "<!channel> sync <https:__evil.example|click>.vtt"
    share_file(h, "F_NAMED", name, VTT.encode(), user=OWNER)
    h.sweep()
    offer = last_with_button(h, "recap_make")
    h.click_button(offer, "Make a recap", user=RAVI)
    (recap,) = recaps(h)
    assert recap.transcript_name == name
    shown = _shown(h)
    _assert_inert(shown)
    assert "<https:__evil" not in shown
    assert "&lt;!channel&gt; sync" in shown  # in the offer, the note and the record


def test_a_meeting_bots_name_is_never_markup(h: Harness) -> None:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    bot_post(
        h,
        "Meeting summary\nPriya Sharma will send the revised estimate by Friday.",
        name="Zoom <!here> <https://evil.example|click>",
    )
    h.sweep()
    shown = _shown(h)
    _assert_inert(shown)
    assert "Zoom &lt;!here&gt;" in shown
    h.click_button(last_with_button(h, "recap_make"), "Make a recap", user=OWNER)
    assert count(h, Recap) == 1
    _assert_inert(_shown(h))
