"""APScheduler runs one interval job: the same sweep as `outsource-bot sweep`.

The database is the source of truth; the scheduler only says "look again now". Cadences
(check-ins, digests) are computed by the sweep with CronTrigger in the vendor's zone.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime import Runtime
from bot.sweep import run_sweep

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 30


def _sweep_job(runtime: Runtime) -> None:
    try:
        run_sweep(runtime)
    except Exception:
        # Logged with the traceback; the next tick tries again. Nothing is lost: the outbox
        # and the tables keep all due work.
        log.exception("sweep failed")


def start_scheduler(
    runtime: Runtime, interval: float = SWEEP_INTERVAL_SECONDS
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        _sweep_job,
        "interval",
        seconds=interval,
        args=[runtime],
        id="sweep",
        max_instances=1,
        coalesce=True,
        next_run_time=runtime.clock.now(),
    )
    scheduler.start()
    log.info("scheduler started: sweep every %ss", interval)
    return scheduler
