"""Engine, sessions and migrations. The edge (request middleware, job wrapper) owns commits."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

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
        # A write waits at most this long for another writer: a request fails fast with "busy,
        # nothing was changed" instead of hanging past Slack's 3-second answer budget. (No
        # transaction holds the write lock across a Slack call, so waits are short.)
        kwargs.setdefault(
            "connect_args", {"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS}
        )
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets readers run beside the one writer; foreign keys are off by default.
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cur.close()

        return engine
    # No ping on every checkout: it is a round trip per Slack request (a tenth of a message
    # event's cost). Connections are renewed every 10 minutes instead, and when one turns out
    # dead (PostgreSQL restarted) SQLAlchemy invalidates the whole pool and the unit of work is
    # run once more on a fresh connection (`is_disconnect`, bot/delivery/unit_of_work.py).
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 600)
    connect_args = dict(kwargs.pop("connect_args", {}))
    # A server that does not answer fails the request within seconds, not minutes; a row lock
    # held elsewhere fails it as "busy" rather than past Slack's answer budget.
    connect_args.setdefault("connect_timeout", int(CONNECT_TIMEOUT_SECONDS))
    connect_args.setdefault("options", f"-c lock_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return create_engine(url, connect_args=connect_args, **kwargs)


BUSY_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 2.0


def is_disconnect(error: BaseException) -> bool:
    """The database connection turned out dead (a restart, a failover): SQLAlchemy has
    invalidated the pool, and the work may be run once more on a fresh connection."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be reached, or is busy or read-only: nothing was changed."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    from sqlalchemy.exc import OperationalError

    return isinstance(error, OperationalError) or _is_read_only(error)


def is_busy(error: BaseException) -> bool:
    """Another writer held the database (SQLite's lock, a PostgreSQL row lock) too long."""
    message = str(getattr(error, "orig", error)).lower()
    return isinstance(error, DBAPIError) and (
        "database is locked" in message
        or "lock timeout" in message
        or "canceling statement due to lock timeout" in message
    )


def _is_read_only(error: BaseException) -> bool:
    message = str(getattr(error, "orig", error)).lower()
    return "readonly" in message or "read-only" in message or "read only" in message


# --------------------------------------------------------------------------- open transactions

_open = threading.local()


def transaction_open() -> bool:
    """Whether this thread has a database transaction open (any session of ours).

    The rule it serves: no Slack call while a transaction is open, so a slow Slack never
    holds a lock and a post never reports what was rolled back (bot/slack/client.py checks it)."""
    return bool(getattr(_open, "count", 0))


def _opened(session: Session, transaction: SessionTransaction, connection: Any) -> None:
    if transaction.parent is None and not getattr(transaction, "_ob_counted", False):
        transaction._ob_counted = True  # type: ignore[attr-defined]
        _open.count = getattr(_open, "count", 0) + 1


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and getattr(transaction, "_ob_counted", False):
        transaction._ob_counted = False  # type: ignore[attr-defined]
        _open.count = max(getattr(_open, "count", 0) - 1, 0)


class UnitOfWork(Session):
    """The session of one request or job. A copy of it is no unit of work: background work
    (e.g. a lazy listener, which gets a deep copy of the request's context) sees None and
    opens its own."""

    def __deepcopy__(self, memo: dict[int, Any]) -> None:
        return None


event.listen(UnitOfWork, "after_begin", _opened)
event.listen(UnitOfWork, "after_transaction_end", _ended)


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
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # SQLite alters tables by copying them; foreign keys are checked after, not
                # during (the pragma only takes effect outside a transaction).
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()
            try:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        # Several processes may start at once (gunicorn workers, workers): one
                        # migrates, the others wait for it however long it takes.
                        conn.execute(text("SET LOCAL lock_timeout = 0"))
                        conn.execute(text("SELECT pg_advisory_xact_lock(7461626)"))
                    if not current:
                        from alembic import command

                        cfg = alembic_config(url)
                        cfg.attributes["connection"] = conn
                        command.upgrade(cfg, revision)
                    for metadata in extra_metadata:
                        metadata.create_all(conn)
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                        if broken is not None:
                            raise RuntimeError(f"migration broke a foreign key: {tuple(broken)}")
            finally:
                if sqlite:
                    conn.rollback()  # after a failed migration: leave no transaction behind
                    conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                    conn.commit()
    finally:
        if own_engine:
            engine.dispose()  # closes SQLite connections, so WAL is checkpointed into the file
