"""Call recaps: the written record of a call, its revisions, and calls still owed a recap.

`Recap.text` and `Recap.extracted` are the current revision; every revision, the first one
included, is also a `RecapRevision` row, so the original text stays verbatim after edits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Recap(Base):
    __tablename__ = "recaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # modal | shortcut | file | bot | huddle
    source_ref: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)  # verbatim, as given
    # A transcript that came with the summary (modal upload or a shared file), verbatim.
    transcript_name: Mapped[str | None] = mapped_column(String(255))
    transcript: Mapped[str | None] = mapped_column(Text)
    # Link to the message the recap was made from (shortcut, offer), quoted by the record.
    source_permalink: Mapped[str | None] = mapped_column(String(500))
    call_at: Mapped[datetime]
    participants: Mapped[list[str]] = mapped_column(default=list)
    extracted: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    internal_confirmed_by: Mapped[str | None] = mapped_column(String(32))
    internal_confirmed_at: Mapped[datetime | None]
    vendor_confirmed_by: Mapped[str | None] = mapped_column(String(32))
    vendor_confirmed_at: Mapped[datetime | None]
    # When the one "please confirm" nudge is due (1 business day after posting).
    confirm_nudge_at: Mapped[datetime | None] = mapped_column(index=True)


class RecapRevision(Base):
    __tablename__ = "recap_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    recap_id: Mapped[int] = mapped_column(ForeignKey("recaps.id"), index=True)
    revision: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    extracted: Mapped[dict[str, Any]] = mapped_column(default=dict)
    edited_by: Mapped[str] = mapped_column(String(32))
    edited_at: Mapped[datetime]


class CallMention(Base):
    """A message saying a call happened; nudged once if no recap follows in 4 business hours."""

    __tablename__ = "call_mentions"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    said_at: Mapped[datetime]
    nudge_at: Mapped[datetime]
    # waiting | recapped | nudged | closed (vendor archived)
    state: Mapped[str] = mapped_column(String(16), default="waiting")
    text: Mapped[str | None] = mapped_column(Text)
    # The thread the nudge goes to (the mention's own thread when it was a reply).
    thread_ts: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_call_mentions_state_nudge_at", "state", "nudge_at"),)


class RecapOffer(Base):
    """A transcript file, a meeting-note app's post or a huddle the bot offered to turn into a
    recap (a **Make a recap** button in its thread). One per file or message."""

    __tablename__ = "recap_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # file | bot | huddle
    ref: Mapped[str] = mapped_column(String(200))  # file id, or the message ts
    message_ts: Mapped[str] = mapped_column(String(32))  # the message that carried it
    thread_ts: Mapped[str] = mapped_column(String(32))  # where the offer and the recap go
    posted_by: Mapped[str | None] = mapped_column(String(120))  # user id or app name
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None]
    file_url: Mapped[str | None] = mapped_column(String(1000))
    text: Mapped[str | None] = mapped_column(Text)  # a meeting-note app's post, verbatim
    state: Mapped[str] = mapped_column(String(16), default="offered")  # offered|refused|made
    offered_at: Mapped[datetime]
    recap_id: Mapped[int | None] = mapped_column(ForeignKey("recaps.id"))

    __table_args__ = (UniqueConstraint("vendor_id", "kind", "ref"),)
