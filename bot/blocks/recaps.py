"""Block Kit for call recaps: the modal, the record in the channel, offers and nudges.

The builders take plain view models (no ORM rows), filled in by `bot.posts.recaps` and the
listeners. People's words (a summary's items, a file's or an app's name, a vendor's name) are
plain text: escaped here, once (bot/text/escaping.py), so none becomes a live broadcast,
a masked link or a mention of someone not in the channel.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.blocks import kit
from bot.blocks.ids import Action, BlockId, Callback
from bot.text import escaping as slack_text

if TYPE_CHECKING:
    from bot.services.recaps.form import RecapForm

Block = dict[str, Any]

# Slack's limit for a plain_text_input (max_length may not exceed 3000).
MODAL_TEXT_LIMIT = 3000
MAX_BLOCKS = 50  # Slack's limit per message
SECTION_LIMIT = 2900  # a section's text may hold 3000 characters; keep a margin
TRANSCRIPT_TYPES = ["vtt", "srt", "txt", "text"]
MAX_LIST_ITEMS = 25  # per list in the message; every item stays in the stored record


# --------------------------------------------------------------------------- the modal


def recap_modal(form: RecapForm) -> dict[str, Any]:
    name = slack_text.mrkdwn(form.vendor_name)
    intro = (
        f"Editing the call recap with *{name}*. Saving posts the new version in "
        "place; both sides confirm it again."
        if form.editing
        else f"A written record of a call with *{name}*. Paste the summary or your "
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
    side_label: str  # "internal team" / "Acme Dev" (plain text)
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
    source_label: str | None = None  # "transcript meeting.vtt", "meeting notes" (plain text)
    permalink: str | None = None
    internal: Confirmation = field(default_factory=lambda: Confirmation("internal side"))
    vendor: Confirmation = field(default_factory=lambda: Confirmation("vendor side"))
    edited_label: str | None = None
    # Who may be mentioned live: the people in the channel. Anyone else is shown as @name.
    live_users: Collection[str] = frozenset()

    @property
    def both_confirmed(self) -> bool:
        return bool(self.internal.user_id and self.vendor.user_id)

    def words(self, value: str) -> str:
        """Someone's words, escaped once for mrkdwn."""
        return slack_text.mrkdwn(value, live_users=self.live_users)

    def who(self, user_id: str) -> str:
        return slack_text.mrkdwn(f"<@{user_id}>", live_users=self.live_users)


def recap_title(view: RecapView) -> str:
    """The title as plain text (the header is a plain_text object)."""
    return f"Call recap: {view.vendor_name}, {view.call_day}"


def _link_target(url: str | None) -> str | None:
    """A permalink Slack gave, fit to be a link target (nothing that could end the link)."""
    if not url or not url.startswith("https://"):
        return None
    if any(c in url for c in '<>| \n\t"') or len(url) > 500:
        return None
    return url.replace("&", "&amp;")


def recap_message(view: RecapView) -> tuple[str, list[Block]]:
    """The record as posted (and updated in place): text fallback and blocks."""
    blocks: list[Block] = [kit.header(view.words(recap_title(view)))]
    meta = [f"Call on {view.call_label}", f"recorded by {view.who(view.created_by)}"]
    if view.revision > 1:
        meta.append(
            f"revision {view.revision}" + (f", {view.edited_label}" if view.edited_label else "")
        )
    source = view.words(view.source_label) if view.source_label else None
    target = _link_target(view.permalink)
    if target:
        label = source or "the original message"
        meta.append(f"from <{target}|{label}>")
    elif source:
        meta.append(f"from {source}")
    blocks.append(kit.context(" · ".join(meta)))
    people = ", ".join(view.who(u) for u in view.participants) or "_not given_"
    blocks.append(kit.section(f"*Participants:* {people}"))
    decisions = [view.words(d) for d in view.decisions]
    questions = [view.words(q) for q in view.questions]
    blocks.extend(_list_sections("Decisions", decisions, "_none recorded_"))
    blocks.extend(
        _list_sections("Action items", [_item_line(view, i) for i in view.items], "_none_")
    )
    blocks.extend(_list_sections("Open questions", questions, "_none_"))
    blocks = blocks[: MAX_BLOCKS - 3]  # room for the confirmations and the buttons
    blocks.append(kit.divider())
    blocks.append(kit.section(confirmation_line(view)))
    buttons: list[Block] = []
    value = {"recap": view.recap_id}
    if not view.internal.user_id:
        buttons.append(
            kit.button(
                f"Confirm for {view.words(view.internal.side_label)}",
                Action.RECAP_CONFIRM_INTERNAL,
                value,
                style="primary",
            )
        )
    if not view.vendor.user_id:
        buttons.append(
            kit.button(
                f"Confirm for {view.words(view.vendor.side_label)}",
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
    return f"{slack_text.plain(recap_title(view))} — {counts}. {state}"


def confirmation_line(view: RecapView) -> str:
    def one(c: Confirmation) -> str:
        label = view.words(c.side_label)
        if c.user_id:
            return f"{label}: confirmed by {view.who(c.user_id)} on {c.at_label}"
        return f"{label}: not confirmed yet"

    if view.both_confirmed:
        internal, vendor = view.internal, view.vendor
        return (
            ":white_check_mark: *Confirmed by both sides* — "
            f"{view.who(str(internal.user_id))} ({view.words(internal.side_label)}) on "
            f"{internal.at_label} and {view.who(str(vendor.user_id))} "
            f"({view.words(vendor.side_label)}) on {vendor.at_label}."
        )
    return (
        ":hourglass_flowing_sand: *Please check and confirm this record.*\n"
        f"{one(view.internal)}\n{one(view.vendor)}"
    )


def _item_line(view: RecapView, item: ItemView) -> str:
    if item.owner_user_id:
        owner = view.who(item.owner_user_id)
    elif item.owner_text:
        owner = view.words(item.owner_text)
    else:
        owner = "_no owner named_"
    if item.owner_unsure and (item.owner_user_id or item.owner_text):
        owner += " _(owner unsure)_"
    if item.due_label:
        due = f"due {item.due_label}"
        if item.due_unsure:
            due += " _(date unsure)_"
    elif item.due_text:
        due = f"due “{view.words(item.due_text)}” _(no date read)_"
    else:
        due = "_no due date_"
    line = f"{view.words(item.what)} — {owner} · {due}"
    if item.deadline_number is not None:
        line += f" · deadline *#{item.deadline_number}*"
    return line


def _list_sections(title: str, lines: Iterable[str], empty: str) -> list[Block]:
    """A titled bullet list (of escaped lines), split over several sections when it is long."""
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
            line = _cut(line, SECTION_LIMIT - 1) + "…"
        if len(current) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(kit.section(current))
            current = line
        else:
            current += "\n" + line
    blocks.append(kit.section(current))
    return blocks


def _cut(escaped: str, limit: int) -> str:
    """Escaped mrkdwn cut at `limit` without splitting an entity or a mention in half."""
    cut = escaped[:limit]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    start = cut.rfind("<")
    if start != -1 and ">" not in cut[start:]:
        cut = cut[:start]
    return cut


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


# --------------------------------------------------------------------------- offers, nudges


def make_button(value: dict[str, Any]) -> Block:
    return kit.button("Make a recap", Action.RECAP_MAKE, value, style="primary")


def offer_message(*, kind: str, offer_id: int, what: str) -> tuple[str, list[Block], str]:
    """The in-thread offer: (text, blocks, one-line summary for bundles). `what` is a file's
    or an app's name (plain text)."""
    name = slack_text.mrkdwn(what)
    if kind == "file":
        line = (
            f"That looks like a call transcript ({name}). Shall I turn it into a written recap "
            "both sides can confirm?"
        )
    elif kind == "huddle":
        line = (
            "A huddle happened here. Once it is over, paste its notes with *Make a recap* so "
            "there is a written record both sides confirmed."
        )
    else:
        line = (
            f"{name} posted meeting notes. Shall I turn them into a written recap both sides "
            "can confirm?"
        )
    blocks = [kit.section(line), kit.actions(make_button({"offer": offer_id}))]
    summary = "Make a recap from " + (
        "a huddle" if kind == "huddle" else slack_text.plain(what, limit=80)
    )
    return line, blocks, summary


def too_large_message(*, name: str, size_mb: float, limit_mb: float) -> tuple[str, str]:
    """A transcript too large to read: (text, one-line summary)."""
    line = (
        f"{slack_text.mrkdwn(name)} is {size_mb:.1f} MB; I read transcripts up to "
        f"{limit_mb:.0f} MB, so I left it alone. Paste the summary with `/outsource recap` (or "
        "use *Turn into call recap* on a message that has it) to keep a written record of the "
        "call."
    )
    summary = f"{slack_text.plain(name, limit=80)} is too large to read as a transcript"
    return line, summary


def mention_nudge(*, mention_id: int, user_id: str) -> tuple[str, list[Block], str]:
    line = (
        f"<@{user_id}> mentioned a call. Could someone post the written summary — what was "
        "decided, who does what by when — so both sides can confirm it?"
    )
    blocks = [kit.section(line), kit.actions(make_button({"mention": mention_id}))]
    return line, blocks, "A call has no written recap yet"


def confirm_nudge(*, sides: list[str], who: list[str], call_day: str) -> tuple[str, str]:
    """`sides`: the sides' names (plain text); `who`: user ids to mention."""
    people = " ".join(f"<@{u}>" for u in who)
    side_text = " and ".join(slack_text.mrkdwn(s) for s in sides)
    line = (
        f"{people} a reminder: the recap of the call on {call_day} (above) still needs "
        f"confirming by {side_text}. Please check it and press *Confirm*, or *Edit* if "
        "something is wrong."
    ).strip()
    summary = f"The recap of the call on {call_day} needs confirming by " + " and ".join(
        slack_text.plain(s) for s in sides
    )
    return line, summary


def unlinked_notice(numbers: list[int], *, internal: bool) -> str:
    """To the editor alone: deadlines made from items an edit dropped still run."""
    listed = ", ".join(f"#{n}" for n in numbers)
    close = (
        "`/outsource deadline done &lt;n&gt;` closes one that is no longer needed."
        if internal
        else "The internal team can close any that is no longer needed."
    )
    return (
        f"Deadline {listed} came from action items no longer in this recap. "
        f"They stay open and keep reminding; {close}"
    )


def reading_note(name: str) -> str:
    """Said at once when a transcript is read after the answer."""
    return (
        f"📄 Reading {slack_text.mrkdwn(name)}… the recap draft will be posted in the thread "
        "shortly."
    )
