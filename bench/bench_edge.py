"""Benchmark: what the HTTP edge in front of Bolt costs per request, and what it saves.

Run:  python bench/bench_edge.py [--runs 200]

Measured in-process (no sockets, no database), time.perf_counter, median of --runs:

* `edge`     — `SlackEdge.check` on a signed body: headers, capped read, HMAC, shape check;
* `bolt hmac` — Bolt's own signature check on the same body (what keeping it on costs);
* `refuse`   — the edge refusing the body unsigned (413 for the 2 MB one, before reading).

Bodies: a slash command (~0.5 KB), a block_actions payload (~3 KB), an event_callback
(~1 KB), a JSON object of 1 MB (the largest accepted), a 2 MB body (refused).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slack_bolt.middleware.request_verification import RequestVerification
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.app.web import MAX_BODY_BYTES, SlackEdge
from bot.fakeslack.signing import (
    block_actions,
    event_callback,
    sign_headers,
    slash_command,
)

SECRET = "bench-signing-secret"


def _environ(raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_LENGTH": str(len(raw)),
        "CONTENT_TYPE": headers.get("Content-Type", ""),
        "wsgi.input": io.BytesIO(raw),
    }
    for key, value in headers.items():
        if key.lower() != "content-type":
            env["HTTP_" + key.upper().replace("-", "_")] = value
    return env


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    bodies = {
        "slash command": slash_command("deadline list", user_id="U1", channel_id="C1"),
        "block_actions": block_actions("deadline_done", '{"d": 1}', user_id="U1", channel_id="C1"),
        "event_callback": event_callback(
            {"type": "message", "user": "U1", "text": "hi " * 100, "channel": "C1", "ts": "1.1"}
        ),
        "1 MB JSON": json.dumps(
            {"type": "event_callback", "team_id": "T1", "event": {"type": "x", "text": "y"}}
        )[:-1]
        + ', "pad": "'
        + "p" * (MAX_BODY_BYTES - 200)
        + '"}',
        "2 MB (refused)": "x" * (2 * MAX_BODY_BYTES),
    }
    edge = SlackEdge(SECRET)
    bolt = RequestVerification(SECRET)
    print(
        f"{'body':<16} {'bytes':>9} {'status':>6} {'edge µs':>9} {'bolt hmac µs':>13} "
        f"{'unsigned µs':>12}"
    )
    for name, text in bodies.items():
        raw = text.encode()
        headers = sign_headers(raw, SECRET)
        outcome = edge.check(_environ(raw, headers))
        status = getattr(outcome, "status", 200)
        t_edge = _median(
            lambda raw=raw, headers=headers: edge.check(_environ(raw, headers)), args.runs
        )
        if status == 200:
            req = BoltRequest(body=text, headers={k.lower(): v for k, v in headers.items()})
            t_bolt = _median(
                lambda req=req: bolt.process(
                    req=req, resp=BoltResponse(status=200), next=lambda: None
                ),
                args.runs,
            )
            bolt_cell = f"{t_bolt * 1e6:13.0f}"
        else:
            bolt_cell = f"{'-':>13}"
        unsigned = {"Content-Type": headers["Content-Type"]}
        t_refuse = _median(
            lambda raw=raw, unsigned=unsigned: edge.check(_environ(raw, unsigned)), args.runs
        )
        print(
            f"{name:<16} {len(raw):>9} {status:>6} {t_edge * 1e6:9.0f} {bolt_cell} "
            f"{t_refuse * 1e6:12.0f}"
        )


if __name__ == "__main__":
    main()
