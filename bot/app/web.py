"""The WSGI application: Slack requests, health and metrics.

`bot.app.web:create_wsgi()` is the entry point for gunicorn or any WSGI server:

    gunicorn --workers 2 --threads 4 --worker-class gthread --reuse-port -b 0.0.0.0:3000 \
        'bot.app.web:create_wsgi()'

Slack requests go to the Bolt app (built in handlers/, the only layer that knows Bolt); this
module adds `GET /healthz` and `GET /metrics` in front of it. /metrics aggregates every
process's counters when PROMETHEUS_MULTIPROC_DIR is set (prometheus_client multiprocess mode,
which `outsource-bot serve` arranges), and reads the outbox depth/age from the database at
scrape time.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector
from slack_sdk.signature import SignatureVerifier

from bot.app.runtime import Runtime
from bot.slack.payloads import PARSED_BODY_KEY, MalformedBody, parse_slack_body
from storage.db import Database

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class OutboxCollector(Collector):
    """Outbox depth and age, read from the database when scraped (true for every replica)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        from bot.delivery.outbox import outbox_depth_and_age

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


SLACK_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_MAX_AGE_SECONDS = 5 * 60
HEALTH_TIMEOUT_SECONDS = 2.0

_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_SIGNATURE_RE = re.compile(r"v0=[0-9a-f]{64}")
_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
}

log = logging.getLogger("outsource_bot.web")


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str  # short, fixed words: never any of the request's bytes


class RefusalLog:
    """One short line per refused request, at most `burst` lines per `window` seconds; the
    lines held back are counted and reported with the next line that gets through."""

    def __init__(self, burst: int = 20, window: float = 60.0) -> None:
        self.burst = burst
        self.window = window
        self._lock = threading.Lock()
        self._window_start = -window
        self._lines = 0
        self._held = 0

    def refused(self, status: int, reason: str, size: int | None) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._window_start >= self.window:
                self._window_start, self._lines = now, 0
            if self._lines >= self.burst:
                self._held += 1
                return
            self._lines += 1
            held, self._held = self._held, 0
        more = f" ({held} more refused since the last line)" if held else ""
        length = "?" if size is None else str(size)
        log.info("refused POST %s: %s %s (%s bytes)%s", SLACK_PATH, status, reason, length, more)


class SlackEdge:
    """What `POST /slack/events` must pass before Bolt sees it, cheapest check first:
    size (413, from Content-Length before reading), signature headers and their age (401),
    the body read with a cap (413), its signature (401), its shape (400).

    Bolt's own signature check stays on behind this one: it costs one HMAC of a body under
    1 MB, and it keeps the Bolt app safe wherever it is mounted without this edge.
    """

    def __init__(
        self,
        signing_secret: str | None,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        refusals: RefusalLog | None = None,
    ) -> None:
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.max_body_bytes = max_body_bytes
        self.refusals = refusals or RefusalLog()

    def check(self, environ: dict[str, Any]) -> dict[str, Any] | Refusal:
        """A copy of `environ` for Bolt (the body in memory, its parsed dict beside it), or
        why the request is refused."""
        outcome = self._check(environ)
        if isinstance(outcome, Refusal):
            size = environ.get("CONTENT_LENGTH") or None
            self.refusals.refused(outcome.status, outcome.reason, _int_or_none(size))
        return outcome

    def _check(self, environ: dict[str, Any]) -> dict[str, Any] | Refusal:
        length_header = str(environ.get("CONTENT_LENGTH") or "").strip()
        length: int | None = None
        if length_header:
            if not length_header.isdigit():
                return Refusal(400, "invalid Content-Length")
            length = int(length_header)
            if length > self.max_body_bytes:
                return Refusal(413, "body over the size limit")
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
        if self.verifier is None:
            return Refusal(401, "no signing secret configured")
        if not timestamp or not signature:
            return Refusal(401, "unsigned")
        if not _TIMESTAMP_RE.fullmatch(timestamp) or not _SIGNATURE_RE.fullmatch(signature):
            return Refusal(401, "malformed signature headers")
        if abs(time.time() - int(timestamp)) > SIGNATURE_MAX_AGE_SECONDS:
            return Refusal(401, "stale timestamp")
        raw = self._read(environ, length)
        if isinstance(raw, Refusal):
            return raw
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal(401, "bad signature")  # Slack signs UTF-8 text
        if not self.verifier.is_valid(text, timestamp, signature):
            return Refusal(401, "bad signature")
        try:
            body = parse_slack_body(text, environ.get("CONTENT_TYPE"))
        except MalformedBody as exc:
            return Refusal(400, exc.reason)
        checked = dict(environ)
        checked["wsgi.input"] = io.BytesIO(raw)
        checked["CONTENT_LENGTH"] = str(len(raw))
        checked[PARSED_BODY_KEY] = body
        return checked

    def _read(self, environ: dict[str, Any], length: int | None) -> bytes | Refusal:
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length is None and not environ.get("wsgi.input_terminated"):
            return b""  # no length and no end marker: PEP 3333 says there is no body
        want = self.max_body_bytes + 1 if length is None else length
        chunks: list[bytes] = []
        got = 0
        while got < want:
            chunk = stream.read(min(65536, want - got))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        raw = b"".join(chunks)
        if len(raw) > self.max_body_bytes:
            return Refusal(413, "body over the size limit")
        if length is not None and len(raw) < length:
            return Refusal(400, "body shorter than its Content-Length")
        return raw


class HealthProbe:
    """Whether the database answers and takes a write, known within `timeout` seconds.

    The write is a DELETE that matches no row, rolled back: it needs the write lock (SQLite)
    or a writable transaction (PostgreSQL) and changes nothing. The probe runs on a thread of
    its own so a hung connection cannot hold `/healthz` past the timeout; while one probe is
    still running, the next caller waits for that one instead of starting another.
    """

    def __init__(self, timeout: float = HEALTH_TIMEOUT_SECONDS) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._running: Future[str] | None = None

    def check(self, db: Database) -> str:
        """One of "up", "read-only" (answers, cannot write), "down" or "timeout"."""
        with self._lock:
            if self._running is None or self._running.done():
                self._running = self._start(db)
            running = self._running
        try:
            return running.result(timeout=self.timeout)
        except FutureTimeout:
            return "timeout"

    def _start(self, db: Database) -> Future[str]:
        # A daemon thread, not a pool's: a probe stuck connecting must not hold up exit.
        future: Future[str] = Future()

        def run() -> None:
            try:
                state = probe_database(db, self.timeout)
            except Exception:  # e.g. closing a broken connection: the database is not fine
                state = "down"
            future.set_result(state)

        threading.Thread(target=run, name="healthz-probe", daemon=True).start()
        return future


def probe_database(db: Database, timeout: float) -> str:
    """ "up", "read-only" or "down": see HealthProbe."""
    from sqlalchemy import delete, false, text

    from storage.models import ProcessedEvent

    millis = max(1, int(timeout * 1000))
    try:
        conn = db.engine.connect()
    except Exception:
        return "down"
    try:
        try:
            conn.execute(text("SELECT 1"))
        except Exception:
            return "down"
        restore: int | None = None
        try:
            if db.is_sqlite:
                restore = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {millis}")
            elif conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {millis}")
            conn.execute(delete(ProcessedEvent).where(false()))
            return "up"
        except Exception:
            return "read-only"
        finally:
            conn.rollback()
            if restore is not None:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(restore)}")
    except Exception:
        return "down"
    finally:
        conn.close()


def _int_or_none(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _plain(
    start_response: Callable[..., Any],
    status: int,
    reason: str,
    headers: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    body = json.dumps({"error": reason}).encode()
    start_response(
        f"{status} {_STATUS_TEXT.get(status, 'Error')}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            *(headers or []),
        ],
    )
    return [body]


class WebApp:
    """Routes: `POST /slack/events` through the edge checks into Bolt, `GET /healthz`,
    `GET /metrics`; any other GET goes to Bolt's adapter (the OAuth pages, or its 404)."""

    def __init__(
        self, runtime: Runtime, slack_app: WSGIApp, *, edge: SlackEdge | None = None
    ) -> None:
        self.runtime = runtime
        self.slack_app = slack_app
        self.edge = edge or SlackEdge(runtime.settings.slack_signing_secret)
        self.health = HealthProbe()
        self._registry: tuple[Database, CollectorRegistry] | None = None

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_PATH:
            if method != "POST":
                return _plain(start_response, 405, "method not allowed", [("Allow", "POST")])
            checked = self.edge.check(environ)
            if isinstance(checked, Refusal):
                return _plain(start_response, checked.status, checked.reason)
            return self.slack_app(checked, start_response)
        if method == "GET" and path == "/healthz":
            return self.healthz(start_response)
        if method == "GET" and path == "/metrics":
            body = generate_latest(self.registry())
            start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
            return [body]
        if method == "GET":
            return self.slack_app(environ, start_response)
        return _plain(start_response, 404, "not found")

    def registry(self) -> CollectorRegistry:
        db = self.runtime.db
        if self._registry is None or self._registry[0] is not db:
            self._registry = (db, metrics_registry(db))
        return self._registry[1]

    def healthz(self, start_response: Callable[..., Any]) -> Iterable[bytes]:
        state = self.health.check(self.runtime.db)
        up = state == "up"
        payload = {"status": "ok" if up else "unavailable", "database": state}
        status = "200 OK" if up else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(payload).encode()]


def build_web_app(runtime: Runtime) -> WebApp:
    from handlers.app import create_app, slack_wsgi

    return WebApp(runtime, slack_wsgi(create_app(runtime)))


def create_wsgi(runtime: Runtime | None = None) -> WebApp:
    """WSGI entry point. Reads settings from the environment and migrates the database."""
    if runtime is None:
        from bot.app.config import load_settings
        from bot.app.runtime import build_runtime

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
