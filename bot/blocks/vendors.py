"""Block Kit for vendors and contacts: command replies, the intro post, the register and
pick-a-contact modals, and the DM sent when a contact leaves."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.blocks import kit
from bot.blocks.ids import Action, BlockId, Callback
from bot.text.escaping import mrkdwn
from bot.time.calendar import describe_region
from storage.models import BACKUP, INTERNAL, PRIMARY, VENDOR, Contact, Vendor

if TYPE_CHECKING:
    from bot.services.vendors.contacts import (
        ContactChange,
        ContactLine,
        ContactsOverview,
        PickContext,
    )
    from bot.services.vendors.registration import (
        RegistrationDefaults,
        VendorChange,
        VendorListing,
    )

Message = tuple[str, list[kit.Block]]

ADD_USAGE = "/outsource vendor add <name> [tz <IANA zone>] [country <ISO code>]"
REGISTER_HINT = (
    "Or type `/outsource vendor add &lt;name&gt; [tz &lt;IANA zone&gt;] [country &lt;ISO "
    "code&gt;]`. Only the team that runs this vendor relationship can register it."
)

# Form fields (as the service names them) → the block that shows them.
FIELD_BLOCKS: dict[str, str] = {
    "name": BlockId.VENDOR_NAME,
    "tz": BlockId.VENDOR_TZ,
    "country": BlockId.VENDOR_COUNTRY,
    "internal_primary": BlockId.CONTACT_INTERNAL_PRIMARY,
    "internal_backup": BlockId.CONTACT_INTERNAL_BACKUP,
    "vendor_primary": BlockId.CONTACT_VENDOR_PRIMARY,
    "vendor_backup": BlockId.CONTACT_VENDOR_BACKUP,
    "user": BlockId.CONTACT_USER,
}


def _name(vendor: Vendor) -> str:
    return f"*{mrkdwn(vendor.name)}*"


def _side_label(vendor: Vendor, side: str) -> str:
    return "internal" if side == INTERNAL else "vendor"


def _message(lines: list[str], extra: list[kit.Block] | None = None) -> Message:
    body = "\n".join(lines)
    return body, [kit.section(body), *(extra or [])]


# ------------------------------------------------------------------------------ replies


def vendor_added(change: VendorChange) -> Message:
    v = change.vendor
    if change.outcome == "updated":
        parts = [f"{k} {a or 'not set'} → {b}" for k, (a, b) in change.changes.items()]
        lines = [f"✅ Updated {_name(v)}: " + ", ".join(parts) + "."]
        if "country" in change.changes:
            lines.append("• " + _holidays_line(change))
        return _message(lines)
    if change.outcome == "reactivated":
        lines = [
            f"✅ {_name(v)} is active again in this channel, with its history and contacts "
            "(see `/outsource contacts`)."
        ]
    elif change.outcome == "restored":
        lines = [
            f"✅ {_name(v)} is restored in this channel: its contacts, deadlines (reminders "
            "resume) and history are back (see `/outsource contacts`, `/outsource deadline "
            "list`). The channel was told."
        ]
    else:
        lines = [f"✅ {_name(v)} is registered: this is now its vendor channel."]
    tz = f"Timezone: {v.tz}"
    if change.tz_defaulted:
        tz += (
            f" (a default — set theirs with `/outsource vendor add {mrkdwn(v.name)} "
            "tz &lt;IANA zone&gt;`)"
        )
    lines.append(f"• {tz} · country: {v.country or 'not set'}")
    lines.append("• " + _holidays_line(change))
    lines.append("• " + _connect_line(v, change.team_names))
    if change.outcome == "added":
        lines.append(
            "Next: `/outsource contact set internal @someone` and "
            "`/outsource contact set vendor @someone` (add `backup` for a second person)."
        )
    return _message(lines)


def _holidays_line(change: VendorChange) -> str:
    """Whose public holidays count as the vendor's days off, and how to choose others."""
    v = change.vendor
    how = f"`/outsource vendor add {mrkdwn(v.name)} country "
    if change.region is None:
        return f"No country set, so no public holidays: set one with {how}&lt;ISO code&gt;`."
    text, example = describe_region(change.region)
    line = f"Days off: weekends and the public holidays of {text}."
    if example:
        line += f" To choose another: {how}{example}`."
    return line


def _connect_line(vendor: Vendor, names: dict[str, str]) -> str:
    if vendor.is_ext_shared and vendor.external_team_ids:
        teams = ", ".join(f"*{mrkdwn(names.get(t, t))}* (`{t}`)" for t in vendor.external_team_ids)
        return (
            f"🔗 Slack Connect channel shared with {teams}: vendor contacts must be people "
            "of that workspace."
        )
    if vendor.is_ext_shared:
        return "🔗 Slack Connect channel (the other organization is not known yet)."
    return (
        "Not a Slack Connect channel: vendor contacts can be guests or members of your workspace."
    )


def vendor_removed(vendor: Vendor) -> Message:
    return _message(
        [
            f"🗄️ {_name(vendor)} is archived. Its deadlines, recaps, contacts and audit trail stay "
            "for the record and `/outsource export`; nothing more is posted for it here.",
            "To bring it back: `/outsource vendor restore` (or "
            f"`/outsource vendor add {mrkdwn(vendor.name)}`).",
        ]
    )


def vendor_note(vendor: Vendor, *, action: str, actor: str, detail: dict[str, Any]) -> Message:
    """The note in the vendor channel, for both sides, when the vendor itself changes."""
    by = f"<@{actor}>" if actor and actor[0] in "UW" else "someone"
    if action == "vendor.add":
        lines = [
            f"📋 {by} registered {_name(vendor)}: this is now its vendor channel. Deadlines, "
            "call recaps and check-ins with them are kept here; times are read in "
            f"{mrkdwn(vendor.tz)}."
        ]
    elif action in ("vendor.reactivate", "vendor.restore"):
        lines = [
            f"📋 {by} brought {_name(vendor)} back: this is its vendor channel again, with its "
            "deadlines and history. Reminders continue from now on."
        ]
    elif action == "vendor.update":
        names = {"tz": "timezone", "country": "country"}
        parts = [
            f"{names.get(k, k)} {mrkdwn(str(v.get('from') or 'not set'))} → "
            f"{mrkdwn(str(v.get('to') or 'not set'))}"
            for k, v in detail.items()
            if isinstance(v, dict)
        ]
        lines = [f"📋 {by} changed {_name(vendor)}'s settings: " + ", ".join(parts) + "."]
    else:  # vendor.archive
        lines = [
            f"🗄️ {by} archived {_name(vendor)}: no more reminders or check-ins here. Its "
            "record is kept."
        ]
    return _message(lines)


def vendor_listing(listing: VendorListing) -> Message:
    if not listing.active and not listing.archived:
        return _message(
            [f"No vendors yet. In the channel you share with a vendor: `{mrkdwn(ADD_USAGE)}`."]
        )
    lines = [f"*Vendors ({len(listing.active)})*"]
    for v in listing.active:
        connect = (
            "🔗 Slack Connect with "
            + ", ".join(mrkdwn(listing.team_names.get(t, t)) for t in v.external_team_ids)
            if v.is_ext_shared and v.external_team_ids
            else "🔗 Slack Connect"
            if v.is_ext_shared
            else "not shared"
        )
        where = f"{v.tz}" + (f" · {v.country}" if v.country else "")
        lines.append(f"• {_name(v)} — <#{v.channel_id}> · {connect} · {where}")
        lines.append(f"    Internal: {_pair(v, INTERNAL)} · Vendor: {_pair(v, VENDOR)}")
    if listing.archived:
        lines.append(
            "Archived: "
            + ", ".join(
                f"{mrkdwn(v.name)} (<#{v.channel_id}>"
                + (f", {v.archived_at:%Y-%m-%d})" if v.archived_at else ")")
                for v in listing.archived
            )
        )
    return _message(lines)


def _holder(vendor: Vendor, side: str, role: str) -> Contact | None:
    return next(
        (c for c in vendor.contacts if c.ended_at is None and c.side == side and c.role == role),
        None,
    )


def _pair(vendor: Vendor, side: str) -> str:
    primary = _holder(vendor, side, PRIMARY)
    backup = _holder(vendor, side, BACKUP)
    if primary is None and backup is None:
        return "_none_"
    text = f"<@{primary.user_id}>" if primary else "_no primary_"
    if backup is not None:
        text += f" (backup <@{backup.user_id}>)"
    return text


def contact_changed(change: ContactChange) -> Message:
    v = change.vendor
    what = f"{_name(v)}'s {_side_label(v, change.side)} {change.role} contact"
    who = f"<@{change.user_id}>"
    if change.unchanged:
        return _message([f"{who} already is {what}; nothing changed."])
    line = f"✅ {who} is now {what}"
    notes = []
    if change.moved_from:
        notes.append(f"was the {change.moved_from}")
    if change.replaced:
        notes.append(f"replacing <@{change.replaced}>")
    if notes:
        line += " (" + "; ".join(notes) + ")"
    return _message([line + "."])


def contacts_overview(overview: ContactsOverview) -> Message:
    v = overview.vendor
    vendor_now = overview.now.astimezone(ZoneInfo(v.tz or "UTC"))
    lines = [
        f"*Contacts of {mrkdwn(v.name)}* — <#{v.channel_id}> · vendor time now "
        f"{_clock(vendor_now)} ({v.tz})"
    ]
    for side, title in ((INTERNAL, "Internal side"), (VENDOR, f"{mrkdwn(v.name)}'s side")):
        lines.append(f"\n*{title}*")
        side_lines = [c for c in overview.lines if c.side == side]
        for c in side_lines:
            lines.append(_contact_text(c))
        roles = {c.role for c in side_lines}
        for role in (PRIMARY, BACKUP):
            if role not in roles:
                cmd = f"/outsource contact set {side} @someone" + (
                    " backup" if role == BACKUP else ""
                )
                lines.append(f"• {role.capitalize()}: _none_ — `{cmd}`")
    return _message(lines)


def _clock(local: datetime) -> str:
    return f"{local:%H:%M} {local.tzname() or ''} {local:%a}".replace("  ", " ")


def _contact_text(c: ContactLine) -> str:
    parts = [f"• {c.role.capitalize()}: *{mrkdwn(c.name)}* (<@{c.user_id}>)"]
    if c.local_now is not None:
        zone = f"{c.tz}, assumed" if c.tz_assumed else c.tz
        parts.append(f"local time {_clock(c.local_now)} ({zone})")
    parts.append(f"works {c.hours}")
    if c.day_off:
        parts.append("day off today")
    elif c.working_now:
        parts.append("🟢 working now")
    else:
        parts.append("outside working hours")
    return " · ".join(parts)


def registered(change: VendorChange, contacts: list[ContactChange]) -> str:
    text, _ = vendor_added(change)
    for c in contacts:
        text += "\n" + contact_changed(c)[0]
    return text


# ------------------------------------------------------------------------------ intro


def intro_message(vendor: Vendor | None) -> Message:
    if vendor is not None:
        return _message(
            [
                f"👋 Hi again — this is {_name(vendor)}'s vendor channel. "
                "`/outsource contacts` shows who the contact points are; `/outsource help` "
                "shows the rest."
            ]
        )
    body = (
        "👋 Hi, I'm *outsource-bot*. I keep work with a vendor explicit: a contact point on "
        "each side, deadlines reminded before they slip (in the vendor's timezone), calls "
        "turned into written records both sides confirm, and regular check-ins — without "
        "noise.\nIs this a vendor's channel?"
    )
    blocks = [
        kit.section(body),
        kit.actions(
            kit.button("Register this vendor", Action.REGISTER_VENDOR_INTERNAL, "", style="primary")
        ),
        kit.context(REGISTER_HINT),
    ]
    return body, blocks


# ------------------------------------------------------------------------------ modals


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> kit.Block:
    block: kit.Block = {
        "type": "input",
        "block_id": block_id,
        "label": kit.text(label, mrkdwn=False),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = kit.text(hint, mrkdwn=False)
    return block


def _text_input(initial: str, placeholder: str, max_length: int) -> dict[str, Any]:
    el: dict[str, Any] = {
        "type": "plain_text_input",
        "max_length": max_length,
        "placeholder": kit.text(placeholder, mrkdwn=False),
    }
    if initial:
        el["initial_value"] = initial
    return el


def _user_select(initial: str | None = None) -> dict[str, Any]:
    el: dict[str, Any] = {
        "type": "users_select",
        "placeholder": kit.text("Pick a person", mrkdwn=False),
    }
    if initial:
        el["initial_user"] = initial
    return el


def register_modal(defaults: RegistrationDefaults) -> dict[str, Any]:
    intro = (
        f"<#{defaults.channel_id}> becomes this vendor's channel. In a Slack Connect channel "
        "the vendor contacts must be people of the vendor's workspace."
    )
    if defaults.reactivating:
        intro = (
            f"<#{defaults.channel_id}> had this vendor before (archived). Registering brings it "
            "back with its history."
        )
    blocks = [
        kit.section(intro),
        _input(
            BlockId.VENDOR_NAME,
            "Vendor name",
            _text_input(defaults.name, "e.g. Acme Dev", 120),
        ),
        _input(
            BlockId.VENDOR_TZ,
            "Vendor timezone",
            _text_input(defaults.tz, "e.g. Europe/Berlin", 64),
            optional=True,
            hint="IANA name. Wall-clock times (reminders, check-ins) are read in this zone.",
        ),
        _input(
            BlockId.VENDOR_COUNTRY,
            "Vendor country",
            _text_input(defaults.country, "e.g. DE, GB-ENG, US-CA", 8),
            optional=True,
            hint=(
                "Two-letter ISO code, or a region where holidays differ (GB-SCT, US-CA, IN-KA); "
                "its public holidays count as days off."
            ),
        ),
        _input(
            BlockId.CONTACT_INTERNAL_PRIMARY,
            "Internal contact",
            _user_select(defaults.internal_primary),
            optional=True,
        ),
        _input(
            BlockId.CONTACT_INTERNAL_BACKUP,
            "Internal backup",
            _user_select(),
            optional=True,
        ),
        _input(
            BlockId.CONTACT_VENDOR_PRIMARY,
            "Vendor contact",
            _user_select(),
            optional=True,
        ),
        _input(
            BlockId.CONTACT_VENDOR_BACKUP,
            "Vendor backup",
            _user_select(),
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": Callback.REGISTER_VENDOR_MODAL,
        "title": kit.text("Register vendor", mrkdwn=False),
        "submit": kit.text("Register", mrkdwn=False),
        "close": kit.text("Cancel", mrkdwn=False),
        "private_metadata": kit.encode({"c": defaults.channel_id, "t": defaults.team_id}),
        "blocks": blocks,
    }


def _state(view: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = ((view or {}).get("state") or {}).get("values") or {}
    return values


def _value(values: dict[str, Any], block_id: str) -> str | None:
    element = (values.get(block_id) or {}).get(block_id) or {}
    for key in ("value", "selected_user"):
        if element.get(key):
            return str(element[key])
    return None


def register_fields(view: dict[str, Any]) -> dict[str, str | None]:
    """The register modal's submitted values, by the service's field names."""
    values = _state(view)
    return {name: _value(values, block) for name, block in FIELD_BLOCKS.items() if name != "user"}


def picked_user(view: dict[str, Any]) -> str | None:
    return _value(_state(view), BlockId.CONTACT_USER)


def field_errors(field_name: str | None, message: str) -> dict[str, str]:
    """`response_action: errors` for a form: the message next to the field it is about."""
    block = FIELD_BLOCKS.get(field_name or "", BlockId.VENDOR_NAME)
    return {block: message}


def pick_contact_errors(message: str) -> dict[str, str]:
    """`response_action: errors` for the pick-contact modal: its one input shows every
    problem (an error keyed to a block the modal lacks makes Slack show a generic failure).
    Shown under an input, which is plain text: no mrkdwn emphasis there."""
    return {BlockId.CONTACT_USER: message.replace("*", "")}


def pick_contact_modal(ctx: PickContext) -> dict[str, Any]:
    v = ctx.vendor
    what = f"{_side_label(v, ctx.side)} {ctx.role} contact"
    lead = f"Who should be {_name(v)}'s {what}?"
    if ctx.side == VENDOR and v.is_ext_shared:
        lead += " It must be someone from the vendor's workspace."
    elif ctx.side == INTERNAL:
        lead += " It must be a member of your workspace."
    if ctx.current:
        lead += f" Now: <@{ctx.current}>."
    return {
        "type": "modal",
        "callback_id": Callback.PICK_CONTACT_MODAL,
        "title": kit.text("Pick a contact", mrkdwn=False),
        "submit": kit.text("Save", mrkdwn=False),
        "close": kit.text("Cancel", mrkdwn=False),
        "private_metadata": kit.encode({"v": v.id, "s": ctx.side, "r": ctx.role}),
        "blocks": [
            kit.section(lead),
            _input(BlockId.CONTACT_USER, what.capitalize(), _user_select()),
        ],
    }


# ------------------------------------------------------------------------------ DMs


REASONS = {
    "left the channel": "left {channel}",
    "deactivated": "was deactivated in Slack",
    "channel unshared": "can no longer see {channel} (their workspace was disconnected from it)",
}


def contact_gone_dm(
    vendor: Vendor,
    *,
    gone: Contact,
    reason: str,
    promoted: str | None,
    missing: str | None,
) -> Message:
    """To the internal primary: who left, who took over, and a button for whoever is missing."""
    side = _side_label(vendor, gone.side)
    channel = f"<#{vendor.channel_id}>"
    what = REASONS.get(reason, reason).format(channel=channel)
    lines = [
        f"Heads-up about {_name(vendor)}: <@{gone.user_id}>, the {side} {gone.role} contact, "
        f"{what}."
    ]
    if promoted:
        lines.append(f"<@{promoted}>, the backup, took over as {side} primary contact.")
    elif gone.role == BACKUP and missing == BACKUP:
        lines.append(f"The {side} primary contact stays as it is; there is no {side} backup now.")
    if missing == PRIMARY:
        lines.append(f"There is *no {side} contact* now — please pick one.")
    elif missing == BACKUP and promoted:
        lines.append(f"There is no {side} backup now.")
    extra: list[kit.Block] = []
    if missing is not None:
        label = f"Pick a new {side} contact" if missing == PRIMARY else f"Pick a new {side} backup"
        extra.append(
            kit.actions(
                kit.button(
                    label,
                    Action.PICK_CONTACT_INTERNAL,
                    {"v": vendor.id, "s": gone.side, "r": missing},
                    style="primary" if missing == PRIMARY else None,
                )
            )
        )
    return _message(lines, extra)


def picked(change: ContactChange) -> str:
    return contact_changed(change)[0]
