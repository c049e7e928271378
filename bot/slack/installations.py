"""Multi-workspace installs (SLACK_CLIENT_ID / SLACK_CLIENT_SECRET set).

slack_sdk's SQLAlchemy installation store and OAuth state store keep their tables in our own
database. Their tables belong to slack_sdk, not to our Alembic migrations: they are registered
on the `Database` and created (if missing) by `Database.upgrade()` under the same lock as the
migrations, and Alembic's autogenerate ignores them (storage/migrations/env.py).

`installation_client_factory(settings, db)` gives every team its own bot token's WebClient
(with the retry handlers of `bot.slack.client.make_client`), or None once the workspace uninstalled
the app or revoked its tokens: the outbox then keeps that team's rows and posts nothing.
Tokens are read from the store and handed to WebClient; they are never logged.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from bot.app.config import Settings
from bot.errors import ConfigError
from bot.slack.client import make_client
from storage.db import Database

log = logging.getLogger(__name__)

STATE_EXPIRATION_SECONDS = 600
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Stores:
    installations: SQLAlchemyInstallationStore
    states: SQLAlchemyOAuthStateStore


_stores: weakref.WeakKeyDictionary[Database, Stores] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def stores_for(settings: Settings, db: Database) -> Stores:
    """The two slack_sdk stores on this database (one pair per Database), their tables
    registered for creation by `db.upgrade()`."""
    if not settings.slack_client_id:
        raise ConfigError("SLACK_CLIENT_ID is not set (environment or .env); OAuth needs it.")
    with _stores_lock:
        stores = _stores.get(db)
        if stores is None:
            stores = Stores(
                installations=SQLAlchemyInstallationStore(
                    client_id=settings.slack_client_id, engine=db.engine
                ),
                states=SQLAlchemyOAuthStateStore(
                    expiration_seconds=STATE_EXPIRATION_SECONDS, engine=db.engine
                ),
            )
            for metadata in (stores.installations.metadata, stores.states.metadata):
                if metadata not in db.extra_metadata:
                    db.extra_metadata.append(metadata)
            _stores[db] = stores
        return stores


def find_bot(store: SQLAlchemyInstallationStore, team_id: str) -> Bot | None:
    """The newest bot installation of a workspace, whatever its enterprise (our rows are keyed
    by team id; the store's own `find_bot` also wants the enterprise id)."""
    c = store.bots.c
    query = (
        select(store.bots)
        .where(c.client_id == store.client_id, c.team_id == team_id, c.bot_token.is_not(None))
        .order_by(desc(c.installed_at), desc(c.id))
        .limit(1)
    )
    with store.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else store.build_bot_entity(row)


class InstallationClients:
    """`team_id -> WebClient | None` from the installation store, cached for a few seconds
    (a revocation seen by another process takes effect within `CACHE_SECONDS`)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.store = stores_for(settings, db).installations
        self._lock = threading.Lock()
        self._teams: dict[str, tuple[float, WebClient | None]] = {}
        self._clients: dict[str, WebClient] = {}

    def __call__(self, team_id: str) -> WebClient | None:
        now = time.monotonic()
        with self._lock:
            hit = self._teams.get(team_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        bot = find_bot(self.store, team_id) if team_id else None
        with self._lock:
            client: WebClient | None = None
            if bot is not None and bot.bot_token:
                client = self._clients.get(bot.bot_token)
                if client is None:
                    client = self._clients[bot.bot_token] = make_client(
                        self.settings, bot.bot_token
                    )
            self._teams[team_id] = (now + CACHE_SECONDS, client)
            return client

    def forget(self, team_id: str) -> None:
        with self._lock:
            self._teams.pop(team_id, None)


def installation_client_factory(settings: Settings, db: Database) -> InstallationClients:
    return InstallationClients(settings, db)


def revoke(
    session: Session,
    settings: Settings,
    db: Database,
    *,
    team_id: str | None,
    enterprise_id: str | None,
    bot: bool = True,
    user_ids: list[str] | None = None,
) -> None:
    """Forget a workspace's tokens after `app_uninstalled` / `tokens_revoked`, in the request's
    own transaction (our own rows — vendors, deadlines, the outbox — are kept for a
    reinstall)."""
    store = stores_for(settings, db).installations
    bots, installs = store.bots, store.installations
    if bot:
        session.execute(
            bots.delete().where(bots.c.client_id == store.client_id, bots.c.team_id == team_id)
        )
        session.execute(
            installs.delete().where(
                installs.c.client_id == store.client_id, installs.c.team_id == team_id
            )
        )
    for user_id in user_ids or []:
        session.execute(
            installs.delete().where(
                installs.c.client_id == store.client_id,
                installs.c.team_id == team_id,
                installs.c.user_id == user_id,
            )
        )
    log.info(
        "forgot %s tokens of team %s (enterprise %s)",
        "all" if bot else f"{len(user_ids or [])} user",
        team_id,
        enterprise_id,
    )
