"""`outsource-bot …` — run, serve, worker, sweep, db upgrade, playground, audit.

Start-up is kept cheap (cron runs `sweep` every minute): modules a command does not need are
imported inside the command, never at the top of this file.
"""

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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app.config import Settings, load_settings
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger("outsource_bot")

# How long a stop may take in all (SIGINT/SIGTERM): process managers give 10 s or more, the
# project promises 5 s. Work still running then is left for the next sweep (see _finish).
STOP_BUDGET_SECONDS = 3.5
# serve: the gunicorn master waits this long for its workers; a worker's own graceful wait
# for requests in flight is two seconds shorter, so it exits before the master would kill it.
SERVE_GRACE_SECONDS = 3
# serve's gunicorn worker class; OUTSOURCE_WORKER_CLASS=gthread goes back to plain gthread.
WORKER_CLASS = "bot.app.serving.BufferingWorker"


def _setup_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # slack_sdk logs request bodies at DEBUG; never let tokens reach the logs.
    logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    from bot.ops.logs import BoltTokenNotice

    logging.getLogger("slack_bolt.App").addFilter(BoltTokenNotice())


def _parse_instant(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 instant, e.g. 2027-03-09T16:01Z"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


ENV_HELP = {
    "SLACK_BOT_TOKEN": "bot token (xoxb-…); or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET (OAuth)",
    "SLACK_APP_TOKEN": "app-level token (xapp-…) for Socket Mode",
    "SLACK_SIGNING_SECRET": "verifies every HTTP request from Slack",
    "SLACK_CLIENT_ID": "with SLACK_CLIENT_SECRET: OAuth for many workspaces, instead of "
    "SLACK_BOT_TOKEN",
    "SLACK_API_URL": "Web API base URL (default https://slack.com/api/)",
    "DATABASE_URL": "sqlite:///path/to/file.db (default sqlite:///outsource-bot.db) or "
    "postgresql://user@host/db",
    "OUTSOURCE_DEFAULT_TZ": "timezone when neither vendor nor user has one (default UTC)",
    "OUTSOURCE_OUTBOX_CONCURRENCY": "Slack calls in flight when delivering (default 8)",
    "PROMETHEUS_MULTIPROC_DIR": "where gunicorn workers share metrics (default: a temp dir)",
}
SLACK_AUTH = ["SLACK_BOT_TOKEN"]
COMMAND_ENV = {
    "run": (["SLACK_APP_TOKEN", *SLACK_AUTH], ["SLACK_CLIENT_ID", "DATABASE_URL", "SLACK_API_URL"]),
    "serve": (
        ["SLACK_SIGNING_SECRET", *SLACK_AUTH],
        ["SLACK_CLIENT_ID", "DATABASE_URL", "SLACK_API_URL", "PROMETHEUS_MULTIPROC_DIR"],
    ),
    "worker": (
        SLACK_AUTH,
        ["SLACK_CLIENT_ID", "DATABASE_URL", "SLACK_API_URL", "OUTSOURCE_OUTBOX_CONCURRENCY"],
    ),
    "sweep": (
        SLACK_AUTH,
        ["SLACK_CLIENT_ID", "DATABASE_URL", "SLACK_API_URL", "OUTSOURCE_OUTBOX_CONCURRENCY"],
    ),
    "db": ([], ["DATABASE_URL"]),
    "playground": ([], []),
    "audit": ([], ["DATABASE_URL"]),
}


def _env_epilog(command: str) -> str:
    required, optional = COMMAND_ENV[command]
    if not required and not optional:
        return "environment: none needed (no token, no network)."
    lines = ["environment (also read from a .env file; the environment wins):"]
    for names, label in ((required, "required"), (optional, "optional")):
        for name in names:
            lines.append(f"  {name:<30} {label}: {ENV_HELP[name]}")
    if command != "playground":
        lines.append(
            "  OUTSOURCE_DEFAULT_TZ           optional: " + ENV_HELP["OUTSOURCE_DEFAULT_TZ"]
        )
    return "\n".join(lines)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("outsource-bot")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


class _VersionAction(argparse.Action):
    """`--version`, reading the installed metadata only when asked (it costs every start)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_args: Any) -> None:
        print(f"outsource-bot {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="outsource-bot",
        description="A Slack app that keeps communication with outsourced vendors healthy.",
        epilog="Each command's --help names the environment variables it reads.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=help[0].upper() + help[1:] + ".",
            epilog=_env_epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    add("run", "Socket Mode with the scheduler in-process (development, small teams)")

    serve = add("serve", "HTTP mode under gunicorn: POST /slack/events, /healthz, /metrics")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument(
        "--workers", type=int, default=1, help="gunicorn worker processes (default 1)"
    )
    serve.add_argument(
        "--no-scheduler", action="store_true", help="don't run the sweep here (web replicas)"
    )

    worker = add("worker", "the scheduler only, no HTTP (for several web replicas)")
    worker.add_argument(
        "--metrics-port",
        type=int,
        help="serve this process's Prometheus metrics on this port (default: none)",
    )

    sweep = add("sweep", "one pass over all due work, delivered to Slack, then exit")
    sweep.add_argument(
        "--at", type=_parse_instant, help="as of this ISO-8601 instant (default now)"
    )

    db = add("db", "database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION")
    db_sub.required = True
    db_sub.add_parser(
        "upgrade",
        help="apply Alembic migrations",
        epilog=_env_epilog("db"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    play = add("playground", "offline: a fake Slack in your terminal, no token needed")
    play.add_argument("--script", help="run the lines of FILE instead of reading the keyboard")
    play.add_argument("--db", help="SQLite file to keep (default: a temporary one)")
    play.add_argument(
        "--start",
        type=_parse_instant,
        help="start the clock at this instant (default now, or where --db FILE left it)",
    )
    play.add_argument(
        "--strict",
        action="store_true",
        help="with --script: exit 1 when a line is refused (a line starting with ! must be)",
    )

    audit = add("audit", "print the audit log")
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
        if args.script and not Path(args.script).is_file():
            raise ConfigError(f"no playground script at {args.script}")
        if args.db:
            _check_folder(Path(args.db), "--db")
        from bot.app.playground import run_playground

        return run_playground(
            script=args.script, db_path=args.db, start=args.start, strict=args.strict
        )
    _setup_logging()
    settings = load_settings()
    if args.command == "db":
        check_database_url(settings.database_url)
        from bot.app.runtime import build_runtime

        runtime = build_runtime(settings)
        try:
            _upgrade(runtime)
        finally:
            runtime.close()
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
        check_database_url(settings.database_url, must_exist=True)
        from bot.services.audit_report import print_audit

        return print_audit(settings, vendor=args.vendor, since=args.since)
    raise ConfigError(f"unknown command {args.command}")


# -- configuration checks: one clear line each, before anything is started ----------------------


def _require_slack_auth(settings: Settings, command: str, *names: str) -> None:
    """All missing variables in one line, not one per try."""
    missing = [name for name in names if not getattr(settings, name.lower())]
    if not settings.oauth_enabled and not settings.slack_bot_token:
        missing.append("SLACK_BOT_TOKEN")
    if missing:
        listed = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
        which = "which is" if len(missing) == 1 else "which are"
        oauth = (
            " (for OAuth: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead of SLACK_BOT_TOKEN)"
            if "SLACK_BOT_TOKEN" in missing
            else ""
        )
        raise ConfigError(
            f"`outsource-bot {command}` needs {listed}, {which} not set in the environment or "
            f".env{oauth}."
        )


def _check_folder(path: Path, what: str) -> None:
    folder = path.expanduser().absolute().parent
    if not folder.is_dir():
        raise ConfigError(f"{what} points at {path}, but the folder {folder} does not exist")


def check_database_url(url: str, *, must_exist: bool = False) -> None:
    """A DATABASE_URL that cannot work stops the command with one line: not a URL, a kind of
    database we do not support, PostgreSQL without its driver, SQLite in a missing folder
    (`must_exist`: or no file at all, for commands that only read)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from storage.db import normalize_url

    try:
        parsed = make_url(normalize_url(url))
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL; use sqlite:///path/to/file.db or "
            "postgresql://user@host/dbname"
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL={shown}: {backend!r} is not supported; use sqlite:///… or postgresql://…"
        )
    try:
        dialect = parsed.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise ConfigError(
            f"DATABASE_URL={shown}: unknown driver {parsed.drivername!r}; use "
            "postgresql://… (psycopg 3) or sqlite:///…"
        ) from None
    except ImportError:
        raise ConfigError(
            "DATABASE_URL is a PostgreSQL URL but its driver is not installed: "
            "pip install 'outsource-bot[postgres]' (psycopg 3)"
        ) from None
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        _check_folder(path, "DATABASE_URL")
        if must_exist and not path.is_file():
            raise ConfigError(
                f"no database at {path} (DATABASE_URL={shown}); nothing to read. Run from the "
                "folder that has it or set DATABASE_URL."
            )


def _upgrade(runtime: Runtime) -> None:
    """Migrate on start; a database that cannot be reached is one line, not a traceback."""
    from sqlalchemy.exc import DBAPIError

    try:
        runtime.db.upgrade()
    except DBAPIError as exc:
        from sqlalchemy.engine import make_url

        first = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc) else ""
        shown = make_url(runtime.db.url).render_as_string(hide_password=True)
        raise ConfigError(f"the database at {shown} cannot be used: {first}") from None


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
    from bot.app.runtime import build_runtime
    from bot.delivery.outbox import Outbox
    from bot.services.noise import NoisePolicy

    check_database_url(settings.database_url)
    runtime = build_runtime(settings, clock=clock)
    runtime.extras["outbox"] = Outbox(
        runtime.db,
        runtime.client_factory,
        policy=NoisePolicy(),
        concurrency=int(_env_number("OUTSOURCE_OUTBOX_CONCURRENCY", 8)),
        grace_seconds=_env_number("OUTSOURCE_OUTBOX_GRACE_SECONDS", 30),
        runtime=runtime,  # renderers read the vendor's zone and the directory through it
    )
    return runtime


# -- stopping -----------------------------------------------------------------------------------


class StopSignals:
    """SIGINT and SIGTERM ask the process to stop: the first one sets an event the main thread
    waits on (no KeyboardInterrupt in the middle of some library call, no traceback)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal: int | None = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.signal is None:
            self.signal = signum
        self.event.set()

    @property
    def name(self) -> str:
        return signal.Signals(self.signal).name if self.signal else "parent gone"

    def wait(self) -> None:
        """Until a stop signal, or until the `serve` master that started us is gone."""
        parent = os.environ.get("OUTSOURCE_PARENT_PID")
        while not self.event.wait(1.0):
            if parent and os.getppid() != int(parent):
                log.warning("the serve process that started this scheduler is gone; stopping")
                return


def _finish(code: int) -> int:
    """Leave now, once the orderly stop is done. Threads still busy (a sweep in the middle of
    a slow Slack call, a listener) would keep the interpreter alive, and daemon threads
    (APScheduler's, Socket Mode's readers) would run on into the interpreter's shutdown. Their
    work is safe to abandon: an interrupted post is reconciled from the channel's history by
    the next sweep, unsent rows stay due. So the process exits without waiting for them."""
    lingering = [
        t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon
    ]
    if lingering:
        log.info("left behind for the next sweep: %s", ", ".join(t.name for t in lingering))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# -- the commands -------------------------------------------------------------------------------


def _sweep(settings: Settings, at: datetime | None) -> int:
    from bot.delivery.locks import WorkerLock
    from bot.delivery.sweep import run_sweep

    _require_slack_auth(settings, "sweep")
    clock = None
    if at is not None:
        from bot.time.clock import ManualClock

        clock = ManualClock(at)
    runtime = _delivery_runtime(settings, clock)
    lock = WorkerLock(runtime.db.url)
    lock.acquire()  # SQLite: not beside a running worker
    try:
        _upgrade(runtime)
        report = run_sweep(runtime, at=at)
    except Exception as exc:
        from bot.delivery.unit_of_work import DatabaseUnavailable, database_error

        unavailable = exc if isinstance(exc, DatabaseUnavailable) else database_error(exc)
        if unavailable is None:
            raise
        # One line, and a status cron and systemd notice; the next sweep does what this one
        # could not (nothing due is lost, nothing is posted twice).
        print(f"outsource-bot: sweep stopped: {unavailable.message}", file=sys.stderr)
        return 1
    finally:
        runtime.close()
        lock.release()
    print(report.summary())
    return 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from bot.delivery.locks import WorkerLock
    from bot.delivery.scheduler import start_scheduler

    _require_slack_auth(settings, "worker")
    signals = StopSignals()
    runtime = _delivery_runtime(settings)
    lock = WorkerLock(runtime.db.url)
    lock.acquire()
    try:
        _upgrade(runtime)
        if args.metrics_port:
            from prometheus_client import start_http_server

            from bot.app.web import metrics_registry

            start_http_server(args.metrics_port, registry=metrics_registry(runtime.db))
        scheduler = start_scheduler(runtime)
        signals.wait()
        log.info("stopping (%s)", signals.name)
        scheduler.stop(timeout=STOP_BUDGET_SECONDS)
    finally:
        runtime.close()
        lock.release()
    return _finish(0)


def _run(settings: Settings) -> int:
    from bot.delivery.locks import WorkerLock
    from bot.delivery.scheduler import Scheduler
    from handlers.app import create_app
    from handlers.socket_mode import SocketMode

    _require_slack_auth(settings, "run", "SLACK_APP_TOKEN")
    signals = StopSignals()
    runtime = _delivery_runtime(settings)
    lock = WorkerLock(runtime.db.url)
    lock.acquire()
    try:
        _upgrade(runtime)
        app = create_app(runtime)
        socket_mode = SocketMode(app, settings.slack_app_token or "")
        socket_mode.connect()
        scheduler = Scheduler(runtime).start()
        log.info("running in Socket Mode; SIGINT (Ctrl-C) or SIGTERM stops")
        signals.wait()
        started = time.monotonic()
        log.info("stopping (%s)", signals.name)
        scheduler.request_stop()  # no new sweep from now on
        socket_mode.close(timeout=1.5)  # envelopes being handled finish and are acked
        scheduler.stop(timeout=max(0.5, STOP_BUDGET_SECONDS - (time.monotonic() - started)))
    finally:
        runtime.close()
        lock.release()
    return _finish(0)


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    _require_slack_auth(settings, "serve", "SLACK_SIGNING_SECRET")
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    check_database_url(settings.database_url)
    # Before anything imports prometheus_client: every process (each gunicorn worker and the
    # scheduler process) writes its metrics here and /metrics adds them all up.
    metrics_dir = _prepare_metrics_dir()

    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter

    from bot.app.runtime import build_runtime
    from bot.delivery.locks import WorkerLock

    master_runtime = build_runtime(settings)
    try:
        _upgrade(master_runtime)
    finally:
        master_runtime.close()  # workers open their own connections after fork
    run_scheduler = not args.no_scheduler
    if run_scheduler:
        # SQLite: refuse now, with a clear message, if a worker already runs. The scheduler
        # process started below takes the lock for itself.
        lock = WorkerLock(master_runtime.db.url)
        lock.acquire()
        lock.release()
    scheduler = _SchedulerProcess()
    address = f"http://{args.host}:{args.port}"
    worker_class = os.environ.get("OUTSOURCE_WORKER_CLASS", "").strip() or WORKER_CLASS
    worker_runtime: list[Runtime] = []

    class ServeArbiter(Arbiter):
        def stop(self, graceful: bool = True) -> None:
            scheduler.begin_stop()  # the scheduler process stops beside the workers
            super().stop(graceful)

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers)
            # gthread that reads each request whole before a thread sees it (bot/app/serving.py)
            self.cfg.set("worker_class", worker_class)
            self.cfg.set("threads", 4)
            # Each worker listens on a socket of its own (SO_REUSEPORT, gunicorn >= 24) and the
            # kernel spreads connections over them. On one shared socket the worker that wins
            # the accept race often takes every keep-alive connection of a load balancer (or
            # of wrk), and the other workers idle: half the throughput with two workers.
            self.cfg.set("reuse_port", True)
            self.cfg.set("timeout", 30)
            # Stopping: Slack gives a request 3 s, so in-flight requests are done well within
            # the grace period; the master then stops waiting (see SERVE_GRACE_SECONDS).
            self.cfg.set("graceful_timeout", SERVE_GRACE_SECONDS)
            self.cfg.set("post_fork", _post_fork)
            self.cfg.set("worker_exit", _worker_exit)
            self.cfg.set("accesslog", None)
            self.cfg.set("child_exit", _child_exit)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn ≥ 25's control socket is one path per user: replicas would clash
                self.cfg.set("control_socket_disable", True)
            if run_scheduler:
                self.cfg.set("when_ready", lambda _arbiter: scheduler.start())
                self.cfg.set("on_exit", lambda _arbiter: scheduler.stop())

        def load(self) -> Any:
            from bot.app.web import create_wsgi, freeze_heap

            runtime = build_runtime(settings)
            worker_runtime.append(runtime)
            app = create_wsgi(runtime)
            freeze_heap()
            return app

        def run(self) -> None:
            _name_the_address(address)
            ServeArbiter(self).run()

    def _post_fork(_arbiter: Any, worker: Any) -> None:
        # This worker's own wait for requests in flight ends before the master's.
        worker.cfg.set("graceful_timeout", max(1, SERVE_GRACE_SECONDS - 2))

    def _worker_exit(_arbiter: Any, _worker: Any) -> None:
        # Runs in the worker on its way out, after its requests in flight finished (or the
        # grace period ended). Threads still reading from a client must not keep it alive.
        for runtime in worker_runtime:
            # within the master's grace: SERVE_GRACE_SECONDS less the worker's own wait
            runtime.close(delivery_timeout=1.5)
        logging.shutdown()
        os._exit(0)

    def _child_exit(_arbiter: Any, worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, metrics_dir)

    try:
        Server().run()
    finally:
        scheduler.stop()
    return 0


def _name_the_address(address: str) -> None:
    """gunicorn's master has no listening socket of its own with reuse_port (each worker
    opens one), so it would log "Listening at:  (pid)": name the address there instead."""

    class _Address(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if str(record.msg).startswith("Listening at") and record.args:
                args = tuple(record.args) if isinstance(record.args, tuple) else (record.args,)
                if args and not args[0]:
                    record.args = (address, *args[1:])
            return True

    logging.getLogger("gunicorn.error").addFilter(_Address())


class _SchedulerProcess:
    """`serve`'s scheduler: one `outsource-bot worker` process beside the gunicorn master,
    restarted if it dies, stopped with the master. Not a thread in the master: gunicorn forks
    workers from the master at any time, and a fork while a sweep holds a lock (an import, a
    metrics file) would deadlock the new worker. It runs in a session of its own, so a Ctrl-C
    in the terminal reaches the master only, which stops it (once, not "restarting")."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._env = {**os.environ, "OUTSOURCE_PARENT_PID": str(os.getpid())}

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"], env=self._env, start_new_session=True
        )

    def start(self) -> None:
        # Spawned here, in the master's main thread, before gunicorn forks its workers: a fork
        # during Popen (in another thread) would hand the new worker Popen's error pipe, and
        # Popen would wait for that worker to exit.
        self._proc = self._spawn()
        self._thread = threading.Thread(target=self._supervise, name="scheduler", daemon=True)
        self._thread.start()

    def _supervise(self) -> None:
        while self._proc is not None:
            started = time.monotonic()
            self._proc.wait()
            if self._stop.is_set():
                return
            log.error("the scheduler process exited (%s); restarting", self._proc.returncode)
            if self._stop.wait(max(1.0, 5 - (time.monotonic() - started))):
                return
            self._proc = self._spawn()
            if self._stop.is_set():  # stopped while spawning: begin_stop saw the old one
                self._proc.terminate()
                return

    def begin_stop(self) -> None:
        """Ask the scheduler process to stop (SIGTERM) and return at once."""
        self._stop.set()
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()

    def stop(self) -> None:
        self.begin_stop()
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(timeout=STOP_BUDGET_SECONDS + 1)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
