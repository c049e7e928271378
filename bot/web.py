"""The WSGI application: Slack requests, health and metrics.

`bot.web:create_wsgi()` is the entry point for gunicorn or any WSGI server:

    gunicorn --workers 2 --threads 4 --worker-class gthread --reuse-port -b 0.0.0.0:3000 \
        'bot.web:create_wsgi()'

Slack requests go to the Bolt app (built in handlers/, the only layer that knows Bolt); this
module adds `GET /healthz` and `GET /metrics` in front of it. /metrics aggregates every
process's counters when PROMETHEUS_MULTIPROC_DIR is set (prometheus_client multiprocess mode,
which `outsource-bot serve` arranges), and reads the outbox depth/age from the database at
scrape time.
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from bot.runtime import Runtime
from storage.db import Database

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OutboxCollector(Collector):
    """Outbox depth and age, read from the database when scraped (true for every replica)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        from bot.outbox import outbox_depth_and_age

        try:
            with self.db.transaction() as session:
                depth, age = outbox_depth_and_age(session, datetime.now(UTC))
        except Exception:
            return  # the database is down: /healthz says so; no made-up numbers here
        yield GaugeMetricFamily(
            "outsource_outbox_pending", "Outbox rows not yet delivered", value=depth
        )
        yield GaugeMetricFamily(
            "outsource_outbox_oldest_age_seconds",
            "How long the oldest due, undelivered outbox row has waited",
            value=age,
        )


class _ThisProcess(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def metrics_registry(db: Database | None) -> CollectorRegistry:
    """The registry /metrics serves: every process's files in multiprocess mode, else this
    process's default registry; plus the outbox collector."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    if db is not None:
        registry.register(OutboxCollector(db))
    return registry


class WebApp:
    def __init__(self, runtime: Runtime, slack_app: WSGIApp) -> None:
        self.runtime = runtime
        self.slack_app = slack_app
        self._registry: tuple[Database, CollectorRegistry] | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET" and path == "/healthz":
            return self.healthz(start_response)
        if method == "GET" and path == "/metrics":
            body = generate_latest(self.registry())
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        return self.slack_app(environ, start_response)

    def registry(self) -> CollectorRegistry:
        db = self.runtime.db
        if self._registry is None or self._registry[0] is not db:
            self._registry = (db, metrics_registry(db))
        return self._registry[1]

    def healthz(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        up = self.runtime.db.ping()
        payload = {"status": "ok" if up else "unavailable", "database": "up" if up else "down"}
        status = "200 OK" if up else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]


def build_web_app(runtime: Runtime) -> WebApp:
    from handlers.app import create_app, slack_wsgi

    return WebApp(runtime, slack_wsgi(create_app(runtime)))


def create_wsgi(runtime: Runtime | None = None) -> WebApp:
    """WSGI entry point. Reads settings from the environment and migrates the database."""
    if runtime is None:
        from bot.config import load_settings
        from bot.runtime import build_runtime

        settings = load_settings().require("SLACK_SIGNING_SECRET")
        runtime = build_runtime(settings)
        runtime.db.upgrade()
        app = build_web_app(runtime)
        freeze_heap()
        return app
    return build_web_app(runtime)


def freeze_heap() -> None:
    """Move everything loaded so far (modules, the app) out of the garbage collector's reach:
    a full collection then scans only what requests allocate, instead of pausing a request
    for tens of milliseconds now and then."""
    gc.collect()
    gc.freeze()
