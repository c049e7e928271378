"""Engine, sessions and migrations. The edge (request middleware, job wrapper) owns commits."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class _AlembicChatter(logging.Filter):
    """Alembic's INFO lines that say nothing to an operator: one per plugin, and the
    "Context impl …" / "Will assume … DDL" pair of every run. "Running upgrade …" stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return not message.startswith(("Context impl", "Will assume", "setup plugin"))


for _name in ("alembic.runtime.migration", "alembic.runtime.plugins"):
    logging.getLogger(_name).addFilter(_AlembicChatter())


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and use psycopg 3 for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets readers run beside the one writer; foreign keys are off by default.
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    # No ping on every checkout: it is a round trip per Slack request (a tenth of a message
    # event's cost). Connections are renewed every 10 minutes instead, and when one turns out
    # dead (PostgreSQL restarted) SQLAlchemy invalidates the whole pool: that one request fails
    # and rolls back (Slack retries events; a command answers "nothing was changed").
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 600)
    return create_engine(url, **kwargs)


class UnitOfWork(Session):
    """The session of one request or job. A copy of it is no unit of work: background work
    (e.g. a lazy listener, which gets a deep copy of the request's context) sees None and
    opens its own."""

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None


class Database:
    """An engine and its one sessionmaker."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, class_=UnitOfWork, expire_on_commit=False)
        # Tables owned by libraries (e.g. slack_sdk's OAuth stores), created at upgrade time
        # under the same lock; Alembic's autogenerate ignores them (see migrations/env.py).
        self.extra_metadata: list[MetaData] = []

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error."""
        with self.sessionmaker.begin() as session:
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def upgrade(self) -> None:
        upgrade(self.url, engine=self.engine, extra_metadata=self.extra_metadata)

    def at_head(self) -> bool:
        return at_head(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


@cache
def head_revisions() -> frozenset[str]:
    """The newest revision(s), read from the migration files' text: deciding that a schema is
    current must not cost the import of Alembic (cron runs `sweep` every minute)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    pattern = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for key, value in pattern.findall(path.read_text(encoding="utf-8")):
            ids = set(re.findall(r"['\"]([^'\"]+)['\"]", value))
            (revisions if key == "revision" else parents).update(ids)
    return frozenset(revisions - parents)


def at_head(engine: Engine) -> bool:
    """True when the database's alembic_version names exactly the newest revision(s)."""
    heads = head_revisions()
    try:
        with engine.connect() as conn:
            found = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
    except SQLAlchemyError:
        return False  # no table yet (a new database), or not readable: let Alembic decide
    return bool(heads) and found == set(heads)


def upgrade(
    url: str,
    *,
    engine: Engine | None = None,
    revision: str = "head",
    extra_metadata: Sequence[MetaData] = (),
) -> None:
    """Apply Alembic migrations up to `revision`, then create `extra_metadata`'s tables."""
    own_engine = engine is None
    engine = engine or make_engine(url)
    try:
        # At head already (every start but the first after a release): one cheap query
        # instead of Alembic's start-up.
        current = revision == "head" and at_head(engine)
        if current and not extra_metadata:
            return
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Several processes may start at once (gunicorn workers, workers): one migrates.
                conn.execute(text("SELECT pg_advisory_xact_lock(7461626)"))
            if not current:
                from alembic import command

                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
            for metadata in extra_metadata:
                metadata.create_all(conn)
    finally:
        if own_engine:
            engine.dispose()  # closes SQLite connections, so WAL is checkpointed into the file
