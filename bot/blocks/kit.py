"""Small Block Kit builders shared by every view."""

from __future__ import annotations

import json
from typing import Any

Block = dict[str, Any]


def escape(value: str) -> str:
    """Slack mrkdwn treats <, > and & as control characters: escape user or literal text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text(value: str, *, mrkdwn: bool = True) -> dict[str, Any]:
    if mrkdwn:
        return {"type": "mrkdwn", "text": value[:3000]}
    return {"type": "plain_text", "text": value[:3000], "emoji": True}


def section(value: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": text(value)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(*values: str) -> Block:
    return {"type": "section", "fields": [text(v) for v in values[:10]]}


def header(value: str) -> Block:
    return {"type": "header", "text": text(value[:150], mrkdwn=False)}


def context(*values: str) -> Block:
    return {"type": "context", "elements": [text(v) for v in values[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def button(
    label: str,
    action_id: str,
    value: str | dict[str, Any] = "",
    *,
    style: str | None = None,
    confirm: Block | None = None,
) -> Block:
    if isinstance(value, dict):
        value = encode(value)
    btn: Block = {
        "type": "button",
        "text": text(label[:75], mrkdwn=False),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        btn["style"] = style
    if confirm:
        btn["confirm"] = confirm
    return btn


def actions(*elements: Block, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def encode(data: dict[str, Any]) -> str:
    """Typed metadata for a button `value` or a view's `private_metadata`."""
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def decode(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def ephemeral(message: str, blocks: list[Block] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"response_type": "ephemeral", "text": message}
    if blocks:
        body["blocks"] = blocks
    return body
