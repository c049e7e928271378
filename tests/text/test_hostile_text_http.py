"""Every place people's words enter a post, in one table: driven through signed HTTP, read back
from everything the bot sent to Slack (posts, updates, ephemerals, DMs, the `text` fallbacks).

Nobody's words become a live broadcast (`<!channel>`, `<!here>`, `<!everyone>`, a user group)
or a masked link, and text Slack sent HTML-escaped is escaped exactly once on the way out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import OWNER, PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness
from tests.recaps.helpers import VTT, bot_post, share_file, submit_recap

# Typed the way Slack delivers it: @channel/@here/@everyone and a labelled link as markup,
# brackets and ampersands typed literally as entities.
HOSTILE = (
    "Q&amp;A <!channel> <!here> <!everyone> <!subteam^S1|@devs> "
    "<https://evil.example/login|Open the spec> &lt;v2&gt;"
)
# The same, as someone types it into a modal (Slack sends modal input raw).
HOSTILE_RAW = (
    "Q&A <!channel> <!here> <!everyone> <!subteam^S1|@devs> "
    "<https://evil.example/login|Open the spec> <v2>"
)
LIVE = ("<!channel", "<!here", "<!everyone", "<!subteam", "<https://evil", "|Open the spec>")


def _sent(h: Harness) -> list[str]:
    """Everything the bot asked Slack to show: text and blocks of each call."""
    shown = []
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open"):
        for call in h.fake.calls(method):
            params = call.params
            shown.append(
                str(params.get("text") or "")
                + json.dumps(params.get("blocks") or [])
                + json.dumps(params.get("view") or {})
            )
    shown.extend(h.runtime.extras.get("acks", []))
    for response in h.fake.responses():
        shown.append(str(response.get("text") or "") + json.dumps(response.get("blocks") or []))
    return shown


def _cmd(h: Harness, text: str) -> None:
    """A slash command; its answer (the HTTP body) is shown to the person too."""
    response = h.command(text)
    h.runtime.extras.setdefault("acks", []).append(response.body_text)


def _title(h: Harness) -> str:
    h.make_vendor()
    _cmd(h, f'deadline add "{HOSTILE}" 2027-03-10 17:00 owner <@{PRIYA}>')
    return "deadline title"


def _reason_and_change(h: Harness) -> str:
    h.make_vendor()
    _cmd(h, 'deadline add "API" 2027-03-10 17:00')
    _cmd(h, f'deadline move 1 2027-03-12 17:00 reason "{HOSTILE}"')
    _cmd(h, f'change "{HOSTILE}"')
    return "move reason, change description"


def _rename_and_cancel(h: Harness) -> str:
    h.make_vendor()
    _cmd(h, 'deadline add "API" 2027-03-10 17:00')
    _cmd(h, f'deadline rename 1 "{HOSTILE}"')
    _cmd(h, f'deadline cancel 1 reason "{HOSTILE}"')
    return "rename, cancel reason"


def _thread_reply_to_checkin(h: Harness) -> str:
    h.make_vendor()
    _cmd(h, "checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")
    checkin = next(p for p in h.fake.messages(SHARED_CHANNEL) if p.get("thread_ts") is None)
    h.say(HOSTILE, user=PRIYA, thread_ts=checkin["ts"])
    h.sweep("2027-03-08T09:05Z")
    return "check-in thread reply"


def _checkin_form(h: Harness) -> str:
    h.make_vendor()
    _cmd(h, "checkin every mon 10:00")
    h.sweep("2027-03-08T09:01Z")
    checkin = next(p for p in h.fake.messages(SHARED_CHANNEL) if p.get("thread_ts") is None)
    h.click_button(dict(checkin, channel=SHARED_CHANNEL), "Update", user=PRIYA)
    raw = h.fake.calls("views.open")[-1].params["view"]
    meta = (json.loads(raw) if isinstance(raw, str) else raw)["private_metadata"]
    values = {
        "checkin_done": {"checkin_done": HOSTILE_RAW},
        "checkin_next": {"checkin_next": HOSTILE_RAW},
        "checkin_blockers": {"checkin_blockers": HOSTILE_RAW},
        "checkin_on_track": {
            "checkin_on_track": {"type": "radio_buttons", "selected_option": {"value": "blocked"}}
        },
    }
    h.submit("checkin_modal", values, user=PRIYA, team_id=VENDOR_TEAM, private_metadata=meta)
    h.sweep("2027-03-08T09:05Z")
    return "check-in form answers, blocked DM"


def _recap_items(h: Harness) -> str:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    submit_recap(
        h,
        f"Decisions:\n- {HOSTILE_RAW}\nAction items:\n- Priya to check {HOSTILE_RAW} by 2027-03-20",
    )
    return "recap items"


def _recap_from_message(h: Harness) -> str:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    message = h.fake.workspace.add_message(
        SHARED_CHANNEL, text=f"Decisions:\n- {HOSTILE}", user=OWNER
    )
    h.shortcut(
        "recap_from_message",
        {"ts": message.ts, "text": f"Decisions:\n- {HOSTILE}", "user": OWNER, "type": "message"},
        channel_id=SHARED_CHANNEL,
    )
    return "recap from a message"


def _file_name(h: Harness) -> str:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    share_file(h, "F_EVIL", f"{HOSTILE_RAW}.vtt", VTT.encode(), user=PRIYA)
    h.sweep()
    return "transcript file name"


def _meeting_bot_name(h: Harness) -> str:
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    bot_post(h, "Meeting summary\nDecisions:\n- ship it", name=f"Zoom {HOSTILE_RAW}")
    h.sweep()
    return "meeting-bot user name"


def _vendor_name(h: Harness) -> str:
    _cmd(h, "vendor add Acme &amp; Sons <https://evil.example/login|Open the spec> tz UTC")
    _cmd(h, "vendor list")
    return "vendor name"


ENTRY_POINTS: list[Callable[[Harness], str]] = [
    _title,
    _reason_and_change,
    _rename_and_cancel,
    _thread_reply_to_checkin,
    _checkin_form,
    _recap_items,
    _recap_from_message,
    _file_name,
    _meeting_bot_name,
    _vendor_name,
]


@pytest.mark.parametrize("enter", ENTRY_POINTS, ids=lambda f: f.__name__.strip("_"))
def test_peoples_words_never_become_live_markup(harness: Harness, enter: Any) -> None:
    h = harness
    where = enter(h)
    shown = _sent(h)
    assert shown, f"{where}: nothing was shown at all"
    for text in shown:
        for markup in LIVE:
            assert markup not in text, f"{where}: {markup!r} is live in {text[:400]}"
        assert "&amp;amp;" not in text and "&amp;lt;" not in text, f"{where}: escaped twice"


@pytest.mark.parametrize(
    "enter", [_title, _reason_and_change, _recap_items], ids=lambda f: f.__name__.strip("_")
)
def test_the_words_still_show_escaped_once(harness: Harness, enter: Any) -> None:
    """Made inert, not dropped: the ampersand and the brackets people typed are shown."""
    h = harness
    enter(h)
    shown = "\n".join(_sent(h))
    assert "Q&amp;A" in shown and "&lt;v2&gt;" in shown
    if enter is not _recap_items:  # recap items keep a link's label only
        assert "evil.example/login" in shown  # the address is visible as text
