"""One unit of work: a transaction, then what it wrote for Slack — never the other way round.

Every request, job and sweep step runs its database work through `run_unit` (Slack requests
through `handlers.app.OutsourceApp.dispatch`, which follows the same steps around Bolt):

1. The work runs in one transaction. It makes no Slack call: posts, updates and ephemerals are
   outbox rows (`bot.delivery.outbox.enqueue`), other Slack calls (`views.open`, a
   `response_url`) are registered with `after_commit`. Slack *reads* it needs (users.info …)
   come from the directory's cache; one that is not cached is noted and the work stops
   (`LookupDeferred`).
2. Noted reads: the transaction is rolled back, the reads are made outside any transaction,
   and the work runs again, now from the cache.
3. A connection that turns out dead (a database restart or failover) before the commit: the
   pool is renewed and the work runs once more, unseen by the person.
4. Commit. Then the outbox rows the work wrote are delivered at once (`Courier`), and the
   after-commit actions run — in the background, so a slow Slack never delays the answer.

The work is therefore side-effect free until its commit, and may safely run more than once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from bot.delivery.outbox import DUE_CHANNELS
from bot.errors import UserError
from bot.ops import metrics
from bot.slack.client import Directory
from storage.db import is_busy, is_disconnect, is_unavailable

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")

AFTER_COMMIT = "after_commit"
AFTER_ROLLBACK = "after_rollback"
# Rounds of "note the reads, make them, run again" before giving up on the cache.
MAX_LOOKUP_ROUNDS = 6

DATABASE_BUSY = (
    "The database is busy right now, so nothing was changed. Please try again in a moment."
)
DATABASE_DOWN = "The database is unavailable, so nothing was changed. Please try again in a minute."


class DatabaseUnavailable(UserError):
    """The database could not be reached, was busy, or could not be written: nothing changed."""


def after_commit(session: Session, action: Callable[[], Any]) -> None:
    """Run `action` (a Slack call such as views.open) once this unit of work has committed."""
    session.info.setdefault(AFTER_COMMIT, []).append(action)


def after_rollback(session: Session, action: Callable[[], Any]) -> None:
    """Run `action` (e.g. telling the person what went wrong) once the unit was rolled back."""
    session.info.setdefault(AFTER_ROLLBACK, []).append(action)


def database_error(error: BaseException) -> DatabaseUnavailable | None:
    """The person-facing form of a database that is busy, down or read-only, else None."""
    if is_busy(error):
        return DatabaseUnavailable(DATABASE_BUSY)
    if is_unavailable(error):
        return DatabaseUnavailable(DATABASE_DOWN)
    return None


class Attempts:
    """Decides, after a failed or incomplete run, whether to run the unit again."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.lookup_rounds = 0
        self.disconnect_retried = False

    def after_lookups(self, missed: set[Any]) -> bool:
        """Reads were noted: make them (no transaction is open now) and run again."""
        if not missed or self.lookup_rounds >= MAX_LOOKUP_ROUNDS:
            return False
        self.lookup_rounds += 1
        metrics.UNIT_RETRIES.labels(reason="slack_reads").inc()
        self.runtime.directory.fetch(missed)
        return True

    def after_error(self, error: BaseException, *, committing: bool) -> bool:
        """A dead connection before the commit: once more, on a fresh connection. (A commit
        that failed may have been applied: never repeated.)"""
        if committing or self.disconnect_retried or not is_disconnect(error):
            return False
        self.disconnect_retried = True
        metrics.UNIT_RETRIES.labels(reason="disconnect").inc()
        log.warning("database connection lost; running the unit of work again: %s", error)
        return True


def deferral(attempts: Attempts) -> AbstractContextManager[set[Any] | None]:
    """Note Slack reads missed inside the transaction — until the rounds are used up; then
    they are made where they are needed (and the transaction guard reports them)."""
    if attempts.lookup_rounds < MAX_LOOKUP_ROUNDS:
        return Directory.deferring()
    return nullcontext(None)


def run_unit(runtime: Runtime, work: Callable[[Session], T], *, deliver: bool = True) -> T:
    """Run `work(session)` as one unit of work (see the module docstring); returns its result.
    A database that is busy, down or read-only raises `DatabaseUnavailable`.
    `deliver=False`: leave the outbox rows to the caller's own delivery pass (the sweep, which
    bundles what all its steps wrote)."""
    attempts = Attempts(runtime)
    while True:
        with deferral(attempts) as missed:
            session = runtime.db.sessionmaker()
            committing = False
            try:
                result = work(session)
                if missed:
                    session.rollback()
                else:
                    committing = True
                    session.commit()
            except BaseException as exc:
                session.rollback()
                info = dict(session.info)
                session.close()
                if missed and database_error(exc) is None and attempts.after_lookups(missed):
                    continue
                if attempts.after_error(exc, committing=committing):
                    continue
                run_actions(runtime, info.get(AFTER_ROLLBACK))
                unavailable = database_error(exc)
                if unavailable is not None:
                    raise unavailable from exc
                raise
            info = dict(session.info)
            session.close()
        if missed:
            attempts.after_lookups(missed)
            continue
        if not deliver:
            info.pop(DUE_CHANNELS, None)
        deliver_after_commit(runtime, info)
        return result


def deliver_after_commit(runtime: Runtime, info: dict[str, Any]) -> None:
    """What a committed unit wrote for Slack: its outbox rows, then its after-commit actions."""
    channels = info.get(DUE_CHANNELS)
    if channels:
        runtime.courier.deliver(channels)
    run_actions(runtime, info.get(AFTER_COMMIT))


def run_actions(runtime: Runtime, actions: list[Callable[[], Any]] | None) -> None:
    for action in actions or ():
        runtime.courier.run(action)
