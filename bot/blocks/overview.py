"""Block Kit for the overview capability: App Home, status, digest, access list, offboarding."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.blocks import kit
from bot.blocks.ids import Action, Callback
from bot.text import escaping as slack_text
from bot.text.escaping import mrkdwn
from bot.time.timeparse import format_both, format_local

if TYPE_CHECKING:
    from bot.services.digest import Digest
    from bot.services.overview import HomeData, ResponseFigures, VendorHealth, Viewer
    from storage.models import AccessItem, CheckIn, Deadline, Recap, Vendor
    from storage.models.records import OffboardingChecklist, OffboardingItem

Block = dict[str, Any]

MAX_HOME_VENDORS = 20
MAX_CHECKLIST_BUTTONS = 40
ON_TRACK = {"yes": "on track", "at_risk": "at risk", "blocked": "blocked"}
KIND_TITLES = {
    "access": "Access to revoke",
    "member": "External people in the channel",
    "deadline": "Open deadlines to close or hand over",
    "recap": "Recaps not confirmed by both sides",
    "close": "Close the engagement",
}


# --------------------------------------------------------------------------- small formatters


def duration(seconds: float) -> str:
    """`45 min`, `2.5 h`: business time reads best in hours. Short ones are not rounded up:
    `0 min` is none at all, `< 1 min` under a minute."""
    if seconds <= 0:
        return "0 min"
    if seconds < 30:
        return "< 1 min"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    hours = seconds / 3600
    return f"{hours:.1f} h" if hours < 10 else f"{round(hours)} h"


def counted(n: int, one: str, many: str | None = None) -> str:
    """`1 reply`, `3 replies`, `0 replies`."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _hours_figure(hours: float) -> str:
    """`2.5`, `12`, `1`: one decimal below 10 h, none from 10 h or when it is whole."""
    rounded = round(hours, 1) if hours < 10 else float(round(hours))
    return f"{rounded:g}"


def business_time(seconds: float) -> str:
    """Business time said plainly: `no business time`, `under 1 business minute`,
    `1 business minute`, `45 business minutes`, `1 business hour`, `2.5 business hours`."""
    if seconds <= 0:
        return "no business time"
    if seconds < 30:
        return "under 1 business minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return counted(minutes, "business minute")
    figure = _hours_figure(seconds / 3600)
    return f"{figure} business hour{'' if figure == '1' else 's'}"


def calendar_time(seconds: float) -> str:
    """Wall-clock time said plainly: `under a minute`, `45 min`, `3 h 20 min`, `1 day`,
    `2 days 3 h` (days and hours only once it is a day or more)."""
    if seconds < 30:
        return "under a minute"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        hours += round(mins / 60)
        if hours == 24:
            days, hours = days + 1, 0
        return counted(days, "day") + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    return f"{mins} min"


def response_text(r: ResponseFigures) -> str:
    """The status view's reply figures: business time and calendar time, said plainly.

    `1 reply measured: 1 business minute (2 days 3 h on the calendar) · SLA 8 business hours ✅`
    `3 replies measured: median 6 business hours, p90 12 business hours; on the calendar:
    median 1 day 2 h, p90 3 days · SLA 8 business hours ⚠️ · 1 of 3 slower than the SLA`
    (each median and p90 over its own measure, so they are given apart).
    """
    sla_figure = _hours_figure(r.sla_hours)
    sla = f"SLA {sla_figure} business hour{'' if sla_figure == '1' else 's'}"
    if not r.count or r.median_seconds is None or r.p90_seconds is None:
        return f"No replies measured yet · {sla}"
    mark = "✅" if r.within_sla else "⚠️"
    calendar = (r.median_calendar_seconds, r.p90_calendar_seconds)
    if r.count == 1:
        figures = business_time(r.median_seconds)
        if calendar[0] is not None:
            figures += f" ({calendar_time(calendar[0])} on the calendar)"
    else:
        figures = f"median {business_time(r.median_seconds)}, p90 {business_time(r.p90_seconds)}"
        if calendar[0] is not None and calendar[1] is not None:
            figures += (
                f"; on the calendar: median {calendar_time(calendar[0])}, "
                f"p90 {calendar_time(calendar[1])}"
            )
    text = f"{counted(r.count, 'reply', 'replies')} measured: {figures} · {sla} {mark}"
    if r.breaches:
        text += f" · {r.breaches} of {r.count} slower than the SLA"
    return text


def sla_text(r: ResponseFigures) -> str:
    sla = f"SLA {r.sla_hours:g} h"
    if r.median_seconds is None or r.p90_seconds is None:
        return f"no replies measured yet ({sla})"
    mark = "✅" if r.within_sla else "⚠️"
    text = f"median {duration(r.median_seconds)} · p90 {duration(r.p90_seconds)} vs {sla} {mark}"
    if r.breaches:
        text += f" ({r.breaches} of {r.count} slower than SLA)"
    return text


def single_line(value: str, limit: int = 120) -> str:
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def typed(value: str | None, limit: int | None = None) -> str:
    """What a person typed (a vendor name, a title, a recap, an answer), on one line, cut at
    `limit`, escaped once for mrkdwn: no broadcast, masked link or mention can form from it."""
    return slack_text.plain(value or "", limit=limit)


def _when(at: datetime, vendor_tz: ZoneInfo, viewer_tz: ZoneInfo | None) -> str:
    return format_both(at, vendor_tz, viewer_tz) if viewer_tz else format_local(at, vendor_tz)


def deadline_text(d: Deadline, vendor_tz: ZoneInfo, viewer_tz: ZoneInfo | None = None) -> str:
    return f"*#{d.number} {typed(d.title, 80)}* — {_when(d.due_at, vendor_tz, viewer_tz)}"


def checkin_text(c: CheckIn | None, tz: ZoneInfo) -> str:
    if c is None or c.answered_at is None:
        return "no answer yet"
    state = ON_TRACK.get(c.on_track or "", "answered")
    text = f"{state}, {format_local(c.answered_at, tz)}"
    if c.done_text:
        text += f" — “{typed(c.done_text, 80)}”"
    return text


def channel_url(team_id: str, channel_id: str) -> str:
    return f"https://slack.com/app_redirect?team={team_id}&channel={channel_id}"


# --------------------------------------------------------------------------- health lines


def health_lines(
    h: VendorHealth, viewer_tz: ZoneInfo | None = None, *, plain_replies: bool = False
) -> list[str]:
    """One vendor's health as short lines; internal-only figures only when `h.internal`.

    `plain_replies`: the reply figures as the status view says them (`response_text`).
    """
    tz = h.zone
    nxt = deadline_text(h.next_deadline, tz, viewer_tz) if h.next_deadline else "none open"
    lines = [f"Next deadline: {nxt}"]
    parts = [f"Overdue: {h.overdue}" + (" ⚠️" if h.overdue else "")]
    if h.internal:
        parts.append(f"Last check-in: {checkin_text(h.last_answer, tz)}")
        if h.response is not None:
            lines_resp = response_text(h.response) if plain_replies else sla_text(h.response)
            parts.append(f"Replies: {lines_resp}")
        parts.append(f"Unconfirmed recaps: {h.recaps_unconfirmed}")
    else:
        parts.append(f"Recaps waiting for your confirmation: {h.recaps_waiting_vendor}")
        if h.open_checkin is not None:
            parts.append(
                f"Check-in of {format_local(h.open_checkin.scheduled_for, tz)} waits for "
                "your update"
            )
    lines.append(" · ".join(parts))
    return lines


# --------------------------------------------------------------------------- App Home


def home_blocks(data: HomeData) -> list[Block]:
    """The Home content (without the 'last updated' footer, so it can be compared)."""
    viewer = data.viewer
    tz = viewer.tz
    blocks: list[Block] = [
        kit.header("Your vendors" if viewer.internal else "Your work with us"),
    ]
    if not data.vendors:
        if viewer.internal:
            blocks.append(
                kit.section(
                    "You are not a contact for any vendor yet. In a vendor's channel, run "
                    "`/outsource vendor add <name>` or `/outsource contact set internal @you`."
                )
            )
        else:
            blocks.append(kit.section("Nothing here for you yet."))
        blocks.append(kit.actions(kit.button("Refresh", Action.HOME_REFRESH, "refresh")))
        return blocks
    for h in data.vendors[:MAX_HOME_VENDORS]:
        v = h.vendor
        blocks.append(
            kit.section(f"*{typed(v.name)}* · <#{v.channel_id}>\n" + "\n".join(health_lines(h, tz)))
        )
        buttons = [
            {
                **kit.button("Open channel", Action.HOME_OPEN_CHANNEL, str(v.id)),
                "url": channel_url(v.team_id, v.channel_id),
            }
        ]
        if viewer.internal:
            buttons.append(kit.button("Status", Action.HOME_STATUS_INTERNAL, {"v": v.id}))
            buttons.append(kit.button("Export record", Action.HOME_EXPORT_INTERNAL, {"v": v.id}))
        blocks.append(kit.actions(*buttons))
    if len(data.vendors) > MAX_HOME_VENDORS:
        blocks.append(kit.context(f"and {len(data.vendors) - MAX_HOME_VENDORS} more vendors"))
    blocks.append(kit.divider())
    blocks.append(kit.header("Due in the next 14 days"))
    if data.upcoming:
        lines = []
        for vendor, d in data.upcoming:
            flag = " · ⚠️ overdue" if d.due_at < data.now else ""
            owner = f" · owner <@{d.owner_user_id}>" if d.owner_user_id else ""
            lines.append(
                f"• {deadline_text(d, _tz(vendor), tz)} · {typed(vendor.name)}{owner}{flag}"
            )
        if data.more_upcoming:
            lines.append(f"… and {data.more_upcoming} more")
        blocks.append(kit.section("\n".join(lines)))
    else:
        blocks.append(kit.section("Nothing due in the next 14 days."))
    blocks.append(kit.header("Recaps waiting for your confirmation"))
    if data.recaps_waiting:
        lines = [f"• {recap_line(vendor, r, tz)}" for vendor, r in data.recaps_waiting]
        if data.more_recaps:
            lines.append(f"… and {data.more_recaps} more")
        blocks.append(kit.section("\n".join(lines)))
    else:
        blocks.append(kit.section("None — you're up to date."))
    blocks.append(kit.actions(kit.button("Refresh", Action.HOME_REFRESH, "refresh")))
    return blocks


def recap_line(vendor: Vendor, r: Recap, viewer_tz: ZoneInfo) -> str:
    first = typed(r.text, 70)
    return (
        f"Call of {format_both(r.call_at, _tz(vendor), viewer_tz)} · {typed(vendor.name)} · "
        f"“{first}” — in <#{r.channel_id}>"
    )


def home_view(
    blocks: list[Block], *, viewer: Viewer, now: datetime, footer_id: str = "home_footer"
) -> Block:
    """The Home: its content, then when it was built (block `footer_id`, which a comparison of
    two views leaves out)."""
    footer = {**kit.context(f"Last updated {format_local(now, viewer.tz)}"), "block_id": footer_id}
    return {"type": "home", "blocks": [*blocks[:99], footer]}


def _tz(vendor: Vendor) -> ZoneInfo:
    try:
        return ZoneInfo(vendor.tz or "UTC")
    except Exception:
        return ZoneInfo("UTC")


# --------------------------------------------------------------------------- status


def status_blocks(h: VendorHealth, viewer_tz: ZoneInfo | None = None) -> list[Block]:
    v = h.vendor
    tz = h.zone
    nxt = deadline_text(h.next_deadline, tz, viewer_tz) if h.next_deadline else "none open"
    r = h.response
    open_ci = (
        f"Check-in of {format_local(h.open_checkin.scheduled_for, tz)} not answered yet"
        if h.open_checkin
        else "none"
    )
    contacts = []
    for c in v.contacts:
        if c.ended_at is None:
            contacts.append(f"{c.side} {c.role}: <@{c.user_id}>")
    first = kit.fields(
        f"*Next deadline*\n{nxt}",
        f"*Overdue*\n{h.overdue}" + (" ⚠️" if h.overdue else ""),
        f"*Open deadlines*\n{h.open_deadlines} ({h.due_soon} due in 14 days)",
        f"*Last check-in answer*\n{checkin_text(h.last_answer, tz)}",
        f"*Open check-in*\n{open_ci}",
        f"*Change requests pending*\n{h.pending_changes}",
    )
    second = kit.fields(
        "*Replies, last 30 days*\n" + (response_text(r) if r else "—"),
        f"*Waiting for a vendor reply now*\n{r.waiting if r else 0}",
        f"*Unconfirmed recaps*\n{h.recaps_unconfirmed} "
        f"({h.recaps_waiting_internal} by us, {h.recaps_waiting_vendor} by {typed(v.name)})",
        f"*Access on record*\n{h.access_active or 0} (see `/outsource access list`)",
        "*Contacts*\n" + ("\n".join(contacts) or "none set"),
    )
    extra = [h.settings_line] if h.settings_line else []
    if v.checkin_days and v.checkin_time:
        extra.append(f"check-ins {v.checkin_days} {v.checkin_time} {v.checkin_tz or v.tz}")
    blocks = [kit.header(f"{typed(v.name, 130)} — status"), first, second]
    blocks.append(
        kit.context(" · ".join([*extra, "Only you can see this; same figures as your App Home."]))
    )
    return blocks


def status_text(h: VendorHealth) -> str:
    return f"{typed(h.vendor.name)} — status:\n" + "\n".join(health_lines(h, plain_replies=True))


def status_modal(h: VendorHealth, viewer_tz: ZoneInfo | None = None) -> Block:
    return {
        "type": "modal",
        "callback_id": Callback.STATUS_MODAL,
        "title": kit.text("Vendor status", mrkdwn=False),
        "close": kit.text("Close", mrkdwn=False),
        "blocks": status_blocks(h, viewer_tz),
    }


# --------------------------------------------------------------------------- digest


def _capped(lines: Sequence[str], limit: int = 10) -> str:
    shown = list(lines[:limit])
    if len(lines) > limit:
        shown.append(f"… and {len(lines) - limit} more")
    return "\n".join(shown)


def digest_message(d: Digest) -> tuple[str, list[Block]]:
    v = d.vendor
    tz = _tz(v)
    utz = d.reader_tz
    title = f"Weekly digest — {typed(v.name, 120)}"
    period = f"{format_local(d.since, utz)} – {format_local(d.until, utz)}"
    blocks: list[Block] = [kit.header(title), kit.context(f"{period} · only you see this")]
    summary: list[str] = []

    def section(name: str, lines: list[str]) -> None:
        if lines:
            blocks.append(kit.section(f"*{name}*\n" + _capped(lines)))
            summary.append(f"{name}: {len(lines)}")

    section(
        "Done",
        [f"• #{x.number} {typed(x.title, 80)}" for x in d.done],
    )
    section(
        "Slipped",
        [
            f"• #{x.number} {typed(x.title, 80)} — was due {_when(x.due_at, tz, utz)}"
            + (" (still open)" if x.state == "open" else " (done late)")
            for x in d.slipped
        ],
    )
    section(
        "Changes approved",
        [f"• {typed(c.description, 100)}" for c in d.changes_approved],
    )
    section(
        "Changes declined",
        [f"• {typed(c.description, 100)}" for c in d.changes_declined],
    )
    section(
        "Recaps confirmed by both sides",
        [
            f"• Call of {format_local(r.call_at, tz)}: “{typed(r.text, 60)}”"
            for r in d.recaps_confirmed
        ],
    )
    section(
        "Recaps still unconfirmed",
        [
            f"• Call of {format_local(r.call_at, tz)}: “{typed(r.text, 60)}” — waiting for "
            + " and ".join(
                side
                for side, at in (
                    ("us", r.internal_confirmed_at),
                    (typed(v.name), r.vendor_confirmed_at),
                )
                if at is None
            )
            for r in d.recaps_unconfirmed
        ],
    )
    if d.response.count or d.response.waiting:
        blocks.append(
            kit.section(
                f"*Response time*\n{counted(d.response.count, 'reply', 'replies')} measured: "
                f"{sla_text(d.response)}"
                + (
                    f"\n{counted(d.response.waiting, 'message')} still waiting for a reply"
                    if d.response.waiting
                    else ""
                )
            )
        )
        summary.append(f"replies: {d.response.count}")
    section(
        "Check-in answers",
        [
            f"• {format_local(c.answered_at or c.scheduled_for, tz)} — "
            f"{ON_TRACK.get(c.on_track or '', 'answered')}"
            + (f": done “{typed(c.done_text, 60)}”" if c.done_text else "")
            + (f"; blockers “{typed(c.blockers_text, 60)}”" if c.blockers_text else "")
            for c in d.checkins_answered
        ],
    )
    section(
        "Check-ins not answered",
        [f"• {format_local(c.scheduled_for, tz)}" for c in d.checkins_missed],
    )
    section(
        "Coming up this week",
        [f"• {deadline_text(x, tz, utz)}" for x in d.upcoming],
    )
    blocks.append(kit.context(f"Channel: <#{v.channel_id}> · `/outsource status` there for more"))
    text = f"{title} ({period}): " + ("; ".join(summary) or "nothing new")
    return text[:3000], blocks[:50]


# --------------------------------------------------------------------------- access


def access_list_blocks(vendor: Vendor, items: Sequence[AccessItem]) -> tuple[str, list[Block]]:
    active = [a for a in items if a.revoked_at is None]
    revoked = [a for a in items if a.revoked_at is not None]
    tz = _tz(vendor)

    def line(a: AccessItem) -> str:
        who = f" — <@{a.user_id}>" if a.user_id else ""
        added = format_local(a.added_at, tz)
        return f"• *{typed(a.system, 80)}*{who} · added by <@{a.added_by}> {added}"

    blocks: list[Block] = [kit.header(f"Access inventory — {typed(vendor.name, 120)}")]
    if active:
        blocks.append(kit.section("*Current*\n" + _capped([line(a) for a in active], 40)))
    else:
        blocks.append(
            kit.section("Nothing on record. Add with `/outsource access add <system> [<@user>]`.")
        )
    if revoked:
        blocks.append(
            kit.section(
                "*Revoked*\n"
                + _capped(
                    [
                        f"• ~{typed(a.system, 80)}~"
                        + (f" — <@{a.user_id}>" if a.user_id else "")
                        + f" · revoked {format_local(a.revoked_at, tz)}"
                        for a in revoked
                        if a.revoked_at is not None
                    ],
                    20,
                )
            )
        )
    blocks.append(kit.context("Internal only: only you can see this."))
    text = f"Access inventory — {typed(vendor.name)}: {len(active)} current, {len(revoked)} revoked"
    return text, blocks


# --------------------------------------------------------------------------- offboarding


def checklist_message(
    vendor: Vendor,
    checklist: OffboardingChecklist,
    items: Sequence[OffboardingItem],
    *,
    export_note: str | None = None,
) -> tuple[str, list[Block]]:
    tz = _tz(vendor)
    # The name as typed, escaped once (Slack reads `plain_text` objects escaped too).
    name = mrkdwn(vendor.name)
    done = [i for i in items if i.done_at is not None]
    total = len(items)
    if checklist.completed_at is not None:
        title = f"Offboarding {name} — complete"
        text = f"{title}: all {total} items done. {name} is archived" + (
            f"; {export_note}" if export_note else "."
        )
        blocks: list[Block] = [
            kit.header(title[:150]),
            kit.section(
                f"All {total} items done on {format_local(checklist.completed_at, tz)}. "
                f"*{name}* is archived and the engagement is closed in the audit log."
                + (f"\n{export_note}" if export_note else "")
            ),
        ]
        lines = [f"✅ ~{single_line(i.label, 100)}~ — <@{i.done_by}>" for i in items]
        if lines:
            blocks.append(kit.section(_capped(lines, 30)))
        return text, blocks
    title = f"Offboarding {name} — {len(done)} of {total} done"
    blocks = [
        kit.header(title[:150]),
        kit.context(
            "Press *Done* when an item is handled. When every item is done, "
            f"{name} is archived and the final written record is sent to you. "
            "Internal only."
        ),
    ]
    buttons = 0
    for kind, heading in KIND_TITLES.items():
        group = [i for i in items if i.kind == kind]
        if not group:
            continue
        blocks.append(kit.section(f"*{heading}*"))
        finished = [i for i in group if i.done_at is not None]
        for item in group:
            if item.done_at is not None:
                continue
            if buttons >= MAX_CHECKLIST_BUTTONS:
                continue
            buttons += 1
            blocks.append(
                kit.section(
                    f"⬜ {item.label}",
                    accessory=kit.button(
                        "Done",
                        Action.OFFBOARD_ITEM_DONE_INTERNAL,
                        {"item": item.id},
                        style="primary",
                    ),
                )
            )
        if finished:
            blocks.append(
                kit.context(
                    _capped(
                        [
                            f"✅ ~{single_line(i.label, 80)}~ — <@{i.done_by}>"
                            + (f", {format_local(i.done_at, tz)}" if i.done_at else "")
                            for i in finished
                        ],
                        8,
                    )[:3000]
                )
            )
    hidden = total - len(done) - buttons
    if hidden > 0:
        blocks.append(kit.context(f"{hidden} more open items appear here as you tick these off."))
    text = f"{title}. Press Done on each item as it is handled."
    return text, blocks[:50]


def checklist_moved(vendor: Vendor, user_id: str) -> tuple[str, list[Block]]:
    text = (
        f"This offboarding checklist for {mrkdwn(vendor.name)} continues in a newer message "
        f"(<@{user_id}> ran `offboard` again)."
    )
    return text, [kit.section(text)]


# --------------------------------------------------------------------------- export notices


def export_failed_text(vendor_name: str, error: str, retry_at: datetime, tz: ZoneInfo) -> str:
    return (
        f"I couldn't upload the written record of *{typed(vendor_name)}* (Slack said "
        f"`{typed(error, 100)}`). Nothing is lost: I'll try again at {format_local(retry_at, tz)} "
        "and send it here."
    )


def export_gave_up_text(vendor_name: str, attempts: int, error: str) -> str:
    return (
        f"I gave up uploading the written record of *{typed(vendor_name)}* after {attempts} "
        f"attempts (last error `{typed(error, 100)}`). Run `/outsource export` in its channel to "
        "try again."
    )


def export_preparing_text(vendor_name: str, fmt: str) -> str:
    kind = "Markdown" if fmt == "md" else "CSV"
    return (
        f"*{typed(vendor_name)}* has a long record: the {kind} export is being prepared and will "
        "arrive here in a minute or so."
    )
