"""Migrations build the schema from nothing on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, inspect

from bot.app.config import Settings
from bot.slack.installations import stores_for
from storage.db import Database, alembic_config
from storage.models import Base

OAUTH_TABLES = {"slack_installations", "slack_bots", "slack_oauth_states"}


def ours_only(name: str | None, type_: str, parent_names: Any) -> bool:
    return type_ != "table" or name in Base.metadata.tables


def diff(db: Database, metadata: MetaData = Base.metadata) -> list[Any]:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": ours_only}
        )
        return list(compare_metadata(ctx, metadata))


def alembic_check(db: Database) -> None:
    """`alembic check` through our env.py: raises when models and migrations differ."""
    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)


def test_empty_to_head_matches_the_models(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        assert inspect(db.engine).get_table_names() == []
        db.upgrade()
        assert set(Base.metadata.tables) <= set(inspect(db.engine).get_table_names())
        assert diff(db) == []
        head = ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()
        with db.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head
        db.upgrade()  # a second upgrade is a no-op
        alembic_check(db)
    finally:
        db.dispose()


def test_oauth_store_tables_are_created_at_upgrade_and_ignored_by_the_check(
    empty_db_url: str,
) -> None:
    db = Database(empty_db_url)
    try:
        stores_for(Settings(slack_client_id="1.2", slack_client_secret="s"), db)
        db.upgrade()
        assert set(inspect(db.engine).get_table_names()) >= OAUTH_TABLES
        assert diff(db) == []
        alembic_check(db)  # env.py compares our metadata only: nothing to drop
        db.upgrade()  # and again: the store tables exist, nothing fails
    finally:
        db.dispose()


def test_the_sync_check_can_fail(empty_db_url: str) -> None:
    """A model table the migrations don't create is reported (the comparison is real)."""
    db = Database(empty_db_url)
    try:
        db.upgrade()
        models = MetaData(naming_convention=Base.metadata.naming_convention)
        for table in Base.metadata.tables.values():
            table.to_metadata(models)
        Table("not_migrated", models, Column("id", Integer, primary_key=True))
        changes = diff(db, models)
        assert [(c[0], c[1].name) for c in changes] == [("add_table", "not_migrated")]
    finally:
        db.dispose()
