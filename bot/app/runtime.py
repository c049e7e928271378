"""Everything a process needs, built once: settings, clock, database, Slack clients."""

from __future__ import annotations

import copy
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from slack_sdk import WebClient

from bot.app.config import Settings
from bot.slack.client import ClientFactory, Directory, make_client
from bot.time.clock import Clock, FixedClock, SystemClock
from storage.db import Database

if TYPE_CHECKING:
    from bot.delivery.courier import Courier

T = TypeVar("T")


class InlineExecutor(Executor):
    """Runs submitted work at once, in the caller's thread: Bolt's lazy listeners finish
    before the request returns, in order (tests and the playground want that)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # the future carries it, as a pool's would
            future.set_exception(exc)
        return future


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    client_factory: ClientFactory
    directory: Directory = field(init=False)
    extras: dict[str, Any] = field(default_factory=dict)
    # Where Bolt runs lazy listeners (slow work after the ack); None: Bolt's thread pool.
    listener_executor: Executor | None = None
    # Deliver after each commit on the committing thread (tests, the playground) instead of
    # on the courier's threads.
    inline_delivery: bool = False
    _courier: Courier | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.directory = Directory(self.client_factory)

    def client(self, team_id: str) -> WebClient | None:
        return self.client_factory(team_id)

    @property
    def courier(self) -> Courier:
        """Delivers what a unit of work wrote, right after its commit (bot/delivery/courier.py)."""
        if self._courier is None:
            from bot.delivery.courier import Courier

            self._courier = Courier(self, inline=self.inline_delivery)
        return self._courier

    def at(self, instant: datetime) -> Runtime:
        """This runtime with its clock stopped at `instant`: a request timed by the time Slack
        gave its event, click or message (shares everything else)."""
        self.courier  # noqa: B018 - made once, on the process's runtime, and shared by the copy
        timed = copy.copy(self)
        timed.clock = FixedClock(instant)
        return timed

    def close(self, delivery_timeout: float = 4.0) -> None:
        """Let go of what the process holds, on the way out of `run`, `serve`'s workers,
        `worker` and `sweep`: the database pool (SQLite checkpoints its WAL on the last
        close) — after letting Slack calls in flight finish, for up to `delivery_timeout`
        seconds. Safe to call twice."""
        if self._courier is not None:
            self._courier.close(delivery_timeout)
        self.db.dispose()

    def __deepcopy__(self, memo: dict[int, Any]) -> Runtime:
        # Bolt deep-copies a request's context for its lazy listeners: the process's runtime
        # (database pool, clients, caches) is shared, never copied.
        return self


def token_client_factory(settings: Settings) -> ClientFactory:
    """Single-workspace mode: one bot token serves every team id."""
    client = make_client(settings, settings.slack_bot_token)

    def factory(_team_id: str) -> WebClient | None:
        return client

    return factory


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    db: Database | None = None,
    client_factory: ClientFactory | None = None,
) -> Runtime:
    db = db or Database(settings.database_url)
    if client_factory is None:
        if settings.oauth_enabled:
            from bot.slack.installations import installation_client_factory

            client_factory = installation_client_factory(settings, db)
        else:
            client_factory = token_client_factory(settings)
    return Runtime(
        settings=settings, clock=clock or SystemClock(), db=db, client_factory=client_factory
    )
