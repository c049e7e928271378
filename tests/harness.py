"""The real app, in-process, against the fake Slack: the one place tests build it.

`Harness` wires a Runtime (SQLite file or PostgreSQL, a ManualClock), the Bolt app behind the
WSGI app, and a signed-request sender. Tests speak Slack's shapes to it (`command`, `event`,
`click`, `submit`, `shortcut`) and read what users would see from the fake (`posts`, `dms`,
`ephemeral replies`) or what is stored (`session()`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.app.config import Settings
from bot.app.runtime import Runtime, build_runtime
from bot.app.web import WebApp, build_web_app
from bot.delivery.outbox import Outbox
from bot.delivery.sweep import SweepReport, run_sweep
from bot.fakeslack import FakeSlack, SlackRequestSender
from bot.fakeslack.cast import (
    ALEX,
    INTERNAL_TEAM,
    MALLORY,
    OTHER_CHANNEL,
    OTHER_TEAM,
    OWNER,
    PLAIN_CHANNEL,
    PRIYA,
    RAVI,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    populate,
)
from bot.fakeslack.signing import Response, message_event
from bot.services.noise import NoisePolicy
from bot.time.clock import ManualClock
from storage.db import Database
from storage.models import Contact, Vendor

__all__ = [
    "ALEX",
    "DEFAULT_START",
    "INTERNAL_TEAM",
    "MALLORY",
    "OTHER_CHANNEL",
    "OTHER_TEAM",
    "OWNER",
    "PLAIN_CHANNEL",
    "PRIYA",
    "RAVI",
    "SHARED_CHANNEL",
    "VENDOR_TEAM",
    "Harness",
    "populate",
]

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"

DEFAULT_START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # a Monday


class Harness:
    def __init__(
        self,
        fake: FakeSlack,
        db_url: str,
        *,
        start: datetime = DEFAULT_START,
        inline_delivery: bool = True,
    ) -> None:
        self.fake = fake
        self.clock = ManualClock(start)
        # Slack stamps messages and clicks with its own time: the fake uses the test's clock.
        fake.workspace.clock = self.clock
        self.settings = Settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
            database_url=db_url,
            default_tz="UTC",
        )
        self.db = Database(db_url)
        self.runtime: Runtime = build_runtime(self.settings, clock=self.clock, db=self.db)
        # What a request writes for Slack is delivered before the request returns, unless a
        # test wants the real courier threads (to see the answer come first).
        self.runtime.inline_delivery = inline_delivery
        self.outbox = Outbox(
            self.db,
            self.runtime.client_factory,
            policy=NoisePolicy(),
            pace_seconds=0,
            runtime=self.runtime,
        )
        self.runtime.extras["outbox"] = self.outbox
        self.web: WebApp = build_web_app(self.runtime)
        self.sender = SlackRequestSender(
            SIGNING_SECRET,
            wsgi_app=self.web,
            fake=fake,
            team_id=INTERNAL_TEAM,
            user_id=OWNER,
            channel_id=SHARED_CHANNEL,
        )

    # -- requests ---------------------------------------------------------------------------

    def command(
        self, text: str, *, user: str = OWNER, channel: str = SHARED_CHANNEL, **kw: Any
    ) -> Response:
        return self.sender.command(text, user_id=user, channel_id=channel, **kw)

    def reply_text(self, response: Response) -> str:
        """The text of a slash command's (ephemeral) ack, or of what it sent via respond()."""
        if response.body_text:
            data = response.json()
            if isinstance(data, dict) and data.get("text"):
                return str(data["text"])
        texts = [r.get("text", "") for r in self.fake.responses()]
        return texts[-1] if texts else ""

    def event(self, event: dict[str, Any], **kw: Any) -> Response:
        return self.sender.event(event, **kw)

    def say(
        self,
        text: str,
        *,
        user: str = OWNER,
        channel: str = SHARED_CHANNEL,
        thread_ts: str | None = None,
        **kw: Any,
    ) -> tuple[Response, dict[str, Any]]:
        """A person posts a message in a channel: stored in the fake and delivered as an event."""
        user_team = self.fake.workspace.users[user].team_id
        stored = self.fake.workspace.add_message(channel, text=text, user=user, thread_ts=thread_ts)
        ts = stored.ts
        event = message_event(
            text, user=user, channel=channel, ts=ts, user_team=user_team, thread_ts=thread_ts, **kw
        )
        return self.event(event), event

    def click(
        self, action_id: str, value: str | None = None, *, user: str = OWNER, **kw: Any
    ) -> Response:
        return self.sender.action(action_id, value, user_id=user, **kw)

    def click_button(
        self,
        message: dict[str, Any],
        label_or_action: str,
        *,
        user: str = OWNER,
        channel: str | None = None,
    ) -> Response:
        """Press a button found in a posted message (postMessage params or a stored message)."""
        for block in message.get("blocks") or []:
            elements = block.get("elements") or []
            if block.get("accessory"):
                elements = [*elements, block["accessory"]]
            for el in elements:
                if el.get("type") != "button":
                    continue
                label = (el.get("text") or {}).get("text")
                if label_or_action in (label, el.get("action_id")):
                    msg = dict(message)
                    msg.setdefault("ts", message.get("ts"))
                    return self.sender.action(
                        el["action_id"],
                        el.get("value"),
                        user_id=user,
                        channel_id=channel or message.get("channel") or SHARED_CHANNEL,
                        message=msg,
                        message_ts=msg.get("ts"),
                        block_id=block.get("block_id"),
                    )
        raise AssertionError(f"no button {label_or_action!r} in message: {message}")

    def submit(
        self, callback_id: str, values: dict[str, Any], *, user: str = OWNER, **kw: Any
    ) -> Response:
        return self.sender.submit(callback_id, values, user_id=user, **kw)

    def shortcut(
        self, callback_id: str, message: dict[str, Any], *, user: str = OWNER, **kw: Any
    ) -> Response:
        return self.sender.shortcut(callback_id, message, user_id=user, **kw)

    # -- time -------------------------------------------------------------------------------

    def sweep(self, at: datetime | str | None = None) -> SweepReport:
        if at is not None:
            self.clock.set(_instant(at))
        return run_sweep(self.runtime)

    # -- what users see ---------------------------------------------------------------------

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """chat.postMessage calls (params), in order."""
        return self.fake.posts(channel)

    def dms(self, user: str) -> list[dict[str, Any]]:
        """Messages the bot sent to this user's DM (by user id or the opened DM channel)."""
        dm = self.fake.workspace.dm_channel_id(user)
        return [p for p in self.fake.posts() if p.get("channel") in (user, dm)]

    # -- what is stored ---------------------------------------------------------------------

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.db.transaction() as session:
            yield session

    def make_vendor(
        self,
        name: str = "Acme Dev",
        *,
        channel: str = SHARED_CHANNEL,
        tz: str = "Europe/Berlin",
        country: str | None = "DE",
        internal: Sequence[str] = (OWNER,),
        vendor: Sequence[str] = (PRIYA,),
        shared: bool = True,
    ) -> int:
        """Create a vendor and contacts directly in the DB (first = primary, second = backup)."""
        now = self.clock.now()
        with self.session() as s:
            v = Vendor(
                team_id=INTERNAL_TEAM,
                channel_id=channel,
                name=name,
                tz=tz,
                country=country,
                is_ext_shared=shared,
                external_team_ids=[VENDOR_TEAM] if shared else [],
                created_by=OWNER,
                created_at=now,
            )
            s.add(v)
            s.flush()
            for side, users in (("internal", internal), ("vendor", vendor)):
                for i, uid in enumerate(users[:2]):
                    s.add(
                        Contact(
                            vendor_id=v.id,
                            side=side,
                            role="primary" if i == 0 else "backup",
                            user_id=uid,
                            user_team_id=self.fake.workspace.users[uid].team_id,
                            started_at=now,
                        )
                    )
            return v.id

    def settle(self, timeout: float = 10.0) -> None:
        """Wait for the courier's background work (with `inline_delivery=False`)."""
        self.runtime.courier.wait(timeout)

    def close(self) -> None:
        self.runtime.close()


def _instant(at: datetime | str) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("give an aware instant")
    return at.astimezone(UTC)
