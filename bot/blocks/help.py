"""The `/outsource help` message (and `help <command>` for one command's forms)."""

from __future__ import annotations

from typing import Any

from bot.blocks import kit
from bot.text.commands import EXAMPLES, QUOTE_RULE, USAGE
from bot.text.escaping import slack_escape

SECTIONS: list[tuple[str, list[str]]] = [
    (
        "Vendors & contacts",
        ["vendor add", "vendor list", "vendor remove", "vendor restore", "contact set", "contacts"],
    ),
    (
        "Deadlines & changes",
        [
            "deadline add",
            "deadline list",
            "deadline show",
            "deadline done",
            "deadline move",
            "deadline cancel",
            "deadline rename",
            "deadline owner",
            "change",
            "change withdraw",
        ],
    ),
    ("Call recaps", ["recap"]),
    (
        "Check-ins & noise",
        ["checkin every", "checkin off", "checkin now", "sla", "quiet", "pause", "resume"],
    ),
    (
        "Records",
        ["status", "access add", "access remove", "access list", "offboard", "export"],
    ),
]

FOOTNOTE = (
    "Vendor contacts act with the buttons on the bot's messages; "
    "dates without a time mean 17:00 in the vendor's timezone. " + QUOTE_RULE
)


def _line(key: str) -> str:
    example = ""
    if EXAMPLES[key] != USAGE[key]:
        example = f" — e.g. `{slack_escape(EXAMPLES[key])}`"
    return f"• `{slack_escape(USAGE[key])}`{example}"


def _sections(topic: str | None) -> list[tuple[str, list[str]]]:
    """All sections, or only the lines of one command word (`help deadline`)."""
    if topic:
        words = {topic.split()[0], topic.split()[0].removesuffix("s")}
        picked = [(title, [k for k in keys if k.split()[0] in words]) for title, keys in SECTIONS]
        picked = [(title, keys) for title, keys in picked if keys]
        if picked:
            return picked
    return SECTIONS


def help_text(topic: str | None = None) -> str:
    lines = ["*outsource-bot* — keeps vendor communication explicit. Commands:"]
    for title, keys in _sections(topic):
        lines.append(f"\n*{title}*")
        lines.extend(_line(k) for k in keys)
    lines.append("\n" + slack_escape(FOOTNOTE))
    return "\n".join(lines)


def help_blocks(topic: str | None = None) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        kit.section(
            "*outsource-bot* keeps vendor communication explicit: contacts on both sides, "
            "deadlines reminded before they slip, calls turned into confirmed written records."
        )
    ]
    for title, keys in _sections(topic):
        body = "\n".join(_line(k) for k in keys)
        blocks.append(kit.section(f"*{title}*\n{body}"))
    blocks.append(kit.context(slack_escape(FOOTNOTE)))
    return blocks


def help_message(prefix: str | None = None, *, topic: str | None = None) -> dict[str, Any]:
    blocks = help_blocks(topic)
    text = help_text(topic)
    if prefix:
        blocks.insert(0, kit.section(prefix))
        text = prefix + "\n" + text
    return kit.ephemeral(text, blocks)
