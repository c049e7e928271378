"""The sweep's recap steps (`sweep_steps`): a call mentioned 4 business hours ago with no recap
since, and a record a side has not confirmed after a business day, each get one nudge in
their thread (rendered when delivered: none once it no longer applies)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import audit
from bot.delivery import outbox
from bot.delivery.sweep import SweepContext
from bot.services.recaps.confirmation import unconfirmed_sides
from storage.models import Recap, Vendor
from storage.models.recaps import CallMention

# What the outbox rows of the nudges render (bot/posts/recaps.py).
MENTION_NUDGE = "recap.mention_nudge"  # a call was mentioned, no recap followed
CONFIRM_NUDGE = "recap.confirm_nudge"  # a side has not confirmed after a business day


def recapped_since(session: Session, mention: CallMention) -> int | None:
    """A recap made in the mention's channel since the call was mentioned, if any."""
    return session.scalar(
        select(Recap.id)
        .where(
            Recap.vendor_id == mention.vendor_id,
            Recap.channel_id == mention.channel_id,
            Recap.created_at >= mention.said_at,
        )
        .limit(1)
    )


def _enqueue_nudge(
    session: Session,
    vendor: Vendor,
    *,
    key: str,
    channel_id: str,
    thread_ts: str | None,
    render: dict[str, object],
    now: datetime,
) -> bool:
    """Queue one recap nudge as a reply in its thread; False if it was queued already."""
    return outbox.enqueue(
        session,
        team_id=vendor.team_id,
        dedupe_key=key,
        channel_id=channel_id,
        thread_ts=thread_ts,
        kind="recap_nudge",
        now=now,
        render=render,
        vendor_id=vendor.id,
        priority=outbox.PRIORITY_NUDGE,
    )


def nudge_call_mentions(session: Session, ctx: SweepContext) -> int:
    """A call mentioned 4 business hours ago with no recap since → one nudge in its thread."""
    now = ctx.now
    due = list(
        session.scalars(
            select(CallMention)
            .where(CallMention.state == "waiting", CallMention.nudge_at <= now)
            .order_by(CallMention.nudge_at)
            .limit(500)
        )
    )
    made = 0
    for mention in due:
        vendor = session.get(Vendor, mention.vendor_id)
        if vendor is None or vendor.archived_at is not None:
            mention.state = "closed"
            audit.record(
                session,
                team_id=vendor.team_id if vendor else "-",
                actor="bot",
                action="call_mention.closed",
                subject=f"call_mention:{mention.id}",
                at=now,
                vendor_id=mention.vendor_id,
            )
            continue
        recapped = recapped_since(session, mention)
        if recapped is not None:
            mention.state = "recapped"
            audit.record(
                session,
                team_id=vendor.team_id,
                actor="bot",
                action="call_mention.recapped",
                subject=f"call_mention:{mention.id}",
                at=now,
                vendor_id=vendor.id,
                detail={"recap_id": recapped},
            )
            continue
        if _enqueue_nudge(
            session,
            vendor,
            key=f"call-mention:{mention.id}:nudge",
            channel_id=mention.channel_id,
            thread_ts=mention.thread_ts or mention.message_ts,
            render={"kind": MENTION_NUDGE, "mention": mention.id},
            now=now,
        ):
            made += 1
        mention.state = "nudged"
        audit.record(
            session,
            team_id=vendor.team_id,
            actor="bot",
            action="call_mention.nudged",
            subject=f"call_mention:{mention.id}",
            at=now,
            vendor_id=vendor.id,
        )
    return made


def nudge_unconfirmed(session: Session, ctx: SweepContext) -> int:
    """A recap one business day old that a side has not confirmed → one nudge in its thread
    (rendered when delivered: none once both sides confirmed, or the record was edited)."""
    now = ctx.now
    due = list(
        session.scalars(
            select(Recap)
            .where(Recap.confirm_nudge_at.is_not(None), Recap.confirm_nudge_at <= now)
            .order_by(Recap.confirm_nudge_at)
            .limit(500)
        )
    )
    made = 0
    for recap in due:
        recap.confirm_nudge_at = None
        vendor = session.get(Vendor, recap.vendor_id)
        if vendor is None or vendor.archived_at is not None or not recap.message_ts:
            audit.record(
                session,
                team_id=vendor.team_id if vendor else "-",
                actor="bot",
                action="recap.confirm_nudge_dropped",
                subject=f"recap:{recap.id}",
                at=now,
                vendor_id=recap.vendor_id,
            )
            continue
        sides = [side for side, _ in unconfirmed_sides(vendor, recap)]
        if _enqueue_nudge(
            session,
            vendor,
            key=f"recap:{recap.id}:r{recap.revision}:confirm-nudge",
            channel_id=recap.channel_id,
            thread_ts=recap.thread_ts or recap.message_ts,
            render={"kind": CONFIRM_NUDGE, "recap": recap.id, "revision": recap.revision},
            now=now,
        ):
            made += 1
        audit.record(
            session,
            team_id=vendor.team_id,
            actor="bot",
            action="recap.confirm_nudged",
            subject=f"recap:{recap.id}",
            at=now,
            vendor_id=vendor.id,
            detail={"revision": recap.revision, "sides": sides},
        )
    return made


sweep_steps = [
    ("recap call-mention nudges", nudge_call_mentions),
    ("recap confirmation nudges", nudge_unconfirmed),
]
