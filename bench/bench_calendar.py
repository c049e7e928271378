"""Benchmark: business-time arithmetic, cadences and `<when>` parsing, per holiday region.

Run: python bench/bench_calendar.py [--runs 30]

What is measured (wall clock, time.perf_counter, and CPU time of this process, time.process_time,
since on a shared machine the wall clock mostly measures the other processes):

* `seconds 1 year`   — BusinessCalendar.business_seconds_between over one calendar year, on a
  fresh calendar (no per-instance window cache) with the year's holiday table already loaded;
  the SLA clock and the status figures do this for every stopped clock. Target: < 5 ms.
* `holidays, cold`   — the first lookup of a (region, year) holiday table in the process
  (`holidays` builds it, then it is cached).
* `add 8 h`          — add_business_hours(start, 8): a breach time or check-in reminder.
* `add 2000 h`       — add_business_hours over about a year of working time.
* `cadence 1 year`   — Cadence.occurrences_between over a year of Mon/Thu check-ins.
* `parse_when`       — a natural `<when>` (`next friday 5pm`) through the whole reader, with
  dateparser already loaded; `parse_when iso` the ISO path.

Figures are the median and p90 over --runs runs; PASS means the best and median CPU time of
`seconds 1 year` are under the target for every region.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.time import calendar as calendar_module
from bot.time.calendar import BusinessCalendar, Cadence, public_holidays
from bot.time.timeparse import parse_when

TARGET_MS = 5.0
REGIONS: list[tuple[str | None, str]] = [
    ("DE", "Europe/Berlin"),
    ("GB-ENG", "Europe/London"),
    ("US-CA", "America/Los_Angeles"),
    ("IN-KA", "Asia/Kolkata"),
    (None, "Europe/Berlin"),
]
YEAR_START = datetime(2027, 1, 1, tzinfo=UTC)
YEAR_END = datetime(2028, 1, 1, tzinfo=UTC)
START = datetime(2027, 3, 5, 15, 0, tzinfo=UTC)  # Friday 16:00 in Berlin


def timed(fn: Callable[[], object], runs: int, *, warm: int = 3) -> tuple[list[float], list[float]]:
    """(wall ms, cpu ms) of `runs` calls, after `warm` calls that are not counted."""
    for _ in range(warm):
        fn()
    walls, cpus = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - w0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return walls, cpus


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.9 * len(ordered)) - 1)]


def cold_holidays(code: str) -> Callable[[], object]:
    def run() -> object:
        calendar_module.holiday_names.cache_clear()
        calendar_module._holiday_dates.cache_clear()
        return public_holidays(code, 2027)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    runs = max(3, args.runs)

    rows: list[tuple[str, str, list[float], list[float]]] = []
    verdicts: list[bool] = []
    for code, zone in REGIONS:
        tz = ZoneInfo(zone)
        label = code or "no country"
        if code:
            public_holidays(code, 2027)  # warm: the table is built once per process
            public_holidays(code, 2028)

        def one_year(tz: ZoneInfo = tz, code: str | None = code) -> object:
            return BusinessCalendar(tz, code).business_seconds_between(YEAR_START, YEAR_END)

        walls, cpus = timed(one_year, runs)
        rows.append(("seconds 1 year", label, walls, cpus))
        verdicts.append(min(walls) < TARGET_MS and statistics.median(cpus) < TARGET_MS)

        cal = BusinessCalendar(tz, code)
        rows.append(("add 8 h", label, *timed(lambda c=cal: c.add_business_hours(START, 8), runs)))
        rows.append(
            ("add 2000 h", label, *timed(lambda c=cal: c.add_business_hours(START, 2000), runs))
        )
        cadence = Cadence("mon,thu", clock_time(10), tz, code)
        rows.append(
            (
                "cadence 1 year",
                label,
                *timed(lambda c=cadence: c.occurrences_between(YEAR_START, YEAR_END), runs),
            )
        )
        if code:
            cold = timed(cold_holidays(code), min(runs, 10), warm=0)
            rows.append(("holidays, cold", label, *cold))
            public_holidays(code, 2027)
            public_holidays(code, 2028)

    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
    parse_when("tomorrow", tz=berlin, now=now)  # dateparser loads its language data once
    rows.append(
        (
            "parse_when",
            "next friday 5pm",
            *timed(lambda: parse_when("next friday 5pm", tz=berlin, now=now), runs),
        )
    )
    rows.append(
        (
            "parse_when iso",
            "2027-03-10 17:00",
            *timed(lambda: parse_when("2027-03-10 17:00", tz=berlin, now=now), runs),
        )
    )

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"runs: {runs} · machine: {os.cpu_count()} CPUs, load average {load:.2f}")
    print()
    header = (
        f"{'measure':<16}{'region / input':<20}{'wall med':>10}{'wall p90':>10}"
        f"{'wall best':>10}{'cpu med':>10}"
    )
    print(header + "   (ms)")
    print("-" * len(header))
    for measure, label, walls, cpus in rows:
        print(
            f"{measure:<16}{label:<20}{statistics.median(walls):>10.3f}{p90(walls):>10.3f}"
            f"{min(walls):>10.3f}{statistics.median(cpus):>10.3f}"
        )
    print()
    ok = all(verdicts)
    print(
        f"target: seconds 1 year < {TARGET_MS:.0f} ms (best wall, median cpu) in every region: "
        + ("PASS" if ok else "MISS")
    )
    # One year of business time is still right whatever the timing: 2027 in Germany.
    seconds = BusinessCalendar(berlin, "DE").business_seconds_between(YEAR_START, YEAR_END)
    assert seconds == (261 - 5) * 8 * 3600, seconds
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
