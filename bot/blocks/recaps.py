"""Block Kit for call recaps: the modal, the record in the channel, offers and nudges.

The builders take plain view models (no ORM rows), filled in by `bot.services.recaps`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.blocks import kit
from bot.blocks.ids import Action, BlockId, Callback

Block = dict[str, Any]

# Slack's limit for a plain_text_input (max_length may not exceed 3000).
MODAL_TEXT_LIMIT = 3000
MAX_BLOCKS = 50  # Slack's limit per message
SECTION_LIMIT = 2900  # a section's text may hold 3000 characters; keep a margin
TRANSCRIPT_TYPES = ["vtt", "srt", "txt", "text"]
MAX_LIST_ITEMS = 25  # per list in the message; every item stays in the stored record


# --------------------------------------------------------------------------- the modal


@dataclass
class RecapForm:
    """What the recap modal shows. `metadata` travels in `private_metadata`."""

    metadata: dict[str, Any]
    vendor_name: str
    tz_name: str
    call_date: str  # YYYY-MM-DD in the vendor's zone
    call_time: str  # HH:MM in the vendor's zone
    participants: list[str]
    summary: str | None = None
    editing: bool = False
    note: str | None = None  # shown above the summary (e.g. where the text came from)
    allow_transcript: bool = True


def recap_modal(form: RecapForm) -> dict[str, Any]:
    intro = (
        f"Editing the call recap with *{form.vendor_name}*. Saving posts the new version in "
        "place; both sides confirm it again."
        if form.editing
        else f"A written record of a call with *{form.vendor_name}*. Paste the summary or your "
        "notes: I pick out the decisions, the action items (owner, due) and the open questions, "
        "post the recap in the channel and ask both sides to confirm it."
    )
    blocks: list[Block] = [kit.section(intro)]
    if form.note:
        blocks.append(kit.context(form.note))
    summary_el: Block = {
        "type": "plain_text_input",
        "action_id": BlockId.SUMMARY.value,
        "multiline": True,
        "max_length": MODAL_TEXT_LIMIT,
        "placeholder": kit.text(
            "Decisions: …\nAction items: Priya to send the estimate by Friday …\nOpen questions: …",
            mrkdwn=False,
        ),
    }
    if form.summary:
        summary_el["initial_value"] = form.summary[:MODAL_TEXT_LIMIT]
    blocks.append(_input(BlockId.SUMMARY, "Summary of the call", summary_el))
    blocks.append(
        _input(
            BlockId.RECAP_CALL_DATE,
            "Call date",
            {
                "type": "datepicker",
                "action_id": BlockId.RECAP_CALL_DATE.value,
                "initial_date": form.call_date,
            },
        )
    )
    blocks.append(
        _input(
            BlockId.RECAP_CALL_TIME,
            f"Call time ({form.tz_name})",
            {
                "type": "timepicker",
                "action_id": BlockId.RECAP_CALL_TIME.value,
                "initial_time": form.call_time,
                "timezone": form.tz_name,
            },
        )
    )
    users: Block = {"type": "multi_users_select", "action_id": BlockId.RECAP_PARTICIPANTS.value}
    if form.participants:
        users["initial_users"] = list(form.participants)
    blocks.append(_input(BlockId.RECAP_PARTICIPANTS, "Who was on the call", users, optional=True))
    if form.allow_transcript:
        blocks.append(
            _input(
                BlockId.RECAP_TRANSCRIPT,
                "Transcript (.vtt, .srt or .txt)",
                {
                    "type": "file_input",
                    "action_id": BlockId.RECAP_TRANSCRIPT.value,
                    "filetypes": TRANSCRIPT_TYPES,
                    "max_files": 1,
                },
                optional=True,
            )
        )
    return {
        "type": "modal",
        "callback_id": Callback.RECAP_MODAL.value,
        "title": kit.text("Edit call recap" if form.editing else "Call recap", mrkdwn=False),
        "submit": kit.text("Save" if form.editing else "Post recap", mrkdwn=False),
        "close": kit.text("Cancel", mrkdwn=False),
        "private_metadata": kit.encode(form.metadata),
        "blocks": blocks,
    }


def _input(block_id: str, label: str, element: Block, *, optional: bool = False) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": kit.text(label, mrkdwn=False),
        "element": element,
    }
    if optional:
        block["optional"] = True
    return block


# --------------------------------------------------------------------------- the record


@dataclass
class ItemView:
    what: str
    owner_user_id: str | None = None
    owner_text: str | None = None  # a name that did not resolve to a Slack user
    owner_unsure: bool = False
    due_label: str | None = None
    due_text: str | None = None  # the words used, when no date could be read from them
    due_unsure: bool = False
    deadline_number: int | None = None


@dataclass
class Confirmation:
    side_label: str  # "Northwind" / "Acme Dev"
    user_id: str | None = None
    at_label: str | None = None


@dataclass
class RecapView:
    recap_id: int
    vendor_name: str
    call_label: str  # "Mon 1 Mar 2027 10:00 CET"
    call_day: str  # "Mon 1 Mar 2027"
    created_by: str
    revision: int
    participants: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    items: list[ItemView] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    source_label: str | None = None  # "transcript meeting.vtt", "a post by Zoom"
    permalink: str | None = None
    internal: Confirmation = field(default_factory=lambda: Confirmation("internal side"))
    vendor: Confirmation = field(default_factory=lambda: Confirmation("vendor side"))
    edited_label: str | None = None

    @property
    def both_confirmed(self) -> bool:
        return bool(self.internal.user_id and self.vendor.user_id)


def recap_title(view: RecapView) -> str:
    return f"Call recap: {view.vendor_name}, {view.call_day}"


def recap_message(view: RecapView) -> tuple[str, list[Block]]:
    """The record as posted (and updated in place): text fallback and blocks."""
    blocks: list[Block] = [kit.header(recap_title(view))]
    meta = [f"Call on {view.call_label}", f"recorded by <@{view.created_by}>"]
    if view.revision > 1:
        meta.append(
            f"revision {view.revision}" + (f", {view.edited_label}" if view.edited_label else "")
        )
    if view.permalink:
        label = view.source_label or "the original message"
        meta.append(f"from <{view.permalink}|{label}>")
    elif view.source_label:
        meta.append(f"from {view.source_label}")
    blocks.append(kit.context(" · ".join(meta)))
    people = ", ".join(f"<@{u}>" for u in view.participants) or "_not given_"
    blocks.append(kit.section(f"*Participants:* {people}"))
    blocks.extend(_list_sections("Decisions", view.decisions, "_none recorded_"))
    blocks.extend(_list_sections("Action items", [_item_line(i) for i in view.items], "_none_"))
    blocks.extend(_list_sections("Open questions", view.questions, "_none_"))
    blocks = blocks[: MAX_BLOCKS - 3]  # room for the confirmations and the buttons
    blocks.append(kit.divider())
    blocks.append(kit.section(confirmation_line(view)))
    buttons: list[Block] = []
    value = {"recap": view.recap_id}
    if not view.internal.user_id:
        buttons.append(
            kit.button(
                f"Confirm for {view.internal.side_label}",
                Action.RECAP_CONFIRM_INTERNAL,
                value,
                style="primary",
            )
        )
    if not view.vendor.user_id:
        buttons.append(
            kit.button(
                f"Confirm for {view.vendor.side_label}",
                Action.RECAP_CONFIRM_VENDOR,
                value,
                style="primary",
            )
        )
    buttons.append(kit.button("Edit", Action.RECAP_EDIT, value))
    blocks.append(kit.actions(*buttons, block_id=f"recap_{view.recap_id}"))
    return recap_fallback(view), blocks


def recap_fallback(view: RecapView) -> str:
    counts = (
        f"{_n(len(view.decisions), 'decision')}, {_n(len(view.items), 'action item')}, "
        f"{_n(len(view.questions), 'open question')}"
    )
    state = (
        "Confirmed by both sides."
        if view.both_confirmed
        else "Waiting for confirmation from both sides."
        if not (view.internal.user_id or view.vendor.user_id)
        else "Waiting for the other side to confirm."
    )
    return f"{recap_title(view)} — {counts}. {state}"


def confirmation_line(view: RecapView) -> str:
    def one(c: Confirmation) -> str:
        if c.user_id:
            return f"{c.side_label}: confirmed by <@{c.user_id}> on {c.at_label}"
        return f"{c.side_label}: not confirmed yet"

    if view.both_confirmed:
        return (
            ":white_check_mark: *Confirmed by both sides* — "
            f"<@{view.internal.user_id}> ({view.internal.side_label}) on {view.internal.at_label}"
            f" and <@{view.vendor.user_id}> ({view.vendor.side_label}) on {view.vendor.at_label}."
        )
    return (
        ":hourglass_flowing_sand: *Please check and confirm this record.*\n"
        f"{one(view.internal)}\n{one(view.vendor)}"
    )


def _item_line(item: ItemView) -> str:
    parts = [item.what]
    if item.owner_user_id:
        owner = f"<@{item.owner_user_id}>"
    elif item.owner_text:
        owner = f"{item.owner_text}"
    else:
        owner = "_no owner named_"
    if item.owner_unsure and (item.owner_user_id or item.owner_text):
        owner += " _(owner unsure)_"
    if item.due_label:
        due = f"due {item.due_label}"
        if item.due_unsure:
            due += " _(date unsure)_"
    elif item.due_text:
        due = f"due “{item.due_text}” _(no date read)_"
    else:
        due = "_no due date_"
    line = f"{' '.join(parts)} — {owner} · {due}"
    if item.deadline_number is not None:
        line += f" · deadline *#{item.deadline_number}*"
    return line


def _list_sections(title: str, lines: Iterable[str], empty: str) -> list[Block]:
    """A titled bullet list, split over several sections when it is long."""
    items = [f"• {line}" for line in lines]
    if len(items) > MAX_LIST_ITEMS:
        more = len(items) - MAX_LIST_ITEMS
        items = [*items[:MAX_LIST_ITEMS], f"_… and {more} more (all kept with the record)_"]
    if not items:
        return [kit.section(f"*{title}:* {empty}")]
    blocks: list[Block] = []
    current = f"*{title}*"
    for line in items:
        if len(line) > SECTION_LIMIT:
            line = line[: SECTION_LIMIT - 1] + "…"
        if len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(kit.section(current))
            current = line
        else:
            current += "\n" + line
    blocks.append(kit.section(current))
    return blocks


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


# --------------------------------------------------------------------------- offers, nudges


def make_button(value: dict[str, Any]) -> Block:
    return kit.button("Make a recap", Action.RECAP_MAKE, value, style="primary")


def offer_message(*, kind: str, offer_id: int, what: str) -> tuple[str, list[Block], str]:
    """The in-thread offer: (text, blocks, one-line summary for bundles)."""
    if kind == "file":
        line = (
            f"That looks like a call transcript ({what}). Shall I turn it into a written recap "
            "both sides can confirm?"
        )
    elif kind == "huddle":
        line = (
            "A huddle happened here. Once it is over, paste its notes with *Make a recap* so "
            "there is a written record both sides confirmed."
        )
    else:
        line = (
            f"{what} posted meeting notes. Shall I turn them into a written recap both sides "
            "can confirm?"
        )
    blocks = [kit.section(line), kit.actions(make_button({"offer": offer_id}))]
    return line, blocks, f"Make a recap from {what}"


def too_large_message(*, name: str, size_mb: float, limit_mb: float) -> str:
    return (
        f"{name} is {size_mb:.1f} MB; I read transcripts up to {limit_mb:.0f} MB, so I left it "
        "alone. Paste the summary with `/outsource recap` (or use *Turn into call recap* on a "
        "message that has it) to keep a written record of the call."
    )


def mention_nudge(*, mention_id: int, user_id: str) -> tuple[str, list[Block], str]:
    line = (
        f"<@{user_id}> mentioned a call. Could someone post the written summary — what was "
        "decided, who does what by when — so both sides can confirm it?"
    )
    blocks = [kit.section(line), kit.actions(make_button({"mention": mention_id}))]
    return line, blocks, "A call has no written recap yet"


def confirm_nudge(*, sides: list[str], who: list[str], call_day: str) -> tuple[str, str]:
    people = " ".join(who)
    side_text = " and ".join(sides)
    line = (
        f"{people} a reminder: the recap of the call on {call_day} (above) still needs "
        f"confirming by {side_text}. Please check it and press *Confirm*, or *Edit* if "
        "something is wrong."
    ).strip()
    return line, f"The recap of the call on {call_day} needs confirming by {side_text}"
