"""Block Kit for deadlines: reminders, the list, the detail, change requests.

Reminder blocks carry block ids `dl:<deadline id>:<revision>:<step>:<part>` (part: text,
status, act). A reminder may be bundled with other posts into one message by the outbox, so a
click that changes the deadline (acknowledge, mark done) rewrites only the blocks with that
deadline's prefix and leaves everything else in the message as it was.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.blocks import kit
from bot.blocks.ids import Action
from bot.text.escaping import plain as one_line
from bot.time.timeparse import format_both, format_local

if TYPE_CHECKING:
    from bot.services.deadlines.change_requests import ChangeView
    from bot.services.deadlines.creation import Added
    from bot.services.deadlines.listing import Detail, ListedDeadline, Listing
    from bot.services.deadlines.schedule import ReminderStep
    from storage.models import ChangeRequest, Deadline, Vendor

Block = dict[str, Any]

MILESTONE = "◆"


def _title(deadline: Deadline | ListedDeadline) -> str:
    mark = f"{MILESTONE} " if deadline.milestone else ""
    return f"{mark}*#{deadline.number} {kit.escape(deadline.title)}*"


def _plain_title(deadline: Deadline) -> str:
    mark = "milestone " if deadline.milestone else ""
    return f"{mark}#{deadline.number} {one_line(deadline.title)}"


def _who(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "—"


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


# --------------------------------------------------------------------------- reminders


def block_prefix(deadline_id: int) -> str:
    return f"dl:{deadline_id}:"


def _block_id(deadline: Deadline, tag: str, part: str) -> str:
    return f"{block_prefix(deadline.id)}{deadline.revision}:{tag}:{part}"


def _step_phrase(step: ReminderStep) -> str:
    if step.days < 0:
        return f"{_days(-step.days)} to go"
    if step.days == 0:
        return "due now"
    return f"overdue by {_days(step.days)}"


def days_from_due(due_at: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Local calendar days from the due day to today: −1 tomorrow, 0 today, 2 two days late."""
    return (now.astimezone(tz).date() - due_at.astimezone(tz).date()).days


def reminder_message(
    deadline: Deadline,
    vendor: Vendor,
    step: ReminderStep,
    *,
    tz: ZoneInfo,
    owner_user_id: str | None,
    next_at: datetime | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A reminder in the vendor channel: text, blocks and the one-line bundle summary.

    `now`: when it is delivered. What it says is true then — a reminder held by quiet hours or
    a pause until the due day says "due today", not "1 day to go"."""
    due = format_local(deadline.due_at, tz)
    phrase = _step_phrase(step)
    overdue, due_now = step.overdue, step.days == 0
    if now is not None:
        days = days_from_due(deadline.due_at, now, tz)
        overdue = now > deadline.due_at and days > 0
        due_now = not overdue and now >= deadline.due_at
        if overdue:
            phrase = f"overdue by {_days(days)}"
        elif due_now:
            phrase = "due now"
        elif days == 0:
            phrase = f"due today at {deadline.due_at.astimezone(tz):%H:%M}"
        else:
            phrase = f"{_days(-days)} to go"
    icon = "⚠️" if overdue else "🔔" if due_now else "⏰"
    mention = f"<@{owner_user_id}> " if owner_user_id else ""
    if overdue:
        line = f"{_title(deadline)} is *{phrase}* — it was due {due}."
    elif due_now:
        line = f"{_title(deadline)} is *due now* ({due})."
    else:
        line = f"{_title(deadline)} is due *{due}* — {phrase}."
    text = f"{icon} {mention}{line}"
    times = f"Times in {vendor.tz or 'UTC'}"
    if next_at is not None:
        times += f" · next reminder {format_local(next_at, tz)}"
    blocks = [
        kit.section(text, block_id=_block_id(deadline, step.name, "text")),
        kit.context(times),
        *_status_blocks(deadline, tz, step.name),
    ]
    # The context line is part of this reminder too: give it this deadline's block id.
    blocks[1]["block_id"] = _block_id(deadline, step.name, "times")
    summary = f"{icon} #{deadline.number} {one_line(deadline.title)} — {phrase} ({due})"
    plain = f"{icon} {mention}{_plain_title(deadline)} — {phrase}, due {due}"
    return {"text": plain, "blocks": blocks, "summary": summary}


def _status_blocks(deadline: Deadline, tz: ZoneInfo, tag: str) -> list[Block]:
    """What a reminder shows below its text: state, and the buttons still useful."""
    blocks: list[Block] = []
    value = {"d": deadline.id}
    if deadline.state == "cancelled":
        status = kit.context(_cancelled_line(deadline, tz))
        status["block_id"] = _block_id(deadline, tag, "status")
        return [status]
    if deadline.state == "done":
        when = format_local(deadline.done_at, tz) if deadline.done_at else ""
        status = kit.context(f"✅ Done — marked by {_who(deadline.done_by)}, {when}")
        status["block_id"] = _block_id(deadline, tag, "status")
        return [status]
    if deadline.acknowledged_at is not None:
        status = kit.context(
            f"👍 Acknowledged by {_who(deadline.acknowledged_by)}, "
            f"{format_local(deadline.acknowledged_at, tz)}"
        )
        status["block_id"] = _block_id(deadline, tag, "status")
        blocks.append(status)
        buttons = [kit.button("Mark done", Action.DEADLINE_DONE, value)]
    else:
        buttons = [
            kit.button("Acknowledge", Action.DEADLINE_ACK_VENDOR, value, style="primary"),
            kit.button("Mark done", Action.DEADLINE_DONE, value),
        ]
    blocks.append(kit.actions(*buttons, block_id=_block_id(deadline, tag, "act")))
    return blocks


def _cancelled_line(deadline: Deadline, tz: ZoneInfo) -> str:
    when = format_local(deadline.cancelled_at, tz) if deadline.cancelled_at else ""
    if deadline.cancel_reason == "undone":
        return f"↩️ Undone by {_who(deadline.cancelled_by)}, {when}"
    reason = f" — reason: {kit.escape(deadline.cancel_reason)}" if deadline.cancel_reason else ""
    return f"🚫 Cancelled by {_who(deadline.cancelled_by)}, {when}{reason}"


def refresh_reminder_blocks(blocks: list[Block], deadline: Deadline, tz: ZoneInfo) -> list[Block]:
    """The message's blocks with this deadline's status and buttons rewritten in place.

    Blocks of other deadlines (a bundled message) and everything else stay untouched.
    """
    prefix = block_prefix(deadline.id)

    def parsed(block: Block) -> tuple[str, str, str] | None:
        block_id = str(block.get("block_id") or "")
        if not block_id.startswith(prefix):
            return None
        parts = block_id[len(prefix) :].split(":")
        return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None

    # Each reminder's status goes after its last text/times block.
    anchors: dict[tuple[str, str], int] = {}
    for i, block in enumerate(blocks):
        p = parsed(block)
        if p is not None and p[2] in ("text", "times"):
            anchors[(p[0], p[1])] = i
    out: list[Block] = []
    for i, block in enumerate(blocks):
        p = parsed(block)
        if p is not None and p[2] in ("status", "act"):
            continue
        out.append(block)
        if p is not None and anchors.get((p[0], p[1])) == i:
            rev, tag = p[0], p[1]
            for fresh in _status_blocks(deadline, tz, tag):
                fresh["block_id"] = f"{prefix}{rev}:{tag}:{fresh['block_id'].rsplit(':', 1)[-1]}"
                out.append(fresh)
    return out


def announcement(
    deadline: Deadline, vendor: Vendor, *, tz: ZoneInfo, actor_user_id: str
) -> dict[str, Any]:
    """The in-channel note when a deadline is set, so both sides see it (and can acknowledge)."""
    due = format_local(deadline.due_at, tz)
    kind = "milestone" if deadline.milestone else "deadline"
    owner = f" · owner {_who(deadline.owner_user_id)}" if deadline.owner_user_id else ""
    text = f"📌 <@{actor_user_id}> set {kind} {_title(deadline)} — due *{due}*{owner}"
    plain = f"📌 New {kind} {_plain_title(deadline)} — due {due}"
    if deadline.state == "cancelled" and deadline.cancel_reason == "undone":
        # Taken back with Undo moments after it was set: the note says only that.
        text = f"↩️ <@{actor_user_id}> set {kind} {_title(deadline)}, then took it back."
        plain = f"↩️ {kind.capitalize()} {_plain_title(deadline)} was taken back"
    elif deadline.state == "cancelled":
        plain = f"🚫 {kind.capitalize()} {_plain_title(deadline)} was cancelled"
    blocks = [
        kit.section(text, block_id=_block_id(deadline, "added", "text")),
        *_status_blocks(deadline, tz, "added"),
    ]
    return {"text": plain, "blocks": blocks}


def cancelled_notice(
    deadline: Deadline, *, tz: ZoneInfo, owner_user_id: str | None
) -> tuple[str, list[Block]]:
    """In the channel when a deadline is cancelled, so both sides know (and why)."""
    kind = "milestone" if deadline.milestone else "deadline"
    due = format_local(deadline.due_at, tz)
    lines = [
        f"🚫 {_who(deadline.cancelled_by)} cancelled {kind} {_title(deadline)} (it was due {due})."
    ]
    if deadline.cancel_reason:
        lines.append(f"> Reason: {kit.escape(deadline.cancel_reason)}")
    tail = "No more reminders for it; its history stays in `/outsource deadline show "
    tail += f"{deadline.number}`."
    if owner_user_id:
        tail = f"<@{owner_user_id}>: " + tail[0].lower() + tail[1:]
    lines.append(tail)
    plain = f"🚫 {kind.capitalize()} {_plain_title(deadline)} was cancelled" + (
        f": {one_line(deadline.cancel_reason)}" if deadline.cancel_reason else ""
    )
    return plain[:3000], [kit.section("\n".join(lines)[:3000])]


def renamed_notice(
    deadline: Deadline, *, old_title: str, new_title: str, actor_user_id: str
) -> tuple[str, list[Block]]:
    mark = f"{MILESTONE} " if deadline.milestone else ""
    text = (
        f"✏️ <@{actor_user_id}> renamed {mark}#{deadline.number}: "
        f"~{kit.escape(old_title)}~ → *{kit.escape(new_title)}*"
    )
    plain = f"✏️ #{deadline.number} renamed: {one_line(old_title)} → {one_line(new_title)}"
    return plain[:3000], [kit.section(text[:3000])]


def owner_notice(
    deadline: Deadline, *, old_owner: str | None, new_owner: str, actor_user_id: str
) -> tuple[str, list[Block]]:
    was = f" (was {_who(old_owner)})" if old_owner else ""
    text = (
        f"👤 <@{actor_user_id}> made <@{new_owner}> the owner of {_title(deadline)}{was}. "
        "Reminders mention the new owner from now on."
    )
    plain = f"👤 New owner of {_plain_title(deadline)}"
    return plain[:3000], [kit.section(text[:3000])]


def escalation_dm(
    items: list[tuple[Deadline, Vendor, ZoneInfo, int, str | None]],
) -> tuple[str, list[Block]]:
    """The day's one DM to an internal contact about overdue deadlines:
    (deadline, vendor, its zone, days overdue, owner) each."""
    lines: list[str] = []
    plain: list[str] = []
    for deadline, vendor, tz, days, owner in items[:40]:
        due = format_local(deadline.due_at, tz)
        lines.append(
            f"• {_title(deadline)} ({kit.escape(vendor.name)}, <#{vendor.channel_id}>) is "
            f"*overdue by {_days(days)}* — it was due {due}. Owner: {_who(owner)}."
        )
        plain.append(f"{_plain_title(deadline)} ({one_line(vendor.name)}) overdue by {_days(days)}")
    if len(items) == 1:
        deadline, vendor, tz, days, owner = items[0]
        head = "⚠️ A deadline is overdue and not marked done yet:"
        text = f"⚠️ {plain[0]} — due {format_local(deadline.due_at, tz)}"
        hint = (
            "Mark it done with `/outsource deadline done "
            f"{deadline.number}` in <#{vendor.channel_id}>, or agree a new date with "
            f'`/outsource deadline move {deadline.number} &lt;when&gt; reason "…"`.'
        )
    else:
        head = f"⚠️ {len(items)} deadlines are overdue and not marked done yet:"
        text = f"⚠️ {len(items)} overdue deadlines: " + "; ".join(plain)
        hint = (
            (
                "In each vendor channel: `/outsource deadline done <n>` when it is done, or "
                '`/outsource deadline move <n> <when> reason "…"` to agree a new date.'
            )
            .replace("<n>", "&lt;n&gt;")
            .replace("<when>", "&lt;when&gt;")
        )
    body = head + "\n" + "\n".join(lines)
    if len(items) > 40:
        body += f"\n… and {len(items) - 40} more."
    return text[:3000], [kit.section(body[:3000]), kit.context(hint)]


# --------------------------------------------------------------------------- command replies


def added_reply(added: Added, *, undo_minutes: int | None = None) -> tuple[str, list[Block]]:
    """The ephemeral confirmation of `deadline add`; with an Undo button for `undo_minutes`."""
    d = added.deadline
    due = format_both(d.due_at, added.vendor_tz, added.user_tz)
    kind = "Milestone" if d.milestone else "Deadline"
    lines = [f"✅ {kind} {_title(d)} added — due *{due}*."]
    if d.owner_user_id:
        note = (
            " (the vendor's primary contact, as no owner was given)"
            if added.owner_defaulted
            else ""
        )
        lines.append(f"Owner: <@{d.owner_user_id}>{note}.")
    else:
        lines.append("No owner yet: add one with `owner @person`, or set a vendor contact.")
    if added.parent is not None:
        lines.append(f"Part of milestone #{added.parent.number} {kit.escape(added.parent.title)}.")
    if added.when.note:
        lines.append(added.when.note)
    if added.day_off:
        lines.append(
            f"⚠️ {added.day_off} The deadline is set for that day anyway; to change it: "
            f'`/outsource deadline move {d.number} &lt;when&gt; reason "…"`.'
        )
    if d.next_reminder_at is not None:
        lines.append(
            f"First reminder {format_both(d.next_reminder_at, added.vendor_tz, added.user_tz)}."
        )
    text = "\n".join(lines)
    blocks = [kit.section(text)]
    if undo_minutes:
        blocks.append(
            kit.actions(
                kit.button("Undo", Action.DEADLINE_UNDO_INTERNAL, {"d": d.id}),
                block_id=f"{block_prefix(d.id)}undo",
            )
        )
        blocks.append(kit.context(f"Added by mistake? Undo works for {undo_minutes} minutes."))
    return text, blocks


def done_reply(deadline: Deadline) -> str:
    return f"✅ {_title(deadline)} is done. Reminders for it have stopped."


def cancelled_reply(deadline: Deadline) -> str:
    return (
        f"🚫 {_title(deadline)} is cancelled. Reminders for it have stopped, and the channel "
        "was told."
    )


def undone_reply(deadline: Deadline) -> str:
    return f"↩️ Undone: {_title(deadline)} was taken back, and its note in the channel says so."


def renamed_reply(deadline: Deadline) -> str:
    return (
        f"✏️ #{deadline.number} is now called *{kit.escape(deadline.title)}*. The channel was told."
    )


def owner_reply(deadline: Deadline) -> str:
    return f"👤 {_who(deadline.owner_user_id)} now owns {_title(deadline)}. The channel was told."


def withdrawn_reply(view: ChangeView) -> str:
    return (
        f"↩️ Change request #{view.change.id} is withdrawn; its message in the channel says so "
        "and its buttons no longer do anything."
    )


def move_requested_reply(view: ChangeView) -> str:
    cr = view.change
    assert cr.new_due_at is not None and view.deadline is not None
    tz = view.user_tz or view.vendor_tz
    text = (
        f"📨 Change request posted: move {_title(view.deadline)} to "
        f"*{format_both(cr.new_due_at, view.vendor_tz, tz)}*. The date changes when both "
        "sides have approved it in the channel."
        f" (Request #{cr.id}; to take it back: `/outsource change withdraw {cr.id}`.)"
    )
    if view.day_off:
        text += f"\n⚠️ {view.day_off} The request is posted anyway."
    return text


def change_requested_reply(view: ChangeView) -> str:
    return (
        "📨 Change request posted in the channel. It takes effect when both sides have approved it."
        f" (Request #{view.change.id}; to take it back: "
        f"`/outsource change withdraw {view.change.id}`.)"
    )


# --------------------------------------------------------------------------- list and detail


def _state_words(
    deadline: Deadline | ListedDeadline, change_pending: bool, now: datetime
) -> list[str]:
    words: list[str] = []
    if deadline.state == "cancelled":
        return ["🚫 cancelled"]
    if deadline.state == "done":
        words.append("done")
    elif deadline.due_at <= now:
        words.append("⚠️ overdue")
    if deadline.state != "done" and deadline.acknowledged_at is not None:
        words.append(f"acknowledged by {_who(deadline.acknowledged_by)}")
    elif deadline.state != "done":
        words.append("not acknowledged")
    if change_pending:
        words.append("change pending")
    return words


def listing(view: Listing) -> tuple[str, list[Block]]:
    vendor = view.vendor
    blocks: list[Block] = [kit.header(f"Deadlines — {vendor.name}"[:150])]
    lines: list[str] = []
    if not view.open:
        empty = (
            "No open deadlines. Add one with "
            '`/outsource deadline add "&lt;title&gt;" &lt;when&gt; [owner @person]`.'
        )
        blocks.append(kit.section(empty))
        lines.append(empty)
    for d in view.open:
        parent = (
            f" · part of #{view.parent_numbers[d.parent_id]}"
            if d.parent_id is not None and d.parent_id in view.parent_numbers
            else ""
        )
        state = " · ".join(_state_words(d, d.id in view.change_pending, view.now))
        entry = (
            f"{_title(d)}{parent}\n"
            f"Due {format_both(d.due_at, view.vendor_tz, view.user_tz)} · owner "
            f"{_who(d.owner_user_id)} · {state}"
        )
        blocks.append(kit.section(entry))
        lines.append(entry)
    hidden = view.open_count - len(view.open)
    if hidden > 0:
        more = f"… and {hidden} more open deadlines, due later."
        blocks.append(kit.context(more))
        lines.append(more)
    if view.recently_done:
        tail = "Done recently: " + ", ".join(
            f"#{d.number} {kit.escape(d.title)}"
            + (f" ({format_local(d.done_at, view.vendor_tz)[:10].strip()})" if d.done_at else "")
            for d in view.recently_done
        )
        blocks.append(kit.context(tail))
        lines.append(tail)
    blocks.append(
        kit.context(
            "`/outsource deadline show &lt;n&gt;` for details and history · "
            '`deadline move &lt;n&gt; &lt;when&gt; reason "…"` to propose a new date'
        )
    )
    shown = f", the first {len(view.open)} shown" if hidden > 0 else ""
    count = f"{view.open_count} open{shown}"
    text = f"Deadlines — {vendor.name} ({count})\n" + "\n".join(lines)
    return text[:3000], blocks[:50]


def detail(view: Detail) -> tuple[str, list[Block]]:
    d = view.deadline
    vtz, utz = view.vendor_tz, view.user_tz
    head = f"{_title(d)}" + (" (milestone)" if d.milestone else "")
    state = " · ".join(_state_words(d, any(c.state == "pending" for c in view.changes), view.now))
    lines = [
        head,
        f"Due: *{format_both(d.due_at, vtz, utz)}*",
        f"Owner: {_who(d.owner_user_id)} · state: {state}",
        f"Set by {_who(d.created_by)}, {format_local(d.created_at, vtz)}",
    ]
    if d.acknowledged_at is not None:
        lines.append(
            f"Acknowledged by {_who(d.acknowledged_by)}, {format_local(d.acknowledged_at, vtz)}"
        )
    if d.state == "done" and d.done_at is not None:
        lines.append(f"Done: marked by {_who(d.done_by)}, {format_local(d.done_at, vtz)}")
    elif d.state == "cancelled":
        lines.append(_cancelled_line(d, vtz) + ". No reminders.")
    elif d.next_reminder_at is not None:
        lines.append(f"Next reminder: {format_both(d.next_reminder_at, vtz, utz)}")
    if view.parent is not None:
        lines.append(f"Part of milestone #{view.parent.number} {kit.escape(view.parent.title)}")
    if view.children:
        lines.append(
            "Includes: "
            + ", ".join(
                f"#{c.number} {kit.escape(c.title)}" + (" ✓" if c.state == "done" else "")
                for c in view.children
            )
        )
    blocks: list[Block] = [kit.section("\n".join(lines))]
    history = [_history_line(c, vtz, d.state) for c in view.changes]
    if history:
        blocks.append(kit.section("*Change history*\n" + "\n".join(history)))
    else:
        blocks.append(kit.context("No change requests for this deadline."))
    if view.reminders_sent:
        blocks.append(
            kit.context(
                "Reminders sent: "
                + ", ".join(f"{step} ({format_local(at, vtz)})" for step, at in view.reminders_sent)
            )
        )
    text = "\n".join(lines + history)
    return text[:3000], blocks


def _history_line(cr: ChangeRequest, tz: ZoneInfo, deadline_state: str = "done") -> str:
    old = format_local(cr.old_due_at, tz) if cr.old_due_at else "?"
    new = format_local(cr.new_due_at, tz) if cr.new_due_at else "?"
    asked = f"asked by {_who(cr.requested_by)} {format_local(cr.requested_at, tz)}"
    reason = f" — reason: {kit.escape(cr.reason)}" if cr.reason else ""
    if cr.state == "approved":
        outcome = f"approved by {_who(cr.internal_approved_by)} and {_who(cr.vendor_approved_by)}"
        return f"• {old} → *{new}*{reason} ({asked}; {outcome})"
    if cr.state == "declined":
        return f"• ~{old} → {new}~{reason} ({asked}; declined by {_who(cr.declined_by)})"
    if cr.state == "cancelled":
        how = "cancelled" if deadline_state == "cancelled" else "done"
        return f"• ~{old} → {new}~{reason} ({asked}; closed when the deadline was {how})"
    if cr.state == "withdrawn":
        return f"• ~{old} → {new}~{reason} ({asked}; withdrawn by {_who(cr.withdrawn_by)})"
    return f"• {old} → {new}{reason} ({asked}; waiting for approval)"


# --------------------------------------------------------------------------- change requests


def change_message(view: ChangeView) -> dict[str, Any]:
    """The change request in the vendor channel, with Approve/Decline for each side."""
    cr, vendor, tz = view.change, view.vendor, view.vendor_tz
    vendor_label = vendor.name if len(vendor.name) <= 30 else vendor.name[:29] + "…"
    if cr.kind == "move" and view.deadline is not None:
        old = format_local(cr.old_due_at, tz) if cr.old_due_at else "?"
        new = format_local(cr.new_due_at, tz) if cr.new_due_at else "?"
        what = f"Move {_title(view.deadline)}\n~{old}~ → *{new}*"
        plain = (
            f"Change request #{cr.id}: move #{view.deadline.number} "
            f"{one_line(view.deadline.title)} from {old} to {new}"
        )
    else:
        what = kit.escape(cr.description)
        plain = f"Change request #{cr.id}: {one_line(cr.description)}"
    lines = [f"📝 *Change request #{cr.id}* from {_who(cr.requested_by)}", what]
    if cr.reason:
        lines.append(f"> Reason: {kit.escape(cr.reason)}")
    prefix = f"cr:{cr.id}:"
    blocks: list[Block] = [kit.section("\n".join(lines)[:3000], block_id=prefix + "text")]

    def side_status(label: str, by: str | None, at: datetime | None) -> str:
        if by:
            return f"{label}: ✅ {_who(by)}" + (f" ({format_local(at, tz)})" if at else "")
        return f"{label}: ⏳ waiting"

    status = [
        side_status("Internal", cr.internal_approved_by, cr.internal_approved_at),
        side_status(kit.escape(vendor.name), cr.vendor_approved_by, cr.vendor_approved_at),
    ]
    if cr.state == "approved":
        done = "✅ *Approved by both sides.*"
        if view.deadline is not None and cr.new_due_at is not None:
            done += f" #{view.deadline.number} is now due *{format_local(cr.new_due_at, tz)}*."
        blocks.append(kit.section(done, block_id=prefix + "result"))
    elif cr.state == "declined":
        blocks.append(
            kit.section(
                f"❌ *Declined* by {_who(cr.declined_by)}"
                + (f" ({format_local(cr.declined_at, tz)})" if cr.declined_at else "")
                + ". Nothing changes.",
                block_id=prefix + "result",
            )
        )
    elif cr.state == "withdrawn":
        blocks.append(
            kit.section(
                f"↩️ *Withdrawn* by {_who(cr.withdrawn_by)}"
                + (f" ({format_local(cr.withdrawn_at, tz)})" if cr.withdrawn_at else "")
                + ". Nothing changes.",
                block_id=prefix + "result",
            )
        )
    elif cr.state == "cancelled":
        how = (
            "cancelled"
            if view.deadline is not None and view.deadline.state == "cancelled"
            else "marked done"
        )
        blocks.append(
            kit.section(
                f"🚫 *Closed*: the deadline was {how}. Nothing changes.",
                block_id=prefix + "result",
            )
        )
    status_block = kit.context(" · ".join(status))
    status_block["block_id"] = prefix + "status"
    blocks.append(status_block)
    if cr.state == "pending":
        value = {"c": cr.id}
        buttons: list[Block] = []
        if not cr.internal_approved_by:
            buttons += [
                kit.button(
                    "Approve (internal)", Action.CHANGE_APPROVE_INTERNAL, value, style="primary"
                ),
                kit.button(
                    "Decline (internal)", Action.CHANGE_DECLINE_INTERNAL, value, style="danger"
                ),
            ]
        if not cr.vendor_approved_by:
            buttons += [
                kit.button(
                    f"Approve ({vendor_label})",
                    Action.CHANGE_APPROVE_VENDOR,
                    value,
                    style="primary",
                ),
                kit.button(
                    f"Decline ({vendor_label})", Action.CHANGE_DECLINE_VENDOR, value, style="danger"
                ),
            ]
        blocks.append(kit.actions(*buttons, block_id=prefix + "act"))
    suffix = {
        "approved": " — approved",
        "declined": " — declined",
        "withdrawn": " — withdrawn",
        "cancelled": " — closed",
    }.get(cr.state, "")
    return {"text": (plain + suffix)[:3000], "blocks": blocks}
