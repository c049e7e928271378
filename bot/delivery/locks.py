"""SQLite allows one delivering worker: a lock file next to the database enforces it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from bot.errors import ConfigError


class WorkerLock:
    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.path: Path | None = None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            self.path = Path(str(url.database) + ".worker.lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        if self.path is None:
            return  # PostgreSQL: workers coordinate with FOR UPDATE SKIP LOCKED
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ConfigError(
                f"Another outsource-bot worker/scheduler already runs on this SQLite database "
                f"({self.path}). SQLite supports one; use PostgreSQL for several."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
