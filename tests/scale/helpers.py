"""Shared by the scale tests: outbox rows in bulk, and reading back what Slack got."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.delivery.outbox import METADATA_EVENT_TYPE, enqueue
from bot.fakeslack import FakeSlack
from storage.db import Database
from storage.models import OutboxMessage

BOT = "UBOT"
TOKEN = "xoxb-test"
SECRET = "scale-secret"


def add_channels(fake: FakeSlack, count: int, prefix: str = "CS") -> list[str]:
    """Channels the bot is a member of (it must be, to read history when reconciling)."""
    ids = [f"{prefix}{i:05d}" for i in range(count)]
    for cid in ids:
        fake.workspace.add_channel(cid, cid.lower(), members=[BOT])
    return ids


def enqueue_rows(
    db: Database,
    channels: list[str],
    *,
    per_channel: int,
    budgeted_per_channel: int = 0,
    now: datetime,
    team_id: str = "T_INTERNAL",
) -> list[str]:
    """`per_channel` single posts and `budgeted_per_channel` bundled ones per channel, inserted
    round by round (as reminders for many channels come due together)."""
    keys: list[str] = []
    with db.transaction() as session:
        for n in range(per_channel + budgeted_per_channel):
            budgeted = n >= per_channel
            for cid in channels:
                key = f"scale:{cid}:{n}"
                enqueue(
                    session,
                    team_id=team_id,
                    dedupe_key=key,
                    channel_id=cid,
                    kind="reminder",
                    now=now,
                    text=f"reminder {n} for {cid}",
                    budgeted=budgeted,
                    summary=f"item {n}",
                )
                keys.append(key)
    return keys


def posted_keys(fake: FakeSlack) -> Counter[str]:
    """How many accepted chat.postMessage calls carried each dedupe key (from the metadata
    every outbox post has; a bundle carries several keys)."""
    counts: Counter[str] = Counter()
    for params in fake.posts():
        meta = params.get("metadata") or {}
        if meta.get("event_type") != METADATA_EVENT_TYPE:
            continue
        for key in str(meta["event_payload"]["keys"]).split(","):
            counts[key] += 1
    return counts


def owners_of_posts(fake: FakeSlack) -> Counter[str]:
    owners: Counter[str] = Counter()
    for params in fake.posts():
        meta = params.get("metadata") or {}
        attempt = str((meta.get("event_payload") or {}).get("attempt_id", ""))
        owners[attempt.split(".", 1)[0]] += 1
    return owners


def row_states(db: Database) -> Counter[str]:
    with db.transaction() as session:
        return Counter(session.scalars(select(OutboxMessage.state)))


def env(fake: FakeSlack, db_url: str, **extra: str) -> dict[str, str]:
    out = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": db_url,
    }
    out.update(extra)
    return out


def start(args: Iterable[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class Output:
    """A process's combined output, read on a thread so the pipe never fills (a child whose
    pipe is full blocks in its next log line, holding the logging lock: every thread stops)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)

    def text(self) -> str:
        self._thread.join(timeout=5)
        return "".join(self.lines)


def run(args: Iterable[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
