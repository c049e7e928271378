"""`run`, `serve` and `worker` stop within 5 s on SIGINT and SIGTERM, every time, with work
pending: exit status 0, no traceback, and what was due is delivered exactly once by the next
start (counted in the fake Slack's accepted posts, by the dedupe key each post carries)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.delivery.outbox import enqueue
from bot.fakeslack import FakeSlack
from storage.db import Database
from tests.harness import INTERNAL_TEAM
from tests.process.socket_mode_server import APP_TOKEN, FakeSocketMode
from tests.scale.helpers import Output, add_channels, env, free_port, posted_keys, start

CYCLES = 20
STOP_LIMIT = 5.0


def _enqueue(db_url: str, key: str, channel: str) -> None:
    db = Database(db_url)
    with db.transaction() as session:
        enqueue(
            session,
            team_id=INTERNAL_TEAM,
            dedupe_key=key,
            channel_id=channel,
            kind="reminder",
            now=datetime.now(UTC),
            text=f"due: {key}",
            budgeted=False,
        )
    db.dispose()


def _stop_and_time(proc: subprocess.Popen[str], sig: signal.Signals) -> float:
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return float("inf")
    return time.monotonic() - sent


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _cycles(
    slack: FakeSlack,
    db_url: str,
    tmp_path: Path,
    sig: signal.Signals,
    command: list[str],
    ready: Callable[[subprocess.Popen[str], int], None],
    extra_env: dict[str, str],
) -> None:
    """CYCLES times: make one post due, start, wait until ready, stop with `sig`. Every other
    cycle stops right away (the first sweep may be running), the others once the post is out.
    Then one more start delivers whatever is left; every post went out exactly once."""
    channels = add_channels(slack, CYCLES, prefix=f"C{sig.name[3:6]}")
    keys = [f"stop:{sig.name}:{n}" for n in range(CYCLES)]
    e = env(slack, db_url, OUTSOURCE_OUTBOX_GRACE_SECONDS="1", **extra_env)
    took: list[float] = []
    for n, (key, channel) in enumerate(zip(keys, channels, strict=True)):
        _enqueue(db_url, key, channel)
        proc = start(command, e, tmp_path)
        out = Output(proc)
        try:
            ready(proc, n)
            if n % 2:
                _wait(lambda k=key: posted_keys(slack)[k] >= 1, 30, f"{key} posted")
            took.append(_stop_and_time(proc, sig))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        text = out.text()
        assert proc.returncode == 0, (n, proc.returncode, text)
        assert "Traceback" not in text, text
        assert "SIGKILL" not in text and "restarting" not in text, text
    assert max(took) < STOP_LIMIT, [round(t, 2) for t in took]

    # the next start delivers what the stops left behind, once
    proc = start(command, e, tmp_path)
    out = Output(proc)
    try:
        ready(proc, CYCLES)
        _wait(lambda: all(posted_keys(slack)[k] >= 1 for k in keys), 30, "all posts")
        time.sleep(1.5)  # a second post would come now (grace 1 s)
    finally:
        _stop_and_time(proc, signal.SIGTERM)
    counts = posted_keys(slack)
    assert {k: counts[k] for k in keys} == dict.fromkeys(keys, 1)


def _both_signals(chain: Callable[[signal.Signals], None]) -> None:
    """The SIGINT and the SIGTERM series side by side (each on its own database): half the
    wall time of running them one after the other."""
    errors: list[BaseException] = []

    def one(sig: signal.Signals) -> None:
        try:
            chain(sig)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(sig,)) for sig in (signal.SIGINT, signal.SIGTERM)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_run_stops_within_5s_every_time_and_work_is_delivered_once(
    sqlite_template: Path, tmp_path: Path
) -> None:
    def chain(sig: signal.Signals) -> None:
        slack = FakeSlack().start()  # each series its own Slack: apps.connections.open differs
        server = FakeSocketMode(slack).start()
        try:

            def ready(proc: subprocess.Popen[str], n: int) -> None:
                server.wait_for_connection(n + 1, timeout=60)

            url = _database(sqlite_template, tmp_path, sig)
            e = {"SLACK_APP_TOKEN": APP_TOKEN}
            _cycles(slack, url, tmp_path / sig.name, sig, ["run"], ready, e)
        finally:
            server.stop()
            slack.stop()

    _both_signals(chain)


def test_serve_stops_within_5s_every_time_and_work_is_delivered_once(
    slack: FakeSlack, sqlite_template: Path, tmp_path: Path
) -> None:
    def chain(sig: signal.Signals) -> None:
        port = free_port()
        base = f"http://127.0.0.1:{port}"

        def ready(proc: subprocess.Popen[str], n: int) -> None:
            def healthy() -> bool:
                assert proc.poll() is None, "serve exited"
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                        return bool(resp.status == 200)
                except OSError:
                    return False

            _wait(healthy, 60, "/healthz")

        command = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        url = _database(sqlite_template, tmp_path, sig)
        _cycles(slack, url, tmp_path / sig.name, sig, command, ready, {})

    _both_signals(chain)


def _database(template: Path, tmp_path: Path, sig: signal.Signals) -> str:
    folder = tmp_path / sig.name
    folder.mkdir()
    shutil.copy(template, folder / "outsource.db")
    return f"sqlite:///{folder / 'outsource.db'}"
