"""Slow clients against the WSGI app, per gunicorn worker setup (target: /healthz < 1 s).

    python bench/bench_slow_clients.py [--clients 0 8 64] [--polls 6]

For each setup — (a) plain gthread with 4 threads (what `serve` ran before), (a') gthread with
32 threads (more threads, the other half of option a), (b) bot.app.serving.BufferingWorker with 4
threads (what `serve` runs now) — this starts gunicorn on `bot.app.web:create_wsgi()` (one worker,
SQLite, the fake Slack), opens N clients that send the headers of a 1,000-byte POST and then
one body byte a second, and polls /healthz: the table shows the slowest answer (or how many
polls got none within 5 s). gthread has no overall read deadline, so a read timeout per
recv() (option a) cannot help against one byte a second: each read succeeds.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.fakeslack import FakeSlack  # noqa: E402
from storage.db import upgrade  # noqa: E402

SETUPS = [
    ("(a) gthread, 4 threads", "gthread", 4),
    ("(a') gthread, 32 threads", "gthread", 32),
    ("(b) BufferingWorker, 4 threads", "bot.app.serving.BufferingWorker", 4),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def trickle(port: int, stop: threading.Event) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            )
            while not stop.wait(1.0):
                sock.sendall(b"a")
    except OSError:
        return


def poll(base: str, polls: int) -> str:
    worst, failed = 0.0, 0
    for _ in range(polls):
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as resp:
                resp.read()
            worst = max(worst, time.monotonic() - started)
        except OSError:
            failed += 1
        time.sleep(0.5)
    if failed:
        return f"{failed}/{polls} unanswered"
    return f"{worst * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[0, 8, 64])
    parser.add_argument("--polls", type=int, default=6)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = f"sqlite:///{tmp}/slow.db"
        upgrade(url)
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": "bench",
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
            "PROMETHEUS_MULTIPROC_DIR": tmp,
            "PYTHONPATH": str(ROOT),
        }
        for label, worker_class, threads in SETUPS:
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "1", "-k", worker_class,
                 "--threads", str(threads), "--worker-connections", "1000",
                 "--no-control-socket", "-b", f"127.0.0.1:{port}", "bot.app.web:create_wsgi()"],
                env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            try:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        urllib.request.urlopen(base + "/healthz", timeout=2).read()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.2)
                cells = []
                for n in args.clients:
                    stop = threading.Event()
                    clients = [
                        threading.Thread(target=trickle, args=(port, stop), daemon=True)
                        for _ in range(n)
                    ]
                    for c in clients:
                        c.start()
                    time.sleep(1.5)
                    cells.append(poll(base, args.polls))
                    stop.set()
                    for c in clients:
                        c.join(timeout=5)
                    time.sleep(1.0)
                rows.append((label, cells))
            finally:
                proc.terminate()
                proc.wait(timeout=20)
    print("| setup | " + " | ".join(f"{n} slow clients" for n in args.clients) + " |")
    print("|---|" + "---|" * len(args.clients))
    for label, cells in rows:
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("(slowest /healthz answer over the polls; 'unanswered': no answer within 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
