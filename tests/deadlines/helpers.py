"""Small readers for the deadline tests: what users see, what is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.blocks import kit
from storage.models import AuditEntry, ChangeRequest, Deadline, OutboxMessage
from tests.harness import SHARED_CHANNEL, Harness

ADD = '/outsource deadline add "API v2 handover" 2027-03-10 17:00 owner <@U_PRIYA>'


def add(h: Harness, text: str = ADD, *, user: str | None = None) -> str:
    """Run `deadline add …` (text with or without the `/outsource ` prefix); the reply text."""
    kw = {"user": user} if user else {}
    resp = h.command(text.removeprefix("/outsource "), **kw)
    assert resp.status == 200
    return h.reply_text(resp)


def reply(h: Harness, text: str, **kw: Any) -> str:
    resp = h.command(text, **kw)
    assert resp.status == 200
    return h.reply_text(resp)


def bot_posts(h: Harness, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    return h.posts(channel)


def reminders(h: Harness, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    """Posts that carry deadline reminders (one bundled post counts once)."""
    return [p for p in h.posts(channel) if _has_reminder_blocks(p)]


def _has_reminder_blocks(post: dict[str, Any]) -> bool:
    blocks = post.get("blocks") or []
    if isinstance(blocks, str):
        return False
    ids = [str(b.get("block_id", "")) for b in blocks]
    return any(i.startswith("dl:") and ":added:" not in i for i in ids)


def escalations(h: Harness, user: str) -> list[dict[str, Any]]:
    """DMs to `user` that escalate an overdue deadline (other capabilities DM too)."""
    out = []
    for post in h.dms(user):
        keys = str(((post.get("metadata") or {}).get("event_payload") or {}).get("keys", ""))
        if any(k.startswith("escalation:") for k in keys.split(",")):
            out.append(post)
    return out


def stored(h: Harness, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    """The channel's messages as Slack stores them (with ts, after chat.update)."""
    return h.fake.messages(channel)


def latest_with(h: Harness, needle: str, channel: str = SHARED_CHANNEL) -> dict[str, Any]:
    for message in reversed(stored(h, channel)):
        if needle in _all_text(message):
            message = dict(message)
            message.setdefault("channel", channel)
            return message
    raise AssertionError(f"no message with {needle!r} in {channel}")


def _all_text(message: dict[str, Any]) -> str:
    parts = [str(message.get("text") or "")]
    for block in message.get("blocks") or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text") or ""))
        for el in block.get("elements") or []:
            if isinstance(el, dict):
                parts.append(str(el.get("text") or ""))
                if isinstance(el.get("text"), dict):
                    parts.append(str(el["text"].get("text") or ""))
    return "\n".join(parts)


def text_of(message: dict[str, Any]) -> str:
    return _all_text(message)


def buttons(message: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    """(label, action_id, decoded value, block_id) of every button in a message."""
    out = []
    for block in message.get("blocks") or []:
        for el in block.get("elements") or []:
            if el.get("type") == "button":
                out.append(
                    (
                        el["text"]["text"],
                        el["action_id"],
                        kit.decode(el.get("value")),
                        str(block.get("block_id") or ""),
                    )
                )
    return out


def press(
    h: Harness,
    message: dict[str, Any],
    label: str,
    *,
    user: str,
    deadline_id: int | None = None,
    channel: str = SHARED_CHANNEL,
) -> Any:
    """Press the button `label` (of one deadline, when several are bundled) in a stored message."""
    for lbl, action_id, value, block_id in buttons(message):
        if lbl != label:
            continue
        if deadline_id is not None and value.get("d") != deadline_id:
            continue
        msg = dict(message)
        return h.click(
            action_id,
            kit.encode(value),
            user=user,
            channel_id=channel,
            message=msg,
            message_ts=msg.get("ts"),
            block_id=block_id,
        )
    raise AssertionError(f"no button {label!r} in {message}")


def last_ephemeral_response(h: Harness) -> str:
    texts = [r.get("text", "") for r in h.fake.responses()]
    return texts[-1] if texts else ""


def counts(h: Harness) -> dict[str, int]:
    """How many rows each table this capability writes has: for "nothing changed"."""
    with h.session() as s:
        return {
            "deadlines": s.scalar(select(func.count()).select_from(Deadline)) or 0,
            "changes": s.scalar(select(func.count()).select_from(ChangeRequest)) or 0,
            "audit": s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            "outbox": s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        }


def deadline(h: Harness, number: int = 1) -> Deadline:
    with h.session() as s:
        d = s.scalar(select(Deadline).where(Deadline.number == number))
        assert d is not None
        s.expunge(d)
        return d


def outbox_states(h: Harness, prefix: str) -> dict[str, str]:
    with h.session() as s:
        rows = s.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.state).where(
                OutboxMessage.dedupe_key.like(prefix + "%")
            )
        ).all()
        return {k: st for k, st in rows}


def audit_actions(h: Harness) -> list[str]:
    with h.session() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
