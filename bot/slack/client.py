"""Web API clients and a cached user/channel directory (slack_sdk only, never slack_bolt)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.app.config import Settings
from storage.db import transaction_open

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


class LookupDeferred(LookupError):
    """A Slack read was needed inside a database transaction and was not made there: the unit
    of work is rolled back, the read is made outside any transaction, and the unit runs again
    (bot/delivery/unit_of_work.py). Callers that treat a LookupError as "Slack unreachable"
    are fine: their run is thrown away."""


_Key = tuple[str, str, str]  # (kind, team id, object id)
_deferring = threading.local()


class Directory:
    """users.info, conversations.info, conversations.members, files.info and team.info with a
    TTL cache,
    so a user is resolved once per few minutes rather than on every request (users.info is a
    tier-4 method).

    Inside an open database transaction a lookup that is not cached is never sent to Slack:
    it is noted and `LookupDeferred` is raised; the unit of work then fetches every noted key
    (`fetch`) outside the transaction and runs again, now from the cache."""

    TTL = {"user": 300.0, "channel": 60.0, "members": 30.0, "file": 60.0, "team": 3600.0}
    ERROR_TTL = 15.0  # a failed read is remembered briefly, so the re-run sees the same error

    def __init__(self, client_factory: ClientFactory, ttl_seconds: float = 300.0) -> None:
        self._client_factory = client_factory
        self._ttl = {**self.TTL, "user": ttl_seconds}
        self._cache: dict[_Key, tuple[float, Any, float]] = {}
        self._lock = threading.Lock()

    def client(self, team_id: str) -> WebClient:
        client = self._client_factory(team_id)
        if client is None:
            raise LookupError(f"no installation for team {team_id}")
        return client

    # -- the reads ---------------------------------------------------------------------

    def user(self, team_id: str, user_id: str) -> SlackUser | None:
        found: SlackUser | None = self._get(("user", team_id, user_id))
        return found

    def channel(self, team_id: str, channel_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._get(("channel", team_id, channel_id))
        return found

    def channel_members(
        self, team_id: str, channel_id: str, *, max_age: float | None = None
    ) -> list[str]:
        """The channel's members. `max_age`: a cached list older than that many seconds is read
        again (offboarding wants who is in the channel now, not half a minute ago)."""
        found: list[str] = self._get(("members", team_id, channel_id), max_age=max_age)
        return list(found)

    def file(self, team_id: str, file_id: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._get(("file", team_id, file_id))
        return found

    def team(self, team_id: str, other_team_id: str) -> dict[str, Any] | None:
        """team.info of `other_team_id` (e.g. a Slack Connect partner) as seen by `team_id`."""
        found: dict[str, Any] | None = self._get(("team", team_id, other_team_id))
        return found

    def forget_user(self, team_id: str, user_id: str) -> None:
        with self._lock:
            self._cache.pop(("user", team_id, user_id), None)

    def forget_channel(self, team_id: str, channel_id: str) -> None:
        with self._lock:
            self._cache.pop(("channel", team_id, channel_id), None)
            self._cache.pop(("members", team_id, channel_id), None)

    # -- deferral -----------------------------------------------------------------------------

    @staticmethod
    @contextmanager
    def deferring() -> Iterator[set[_Key]]:
        """Within this block, reads missed inside a transaction are collected, not made."""
        previous = getattr(_deferring, "keys", None)
        keys: set[_Key] = set()
        _deferring.keys = keys
        try:
            yield keys
        finally:
            _deferring.keys = previous

    def fetch(self, keys: set[_Key]) -> None:
        """Make the noted reads (outside any transaction) and cache what they answered."""
        for key in sorted(keys):
            self._load(key)

    def _get(self, key: _Key, *, max_age: float | None = None) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and hit[0] > now and (max_age is None or now - hit[2] <= max_age):
            return _unwrap(hit[1])
        noted = getattr(_deferring, "keys", None)
        if noted is not None and transaction_open():
            noted.add(key)
            raise LookupDeferred(f"{key[0]} {key[2]} is read after the transaction")
        return _unwrap(self._load(key))

    def _load(self, key: _Key) -> Any:
        kind, team_id, object_id = key
        try:
            value: Any = getattr(self, f"_read_{kind}")(team_id, object_id)
            ttl = self._ttl[kind]
        except (SlackApiError, LookupError) as exc:
            value, ttl = _Failed(exc), self.ERROR_TTL
        except Exception as exc:  # a timeout or a reset: remembered like an API error
            value, ttl = _Failed(LookupError(f"Slack did not answer: {exc!r}")), self.ERROR_TTL
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            loaded = time.monotonic()
            self._cache[key] = (loaded + ttl, value, loaded)
        return value

    def _read_user(self, team_id: str, user_id: str) -> SlackUser | None:
        try:
            resp = self.client(team_id).users_info(user=user_id)
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "users_not_found"):
                return None
            raise
        return SlackUser.from_api(resp["user"])

    def _read_channel(self, team_id: str, channel_id: str) -> dict[str, Any] | None:
        try:
            resp = self.client(team_id).conversations_info(channel=channel_id)
        except SlackApiError as exc:
            if exc.response.get("error") in ("channel_not_found", "not_in_channel"):
                return None
            raise
        channel: dict[str, Any] = resp["channel"]
        return channel

    def _read_members(self, team_id: str, channel_id: str) -> list[str]:
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

    def _read_team(self, team_id: str, other_team_id: str) -> dict[str, Any] | None:
        try:
            resp = self.client(team_id).team_info(team=other_team_id)
        except SlackApiError as exc:
            if exc.response.get("error") == "team_not_found":
                return None
            raise
        info: dict[str, Any] = resp["team"]
        return info

    def _read_file(self, team_id: str, file_id: str) -> dict[str, Any] | None:
        try:
            resp = self.client(team_id).files_info(file=file_id)
        except SlackApiError as exc:
            if exc.response.get("error") in ("file_not_found", "file_deleted"):
                return None
            raise
        info: dict[str, Any] = resp["file"]
        return info


@dataclass(frozen=True)
class _Failed:
    error: Exception


def _unwrap(value: Any) -> Any:
    if isinstance(value, _Failed):
        raise value.error
    return value


# --------------------------------------------------------------------------- the rule


class SlackCallInTransaction(RuntimeError):
    """A Slack Web API call was about to be made while a database transaction was open."""


_guard_strict: bool | None = None
log = logging.getLogger(__name__)


def install_transaction_guard(*, strict: bool) -> None:
    """Check before every Slack Web API call (any WebClient, Bolt's included) that this thread
    has no database transaction open. `strict` (the tests) refuses the call; otherwise it is
    logged and counted, and made."""
    global _guard_strict
    first = _guard_strict is None
    _guard_strict = strict
    if not first:
        return
    from slack_sdk.web.base_client import BaseClient

    original = BaseClient.api_call

    def guarded(self: Any, api_method: str, *args: Any, **kwargs: Any) -> Any:
        if transaction_open():
            message = f"Slack call {api_method} while a database transaction is open"
            if _guard_strict:
                raise SlackCallInTransaction(message)
            log.error(message)
            from bot.ops import metrics

            metrics.SLACK_CALLS_IN_TRANSACTION.inc()
        return original(self, api_method, *args, **kwargs)

    BaseClient.api_call = guarded  # type: ignore[method-assign]
