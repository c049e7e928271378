"""Readers and small actions for the recap tests: what users see, what is stored."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from bot.blocks import kit
from bot.fakeslack.signing import message_event
from storage.models import AuditEntry, Deadline, Recap, RecapRevision
from storage.models.recaps import CallMention, RecapOffer
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL, Harness

SUMMARY = """Decisions:
- We go with the phased rollout.
Action items:
- Priya to send the revised estimate by Friday
- Dana will book the security review by 2027-03-10
- Ravi to check the staging logs
Open questions:
- Who pays for the extra licences?
"""

VTT = """WEBVTT

00:00:01.000 --> 00:00:05.000
<v Dana Scully>Thanks for joining. Can we have the estimate this week?

00:00:06.000 --> 00:00:10.000
<v Priya Sharma>Yes. I'll send the revised estimate by Friday.

00:00:11.000 --> 00:00:15.000
<v Dana Scully>Great. I will book the security review by March 10.
"""


def metadata(channel: str = SHARED_CHANNEL, **extra: Any) -> str:
    return kit.encode({"team": INTERNAL_TEAM, "channel": channel, **extra})


def submit_recap(
    h: Harness,
    summary: str | None = SUMMARY,
    *,
    user: str = OWNER,
    channel: str = SHARED_CHANNEL,
    values: dict[str, Any] | None = None,
    meta: str | None = None,
    **kw: Any,
) -> Any:
    """Submit the recap modal the way Slack sends it (summary plus any other fields)."""
    state: dict[str, Any] = {"summary": {"summary": summary}}
    state.update(values or {})
    return h.submit(
        "recap_modal", state, user=user, private_metadata=meta or metadata(channel), **kw
    )


def opened_views(h: Harness) -> list[dict[str, Any]]:
    views: list[dict[str, Any]] = []
    for call in h.fake.calls("views.open"):
        view = call.params.get("view")
        views.append(json.loads(view) if isinstance(view, str) else dict(view or {}))
    return views


def blocks_of(post: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = post.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def all_text(post: dict[str, Any]) -> str:
    parts = [str(post.get("text") or "")]
    for block in blocks_of(post):
        parts.append(json.dumps(block))
    return "\n".join(parts)


def buttons(post: dict[str, Any]) -> dict[str, str]:
    """action_id -> label of the buttons in a message."""
    found: dict[str, str] = {}
    for block in blocks_of(post):
        for el in block.get("elements") or []:
            if el.get("type") == "button":
                found[el["action_id"]] = el["text"]["text"]
    return found


def recap_posts(h: Harness, channel: str = SHARED_CHANNEL) -> list[dict[str, Any]]:
    return [
        p
        for p in h.posts(channel)
        if "recap_confirm" in all_text(p) or "Call recap" in str(p.get("text"))
    ]


def stored_message(h: Harness, ts: str, channel: str = SHARED_CHANNEL) -> dict[str, Any]:
    for message in h.fake.messages(channel):
        if message.get("ts") == ts:
            message = dict(message)
            message["channel"] = channel
            return message
    raise AssertionError(f"no message {ts} in {channel}")


def last_with_button(h: Harness, action_id: str, channel: str = SHARED_CHANNEL) -> dict[str, Any]:
    """The newest message in the channel carrying a button with this action id."""
    for message in reversed(h.fake.messages(channel)):
        if action_id in json.dumps(message.get("blocks") or []):
            message = dict(message)
            message["channel"] = channel
            return message
    raise AssertionError(f"no message with {action_id} in {channel}")


def the_recap_message(h: Harness, channel: str = SHARED_CHANNEL) -> dict[str, Any]:
    with h.session() as s:
        recap = s.scalars(select(Recap).order_by(Recap.id.desc())).first()
        assert recap is not None and recap.message_ts
        ts = recap.message_ts
    return stored_message(h, ts, channel)


def recaps(h: Harness) -> list[Recap]:
    with h.session() as s:
        rows = list(s.scalars(select(Recap).order_by(Recap.id)))
        s.expunge_all()
        return rows


def revisions(h: Harness, recap_id: int) -> list[RecapRevision]:
    with h.session() as s:
        rows = list(
            s.scalars(
                select(RecapRevision)
                .where(RecapRevision.recap_id == recap_id)
                .order_by(RecapRevision.revision)
            )
        )
        s.expunge_all()
        return rows


def deadlines(h: Harness) -> list[Deadline]:
    with h.session() as s:
        rows = list(s.scalars(select(Deadline).order_by(Deadline.number)))
        s.expunge_all()
        return rows


def offers(h: Harness) -> list[RecapOffer]:
    with h.session() as s:
        rows = list(s.scalars(select(RecapOffer).order_by(RecapOffer.id)))
        s.expunge_all()
        return rows


def mentions(h: Harness) -> list[CallMention]:
    with h.session() as s:
        rows = list(s.scalars(select(CallMention).order_by(CallMention.id)))
        s.expunge_all()
        return rows


def audit_actions(h: Harness, prefix: str = "") -> list[str]:
    with h.session() as s:
        return [
            a
            for a in s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
            if a.startswith(prefix)
        ]


def count(h: Harness, model: Any) -> int:
    with h.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def ephemeral_texts(h: Harness) -> list[str]:
    return [str(r.get("text") or "") for r in h.fake.responses()]


def share_file(
    h: Harness,
    file_id: str,
    name: str,
    content: bytes,
    *,
    user: str,
    size: int | None = None,
    channel: str = SHARED_CHANNEL,
    text: str = "",
) -> dict[str, Any]:
    """Someone shares a file in the channel: stored in the fake, delivered as a message event."""
    ws = h.fake.workspace
    stored = ws.add_file(file_id, name, content, user=user, size=size)
    msg = ws.add_message(channel, text=text, user=user, files=[file_id])
    stored.shares.setdefault(channel, []).append(msg.ts)
    event = message_event(
        text,
        user=user,
        channel=channel,
        ts=msg.ts,
        user_team=ws.users[user].team_id,
        subtype="file_share",
        files=[ws.file_json(stored)],
    )
    resp = h.event(event)
    assert resp.status == 200
    return event


def bot_post(
    h: Harness,
    text: str,
    *,
    name: str,
    bot_id: str = "B_NOTES",
    channel: str = SHARED_CHANNEL,
    subtype: str | None = "bot_message",
) -> dict[str, Any]:
    """Another app posts in the channel (as Slack delivers a bot message event)."""
    msg = h.fake.workspace.add_message(channel, text=text, bot_id=bot_id, username=name)
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "ts": msg.ts,
        "channel": channel,
        "event_ts": msg.ts,
        "bot_id": bot_id,
        "username": name,
        "bot_profile": {"id": bot_id, "name": name, "app_id": "A_" + bot_id},
        "channel_type": "channel",
    }
    if subtype:
        event["subtype"] = subtype
    assert h.event(event).status == 200
    return event
