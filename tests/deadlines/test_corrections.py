"""People can fix their mistakes: `deadline cancel|rename|owner`, `change withdraw`, and Undo on
`deadline add`'s confirmation — each by the right people only, told in the channel, audited,
and a bad or repeated request changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.blocks import kit
from bot.text.commands import USAGE
from bot.text.escaping import slack_escape
from storage.models import AuditEntry, ChangeRequest, Vendor
from tests.deadlines.helpers import (
    add,
    audit_actions,
    buttons,
    counts,
    deadline,
    escalations,
    last_ephemeral_response,
    latest_with,
    outbox_states,
    press,
    reminders,
    reply,
    text_of,
)
from tests.harness import (
    ALEX,
    MALLORY,
    OWNER,
    PLAIN_CHANNEL,
    PRIYA,
    RAVI,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Harness,
)

CANCEL = 'deadline cancel 1 reason "Dropped from the release"'
MOVE = 'deadline move 1 2027-03-12 17:00 reason "QA found a blocker"'
EXTERNAL_REFUSAL = "`/outsource` commands are for the team that runs this vendor relationship"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_harness(request: pytest.FixtureRequest) -> Harness:
    """Every test here runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""
    name = "harness" if request.param == "sqlite" else "pg_harness"
    h: Harness = request.getfixturevalue(name)
    return h


def usage(key: str) -> str:
    """The usage line an error reply ends with."""
    return f"Usage: `{slack_escape(USAGE[key])}`"


def vendor_says(h: Harness, text: str) -> str:
    """A vendor user (Slack Connect, their own workspace) types a command."""
    resp = h.command(text, user=PRIYA, team_id=VENDOR_TEAM)
    assert resp.status == 200
    return h.reply_text(resp)


def beta(h: Harness) -> None:
    """A vendor in an ordinary (not shared) channel whose vendor contact, Alex, has an account
    in our workspace: the vendor side can type commands there. Deadline #1 is owned by Alex."""
    h.make_vendor(
        "Beta Ltd", channel=PLAIN_CHANNEL, shared=False, internal=(OWNER,), vendor=(ALEX,)
    )
    text = reply(
        h, 'deadline add "Spec review" 2027-03-10 17:00 owner <@U_ALEX>', channel=PLAIN_CHANNEL
    )
    assert "added" in text


def notes(h: Harness, needle: str, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    """The bot's posts in the channel that contain `needle`."""
    return [p for p in h.posts(channel) if needle in text_of(p)]


def change_id(h: Harness) -> int:
    with h.session() as s:
        ids = list(s.scalars(select(ChangeRequest.id).order_by(ChangeRequest.id)))
    return ids[-1]


def audit_detail(h: Harness, action: str) -> dict[str, Any]:
    with h.session() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None, action
        return {"actor": entry.actor, **entry.detail}


# --------------------------------------------------------------------------- deadline cancel


def test_cancel_stops_reminders_tells_both_sides_and_keeps_the_history(
    any_harness: Harness,
) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    announcement = latest_with(h, "set deadline")
    h.sweep("2027-03-07T16:01Z")  # the 72-hour reminder
    reminder = latest_with(h, "3 days to go")
    assert "Change request posted" in reply(h, MOVE)
    request = latest_with(h, "Change request #")
    # The vendor pauses the channel: the 24-hour reminder waits in the outbox.
    with h.session() as s:
        vendor = s.scalar(select(Vendor))
        assert vendor is not None
        vendor.paused_until = datetime(2027, 3, 9, 20, tzinfo=UTC)
    h.sweep("2027-03-09T16:01Z")
    assert outbox_states(h, f"deadline:{deadline(h).id}:due-24h") == {
        f"deadline:{deadline(h).id}:due-24h": "pending"
    }
    h.clock.set(datetime(2027, 3, 9, 17, tzinfo=UTC))

    text = reply(h, CANCEL)

    assert text.startswith("🚫 *#1 API v2 handover* is cancelled.")
    d = deadline(h)
    assert (d.state, d.cancelled_by, d.cancel_reason) == (
        "cancelled",
        OWNER,
        "Dropped from the release",
    )
    assert d.cancelled_at == h.clock.now() and d.next_reminder_at is None
    # Both sides are told in the channel, the owner by name.
    [note] = notes(h, "cancelled deadline")
    body = text_of(note)
    assert "<@U_DANA> cancelled deadline *#1 API v2 handover*" in body
    assert "Reason: Dropped from the release" in body and "<@U_PRIYA>: no more reminders" in body
    # The held reminder is dropped; the announcement and the change request lose their buttons.
    assert outbox_states(h, f"deadline:{d.id}:due-24h") == {f"deadline:{d.id}:due-24h": "skipped"}
    updated = latest_with(h, "set deadline")
    assert updated["ts"] == announcement["ts"] and buttons(updated) == []
    assert "Cancelled by <@U_DANA>" in text_of(updated)
    closed = latest_with(h, "Change request #")
    assert closed["ts"] == request["ts"] and buttons(closed) == []
    assert "Closed*: the deadline was cancelled" in text_of(closed)
    with h.session() as s:
        cr = s.scalar(select(ChangeRequest))
        assert cr is not None and cr.state == "cancelled"
    # No reminder or escalation ever again, not even after the pause or the due date.
    posted = len(reminders(h))
    h.sweep("2027-03-10T16:01Z")
    h.sweep("2027-03-12T16:01Z")
    assert len(reminders(h)) == posted == 1
    assert escalations(h, OWNER) == []
    # The old buttons change nothing.
    press(h, reminder, "Acknowledge", user=PRIYA)
    assert "was cancelled by <@U_DANA>; there is nothing to acknowledge" in (
        last_ephemeral_response(h)
    )
    press(h, request, "Approve (Acme Dev)", user=PRIYA)
    assert "its deadline was cancelled" in last_ephemeral_response(h)
    assert deadline(h).acknowledged_at is None
    # History: not in the list, shown as cancelled in `deadline show`.
    assert "API v2 handover" not in reply(h, "deadline list")
    shown = reply(h, "deadline show 1")
    assert "🚫 cancelled" in shown
    assert "Cancelled by <@U_DANA>, Tue 9 Mar 2027 18:00 CET — reason: Dropped from" in shown
    assert "closed when the deadline was cancelled" in shown
    detail = audit_detail(h, "deadline.cancel")
    assert detail["actor"] == OWNER and detail["reason"] == "Dropped from the release"
    assert detail["cancelled_change_ids"] == [change_id(h)]


def test_cancel_twice_is_refused_and_tells_the_channel_once(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    reply(h, CANCEL)
    before = counts(h)
    posts = len(h.posts())
    text = reply(h, 'deadline cancel 1 reason "again"')
    assert text == "#1 API v2 handover was cancelled by <@U_DANA>; there is nothing to cancel."
    assert counts(h) == before and len(h.posts()) == posts
    assert len(notes(h, "cancelled deadline")) == 1
    assert audit_actions(h).count("deadline.cancel") == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("deadline cancel", "Which deadline?"),
        ("deadline cancel 1", "A cancel needs a reason"),
        ("deadline cancel 1 reason", "A cancel needs a reason"),
        ('deadline cancel 1 reason ""', "The reason is empty."),
        ('deadline cancel one reason "x"', "`one` is not a deadline number"),
        ('deadline cancel 7 reason "x"', "There is no deadline #7 in this channel."),
        ('deadline cancel 1 reason "unterminated', "opening quote without a closing one"),
    ],
)
def test_cancel_bad_input_says_the_right_form_and_changes_nothing(
    any_harness: Harness, text: str, says: str
) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    before, posts = counts(h), len(h.posts())
    answer = reply(h, text)
    assert says in answer and answer.endswith(usage("deadline cancel"))
    assert "Traceback" not in answer
    assert counts(h) == before and len(h.posts()) == posts
    assert deadline(h).state == "open"


def test_cancel_is_refused_to_the_vendor_side(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    beta(h)
    before, posts = counts(h), len(h.posts()) + len(h.posts(PLAIN_CHANNEL))
    # A Slack Connect user: no slash commands at all.
    assert EXTERNAL_REFUSAL in vendor_says(h, CANCEL)
    # The vendor contact of Beta, who can type commands: told politely who can.
    text = reply(h, CANCEL, user=ALEX, channel=PLAIN_CHANNEL)
    assert text.startswith("Only the internal team can cancel a deadline; nothing was changed.")
    assert counts(h) == before
    assert len(h.posts()) + len(h.posts(PLAIN_CHANNEL)) == posts
    assert deadline(h).state == "open"


def test_a_done_deadline_cannot_be_cancelled_and_a_cancelled_one_not_done(
    any_harness: Harness,
) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    add(h, 'deadline add "Test plan" 2027-03-11 owner <@U_RAVI>')
    reply(h, "deadline done 1")
    before = counts(h)
    assert "is done already; there is nothing to cancel" in reply(h, CANCEL)
    assert counts(h) == before
    reply(h, 'deadline cancel 2 reason "Merged into #1"')
    before = counts(h)
    assert "was cancelled by <@U_DANA>; there is nothing to mark done" in reply(
        h, "deadline done 2"
    )
    assert "there is nothing to move" in reply(h, 'deadline move 2 2027-03-20 reason "x"')
    assert "there is nothing to rename" in reply(h, 'deadline rename 2 "Test plan v2"')
    assert "there is nothing to re-own" in reply(h, "deadline owner 2 <@U_PRIYA>")
    assert counts(h) == before
    assert deadline(h, 2).state == "cancelled"


# --------------------------------------------------------------------------- deadline rename


def test_rename_tells_the_channel_and_reminders_say_the_new_title(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    # Slack sends the text HTML-escaped; a title is decoded and cleaned like `deadline add`'s.
    text = reply(h, 'deadline rename 1 "API  v2 &amp; docs &lt;handover&gt;\u0007"')
    assert text == "✏️ #1 is now called *API v2 &amp; docs &lt;handover&gt;*. The channel was told."
    assert deadline(h).title == "API v2 & docs <handover>"
    [note] = notes(h, "renamed")
    assert "<@U_DANA> renamed #1: ~API v2 handover~ → *API v2 &amp; docs &lt;handover&gt;*" in (
        text_of(note)
    )
    assert "<handover>" not in str(note)
    detail = audit_detail(h, "deadline.rename")
    assert (detail["old_title"], detail["new_title"]) == (
        "API v2 handover",
        "API v2 & docs <handover>",
    )
    h.sweep("2027-03-07T16:01Z")
    [reminder] = reminders(h)
    assert "API v2 &amp; docs &lt;handover&gt;" in text_of(reminder)
    assert "API v2 handover" not in text_of(reminder)


def test_rename_cannot_ping_the_channel_or_hide_a_link(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    reply(h, 'deadline rename 1 "<!channel> see <https://evil.example|the spec>"')
    [note] = notes(h, "renamed")
    raw = str(note)
    assert "<!channel>" not in raw and "<https://evil.example|" not in raw
    assert deadline(h).title == "@channel see the spec (https://evil.example)"


def test_renaming_to_the_same_title_twice_has_one_effect(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    reply(h, 'deadline rename 1 "API v2 handover (staging)"')
    before, posts = counts(h), len(h.posts())
    text = reply(h, 'deadline rename 1 "API v2 handover (staging)"')
    assert text == "#1 is already called “API v2 handover (staging)”; nothing was changed."
    assert counts(h) == before and len(h.posts()) == posts
    assert audit_actions(h).count("deadline.rename") == 1
    # A later, different rename is a new note.
    reply(h, 'deadline rename 1 "API v2 handover"')
    assert len(notes(h, "renamed")) == 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("deadline rename", "Which deadline?"),
        ("deadline rename 1", "Give the new title in quotes."),
        ('deadline rename 1 ""', "The title is empty."),
        ('deadline rename 1 "   "', "The title is empty."),
        ('deadline rename 1 "' + "x" * 201 + '"', "keep it under 200"),
        ('deadline rename 9 "New"', "There is no deadline #9 in this channel."),
        ('deadline rename #0 "New"', "is not a deadline number"),
    ],
)
def test_rename_bad_input_says_the_right_form_and_changes_nothing(
    any_harness: Harness, text: str, says: str
) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    before, posts = counts(h), len(h.posts())
    answer = reply(h, text)
    assert says in answer and answer.endswith(usage("deadline rename"))
    assert counts(h) == before and len(h.posts()) == posts
    assert deadline(h).title == "API v2 handover"


def test_rename_by_either_side_and_never_by_a_slack_connect_command(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    beta(h)
    before = counts(h)
    assert EXTERNAL_REFUSAL in vendor_says(h, 'deadline rename 1 "Renamed by Priya"')
    assert counts(h) == before and deadline(h).title == "API v2 handover"
    # Beta's vendor contact renames Beta's deadline; the channel hears of it.
    text = reply(h, 'deadline rename 1 "Spec review, part 1"', user=ALEX, channel=PLAIN_CHANNEL)
    assert "is now called *Spec review, part 1*" in text
    [note] = notes(h, "renamed", PLAIN_CHANNEL)
    assert "<@U_ALEX> renamed #1" in text_of(note)


# --------------------------------------------------------------------------- deadline owner


def test_new_owner_is_told_and_reminders_mention_them(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    text = reply(h, "deadline owner 1 <@U_RAVI|ravi>")
    assert text == "👤 <@U_RAVI> now owns *#1 API v2 handover*. The channel was told."
    assert deadline(h).owner_user_id == RAVI
    [note] = notes(h, "the owner of")
    assert "<@U_DANA> made <@U_RAVI> the owner of *#1 API v2 handover* (was <@U_PRIYA>)" in (
        text_of(note)
    )
    detail = audit_detail(h, "deadline.owner")
    assert (detail["old_owner"], detail["new_owner"], detail["actor"]) == (PRIYA, RAVI, OWNER)
    h.sweep("2027-03-07T16:01Z")
    [reminder] = reminders(h)
    assert "<@U_RAVI>" in text_of(reminder) and "<@U_PRIYA>" not in text_of(reminder)
    # The same owner again: nothing more.
    before, posts = counts(h), len(h.posts())
    assert reply(h, "deadline owner 1 owner <@U_RAVI>") == (
        "<@U_RAVI> owns #1 already; nothing was changed."
    )
    assert counts(h) == before and len(h.posts()) == posts


def test_owner_must_be_of_the_channels_two_organizations_and_in_the_channel(
    any_harness: Harness,
) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    h.fake.workspace.add_user("U_SAM", "T_INTERNAL", name="sam")  # ours, not in the channel
    h.fake.workspace.add_user("U_BOT", "T_INTERNAL", name="bot", is_bot=True)
    h.fake.workspace.add_member(SHARED_CHANNEL, MALLORY)  # even when in the channel
    before, posts = counts(h), len(h.posts())
    cases = {
        "deadline owner 1 <@U_MALLORY>": "<@U_MALLORY> belongs to an organization this "
        "channel is not shared with. A deadline's owner must be someone from your team or "
        "Acme Dev's.",
        "deadline owner 1 <@U_SAM>": "<@U_SAM> is not in this channel",
        "deadline owner 1 <@U_BOT>": "is a bot",
        "deadline owner 1 <@U_NOBODY>": "I can't find <@U_NOBODY> in Slack",
        "deadline owner 1 @mallory": "I can't find @mallory — pick the person from the @ menu.",
        "deadline owner 1 <#C_OTHER|random>": "is a channel, not a person",
        "deadline owner 1": "Mention the person with @.",
        "deadline owner <@U_RAVI>": "is not a deadline number",
        "deadline owner 4 <@U_RAVI>": "There is no deadline #4 in this channel.",
        "deadline owner 1 <@U_RAVI> <@U_PRIYA>": "I didn't expect",
    }
    for text, says in cases.items():
        answer = reply(h, text)
        assert says in answer, (text, answer)
        if "is a bot" not in says:
            assert answer.endswith(usage("deadline owner")), (text, answer)
    h.fake.workspace.update_user(RAVI, deleted=True)
    h.runtime.directory.forget_user("T_INTERNAL", RAVI)
    assert "is deactivated" in reply(h, "deadline owner 1 <@U_RAVI>")
    assert counts(h) == before and len(h.posts()) == posts
    assert deadline(h).owner_user_id == PRIYA


def test_deadline_add_checks_its_owner_the_same_way(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    before = counts(h)
    text = reply(h, 'deadline add "API" 2027-03-10 owner <@U_MALLORY>')
    assert "belongs to an organization this channel is not shared with" in text
    assert text.endswith(usage("deadline add"))
    text = reply(h, 'deadline add "API" 2027-03-10 owner <@U_PRIYA> owner <@U_RAVI>')
    assert text.startswith("`owner` given twice") and text.endswith(usage("deadline add"))
    assert counts(h) == before and h.posts() == []


def test_owner_change_by_either_side_and_never_by_a_slack_connect_command(
    any_harness: Harness,
) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    beta(h)
    before = counts(h)
    assert EXTERNAL_REFUSAL in vendor_says(h, "deadline owner 1 <@U_RAVI>")
    assert counts(h) == before and deadline(h).owner_user_id == PRIYA
    # Beta's vendor contact hands Beta's deadline to the internal side's Dana.
    text = reply(h, "deadline owner 1 <@U_DANA>", user=ALEX, channel=PLAIN_CHANNEL)
    assert "<@U_DANA> now owns" in text
    [note] = notes(h, "the owner of", PLAIN_CHANNEL)
    assert "<@U_ALEX> made <@U_DANA> the owner" in text_of(note)
    # In a channel that is not shared, someone of the vendor's own workspace can't own it.
    assert "belongs to an organization" in reply(
        h, "deadline owner 1 <@U_PRIYA>", channel=PLAIN_CHANNEL
    )


# --------------------------------------------------------------------------- change withdraw


def _requested(h: Harness) -> tuple[int, dict[str, Any]]:
    h.make_vendor(tz="Europe/Berlin")
    add(h)
    text = reply(h, MOVE)
    cid = change_id(h)
    assert f"to take it back: `/outsource change withdraw {cid}`" in text
    message = latest_with(h, f"Change request #{cid}")
    return cid, message


def test_withdraw_updates_the_request_and_its_buttons_change_nothing(any_harness: Harness) -> None:
    h = any_harness
    cid, message = _requested(h)
    press(h, message, "Approve (internal)", user=ALEX)  # half approved
    text = reply(h, f"change withdraw {cid}")
    assert text.startswith(f"↩️ Change request #{cid} is withdrawn")
    final = latest_with(h, f"Change request #{cid}")
    assert final["ts"] == message["ts"]
    assert "Withdrawn* by <@U_DANA>" in text_of(final) and buttons(final) == []
    with h.session() as s:
        cr = s.get(ChangeRequest, cid)
        assert cr is not None
        assert (cr.state, cr.withdrawn_by, cr.withdrawn_at) == ("withdrawn", OWNER, h.clock.now())
    updates = len(h.fake.calls("chat.update"))
    before = counts(h)
    # A click on the old message's Approve is refused politely and changes nothing.
    press(h, message, "Approve (Acme Dev)", user=PRIYA)
    assert "<@U_DANA> withdrew this change request; there is nothing to approve" in (
        last_ephemeral_response(h)
    )
    # Withdrawing twice: refused, no second update.
    assert reply(h, f"change withdraw #{cid}") == (
        f"<@U_DANA> withdrew change request #{cid} already."
    )
    assert counts(h) == before and len(h.fake.calls("chat.update")) == updates
    assert deadline(h).due_at == datetime(2027, 3, 10, 16, tzinfo=UTC)
    assert "withdrawn by <@U_DANA>" in reply(h, "deadline show 1")
    assert audit_detail(h, "change.withdraw") == {
        "actor": OWNER,
        "change_id": cid,
        "side": "internal",
    }
    # The deadline may be moved again.
    assert "Change request posted" in reply(h, 'deadline move 1 2027-03-15 reason "Later"')


def test_a_teammate_of_the_requesting_side_may_withdraw(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    reply(h, 'change "Add SSO to the admin panel"')
    cid = change_id(h)
    text = reply(h, f"change withdraw {cid}", user=ALEX)
    assert "is withdrawn" in text
    assert "Withdrawn* by <@U_ALEX>" in text_of(latest_with(h, "Add SSO"))


def test_only_the_requesting_side_may_withdraw(any_harness: Harness) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    beta(h)
    # Dana (internal) asks Beta for a move; Beta's contact Alex cannot withdraw it …
    reply(h, MOVE, channel=PLAIN_CHANNEL)
    ours = change_id(h)
    before = counts(h)
    text = reply(h, f"change withdraw {ours}", user=ALEX, channel=PLAIN_CHANNEL)
    assert text.startswith(
        f"Only the side that asked for change request #{ours} (the internal team) can "
        "withdraw it; nothing was changed. To turn it down, use its Decline button."
    )
    assert counts(h) == before
    # … and a change Alex asks for is Beta's to withdraw, not ours.
    reply(h, 'change "Drop the PDF export"', user=ALEX, channel=PLAIN_CHANNEL)
    theirs = change_id(h)
    before = counts(h)
    text = reply(h, f"change withdraw {theirs}", channel=PLAIN_CHANNEL)
    assert f"change request #{theirs} (Beta Ltd's side) can withdraw it" in text
    assert counts(h) == before
    assert "is withdrawn" in reply(h, f"change withdraw {theirs}", user=ALEX, channel=PLAIN_CHANNEL)
    with h.session() as s:
        states = {c.id: c.state for c in s.scalars(select(ChangeRequest))}
    assert states == {ours: "pending", theirs: "withdrawn"}
    # A Slack Connect user has no slash commands at all.
    before = counts(h)
    assert EXTERNAL_REFUSAL in vendor_says(h, f"change withdraw {ours}")
    assert counts(h) == before


def test_withdraw_bad_input_and_decided_requests(any_harness: Harness) -> None:
    h = any_harness
    cid, message = _requested(h)
    beta(h)
    reply(h, 'change "Other vendor\'s change"', channel=PLAIN_CHANNEL)
    other = change_id(h)
    before, posts = counts(h), len(h.posts())
    for text, says in {
        "change withdraw": "Which change request? Give its number",
        "change withdraw 0": "is not a change request number",
        f"change withdraw {other + 5}": f"There is no change request #{other + 5} in this",
        f"change withdraw {other}": f"There is no change request #{other} in this channel",
    }.items():
        answer = reply(h, text)
        assert says in answer and answer.endswith(usage("change withdraw")), (text, answer)
    assert counts(h) == before and len(h.posts()) == posts
    # Decided requests cannot be withdrawn.
    press(h, message, "Approve (internal)", user=OWNER)
    press(h, latest_with(h, f"Change request #{cid}"), "Approve (Acme Dev)", user=PRIYA)
    before = counts(h)
    assert reply(h, f"change withdraw {cid}").startswith(
        f"Change request #{cid} was approved already; there is nothing to withdraw."
    )
    assert counts(h) == before


# --------------------------------------------------------------------------- Undo


def _added_with_undo(h: Harness) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add #1; the confirmation's Undo button (label, action id, value, block id) as a click
    would carry it, and the posted announcement."""
    h.make_vendor(tz="Europe/Berlin")
    resp = h.command('deadline add "API v2 handover" 2027-03-10 17:00 owner <@U_PRIYA>', user=OWNER)
    body = resp.json()
    assert "Undo works for 10 minutes" in str(body["blocks"])
    [(label, action_id, value, block_id)] = buttons(body)
    assert label == "Undo"
    return {"action_id": action_id, "value": value, "block_id": block_id}, latest_with(
        h, "set deadline"
    )


def _undo(h: Harness, button: dict[str, Any], *, user: str = OWNER, **kw: Any) -> Any:
    return h.click(
        button["action_id"],
        kit.encode(button["value"]),
        user=user,
        channel_id=SHARED_CHANNEL,
        block_id=button["block_id"],
        is_ephemeral=True,
        **kw,
    )


def test_undo_takes_the_deadline_back(any_harness: Harness) -> None:
    h = any_harness
    button, announcement = _added_with_undo(h)
    h.clock.advance(timedelta(minutes=9))
    resp = _undo(h, button)
    assert resp.status == 200
    [answer] = h.fake.responses()
    assert answer["replace_original"] is True
    assert answer["text"] == (
        "↩️ Undone: *#1 API v2 handover* was taken back, and its note in the channel says so."
    )
    d = deadline(h)
    assert (d.state, d.cancel_reason, d.cancelled_by) == ("cancelled", "undone", OWNER)
    note = latest_with(h, "took it back")
    assert note["ts"] == announcement["ts"] and buttons(note) == []
    assert "<@U_DANA> set deadline *#1 API v2 handover*, then took it back." in text_of(note)
    # No separate post about it; no reminder ever.
    assert len(h.posts()) == 1
    h.sweep("2027-03-07T16:01Z")
    h.sweep("2027-03-12T16:01Z")
    assert reminders(h) == [] and escalations(h, OWNER) == []
    assert audit_detail(h, "deadline.cancel")["undo"] is True
    assert "API v2 handover" not in reply(h, "deadline list")
    assert "Undone by <@U_DANA>" in reply(h, "deadline show 1")


def test_undo_twice_and_a_repeated_click_have_one_effect(any_harness: Harness) -> None:
    h = any_harness
    button, _ = _added_with_undo(h)
    h.clock.advance(timedelta(minutes=1))
    ts = f"{h.clock.now().timestamp():.6f}"
    _undo(h, button, action_ts=ts)
    after = counts(h)
    updates = len(h.fake.calls("chat.update"))
    _undo(h, button, action_ts=ts)  # the same click delivered again
    assert counts(h) == after and len(h.fake.calls("chat.update")) == updates
    h.clock.advance(timedelta(seconds=5))
    _undo(h, button)  # a second click
    assert last_ephemeral_response(h) == "#1 API v2 handover was undone already."
    assert counts(h) == after and len(h.fake.calls("chat.update")) == updates
    assert audit_actions(h).count("deadline.cancel") == 1


def test_undo_only_by_the_person_who_added_it_and_only_for_a_while(any_harness: Harness) -> None:
    h = any_harness
    button, _ = _added_with_undo(h)
    before = counts(h)
    _undo(h, button, user=ALEX)
    assert last_ephemeral_response(h) == (
        "Only <@U_DANA>, who added #1, can undo it; nothing was changed."
    )
    _undo(h, button, user=PRIYA)  # the vendor side: not their button at all
    assert "that button is for the internal team" in last_ephemeral_response(h)
    assert counts(h) == before and deadline(h).state == "open"
    h.clock.advance(timedelta(minutes=10, seconds=1))
    _undo(h, button)
    answer = last_ephemeral_response(h)
    assert answer.startswith(
        "Undo works for 10 minutes after adding a deadline, and that time is over; #1 stays."
    )
    assert '`/outsource deadline cancel 1 reason "…"`' in answer
    assert counts(h) == before and deadline(h).state == "open"
    assert h.fake.calls("chat.update") == []


def test_undo_of_a_deadline_done_or_cancelled_meanwhile(any_harness: Harness) -> None:
    h = any_harness
    button, _ = _added_with_undo(h)
    reply(h, "deadline done 1")
    before = counts(h)
    _undo(h, button)
    assert "is done already; there is nothing to undo" in last_ephemeral_response(h)
    assert counts(h) == before and deadline(h).state == "done"


def test_undo_from_another_channel_changes_nothing(any_harness: Harness) -> None:
    h = any_harness
    button, _ = _added_with_undo(h)
    h.make_vendor("Beta Ltd", channel=PLAIN_CHANNEL, shared=False, vendor=(ALEX,))
    before = counts(h)
    h.click(
        button["action_id"],
        kit.encode(button["value"]),
        user=OWNER,
        channel_id=PLAIN_CHANNEL,
        is_ephemeral=True,
    )
    assert "not one of this channel's" in last_ephemeral_response(h)
    assert counts(h) == before and deadline(h).state == "open"
    assert buttons(latest_with(h, "set deadline"))  # the announcement is untouched


def test_undo_before_the_announcement_went_out_means_it_never_does(
    any_harness: Harness,
) -> None:
    h = any_harness
    h.make_vendor(tz="Europe/Berlin")
    h.fake.fail_next("chat.postMessage", status=429, retry_after=120)
    body = h.command('deadline add "API v2 handover" 2027-03-10 17:00 owner <@U_PRIYA>').json()
    assert h.posts() == []  # Slack said "later"
    [(_, action_id, value, block_id)] = buttons(body)
    _undo(h, {"action_id": action_id, "value": value, "block_id": block_id})
    assert "Undone" in h.fake.responses()[-1]["text"]
    h.clock.advance(timedelta(minutes=3))
    h.sweep()
    assert h.posts() == [] and h.fake.calls("chat.update") == []
    assert outbox_states(h, "announce:deadline:") == {
        f"announce:deadline:{deadline(h).id}": "skipped"
    }
