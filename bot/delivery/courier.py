"""Delivery right after a commit, off the request's thread.

A unit of work that wrote outbox rows hands their channels to the courier when it commits;
the courier runs a delivery pass for just those channels on a small thread pool, with the
outbox's own claim, pacing, 429 handling and reconciliation — one mechanism for scheduled posts
and for answers to people. The person's answer (the HTTP response, the Socket Mode ack) never
waits for Slack: a slow or rate-limited channel delays only its own posts, and whatever a pass
leaves behind (a crash, a long 429 storm) the sweep delivers.

After-commit actions (views.open, a response_url message) run on the same pool.

`inline=True` (tests, the playground) does all of it at once on the caller's thread, so that
a request's posts are in the fake Slack when the request returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)


class Courier:
    def __init__(self, runtime: Runtime, *, inline: bool = False, threads: int = 4) -> None:
        self.runtime = runtime
        self.inline = inline
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending: set[Future[Any]] = set()
        self._closed = False

    def deliver(self, channels: Iterable[str]) -> None:
        """Deliver the due rows of these channels now (rows of others are left alone)."""
        wanted = sorted(set(channels))
        if wanted:
            self.run(lambda: self._deliver(wanted))

    def run(self, action: Callable[[], Any]) -> None:
        """Run an after-commit action; its failure is logged, never raised to the caller."""
        if self.inline:
            _safely(action)
            return
        with self._lock:
            if self._closed:
                log.info("courier closed; the sweep delivers what is left")
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="courier")
            future = self._pool.submit(_safely, action)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _deliver(self, channels: list[str]) -> None:
        from bot.delivery.outbox import outbox_for

        outbox = outbox_for(self.runtime)
        outbox.deliver_due(self.runtime.clock.now(), channels=channels)

    def wait(self, timeout: float | None = None) -> bool:
        """Until every action handed over so far has finished (tests). True when all did."""
        with self._lock:
            pending = list(self._pending)
        until = None if timeout is None else time.monotonic() + timeout
        done = True
        for future in pending:  # one deadline for all of them, not `timeout` each
            left = None if until is None else max(0.0, until - time.monotonic())
            try:
                future.result(timeout=left)
            except Exception:
                done = False
        return done

    def close(self, timeout: float = 4.0) -> None:
        """Stop taking work; wait up to `timeout` for what is running. Rows not delivered stay
        in the outbox for the next sweep (nothing is lost, nothing is sent twice)."""
        from bot.delivery.outbox import existing_outbox

        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return
        outbox = existing_outbox(self.runtime)
        if outbox is not None:
            outbox.stop()  # a pass pacing through a long queue would outlast any budget
        self.wait(timeout)
        pool.shutdown(wait=False, cancel_futures=True)


def _safely(action: Callable[[], Any]) -> None:
    try:
        action()
    except Exception:
        log.exception("after-commit work failed; the sweep delivers what is left")
