"""Benchmarks: `python bench/run.py` runs them all and prints one table.

1. Slash command `/outsource deadline list` (a vendor with 200 deadlines) over HTTP:
   `outsource-bot serve --workers 2` vs a bare Bolt app (bench/bare_app.py) under the same
   gunicorn settings, in the same run; wrk, 16 connections, every request signed with the
   current timestamp (bench/sign.lua). Throughput, p50/p99, and the ratio ours/bare.
   A third app, the floor (bench/floor_app.py), is the bare app plus the one database round
   trip a correct answer cannot skip: floor/bare is the highest ratio any implementation
   that reads current data (commands) or stores event ids (events) reaches on this machine.
   The three apps take turns, `--rounds` times; ratios are taken within a round.
2. Event ingestion: `message` events in the vendor channel, the same way (each request a new
   event_id, so de-duplication does its real work).
3. Peak RSS of the serve workers after that load (VmHWM).
4. Delivery: 10,000 due reminders across 500 channels to the fake Slack, 10 % of
   chat.postMessage calls answered 429 (Retry-After: 1), real `outsource-bot sweep`
   processes: wall time against the pacing floor (20 posts per channel at ~1/s), lost and
   duplicated posts (counted from the dedupe keys in each post's metadata).

Database: PostgreSQL when BENCH_DATABASE_URL (or TEST_DATABASE_URL) names a server (a fresh
database is created and dropped), else a SQLite file. Everything runs on loopback. wrk comes
from Debian: `apt-get install -y wrk`; without it the HTTP rows are skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.delivery.outbox import enqueue  # noqa: E402
from bot.fakeslack import FakeSlack, SlackRequestSender  # noqa: E402
from bot.fakeslack import server as fake_server  # noqa: E402
from bot.fakeslack.signing import event_callback, message_event, slash_command  # noqa: E402
from storage.db import Database, normalize_url, upgrade  # noqa: E402
from storage.models import Deadline, OutboxMessage  # noqa: E402
from tests.harness import (  # noqa: E402
    INTERNAL_TEAM,
    OWNER,
    PRIYA,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Harness,
    populate,
)
from tests.scale.helpers import add_channels, posted_keys  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-test"
WRK_HINT = "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) to run the HTTP rows"


@dataclass
class Row:
    name: str
    value: str
    target: str = ""
    verdict: str = ""


# --------------------------------------------------------------------------- database


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if base:
        base = normalize_url(base)
        name = f"ob_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(base).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url, "PostgreSQL"
        finally:
            with admin.connect() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :n AND pid <> pg_backend_pid()"
                    ),
                    {"n": name},
                )
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
        return
    tmp = tempfile.mkdtemp(prefix="ob-bench-")
    url = f"sqlite:///{tmp}/bench.db"
    upgrade(url)
    try:
        yield url, "SQLite"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def seed_deadlines(fake: FakeSlack, url: str, count: int = 200) -> None:
    h = Harness(fake, url)
    vendor_id = h.make_vendor("Acme Dev", tz="Europe/Berlin", country="DE")
    now = datetime.now(UTC)
    with h.session() as s:
        for n in range(1, count + 1):
            s.add(
                Deadline(
                    vendor_id=vendor_id,
                    number=n,
                    title=f"Deliverable {n}: API endpoint batch {n}",
                    due_at=now + timedelta(days=10 + n),
                    owner_user_id=PRIYA,
                    created_by=OWNER,
                    created_at=now,
                    next_reminder_at=now + timedelta(days=7 + n),
                )
            )
    h.close()


# --------------------------------------------------------------------------- processes


def env(fake: FakeSlack, url: str, **extra: str) -> dict[str, str]:
    out = dict(os.environ)
    out.update(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
        }
    )
    out.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out.update(extra)
    return out


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(cmd: list[str], environ: dict[str, str], port: int) -> Iterator[subprocess.Popen[str]]:
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed in `finally`
    proc = subprocess.Popen(
        cmd, env=environ, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # answering (the bare app has no /healthz)
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise SystemExit(f"{' '.join(cmd)} did not start:\n{log.read()}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def children(pid: int) -> list[int]:
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


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    m = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(m[1]) / 1024 if m else 0.0


# --------------------------------------------------------------------------- wrk


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    return float(m[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]


def wrk(url: str, body_file: Path, mode: str, seconds: int, connections: int) -> Load:
    cmd = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "sign.lua"),
        url,
        "--",
        SECRET,
        str(body_file),
        mode,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errs = re.search(r"Socket errors:.*?timeout (\d+)", out)
    return Load(rps, p50, p99, (int(bad[1]) if bad else 0) + (int(errs[1]) if errs else 0))


def gunicorn_cmd(target: str, port: int) -> list[str]:
    """The baseline apps run under the gunicorn settings `outsource-bot serve` uses."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        "2",
        "-k",
        os.environ.get("OUTSOURCE_WORKER_CLASS") or "bot.app.serving.BufferingWorker",
        "--threads",
        "4",
        "--no-control-socket",
        "--reuse-port",
        "-b",
        f"127.0.0.1:{port}",
        target,
    ]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    """The median, and the range when there was more than one round."""
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


# Who is measured: outsource-bot, the bare Bolt app (bench/bare_app.py), and the floor
# (bench/floor_app.py: the bare app plus the one database round trip a correct answer needs).
APPS = ("ours", "bare", "floor")
LABELS = {
    "ours": "outsource-bot",
    "bare": "bare Bolt",
    "floor": "floor: bare Bolt + one database round trip",
}


def http_benchmarks(
    fake: FakeSlack, url: str, seconds: int, connections: int, rounds: int
) -> list[Row]:
    rows: list[Row] = []
    tmp = Path(tempfile.mkdtemp(prefix="ob-bench-bodies-"))
    command_body = tmp / "command.txt"
    command_body.write_text(
        slash_command(
            "deadline list",
            user_id=OWNER,
            team_id=INTERNAL_TEAM,
            channel_id=SHARED_CHANNEL,
            response_url=fake.new_response_url(SHARED_CHANNEL, OWNER),
        )
    )
    event_body = tmp / "event.json"
    event = message_event(
        "Deploy to staging finished, all checks green",
        user=PRIYA,
        channel=SHARED_CHANNEL,
        ts="__TS__",
        team=INTERNAL_TEAM,
        user_team=VENDOR_TEAM,
    )
    event_body.write_text(
        event_callback(event, team_id=INTERNAL_TEAM, event_id="__EVENT_ID__", event_time=0)
    )

    ports = {who: free_port() for who in APPS}
    commands = {
        "ours": [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports["ours"]),
            "--workers",
            "2",
            "--no-scheduler",
        ],
        "bare": gunicorn_cmd("bench.bare_app:create()", ports["bare"]),
        "floor": gunicorn_cmd("bench.floor_app:create()", ports["floor"]),
    }
    e = env(fake, url)
    # results[(mode, who)]: one Load per round. The apps take turns within a round, so each
    # round's ratios compare figures measured seconds apart (the machine's load drifts).
    results: dict[tuple[str, str], list[Load]] = {}
    rss: list[float] = []
    with ExitStack() as stack:
        procs = {who: stack.enter_context(serving(commands[who], e, ports[who])) for who in APPS}
        check = SlackRequestSender(
            SECRET, base_url=f"http://127.0.0.1:{ports['ours']}", fake=fake, team_id=INTERNAL_TEAM
        ).command("deadline list", user_id=OWNER, channel_id=SHARED_CHANNEL)
        listing = check.body_text
        if check.status != 200 or "Deliverable 1" not in listing:
            raise SystemExit(f"`/outsource deadline list` did not list the deadlines: {listing}")
        for mode, body in (("command", command_body), ("event", event_body)):
            for who in APPS:  # warm up (imports, caches, pools, prepared statements)
                wrk(f"http://127.0.0.1:{ports[who]}/slack/events", body, mode, 2, connections)
            for _ in range(rounds):
                for who in APPS:
                    target = f"http://127.0.0.1:{ports[who]}/slack/events"
                    load = wrk(target, body, mode, seconds, connections)
                    results.setdefault((mode, who), []).append(load)
            # the same requests one at a time: the latency of a request when not queued
            target = f"http://127.0.0.1:{ports['ours']}/slack/events"
            results[(mode, "single")] = [wrk(target, body, mode, max(seconds // 2, 3), 1)]
        rss = [peak_rss_mb(pid) for pid in children(procs["ours"].pid)]
    for mode, title, target_ratio in (
        ("command", "/outsource deadline list (200 deadlines)", 0.5),
        ("event", "message events in a vendor channel", 0.3),
    ):
        for who in APPS:
            loads = results[(mode, who)]
            p99 = [load.p99_ms for load in loads]
            latency_target = mode == "command" and who == "ours"
            rows.append(
                Row(
                    f"{title}: {LABELS[who]}",
                    f"{spread([load.rps for load in loads])} req/s, "
                    f"p50 {spread([load.p50_ms for load in loads], '{:.1f}')} ms, "
                    f"p99 {spread(p99, '{:.1f}')} ms, "
                    f"{sum(load.errors for load in loads)} errors",
                    "p99 < 20 ms" if latency_target else "",
                    ("met" if median(p99) < 20 else "MISSED") if latency_target else "",
                )
            )
        single = results[(mode, "single")][0]
        rows.append(
            Row(
                f"{title}: outsource-bot, 1 connection",
                f"{single.rps:,.0f} req/s, p50 {single.p50_ms:.1f} ms, p99 {single.p99_ms:.1f} ms",
            )
        )

        def ratios(top: str, bottom: str, mode: str = mode) -> list[float]:
            pairs = zip(results[(mode, top)], results[(mode, bottom)], strict=True)
            return [a.rps / b.rps if b.rps else 0.0 for a, b in pairs]

        ours_bare, floor_bare = ratios("ours", "bare"), ratios("floor", "bare")
        rows.append(
            Row(
                f"{title}: ratio ours/bare",
                spread(ours_bare, "{:.2f}"),
                f">= {target_ratio}",
                "met" if median(ours_bare) >= target_ratio else "MISSED",
            )
        )
        rows.append(
            Row(
                f"{title}: ratio floor/bare (the most any fresh answer gets here)",
                spread(floor_bare, "{:.2f}"),
                "",
                "target below the floor" if median(floor_bare) < target_ratio else "",
            )
        )
        rows.append(Row(f"{title}: ratio ours/floor", spread(ratios("ours", "floor"), "{:.2f}")))
    worst = max(rss) if rss else 0.0
    rows.append(
        Row(
            "peak RSS per serve worker (VmHWM)",
            ", ".join(f"{r:.0f} MB" for r in rss),
            "< 120 MB",
            "met" if worst < 120 else "MISSED",
        )
    )
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------- delivery


def delivery_benchmark(fake: FakeSlack, url: str, workers: int) -> list[Row]:
    channels = add_channels(fake, 500, prefix="CB")
    per_channel = 20
    db = Database(url)
    due = datetime.now(UTC) - timedelta(minutes=1)
    keys: list[str] = []
    with db.transaction() as s:
        for n in range(per_channel):
            for cid in channels:
                key = f"bench:{cid}:{n}"
                enqueue(
                    s,
                    team_id=INTERNAL_TEAM,
                    dedupe_key=key,
                    channel_id=cid,
                    kind="reminder",
                    now=due,
                    text=f"Reminder {n}: deliverable due soon",
                    budgeted=False,
                )
                keys.append(key)
    fake.clear_calls()
    fake.fail_every("chat.postMessage", 10, status=429, retry_after=1)
    e = env(fake, url, OUTSOURCE_OUTBOX_GRACE_SECONDS="5")
    started = time.monotonic()
    passes = 0
    while True:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "sweep"],
                env=e,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        for p in procs:
            p.wait()
        passes += 1
        with db.transaction() as s:
            left = s.scalar(
                select(text("count(*)"))
                .select_from(OutboxMessage)
                .where(OutboxMessage.state != "sent")
            )
        if not left or passes >= 10:
            break
        time.sleep(1)
    wall = time.monotonic() - started
    fake.clear_faults()
    counts = posted_keys(fake)
    lost = sum(1 for k in keys if counts.get(k, 0) == 0)
    dupes = sum(1 for k in keys if counts.get(k, 0) > 1)
    limited = Counter(c.status for c in fake.calls("chat.postMessage") if c.faulted)[429]
    floor = per_channel - 1  # seconds: 20 posts a channel, ~1 s apart, all channels at once
    db.dispose()
    return [
        Row(
            f"delivery: 10,000 reminders / 500 channels, {workers} worker process(es)",
            f"{wall:.1f} s wall ({passes} sweep pass(es)), {limited} x 429 answered",
            f"pacing floor {floor} s",
            f"{wall / floor:.1f}x floor",
        ),
        Row("delivery: lost", str(lost), "0", "met" if lost == 0 else "MISSED"),
        Row("delivery: posted twice", str(dupes), "0", "met" if dupes == 0 else "MISSED"),
    ]


# --------------------------------------------------------------------------- main


def print_table(rows: list[Row], title: str) -> None:
    widths = [max(len(r.name) for r in rows), max(len(r.value) for r in rows)]
    widths.append(max(len(r.target) for r in rows))
    print(f"\n{title}\n")
    head = f"{'benchmark':<{widths[0]}}  {'result':<{widths[1]}}  {'target':<{widths[2]}}  verdict"
    print(head)
    print("-" * len(head))
    for r in rows:
        cells = (r.name.ljust(widths[0]), r.value.ljust(widths[1]), r.target.ljust(widths[2]))
        print("  ".join(cells), "", r.verdict)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3, help="HTTP rounds; the apps take turns in each"
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="delivery worker processes (default: 2 on PostgreSQL, 1 on SQLite)",
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-delivery", action="store_true")
    args = parser.parse_args()

    # The fake's default accept queue (5) overflows under dozens of concurrent posts.
    fake_server._Server.request_queue_size = 256
    fake = FakeSlack().start()
    populate(fake)
    rows: list[Row] = []
    with database() as (url, kind):
        seed_deadlines(fake, url)
        if not args.skip_http:
            if shutil.which("wrk"):
                rows += http_benchmarks(fake, url, args.seconds, args.connections, args.rounds)
            else:
                print(WRK_HINT, file=sys.stderr)
                rows.append(Row("HTTP benchmarks", "skipped", "", WRK_HINT))
        if not args.skip_delivery:
            workers = args.workers or (2 if kind == "PostgreSQL" else 1)
            rows += delivery_benchmark(fake, url, workers)
    fake.stop()
    cpus = os.cpu_count()
    print_table(rows, f"outsource-bot benchmarks — {kind}, {cpus} CPUs, loopback")
    return 0


if __name__ == "__main__":
    sys.exit(main())
