"""APScheduler runs one interval job: the same sweep as `outsource-bot sweep`.

The database is the source of truth; the scheduler only says "look again now". Cadences
(check-ins, digests) are computed by the sweep with CronTrigger in the vendor's zone.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 30


class Scheduler:
    """The sweep every `interval` seconds on a thread of its own, and a bounded stop."""

    def __init__(self, runtime: Runtime, interval: float = SWEEP_INTERVAL_SECONDS) -> None:
        self.runtime = runtime
        self.interval = interval
        self._idle = threading.Event()
        self._idle.set()
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a sweep starts, or the stop is requested: not both
        self._scheduler = BackgroundScheduler(
            timezone="UTC", executors={"default": ThreadPoolExecutor(1)}
        )

    def start(self) -> Scheduler:
        self._scheduler.add_job(
            self._sweep,
            "interval",
            seconds=self.interval,
            id="sweep",
            max_instances=1,
            coalesce=True,
            next_run_time=self.runtime.clock.now(),
        )
        self._scheduler.start()
        log.info("scheduler started: sweep every %ss", self.interval)
        return self

    def _sweep(self) -> None:
        from bot.delivery.sweep import run_sweep

        with self._lock:
            if self._stopping.is_set():
                return
            self._idle.clear()
        try:
            run_sweep(self.runtime)
        except Exception:
            # Logged with the traceback; the next tick tries again. Nothing is lost: the outbox
            # and the tables keep all due work.
            log.exception("sweep failed")
        finally:
            self._idle.set()

    @property
    def sweeping(self) -> bool:
        return not self._idle.is_set()

    def request_stop(self) -> None:
        """No new sweep from now on (returns at once)."""
        with self._lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
        self._scheduler.shutdown(wait=False)

    def stop(self, timeout: float) -> bool:
        """No new sweep; wait up to `timeout` seconds for a running one. True when none runs
        any more. A sweep still running is safe to abandon: the outbox reconciles an
        interrupted post from the channel's history, and unsent rows stay due."""
        self.request_stop()
        started = time.monotonic()
        finished = self._idle.wait(timeout)
        if not finished:
            log.warning(
                "a sweep was still running after %.1fs; what it did not send is left for the "
                "next sweep",
                time.monotonic() - started,
            )
        return finished


def start_scheduler(runtime: Runtime, interval: float = SWEEP_INTERVAL_SECONDS) -> Scheduler:
    return Scheduler(runtime, interval).start()
