"""A Slack message's readable text, for a recap made from it (the shortcut) or for meeting
notes offered as one: its text, else what its blocks and attachments say, decoded once into
plain text (bot/text/escaping.py)."""

from __future__ import annotations

from typing import Any

from bot.services.recaps.common import dicts
from bot.text import escaping as slack_text


def message_text(message: dict[str, Any]) -> str:
    """A message's readable text as plain text: its text, else what its blocks and attachments
    say. Slack sends all of it escaped (rich text leaves excepted, escaped here): it is
    decoded exactly once (bot/text/escaping.py)."""
    text = str(message.get("text") or "")
    extra: list[str] = []
    for block in dicts(message.get("blocks")):
        extra.extend(_block_texts(block))
    for att in dicts(message.get("attachments")):
        for key in ("pretext", "title", "text"):
            if att.get(key):
                extra.append(str(att[key]))
        for f in dicts(att.get("fields")):
            extra.append(f"{f.get('title', '')}: {f.get('value', '')}".strip(": "))
        for block in dicts(att.get("blocks")):
            extra.extend(_block_texts(block))
    more = "\n".join(e for e in extra if e.strip() and e.strip() not in text)
    if not text.strip() or len(more) > len(text):
        text = more.strip()
    return slack_text.from_slack(text)


def _block_texts(block: dict[str, Any]) -> list[str]:
    out: list[str] = []
    kind = block.get("type")
    if kind in ("section", "header") and isinstance(block.get("text"), dict):
        out.append(str(block["text"].get("text") or ""))
        for f in dicts(block.get("fields")):
            out.append(str(f.get("text") or ""))
    elif kind == "context":
        out.extend(str(e.get("text") or "") for e in dicts(block.get("elements")) if "text" in e)
    elif kind == "rich_text":
        out.append(_rich_text(dicts(block.get("elements"))))
    elif kind == "markdown":
        out.append(str(block.get("text") or ""))
    return out


def _rich_text(elements: list[dict[str, Any]], prefix: str = "") -> str:
    """Rich text as Slack's escaped text (its leaves are raw): decoded with the rest."""
    lines: list[str] = []
    for el in elements:
        kind = el.get("type")
        if kind == "rich_text_list":
            for sub in dicts(el.get("elements")):
                lines.append(_rich_text([sub], prefix="- "))
        elif kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            parts = []
            for leaf in dicts(el.get("elements")):
                t = leaf.get("type")
                if t == "text":
                    parts.append(slack_text.slack_escape(str(leaf.get("text") or "")))
                elif t == "user":
                    parts.append(f"<@{leaf.get('user_id')}>")
                elif t == "link":
                    parts.append(
                        slack_text.slack_escape(str(leaf.get("text") or leaf.get("url") or ""))
                    )
                elif t == "emoji":
                    parts.append(f":{leaf.get('name')}:")
            lines.append(prefix + "".join(parts))
    return "\n".join(lines)
