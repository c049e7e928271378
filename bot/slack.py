"""Web API clients and a cached user/channel directory (slack_sdk only, never slack_bolt)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

ClientFactory = Callable[[str], WebClient | None]

RATE_LIMITED = "Slack is rate-limiting us; nothing was changed. Try again in a minute or two."


def rate_limited(exc: SlackApiError) -> bool:
    """Slack answered 429 (`ratelimited`) even after the client's retries."""
    status = getattr(exc.response, "status_code", None)
    return status == 429 or exc.response.get("error") == "ratelimited"


def make_client(settings: Settings, token: str | None) -> WebClient:
    """Every client gets slack_sdk's retry handlers for 429 (Retry-After), 5xx and resets."""
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass(frozen=True)
class SlackUser:
    id: str
    team_id: str | None
    name: str
    real_name: str
    display_name: str
    tz: str | None
    deleted: bool
    is_bot: bool
    is_guest: bool

    @property
    def label(self) -> str:
        return self.display_name or self.real_name or self.name or self.id

    @classmethod
    def from_api(cls, user: dict[str, Any]) -> SlackUser:
        profile = user.get("profile") or {}
        return cls(
            id=user["id"],
            team_id=user.get("team_id"),
            name=user.get("name") or "",
            real_name=user.get("real_name") or profile.get("real_name") or "",
            display_name=profile.get("display_name") or "",
            tz=user.get("tz"),
            deleted=bool(user.get("deleted")),
            is_bot=bool(user.get("is_bot")),
            is_guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
        )


class Directory:
    """users.info / conversations.info with a TTL cache, so a user is resolved once per few
    minutes rather than on every request (users.info is a tier-4 method)."""

    def __init__(self, client_factory: ClientFactory, ttl_seconds: float = 300.0) -> None:
        self._client_factory = client_factory
        self._ttl = ttl_seconds
        self._users: dict[tuple[str, str], tuple[float, SlackUser | None]] = {}
        self._lock = threading.Lock()

    def client(self, team_id: str) -> WebClient:
        client = self._client_factory(team_id)
        if client is None:
            raise LookupError(f"no installation for team {team_id}")
        return client

    def user(self, team_id: str, user_id: str) -> SlackUser | None:
        key = (team_id, user_id)
        now = time.monotonic()
        with self._lock:
            hit = self._users.get(key)
            if hit and hit[0] > now:
                return hit[1]
        try:
            resp = self.client(team_id).users_info(user=user_id)
            found: SlackUser | None = SlackUser.from_api(resp["user"])
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                found = None
            else:
                raise
        with self._lock:
            self._users[key] = (now + self._ttl, found)
        return found

    def forget_user(self, team_id: str, user_id: str) -> None:
        with self._lock:
            self._users.pop((team_id, user_id), None)

    def channel(self, team_id: str, channel_id: str) -> dict[str, Any] | None:
        try:
            resp = self.client(team_id).conversations_info(channel=channel_id)
        except SlackApiError as exc:
            if exc.response.get("error") in ("channel_not_found", "not_in_channel"):
                return None
            raise
        channel: dict[str, Any] = resp["channel"]
        return channel

    def channel_members(self, team_id: str, channel_id: str) -> list[str]:
        members: list[str] = []
        cursor = None
        while True:
            resp = self.client(team_id).conversations_members(
                channel=channel_id, cursor=cursor, limit=200
            )
            members.extend(resp.get("members") or [])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members
