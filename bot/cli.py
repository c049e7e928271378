"""`outsource-bot …` — run, serve, worker, sweep, db upgrade, playground, audit."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.clock import ManualClock
from bot.config import Settings, load_settings
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("outsource_bot")


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # slack_sdk logs request bodies at DEBUG; never let tokens reach the logs.
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)


def _parse_instant(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 instant, e.g. 2027-03-09T16:01Z"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outsource-bot",
        description="A Slack app that keeps communication with outsourced vendors healthy.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    sub.add_parser(
        "run", help="Socket Mode with the scheduler in-process (development, small teams)"
    )

    serve = sub.add_parser(
        "serve", help="HTTP mode under gunicorn: POST /slack/events, /healthz, /metrics"
    )
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument(
        "--workers", type=int, default=1, help="gunicorn worker processes (default 1)"
    )
    serve.add_argument(
        "--no-scheduler", action="store_true", help="don't run the sweep here (web replicas)"
    )

    worker = sub.add_parser("worker", help="the scheduler only, no HTTP (for several web replicas)")
    worker.add_argument(
        "--metrics-port",
        type=int,
        help="serve this process's Prometheus metrics on this port (default: none)",
    )

    sweep = sub.add_parser(
        "sweep", help="one pass over all due work, delivered to Slack, then exit"
    )
    sweep.add_argument(
        "--at", type=_parse_instant, help="as of this ISO-8601 instant (default now)"
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    db_sub.add_parser("upgrade", help="apply Alembic migrations")

    play = sub.add_parser(
        "playground", help="offline: a fake Slack in your terminal, no token needed"
    )
    play.add_argument("--script", help="run the lines of FILE instead of reading the keyboard")
    play.add_argument("--db", help="SQLite file to keep (default: a temporary one)")
    play.add_argument(
        "--start", type=_parse_instant, help="start the clock at this instant (default now)"
    )

    audit = sub.add_parser("audit", help="print the audit log")
    audit.add_argument("--vendor", help="only this vendor (by name)")
    audit.add_argument("--since", type=_parse_instant, help="only entries at or after this instant")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"outsource-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "playground":
        from bot.playground import run_playground

        return run_playground(script=args.script, db_path=args.db, start=args.start)
    _setup_logging()
    settings = load_settings()
    if args.command == "db":
        from bot.runtime import build_runtime

        runtime = build_runtime(settings)
        runtime.db.upgrade()
        runtime.db.dispose()
        print("database is at the newest schema")
        return 0
    if args.command == "sweep":
        return _sweep(settings, args.at)
    if args.command == "serve":
        return _serve(settings, args)
    if args.command == "worker":
        return _worker(settings, args)
    if args.command == "run":
        return _run(settings)
    if args.command == "audit":
        from bot.services.audit_report import print_audit

        return print_audit(settings, vendor=args.vendor, since=args.since)
    raise ConfigError(f"unknown command {args.command}")


def _require_slack_auth(settings: Settings, *names: str) -> None:
    settings.require(*names)
    if not settings.oauth_enabled:
        settings.require("SLACK_BOT_TOKEN")


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None


def _delivery_runtime(settings: Settings, clock: Any = None) -> Runtime:
    """A runtime for a process that delivers: its outbox posts to several channels at once.
    Tuning (rarely needed): OUTSOURCE_OUTBOX_CONCURRENCY (Slack calls in flight, default 8),
    OUTSOURCE_OUTBOX_GRACE_SECONDS (wait before reconciling an interrupted post, default 30)."""
    from bot.outbox import Outbox
    from bot.runtime import build_runtime
    from bot.services.noise import NoisePolicy

    runtime = build_runtime(settings, clock=clock)
    runtime.extras["outbox"] = Outbox(
        runtime.db,
        runtime.client_factory,
        policy=NoisePolicy(),
        concurrency=int(_env_number("OUTSOURCE_OUTBOX_CONCURRENCY", 8)),
        grace_seconds=_env_number("OUTSOURCE_OUTBOX_GRACE_SECONDS", 30),
    )
    return runtime


def _sweep(settings: Settings, at: datetime | None) -> int:
    from bot.locks import WorkerLock
    from bot.sweep import run_sweep

    _require_slack_auth(settings)
    clock = ManualClock(at) if at else None
    runtime = _delivery_runtime(settings, clock)
    lock = WorkerLock(runtime.db.url)
    lock.acquire()  # SQLite: not beside a running worker
    try:
        runtime.db.upgrade()
        report = run_sweep(runtime, at=at)
    finally:
        lock.release()
    print(report.summary())
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from bot.locks import WorkerLock
    from bot.scheduler import start_scheduler

    _require_slack_auth(settings)
    runtime = _delivery_runtime(settings)
    lock = WorkerLock(runtime.db.url)
    lock.acquire()
    runtime.db.upgrade()
    if args.metrics_port:
        from prometheus_client import start_http_server

        from bot.web import metrics_registry

        start_http_server(args.metrics_port, registry=metrics_registry(runtime.db))
    scheduler = start_scheduler(runtime)
    _wait_for_signal()
    scheduler.shutdown(wait=True)
    lock.release()
    return 0


def _run(settings: Settings) -> int:
    from bot.locks import WorkerLock
    from bot.scheduler import start_scheduler
    from handlers.app import create_app, start_socket_mode

    _require_slack_auth(settings, "SLACK_APP_TOKEN")
    runtime = _delivery_runtime(settings)
    lock = WorkerLock(runtime.db.url)
    lock.acquire()
    runtime.db.upgrade()
    app = create_app(runtime)
    scheduler = start_scheduler(runtime)
    try:
        start_socket_mode(app, settings.slack_app_token or "")
    finally:
        scheduler.shutdown(wait=False)
        lock.release()
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    _require_slack_auth(settings, "SLACK_SIGNING_SECRET")
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    # Before anything imports prometheus_client: every process (each gunicorn worker and the
    # scheduler process) writes its metrics here and /metrics adds them all up.
    metrics_dir = _prepare_metrics_dir()

    from gunicorn.app.base import BaseApplication

    from bot.locks import WorkerLock
    from bot.runtime import build_runtime

    master_runtime = build_runtime(settings)
    master_runtime.db.upgrade()
    master_runtime.db.dispose()  # workers open their own connections after fork
    run_scheduler = not args.no_scheduler
    if run_scheduler:
        # SQLite: refuse now, with a clear message, if a worker already runs. The scheduler
        # process started below takes the lock for itself.
        lock = WorkerLock(master_runtime.db.url)
        lock.acquire()
        lock.release()
    scheduler = _SchedulerProcess()

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            # Each worker listens on a socket of its own (SO_REUSEPORT, gunicorn >= 24) and the
            # kernel spreads connections over them. On one shared socket the worker that wins
            # the accept race often takes every keep-alive connection of a load balancer (or
            # of wrk), and the other workers idle: half the throughput with two workers.
            self.cfg.set("reuse_port", True)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", None)
            self.cfg.set("child_exit", _child_exit)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn ≥ 25's control socket is one path per user: replicas would clash
                self.cfg.set("control_socket_disable", True)
            if run_scheduler:
                self.cfg.set("when_ready", lambda _arbiter: scheduler.start())
                self.cfg.set("on_exit", lambda _arbiter: scheduler.stop())

        def load(self) -> Any:
            from bot.web import create_wsgi, freeze_heap

            app = create_wsgi(build_runtime(settings))
            freeze_heap()
            return app

    def _child_exit(_arbiter: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, metrics_dir)

    try:
        Server().run()
    finally:
        scheduler.stop()
    return 0


class _SchedulerProcess:
    """`serve`'s scheduler: one `outsource-bot worker` process beside the gunicorn master,
    restarted if it dies, stopped with the master. Not a thread in the master: gunicorn forks
    workers from the master at any time, and a fork while a sweep holds a lock (an import, a
    metrics file) would deadlock the new worker."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._supervise, name="scheduler", daemon=True)
        self._thread.start()

    def _supervise(self) -> None:
        env = {**os.environ, "OUTSOURCE_PARENT_PID": str(os.getpid())}
        while not self._stop.is_set():
            started = time.monotonic()
            self._proc = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env)
            self._proc.wait()
            if self._stop.is_set():
                return
            log.error("the scheduler process exited (%s); restarting", self._proc.returncode)
            self._stop.wait(max(1.0, 5 - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _prepare_metrics_dir() -> str:
    """PROMETHEUS_MULTIPROC_DIR as given (emptied of a previous run's files) or a new one."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if path:
        os.makedirs(path, exist_ok=True)
        for name in os.listdir(path):
            if name.endswith(".db"):
                os.remove(os.path.join(path, name))
    else:
        import tempfile

        path = tempfile.mkdtemp(prefix="outsource-bot-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return path


def _wait_for_signal() -> None:
    """Until SIGINT/SIGTERM, or until the `serve` master that started us is gone."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    parent = os.environ.get("OUTSOURCE_PARENT_PID")
    while not stop.wait(1.0):
        if parent and os.getppid() != int(parent):
            log.warning("the serve process that started this scheduler is gone; stopping")
            return


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
