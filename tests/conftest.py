"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set),
the fake Slack, and the in-process app harness."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app.runtime import build_runtime
from bot.app.web import build_web_app
from bot.fakeslack import FakeSlack
from bot.fakeslack.workspace import DEFAULT_APP_ID
from bot.slack.client import install_transaction_guard
from bot.slack.installations import stores_for
from storage.db import normalize_url, upgrade
from storage.models import Base
from tests.harness import BOT_TOKEN, INTERNAL_TEAM, OWNER, Harness, populate

pytest_plugins = ["tests.fakeslack.plugin"]

# The rule the code keeps: no Slack Web API call while a database transaction is open.
# In the tests a call that breaks it fails loudly.
install_transaction_guard(strict=True)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per session; each test gets a copy (migrations run once)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "outsource.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL is not set")
    base = normalize_url(base)
    name = f"ob_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    engine = create_engine(pg_server_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return pg_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """Runs a test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:
    """The fake Slack with the standard cast of users and channels (see tests/harness.py)."""
    populate(fake_slack)
    return fake_slack


@pytest.fixture
def harness(slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    h = Harness(slack, sqlite_url)
    yield h
    h.close()


@pytest.fixture
def pg_harness(slack: FakeSlack, pg_url: str) -> Iterator[Harness]:
    h = Harness(slack, pg_url)
    yield h
    h.close()


@pytest.fixture
def oauth_harness(slack: FakeSlack, sqlite_url: str) -> Iterator[Harness]:
    """The standard harness rebuilt in OAuth (multi-workspace) mode: the bot token comes from
    the installation store, where only the internal workspace installed the app, not from
    SLACK_BOT_TOKEN."""
    h = Harness(slack, sqlite_url)
    h.settings = replace(
        h.settings, slack_bot_token=None, slack_client_id="111.222", slack_client_secret="shh"
    )
    stores = stores_for(h.settings, h.db)
    h.db.upgrade()
    stores.installations.save(
        Installation(
            app_id=DEFAULT_APP_ID,
            team_id=INTERNAL_TEAM,
            user_id=OWNER,
            bot_token=BOT_TOKEN,
            bot_id="BBOT",
            bot_user_id="UBOT",
            bot_scopes="commands,chat:write,files:read,users:read,channels:read",
        )
    )
    h.runtime = build_runtime(h.settings, clock=h.clock, db=h.db)
    h.runtime.inline_delivery = True  # as in the harness: posts land before the request returns
    h.runtime.extras["outbox"] = h.outbox
    h.web = build_web_app(h.runtime)
    h.sender.wsgi_app = h.web
    yield h
    h.close()
