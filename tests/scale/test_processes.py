"""Real processes on SQLite: one delivering process per database, `serve --workers 2` with the
scheduler in the gunicorn master, Slack retries over HTTP, metrics added up over workers, and
keep-alive connections spread over the workers."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.fakeslack import FakeSlack, SlackRequestSender
from bot.fakeslack.signing import message_event
from storage.db import Database
from storage.models import AuditEntry, ProcessedEvent, ResponseClock
from tests.harness import ALEX, INTERNAL_TEAM, OWNER, SHARED_CHANNEL, Harness
from tests.scale.helpers import SECRET, env, free_port, run, start

REFUSAL = "Another outsource-bot worker/scheduler already runs on this SQLite database"


def wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float = 60) -> str:
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} not printed; output:\n{''.join(seen)}")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_a_second_delivering_process_on_sqlite_refuses_with_a_clear_message(
    slack: FakeSlack, sqlite_url: str, tmp_path: Path
) -> None:
    e = env(slack, sqlite_url)
    port = free_port()
    first = start(["worker", "--metrics-port", str(port)], e, tmp_path)
    try:
        wait_for_line(first, "sweep at")  # the first sweep ran
        text = scrape(f"http://127.0.0.1:{port}")  # the worker's own metrics endpoint
        assert metric(text, "outsource_sweep_seconds_count") >= 1
        assert "outsource_outbox_pending 0.0" in text
        for args in (["worker"], ["sweep"], ["serve", "--port", str(free_port())]):
            result = run(args, e, tmp_path)
            assert result.returncode == 2, (args, result.stderr)
            assert REFUSAL in result.stderr and "use PostgreSQL for several" in result.stderr
            assert "Traceback" not in result.stderr
        # web replicas without a scheduler don't deliver, so they may run beside it
    finally:
        stop(first)
    result = run(["sweep"], e, tmp_path)
    assert result.returncode == 0, result.stderr  # the lock went with the worker


@dataclass
class Served:
    base_url: str
    pid: int  # the gunicorn master


@pytest.fixture
def serving(slack: FakeSlack, sqlite_url: str, tmp_path: Path) -> Iterator[Served]:
    """`outsource-bot serve --workers 2` (scheduler in the master) on SQLite."""
    port = free_port()
    proc = start(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env(slack, sqlite_url),
        tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"serve did not start:\n{out}")
            time.sleep(0.2)
        yield Served(base, proc.pid)
    finally:
        stop(proc)


@pytest.fixture
def served(serving: Served) -> str:
    return serving.base_url


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels` (Prometheus text format)."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:]+)(?:\{([^}]*)\})?\s+(\S+)$", line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


def scrape(base: str) -> str:
    with urllib.request.urlopen(base + "/metrics", timeout=5) as resp:
        return str(resp.read().decode())


def test_slack_retries_over_http_have_no_second_effect(
    served: str, slack: FakeSlack, sqlite_url: str
) -> None:
    setup = Harness(slack, sqlite_url)
    setup.make_vendor()
    setup.close()
    sender = SlackRequestSender(SECRET, base_url=served, fake=slack, team_id=INTERNAL_TEAM)
    event = message_event(
        "When can we expect the QA build?",
        user=ALEX,
        channel=SHARED_CHANNEL,
        user_team=INTERNAL_TEAM,
        ts=slack.workspace.add_message(SHARED_CHANNEL, text="q", user=ALEX).ts,
    )
    answers = [
        sender.event(event, event_id="EvRETRY1"),
        sender.event(event, event_id="EvRETRY1", retry_num=1),
        sender.event(event, event_id="EvRETRY1", retry_num=2, retry_reason="http_error"),
    ]
    assert [a.status for a in answers] == [200, 200, 200]

    db = Database(sqlite_url)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
        assert s.scalar(select(func.count()).select_from(ResponseClock)) == 1
        assert (
            s.scalar(select(func.count()).where(AuditEntry.action == "response_clock.start")) == 1
        )
    db.dispose()
    # counted over both gunicorn workers, whichever answered each request
    text = scrape(served)
    assert metric(text, "outsource_duplicate_events_total") == 2
    assert metric(text, "outsource_slack_requests_total", type="event:message", status="200") == 3


def test_metrics_add_up_over_gunicorn_workers(served: str, slack: FakeSlack) -> None:
    sender = SlackRequestSender(SECRET, base_url=served, fake=slack, team_id=INTERNAL_TEAM)
    for _ in range(12):
        assert sender.command("help", user_id=OWNER, channel_id=SHARED_CHANNEL).status == 200
    text = scrape(served)
    assert metric(text, "outsource_slack_requests_total", type="command", status="200") == 12
    assert metric(text, "outsource_ack_seconds_count", type="command") == 12
    assert "outsource_outbox_pending 0.0" in text  # read from the database at scrape time
    assert "outsource_sweep_seconds_count" in text  # the master's scheduler reports too


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _server_side_inodes(server_port: int, client_ports: set[int]) -> set[str]:
    """Inodes of the established server ends of connections from `client_ports` (the table is
    machine-wide: other sockets may reuse those ports, closed ones show inode 0)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        established = fields[3] == "01"
        if established and local_port == server_port and remote_port in client_ports:
            found.add(fields[9])
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_keep_alive_connections_are_spread_over_the_workers(serving: Served) -> None:
    """A load balancer keeps a few connections open and sends everything over them. On one
    shared listening socket the worker that wins the accept race can take them all while the
    other idles; `serve` gives each worker a socket of its own (SO_REUSEPORT)."""
    port = int(serving.base_url.rsplit(":", 1)[1])
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(16)]
    try:
        for conn in connections:
            conn.request("GET", "/healthz")  # kept alive: the worker keeps the connection
            assert conn.getresponse().read()
        client_ports = {conn.sock.getsockname()[1] for conn in connections}
        server_ends = _server_side_inodes(port, client_ports)
        assert len(server_ends) == 16
        # the master's children: two gunicorn workers and the scheduler process
        held = {pid: len(_socket_inodes(pid) & server_ends) for pid in _children(serving.pid)}
        assert sum(held.values()) == 16, held
        # 16 connections hashed over two sockets: all on one would be a 1 in 30,000 chance.
        assert sum(1 for n in held.values() if n) == 2, held
    finally:
        for conn in connections:
            conn.close()


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out
