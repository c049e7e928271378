"""The `/outsource help` message."""

from __future__ import annotations

from typing import Any

from bot.blocks import kit
from bot.commands import EXAMPLES, USAGE

SECTIONS: list[tuple[str, list[str]]] = [
    (
        "Vendors & contacts",
        ["vendor add", "vendor list", "vendor remove", "contact set", "contacts"],
    ),
    (
        "Deadlines & changes",
        [
            "deadline add",
            "deadline list",
            "deadline show",
            "deadline done",
            "deadline move",
            "change",
        ],
    ),
    ("Call recaps", ["recap"]),
    (
        "Check-ins & noise",
        ["checkin every", "checkin off", "checkin now", "sla", "quiet", "pause", "resume"],
    ),
    ("Records", ["status", "access add", "access list", "offboard", "export"]),
]


def _example(key: str) -> str:
    if EXAMPLES[key] == USAGE[key]:
        return ""
    return f" — e.g. `{kit.escape(EXAMPLES[key])}`"


def help_text() -> str:
    lines = ["*outsource-bot* — keeps vendor communication explicit. Commands:"]
    for title, keys in SECTIONS:
        lines.append(f"\n*{title}*")
        lines.extend(f"• `{kit.escape(USAGE[k])}`{_example(k)}" for k in keys)
    return "\n".join(lines)


def help_blocks() -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        kit.section(
            "*outsource-bot* keeps vendor communication explicit: contacts on both sides, "
            "deadlines reminded before they slip, calls turned into confirmed written records."
        )
    ]
    for title, keys in SECTIONS:
        body = "\n".join(f"• `{kit.escape(USAGE[k])}`{_example(k)}" for k in keys)
        blocks.append(kit.section(f"*{title}*\n{body}"))
    blocks.append(
        kit.context(
            "Vendor contacts act with the buttons on the bot's messages; "
            "dates without a time mean 17:00 in the vendor's timezone."
        )
    )
    return blocks


def help_message(prefix: str | None = None) -> dict[str, Any]:
    blocks = help_blocks()
    text = help_text()
    if prefix:
        blocks.insert(0, kit.section(prefix))
        text = prefix + "\n" + text
    return kit.ephemeral(text, blocks)
