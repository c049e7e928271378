"""Block Kit for check-ins, their update form and answers, and responsiveness DMs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.blocks import kit
from bot.blocks.ids import Action, BlockId, Callback
from bot.text.escaping import clean, mrkdwn

Block = dict[str, Any]

ON_TRACK_LABELS = {
    "yes": "On track",
    "at_risk": "At risk",
    "blocked": "Blocked",
}
ON_TRACK_ICONS = {"yes": ":white_check_mark:", "at_risk": ":warning:", "blocked": ":no_entry:"}
MAX_FIELD = 3000
# One answer field in a summary section (Slack allows 3000 characters, escaping adds some).
SHOWN_FIELD = 2500
FALLBACK_FIELD = 300

# Everything people typed — a vendor name, an answer — is escaped once here, on the way out
# (bot/text/escaping.py): nothing becomes a live broadcast, masked link or mention of an outsider.


def _who(user_id: str | None, fallback: str) -> str:
    return f"<@{user_id}>" if user_id else fallback


def _name(vendor_name: str) -> str:
    return mrkdwn(vendor_name)


def _field(value: str | None, live_users: Collection[str], *, limit: int = SHOWN_FIELD) -> str:
    """An answer's text in a post: cut before it is escaped (never an escape cut in half)."""
    if not value:
        return ""
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return mrkdwn(value, live_users=live_users)


# --------------------------------------------------------------------------- channel posts


def checkin_post(
    *,
    vendor_name: str,
    vendor_user_id: str | None,
    checkin_id: int,
    when_label: str,
    scheduled: bool = True,
) -> tuple[str, list[Block], str]:
    """The check-in post: (fallback text, blocks, one-line summary for bundles)."""
    name = _name(vendor_name)
    who = _who(vendor_user_id, f"{name} team")
    ask = (
        f"{who}, how are things going? Share a quick update with *Update*, "
        "or just reply in this thread."
    )
    text = f"Check-in for {name}: {ask}"
    blocks = [
        kit.section(f":wave: *Check-in for {name}*\n{ask}"),
        kit.actions(
            kit.button("Update", Action.CHECKIN_UPDATE_VENDOR, {"c": checkin_id}, style="primary"),
            block_id=f"checkin_{checkin_id}",
        ),
        kit.context(f"{'Scheduled check-in' if scheduled else 'Check-in'} · {when_label}"),
    ]
    summary = f"Check-in for {name}: {who}, please share an update (Update or reply)"
    return text, blocks, summary


def reminder_post(*, vendor_name: str, vendor_user_id: str | None) -> tuple[str, str]:
    """The one in-thread reminder for an unanswered check-in: (text, summary)."""
    who = _who(vendor_user_id, f"{_name(vendor_name)} team")
    text = (
        f"Friendly reminder, {who}: this check-in is still waiting for an update. "
        "Press *Update* above or reply in this thread."
    )
    return text, f"Reminder: {who}, the check-in still needs an update"


def answer_summary(
    *,
    user_id: str,
    via: str,
    on_track: str | None,
    done: str | None,
    next_: str | None,
    blockers: str | None,
    live_users: Collection[str] = frozenset(),
) -> tuple[str, list[Block]]:
    """The neat summary of an answer, posted in the check-in's thread. The answer's words are
    shown as written, inert: mentions live only for `live_users` (people in the channel)."""
    status = (
        f"{ON_TRACK_ICONS[on_track]} {ON_TRACK_LABELS[on_track]}"
        if on_track in ON_TRACK_LABELS
        else "status not given"
    )
    head = f"*Check-in update from <@{user_id}>* · {status}"

    def lines(limit: int) -> list[str]:
        if via == "thread":
            return [f"*Update (reply in this thread):* {_field(done, live_users, limit=limit)}"]
        return [
            f"*Done since last time:* {_field(done, live_users, limit=limit) or '—'}",
            f"*Next:* {_field(next_, live_users, limit=limit) or '—'}",
            f"*Blockers:* {_field(blockers, live_users, limit=limit)}"
            if blockers
            else "*Blockers:* none",
        ]

    # The fallback (notifications, screen readers) is short; the blocks show each field whole.
    text = "\n".join([head, *lines(FALLBACK_FIELD)])
    blocks = [kit.section(head)] + [kit.section(line) for line in lines(SHOWN_FIELD)]
    return text, blocks


# --------------------------------------------------------------------------- DMs


def escalation_dm(
    *, vendor_name: str, channel_id: str, vendor_user_id: str | None, when_label: str
) -> str:
    who = _who(vendor_user_id, "the vendor")
    return (
        f":rotating_light: {_name(vendor_name)}: the check-in of {when_label} in <#{channel_id}> "
        f"is still unanswered after a reminder ({who}). Maybe a quick call would help?"
    )


def flag_dm(
    *,
    vendor_name: str,
    channel_id: str,
    user_id: str,
    on_track: str,
    blockers: str | None,
    next_: str | None,
) -> str:
    label = ON_TRACK_LABELS.get(on_track, on_track)
    icon = ON_TRACK_ICONS.get(on_track, ":warning:")
    lines = [
        f"{icon} {_name(vendor_name)} reports *{label.lower()}* in the check-in "
        f"(<@{user_id}> in <#{channel_id}>)."
    ]
    if blockers:
        lines.append(f"Blockers: {_field(blockers, (), limit=1500)}")
    if next_:
        lines.append(f"Next: {_field(next_, (), limit=1500)}")
    return "\n".join(lines)


def breach_dm(
    *,
    vendor_name: str,
    channel_id: str,
    started_by: str,
    started_label: str,
    sla_hours: float,
) -> str:
    return (
        f":hourglass: {_name(vendor_name)} has not answered <@{started_by}>'s message in "
        f"<#{channel_id}> of {started_label} within the SLA of {format_hours(sla_hours)} "
        "business hours."
    )


def silence_dm(*, vendor_name: str, channel_id: str, since_label: str, open_deadlines: int) -> str:
    plural = "deadline is" if open_deadlines == 1 else "deadlines are"
    return (
        f":mute: {_name(vendor_name)} has been silent in <#{channel_id}> for 5 business days "
        f"(last heard {since_label}) while {open_deadlines} {plural} open. "
        "How about a quick call?"
    )


def format_hours(hours: float) -> str:
    return f"{hours:g}"


# --------------------------------------------------------------------------- the update form


def _input(
    block_id: str, label: str, *, optional: bool, placeholder: str, initial: str | None
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": block_id,
        "multiline": True,
        "max_length": MAX_FIELD,
        "placeholder": kit.text(placeholder, mrkdwn=False),
    }
    if initial:
        element["initial_value"] = initial[:MAX_FIELD]
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": kit.text(label, mrkdwn=False),
        "element": element,
    }


def _option(value: str) -> Block:
    return {"text": kit.text(ON_TRACK_LABELS[value], mrkdwn=False), "value": value}


def update_modal(*, vendor_name: str, when_label: str, private_metadata: dict[str, Any]) -> Block:
    """The check-in update form. `private_metadata` carries the host team and channel, so an
    external (Slack Connect) user's submission is tied to the right installation and vendor."""
    return {
        "type": "modal",
        "callback_id": Callback.CHECKIN_MODAL,
        "private_metadata": kit.encode(private_metadata),
        "title": kit.text("Check-in update", mrkdwn=False),
        "submit": kit.text("Send update", mrkdwn=False),
        "close": kit.text("Cancel", mrkdwn=False),
        "blocks": [
            kit.context(f"{_name(vendor_name)} · check-in of {when_label}"),
            _input(
                BlockId.CHECKIN_DONE,
                "Done since last time",
                optional=False,
                placeholder="What got finished?",
                initial=None,
            ),
            _input(
                BlockId.CHECKIN_NEXT,
                "Next",
                optional=False,
                placeholder="What comes next?",
                initial=None,
            ),
            _input(
                BlockId.CHECKIN_BLOCKERS,
                "Blockers",
                optional=True,
                placeholder="Anything in the way? Leave empty if nothing.",
                initial=None,
            ),
            {
                "type": "input",
                "block_id": BlockId.CHECKIN_ON_TRACK,
                "label": kit.text("On track?", mrkdwn=False),
                "element": {
                    "type": "radio_buttons",
                    "action_id": BlockId.CHECKIN_ON_TRACK,
                    "options": [_option(v) for v in ON_TRACK_LABELS],
                    "initial_option": _option("yes"),
                },
            },
        ],
    }


@dataclass(frozen=True)
class UpdateForm:
    done: str
    next: str
    blockers: str | None
    on_track: str


def _value(values: dict[str, Any], block_id: str) -> Any:
    leaf = (values.get(block_id) or {}).get(block_id) or {}
    if leaf.get("type") in ("radio_buttons", "static_select"):
        return (leaf.get("selected_option") or {}).get("value")
    return leaf.get("value")


def read_update_form(view: dict[str, Any]) -> tuple[UpdateForm | None, dict[str, str]]:
    """The submitted form, or the per-field errors to show in the modal."""
    values = ((view.get("state") or {}).get("values")) or {}
    errors: dict[str, str] = {}
    texts: dict[str, str] = {}
    for block_id, label, required in (
        (BlockId.CHECKIN_DONE, "what got done", True),
        (BlockId.CHECKIN_NEXT, "what comes next", True),
        (BlockId.CHECKIN_BLOCKERS, "blockers", False),
    ):
        raw = _value(values, block_id)
        # Modal input arrives raw: only what must never be stored is removed.
        value = clean(str(raw), multiline=True) if raw else ""
        if required and not value:
            errors[block_id] = f"Please say {label}."
        elif len(value) > MAX_FIELD:
            errors[block_id] = f"Keep it under {MAX_FIELD:,} characters."
        texts[block_id] = value
    on_track = _value(values, BlockId.CHECKIN_ON_TRACK) or ""
    if on_track not in ON_TRACK_LABELS:
        errors[BlockId.CHECKIN_ON_TRACK] = "Pick one: on track, at risk or blocked."
    if errors:
        return None, errors
    blockers = texts[BlockId.CHECKIN_BLOCKERS]
    if blockers.lower() in ("none", "no", "n/a", "-", "nothing"):
        blockers = ""
    return (
        UpdateForm(
            done=texts[BlockId.CHECKIN_DONE],
            next=texts[BlockId.CHECKIN_NEXT],
            blockers=blockers or None,
            on_track=on_track,
        ),
        {},
    )
