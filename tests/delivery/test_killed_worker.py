"""`kill -9` of the worker at each point of a `deadline move`: afterwards the channel and the
database agree — no change request and no message, or one of each — once the sweep has run,
and a message that does not belong to the change request (a ghost) changes nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.fakeslack import FakeSlack, SlackRequestSender
from storage.models import ChangeRequest, OutboxMessage
from tests.deadlines.helpers import add
from tests.harness import INTERNAL_TEAM, OWNER, PRIYA, SHARED_CHANNEL, SIGNING_SECRET, Harness

ROOT = Path(__file__).resolve().parents[2]
MOVE = 'deadline move 1 2027-03-12 17:00 reason "QA found a blocker"'
NEEDLE = "QA found a blocker"


@pytest.fixture(params=["sqlite", "postgresql"])
def h(request: pytest.FixtureRequest, slack: FakeSlack) -> Iterator[Harness]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    harness = Harness(slack, url)
    yield harness
    harness.close()


_STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_worker_left_behind() -> Iterator[None]:
    """A test that fails before its worker died must not leave the process running."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


class Worker:
    def __init__(self, h: Harness, point: str, tmp_path: Path) -> None:
        port_file = tmp_path / f"port-{point}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.delivery.worker",
                h.db.url,
                h.fake.api_url,
                h.clock.now().isoformat(),
                point,
                str(port_file),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        _STARTED.append(self.proc)
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text():
            assert self.proc.poll() is None, "the worker did not start"
            assert time.monotonic() < deadline, "the worker did not start in time"
            time.sleep(0.05)
        self.sender = SlackRequestSender(
            SIGNING_SECRET,
            base_url=f"http://127.0.0.1:{port_file.read_text()}",
            fake=h.fake,
            team_id=INTERNAL_TEAM,
            user_id=OWNER,
            channel_id=SHARED_CHANNEL,
        )

    def send_move(self) -> threading.Thread:
        def send() -> None:
            # The worker dies under the request: Slack shows the person a timeout.
            with contextlib.suppress(Exception):
                self.sender.command(MOVE, user_id=OWNER, channel_id=SHARED_CHANNEL)

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        return thread

    def killed(self, timeout: float = 30) -> None:
        self.proc.wait(timeout)
        assert self.proc.returncode == -signal.SIGKILL

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.killed()


def _messages(h: Harness) -> list[dict[str, Any]]:
    return [m for m in h.fake.messages(SHARED_CHANNEL) if NEEDLE in str(m.get("blocks") or "")]


def _changes(h: Harness) -> list[ChangeRequest]:
    with h.session() as s:
        rows = list(s.scalars(select(ChangeRequest)))
        s.expunge_all()
        return rows


def _row_state(h: Harness) -> str | None:
    with h.session() as s:
        return s.scalar(select(OutboxMessage.state).where(OutboxMessage.kind == "change_request"))


def _recover(h: Harness) -> None:
    """The next sweep: interrupted attempts are settled against the channel's history."""
    h.outbox.grace_seconds = 0
    h.fake.clear_faults()
    h.sweep()


def _agree(h: Harness) -> None:
    messages, changes = _messages(h), _changes(h)
    assert len(messages) == len(changes) <= 1
    if changes:
        assert changes[0].message_ts == messages[0]["ts"]
        with h.session() as s:
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.kind == "change_request", OutboxMessage.state != "sent")
                )
                == 0
            )


def _buttons_work_only_on_their_message(h: Harness) -> None:
    message = dict(_messages(h)[0], channel=SHARED_CHANNEL)
    ghost = h.fake.workspace.add_message(
        SHARED_CHANNEL, text=message.get("text", ""), bot_id="BBOT", blocks=message["blocks"]
    )
    ghost_message = dict(message, ts=ghost.ts)
    h.click_button(ghost_message, "Approve (Acme Dev)", user=PRIYA)
    assert _changes(h)[0].vendor_approved_by is None  # the ghost's button did nothing
    h.click_button(message, "Approve (Acme Dev)", user=PRIYA)
    assert _changes(h)[0].vendor_approved_by == PRIYA


@pytest.fixture
def moved(h: Harness) -> Harness:
    h.make_vendor()
    add(h)
    return h


def test_killed_before_the_commit_leaves_neither_change_nor_message(
    moved: Harness, tmp_path: Path
) -> None:
    h = moved
    worker = Worker(h, "before_commit", tmp_path)
    worker.send_move()
    worker.killed()
    assert not _changes(h) and not _messages(h)
    _recover(h)
    _agree(h)
    assert not _changes(h)


def test_killed_after_the_commit_before_the_post_the_sweep_posts_it_once(
    moved: Harness, tmp_path: Path
) -> None:
    h = moved
    worker = Worker(h, "after_commit", tmp_path)
    worker.send_move()
    worker.killed()
    assert len(_changes(h)) == 1 and not _messages(h)
    _recover(h)
    _agree(h)
    assert len(_messages(h)) == 1
    _buttons_work_only_on_their_message(h)


def test_killed_during_the_post_the_sweep_finds_it_and_never_posts_it_again(
    moved: Harness, tmp_path: Path
) -> None:
    h = moved
    worker = Worker(h, "none", tmp_path)
    posts_before = len(h.fake.calls("chat.postMessage"))
    h.fake.delay("chat.postMessage", 3.0)  # Slack is slow to accept the post
    worker.send_move()
    deadline = time.monotonic() + 30
    while _row_state(h) != "sending":  # the attempt is recorded; the call is in flight
        assert time.monotonic() < deadline, "the post never started"
        time.sleep(0.02)
    worker.kill()
    # Slack finishes accepting the post although its sender is gone.
    h.fake.wait_for("chat.postMessage", count=posts_before + 1, timeout=10)
    h.fake.delay("chat.postMessage", 0)
    assert len(_changes(h)) == 1 and len(_messages(h)) == 1
    _recover(h)
    _agree(h)
    _buttons_work_only_on_their_message(h)


def test_killed_after_the_post_before_it_was_marked_the_sweep_marks_it(
    moved: Harness, tmp_path: Path
) -> None:
    h = moved
    worker = Worker(h, "after_post", tmp_path)
    worker.send_move()
    worker.killed()
    assert len(_changes(h)) == 1 and len(_messages(h)) == 1
    assert _row_state(h) == "sending"
    _recover(h)
    _agree(h)
    assert len(_messages(h)) == 1
    _buttons_work_only_on_their_message(h)
