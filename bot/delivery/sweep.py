"""One pass over all due work: compute what is due from the tables, enqueue it, deliver it.

The same function runs from `outsource-bot sweep`, the APScheduler interval job and the
playground's `:advance`. Every step is idempotent (dedupe keys), so running it twice for the
same instant, or on several workers at once, posts nothing new.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from bot.app.runtime import Runtime
from bot.delivery.outbox import DeliveryReport, outbox_for
from bot.delivery.unit_of_work import run_unit
from bot.modules import import_modules
from bot.ops import metrics

log = logging.getLogger(__name__)


@dataclass
class SweepContext:
    runtime: Runtime
    now: datetime


SweepStep = Callable[[Session, SweepContext], int]

# Modules that define a `sweep_steps` list of (name, step). Order matters only for readability:
# each step enqueues into the outbox, and delivery happens once after all of them.
STEP_MODULES = [
    "bot.services.deadlines.reminders",
    "bot.services.recaps.nudges",
    "bot.services.checkins",
    "bot.services.responsiveness",
    "bot.services.digest",
]


def load_steps() -> list[tuple[str, SweepStep]]:
    steps: list[tuple[str, SweepStep]] = []
    for module in import_modules(STEP_MODULES):
        steps.extend(getattr(module, "sweep_steps", []))
    return steps


@dataclass
class SweepReport:
    at: datetime
    enqueued: dict[str, int] = field(default_factory=dict)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    seconds: float = 0.0

    def summary(self) -> str:
        made = sum(self.enqueued.values())
        d = self.delivery
        return (
            f"sweep at {self.at.isoformat()}: {made} new, {d.posted} posts "
            f"({d.rows_sent} items), {d.held} held, {d.retried} to retry, "
            f"{d.reconciled} reconciled in {self.seconds:.2f}s"
        )


def _run_step(step: SweepStep, ctx: SweepContext, session: Session) -> int:
    return step(session, ctx)


def run_sweep(runtime: Runtime, *, at: datetime | None = None, deliver: bool = True) -> SweepReport:
    started = time.perf_counter()
    now = at or runtime.clock.now()
    report = SweepReport(at=now)
    ctx = SweepContext(runtime=runtime, now=now)
    for name, step in load_steps():
        # Each step is a unit of work of its own (Slack reads made outside its transaction,
        # one more run after a dead connection); delivery follows all of them at once.
        report.enqueued[name] = run_unit(runtime, partial(_run_step, step, ctx), deliver=False)
    if deliver:
        report.delivery = outbox_for(runtime).deliver_due(now)
    report.seconds = time.perf_counter() - started
    metrics.SWEEP_DURATION.observe(report.seconds)
    log.info(report.summary())
    return report
