"""Slow clients cannot starve `serve`: eight clients trickling a body at one byte a second
hold no app thread (the worker reads a request whole before a thread sees it), and /healthz
and signed Slack requests keep answering within a second."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.fakeslack import FakeSlack, SlackRequestSender
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL
from tests.scale.helpers import SECRET, env, free_port, start


@pytest.fixture
def served(slack: FakeSlack, sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = start(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--no-scheduler"],
        env(slack, sqlite_url),
        tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "/healthz") as r:
                if r.status == 200:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _trickle(port: int, stop: threading.Event) -> None:
    """Headers of a 1,000-byte POST, then the body one byte a second."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        )
        while not stop.wait(1.0):
            try:
                sock.sendall(b"a")
            except OSError:
                return


def test_eight_slow_clients_do_not_stop_healthz_or_slack_requests(
    served: str, slack: FakeSlack
) -> None:
    port = int(served.rsplit(":", 1)[1])
    stop = threading.Event()
    clients = [threading.Thread(target=_trickle, args=(port, stop)) for _ in range(8)]
    for client in clients:
        client.start()
    try:
        time.sleep(1.5)  # every slow client has sent its headers and a byte or two
        sender = SlackRequestSender(SECRET, base_url=served, fake=slack, team_id=INTERNAL_TEAM)
        for _ in range(4):
            started = time.monotonic()
            with urllib.request.urlopen(served + "/healthz", timeout=5) as resp:
                assert resp.status == 200
            assert time.monotonic() - started < 1.0
            started = time.monotonic()
            answer = sender.command("help", user_id=OWNER, channel_id=SHARED_CHANNEL)
            assert answer.status == 200 and "/outsource deadline add" in answer.json()["text"]
            assert time.monotonic() - started < 1.0
            time.sleep(0.5)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=5)
