"""Everything a process needs, built once: settings, clock, database, Slack clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.slack import ClientFactory, Directory, make_client
from storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    db: Database
    client_factory: ClientFactory
    directory: Directory = field(init=False)
    extras: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.directory = Directory(self.client_factory)

    def client(self, team_id: str) -> WebClient | None:
        return self.client_factory(team_id)


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
            from bot.installations import installation_client_factory

            client_factory = installation_client_factory(settings, db)
        else:
            client_factory = token_client_factory(settings)
    return Runtime(
        settings=settings, clock=clock or SystemClock(), db=db, client_factory=client_factory
    )
