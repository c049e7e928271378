"""Cold start of `outsource-bot sweep` with nothing due (target: median < 0.35 s wall).

    python bench/bench_sweep_start.py [--runs 20] [--db URL]

Cron-driven installs run `outsource-bot sweep` every minute, so its start-up is most of what it
costs. This migrates a database (a temporary SQLite file unless --db), starts the fake Slack,
runs the command once to warm the bytecode cache, then `--runs` times as a new process, and
prints the wall time of each run's median, 90th percentile and minimum, and its CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.fakeslack import FakeSlack  # noqa: E402
from storage.db import upgrade  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = args.db or f"sqlite:///{tmp}/sweep.db"
        upgrade(url)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": url,
        }
        command = [sys.executable, "-m", "bot", "sweep"]
        subprocess.run(command, env=env, cwd=tmp, check=True, capture_output=True)
        walls: list[float] = []
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(command, env=env, cwd=tmp, check=True, capture_output=True)
            walls.append(time.perf_counter() - started)
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (
            cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime
        ) / args.runs
    walls.sort()
    p90 = walls[max(0, round(0.9 * len(walls)) - 1)]
    kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"| `outsource-bot sweep`, nothing due, {kind}, {args.runs} runs | wall s |")
    print("|---|---|")
    print(f"| median | {statistics.median(walls):.3f} |")
    print(f"| p90 | {p90:.3f} |")
    print(f"| min | {walls[0]:.3f} |")
    print(f"| CPU (user+sys) per run | {cpu:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
