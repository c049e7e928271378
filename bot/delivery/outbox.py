"""The outbox: every post the bot makes on its own is written here first, then delivered once.

Enqueue is idempotent by `dedupe_key` (INSERT … ON CONFLICT DO NOTHING), so sweeps may run on
any number of processes at once. Delivery claims due rows (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, each channel under an advisory lock; SQLite runs one delivering process, see
`bot.delivery.locks`), applies the channel's noise policy (quiet hours, pause, daily budget),
bundles the budgeted posts due at once for a channel into one message, paces every channel to
about one post a second, honours 429 `Retry-After`, and marks rows sent.

Exactly once — the states of a row and who may move it:

    pending ──claim──▶ claimed ──(CAS, just before the Slack call)──▶ sending ──▶ sent
       ▲                  │                                             │  │
       └── dead owner ────┘      429 / definite error (not posted) ◀────┘  └─▶ unsure
       └──────────── reconciled against Slack: not found ◀──────────────────────┘
                                                 found ─▶ sent

* A claim stamps the row with an `attempt_id` = `<owner>.<random>`. The owner is this process
  on this database; on PostgreSQL it holds a session advisory lock for as long as it lives, so
  any process can tell a live owner from a dead one (`pg_locks`) without waiting for a lease to
  run out. On SQLite only one delivering process exists, so every owner but ourselves is dead.
* `claimed → sending` is a compare-and-set on (state, attempt_id), committed *before* the Slack
  call. A claim another process released in the meantime is never sent.
* The post carries the attempt id in its message `metadata` (`event_type`
  `outsource_bot_post`, payload `attempt_id` and the dedupe keys).
* After Slack answered, `sending → sent` (with the message ts) is again a compare-and-set.
* If the process dies between the Slack call and that commit, the row stays `sending` with a
  dead owner. If the call ended ambiguously (timeout, connection drop, 5xx) the row becomes
  `unsure`. Either way, once `grace_seconds` (wall clock) have passed since the call started —
  long enough for a request still in flight to have landed — the next delivery pass reads the
  channel's recent history (`conversations.history` / `conversations.replies` with
  `include_all_metadata`) for a bot message carrying that attempt id: found → `sent` with its
  ts; not found → `pending`, and it is sent again. Rows only `claimed` by a dead owner never
  reached Slack and are released at once.
* A live owner whose attempt is older than `LOST_TRACK_SECONDS` (far longer than any call) has
  lost track of it — its mark failed on a database error — and is treated as dead for it.
  Should it still write, its compare-and-set finds the row moved and changes nothing.
* For that reason the outbox's own client never retries blindly: slack_sdk's server-error and
  connection-reset retry handlers would resend a post Slack may already have accepted. Only a
  refused connection (nothing was sent) is retried in place; 429s are handled by the outbox's
  scheduler, which waits `Retry-After` for that channel while it keeps posting to others.

The one residual risk: if the channel's history cannot be read (the bot was removed from the
channel, a missing scope) an unverifiable attempt is released and may be posted twice; that
is logged and counted (`outsource_outbox_unverifiable_total`).
"""

from __future__ import annotations

import fcntl
import functools
import heapq
import itertools
import logging
import os
import random
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from socket import gaierror
from typing import IO, TYPE_CHECKING, Any, Protocol, cast
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    case,
    create_engine,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bot.ops import metrics
from bot.slack.client import ClientFactory, Directory, LookupDeferred
from storage.db import Database
from storage.models import OutboxMessage
from storage.repositories import forget_events_before, insert_ignore

if TYPE_CHECKING:
    from bot.app.runtime import Runtime

log = logging.getLogger(__name__)

METADATA_EVENT_TYPE = "outsource_bot_post"
MAX_BLOCKS = 50
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 12  # definite errors (channel archived, bot removed …): then the row is `failed`
CHANNEL_LOCK_SPACE = 7461628  # pg advisory locks (space, hashtext(channel)) while claiming
EVENT_ID_RETENTION = timedelta(days=3)  # Slack retries within minutes; ids older are purged

# Row states.
PENDING = "pending"
CLAIMED = "claimed"
SENDING = "sending"
UNSURE = "unsure"
SENT = "sent"
SKIPPED = "skipped"
FAILED = "failed"
IN_FLIGHT = (CLAIMED, SENDING, UNSURE)
# Marks whose loss in a database crash leaves a row `sending` (reconciled from the channel's
# history), never `pending`: they may be committed without waiting for the disk.
RECOVERABLE_MARKS = frozenset({SENT, UNSURE})

# A live process that has held an attempt this long has lost track of it: no Slack call lasts
# this long (15 s timeout), so its mark failed, and a process that never runs a full pass (a
# `serve` worker's courier) never settles its own. Other processes then settle it from the
# channel's history like a dead owner's, instead of leaving the row, and the channel behind
# it, stuck until that process exits.
LOST_TRACK_SECONDS = 600.0

# Priorities: lower goes first when the budget must choose.
PRIORITY_REPLY = 0  # an answer to a person (never budgeted)
PRIORITY_OVERDUE = 10
PRIORITY_DUE = 20
PRIORITY_CHECKIN = 30
PRIORITY_NUDGE = 40
PRIORITY_INFO = 50

# Slack answers these when the token is gone: the workspace uninstalled or revoked us.
AUTH_ERRORS = frozenset(
    {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired"}
)
# History could not be read and never will be without a change on Slack's side.
UNVERIFIABLE_ERRORS = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "missing_scope",
        "is_archived",
        "thread_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "user_not_found",
    }
)


# Operations: what the Slack call of a row is.
POST = "post"  # chat.postMessage (a channel, or a user id for a DM)
UPDATE = "update"  # chat.update of a message posted earlier
EPHEMERAL = "ephemeral"  # chat.postEphemeral: seen by one person, never kept in history


def enqueue(
    session: Session,
    *,
    team_id: str,
    dedupe_key: str,
    channel_id: str,
    kind: str,
    now: datetime,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    render: dict[str, Any] | None = None,
    thread_ts: str | None = None,
    not_before: datetime | None = None,
    vendor_id: int | None = None,
    priority: int = PRIORITY_INFO,
    budgeted: bool = True,
    summary: str | None = None,
    extra: dict[str, Any] | None = None,
    state: str = PENDING,
    op: str = POST,
    target: dict[str, Any] | None = None,
    user_id: str | None = None,
) -> bool:
    """Write a Slack call to make after this transaction commits. Returns False when that
    dedupe key exists already (a no-op).

    What it says is either given (`text`, `blocks`, `summary`) or, better, named by `render`
    (`{"kind": …, data}`): rendered from the database when delivered (`bot.posts`).
    `summary` is the one-line form used when this post is bundled with others.
    `budgeted` posts count against the vendor channel's daily noise budget (DMs and answers to
    a person don't). `op` UPDATE needs `target`: `{"ts": …}` or `{"of": <dedupe key of the
    post>}`; EPHEMERAL needs `user_id`.
    """
    if text is None and render is None and state == PENDING:
        raise ValueError("an outbox row needs text or a render reference")
    payload: dict[str, Any] = {"text": text or ""}
    if render is not None:
        payload["render"] = render
    if op != POST:
        payload["op"] = op
    if target is not None:
        payload["target"] = target
    if user_id is not None:
        payload["user"] = user_id
    if blocks:
        payload["blocks"] = blocks
    if thread_ts:
        payload["thread_ts"] = thread_ts
    if summary:
        payload["summary"] = summary
    if extra:
        payload["extra"] = extra
    values = {
        "team_id": team_id,
        "dedupe_key": dedupe_key,
        "channel_id": channel_id,
        "vendor_id": vendor_id,
        "kind": kind,
        "priority": priority,
        "payload": payload,
        "budgeted": budgeted and op == POST,
        "state": state,
        "attempts": 0,
        "not_before": not_before or now,
        "created_at": now,
    }
    inserted = insert_ignore(session, OutboxMessage, values, ["dedupe_key"])
    if inserted and state == PENDING and (not_before is None or not_before <= now):
        # Delivered right after the commit by the request or job that wrote it
        # (bot/delivery/unit_of_work.py); the sweep takes whatever is left.
        session.info.setdefault(DUE_CHANNELS, set()).add(channel_id)
    return inserted


DUE_CHANNELS = "outbox_due_channels"


def reply(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    key: str,
    now: datetime,
    kind: str = "reply",
    render: dict[str, Any] | None = None,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    vendor_id: int | None = None,
) -> bool:
    """A post in answer to a person's command or click: never held by quiet hours, a pause or
    the noise budget, delivered right after the commit."""
    return enqueue(
        session,
        team_id=team_id,
        dedupe_key=key,
        channel_id=channel_id,
        kind=kind,
        now=now,
        render=render,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
        vendor_id=vendor_id,
        priority=PRIORITY_REPLY,
        budgeted=False,
    )


def update_message(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    now: datetime,
    render: dict[str, Any] | None = None,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    ts: str | None = None,
    of: str | None = None,
    kind: str = "update",
    vendor_id: int | None = None,
) -> bool:
    """chat.update of a message, after the commit: the one at `ts`, or the one the outbox row
    with dedupe key `of` posted (skipped while that post has not gone out: it will show the
    current state anyway). `channel_id` is where the message is (for a post made to a user
    id, that user id). Rendered when delivered, so the message shows the latest state."""
    if (ts is None) == (of is None):
        raise ValueError("update_message needs exactly one of ts and of")
    target = {"ts": ts} if ts is not None else {"of": of}
    return enqueue(
        session,
        team_id=team_id,
        dedupe_key=f"update:{channel_id}:{ts or of}:{uuid.uuid4().hex[:12]}",
        channel_id=channel_id,
        kind=kind,
        now=now,
        render=render,
        text=text,
        blocks=blocks,
        vendor_id=vendor_id,
        priority=PRIORITY_REPLY,
        budgeted=False,
        op=UPDATE,
        target=target,
    )


def ephemeral(
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    now: datetime,
    text: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    render: dict[str, Any] | None = None,
    thread_ts: str | None = None,
    kind: str = "ephemeral",
) -> bool:
    """chat.postEphemeral to one person, after the commit."""
    return enqueue(
        session,
        team_id=team_id,
        dedupe_key=f"ephemeral:{channel_id}:{user_id}:{uuid.uuid4().hex[:16]}",
        channel_id=channel_id,
        kind=kind,
        now=now,
        text=text,
        blocks=blocks,
        render=render,
        thread_ts=thread_ts,
        priority=PRIORITY_REPLY,
        budgeted=False,
        op=EPHEMERAL,
        user_id=user_id,
    )


def record_skipped(
    session: Session,
    *,
    team_id: str,
    dedupe_key: str,
    channel_id: str,
    kind: str,
    now: datetime,
    vendor_id: int | None = None,
    reason: str = "superseded",
) -> bool:
    """Record a post that will never be sent (e.g. a reminder step superseded after downtime)."""
    return enqueue(
        session,
        team_id=team_id,
        dedupe_key=dedupe_key,
        channel_id=channel_id,
        kind=kind,
        now=now,
        text=f"(skipped: {reason})",
        vendor_id=vendor_id,
        state=SKIPPED,
    )


# Definite answers that no retry changes: the row fails at once (a post keeps its own back-off,
# since a channel may be unarchived or the bot invited again).
FINAL_ERRORS = {
    UPDATE: frozenset(
        {"message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found"}
    ),
    EPHEMERAL: frozenset(
        {"user_not_in_channel", "channel_not_found", "not_in_channel", "is_archived"}
    ),
}


class DeliveryPolicy(Protocol):
    """Decides when budgeted posts may go to a channel. The noise budget implements it."""

    def hold_until(self, session: Session, row: OutboxMessage, now: datetime) -> datetime | None:
        """An instant to hold the channel's budgeted posts until (quiet hours, pause), or None."""
        ...

    def remaining(self, session: Session, row: OutboxMessage, now: datetime) -> int | None:
        """How many more budgeted posts the channel may get today; None means no limit."""
        ...

    def next_window(self, session: Session, row: OutboxMessage, now: datetime) -> datetime:
        """When the budget opens again (start of the next local day, after quiet hours)."""
        ...


class NoLimits:
    def hold_until(self, session: Session, row: OutboxMessage, now: datetime) -> datetime | None:
        return None

    def remaining(self, session: Session, row: OutboxMessage, now: datetime) -> int | None:
        return None

    def next_window(self, session: Session, row: OutboxMessage, now: datetime) -> datetime:
        return now


@dataclass
class DeliveryReport:
    posted: int = 0
    rows_sent: int = 0
    held: int = 0
    retried: int = 0
    rate_limited: int = 0
    reconciled: int = 0
    released: int = 0
    unsure: int = 0
    errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def error(self, error: str) -> None:
        with self._lock:
            self.errors.append(error)


# --------------------------------------------------------------------------- owners


def _owner_of(attempt_id: str | None) -> str | None:
    if not attempt_id or "." not in attempt_id:
        return None
    return attempt_id.split(".", 1)[0]


class Owner:
    """This process's identity as a deliverer on one database.

    PostgreSQL: a session-level advisory lock `(LOCK_SPACE, key)` held on a dedicated
    connection for the life of the process; the live owners are the granted locks in
    `pg_locks`. The lock goes when the process dies (the server sees the socket close).
    SQLite: a lock file per owner beside the database (`<db>.owners/<key>`), held with
    `flock` for the life of the process; an owner whose file can be locked by someone else is
    dead. Any number of processes on one machine may deliver from one SQLite file: their
    claims are serialized by another file lock (`claiming`).

    Within a process several delivery passes may run at once (the sweep, and the deliveries
    that follow requests): `active` holds the attempts this process has in hand, so that a
    pass never takes another pass's attempt of the same owner for a crash's leftover.
    """

    LOCK_SPACE = 7461627

    def __init__(self, db: Database) -> None:
        self.url = db.url
        self.is_postgres = db.engine.dialect.name == "postgresql"
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._file: IO[str] | None = None
        self._dir = _sqlite_side_path(db, ".owners")
        self._claim_path = _sqlite_side_path(db, ".claim.lock")
        self._claim_lock = threading.Lock()
        self._active: set[str] = set()
        self._active_lock = threading.Lock()
        self.key = self._new_key()

    def _new_key(self) -> str:
        key = random.randint(1, 2**31 - 1)
        if self.is_postgres:
            engine = create_engine(self.url, poolclass=NullPool)
            conn = engine.connect()
            conn.execute(
                text("SELECT pg_advisory_lock(:space, :key)"),
                {"space": self.LOCK_SPACE, "key": key},
            )
            conn.commit()
            self._conn = conn
        elif self._dir is not None:
            self._dir.mkdir(exist_ok=True)
            handle = open(self._dir / str(key), "a+")  # noqa: SIM115 - held while we live
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            self._file = handle
        return str(key)

    def release(self) -> None:
        """Stop being a live owner (the lock connection or file is let go): what this owner
        still holds is settled by others as a dead owner's."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._file is not None:
                self._file.close()
                self._file = None

    def ensure_alive(self) -> str:
        """The owner key, re-registered if the lock connection was lost (the old key then
        counts as dead to everyone, which is right: we can no longer prove we are alive)."""
        if not self.is_postgres:
            return self.key
        with self._lock:
            try:
                assert self._conn is not None
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
            except Exception:
                log.error("outbox owner lock connection lost; registering a new owner")
                try:
                    if self._conn is not None:
                        self._conn.invalidate()
                except Exception:  # pragma: no cover - best effort
                    pass
                self.key = self._new_key()
            return self.key

    def live_owners(self, session: Session) -> set[str]:
        if self.is_postgres:
            rows = session.execute(
                text(
                    "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND classid = :space AND objsubid = 2 AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"space": self.LOCK_SPACE},
            ).all()
            return {str(int(r[0])) for r in rows} | {self.key}
        live = {self.key}
        if self._dir is None or not self._dir.is_dir():
            return live
        for path in self._dir.iterdir():
            if path.name == self.key:
                continue
            try:
                with open(path, "a+") as probe:
                    fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    path.unlink(missing_ok=True)  # its process is gone
            except BlockingIOError:
                live.add(path.name)
            except OSError:  # pragma: no cover - removed meanwhile
                continue
        return live

    # -- attempts in hand ---------------------------------------------------------------------

    def take(self, attempt_ids: Iterable[str]) -> None:
        with self._active_lock:
            self._active.update(attempt_ids)

    def drop(self, attempt_ids: Iterable[str]) -> None:
        with self._active_lock:
            self._active.difference_update(attempt_ids)

    def in_hand(self, attempt_id: str | None) -> bool:
        with self._active_lock:
            return attempt_id in self._active

    @contextmanager
    def claiming(self) -> Iterator[None]:
        """One claim at a time in this process and, on SQLite, across processes too (PostgreSQL
        claims coordinate with advisory locks and SKIP LOCKED instead)."""
        with self._claim_lock:
            if self._claim_path is None:
                yield
                return
            with open(self._claim_path, "a+") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sqlite_side_path(db: Database, suffix: str) -> Path | None:
    """A path beside a SQLite database file (None for PostgreSQL or an in-memory database)."""
    if not db.is_sqlite:
        return None
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file::memory:"):
        return None
    return Path(name + suffix)


_owners: dict[tuple[int, str], Owner] = {}
_owners_lock = threading.Lock()


def owner_for(db: Database) -> Owner:
    """One owner per process and database (a forked child gets its own)."""
    key = (os.getpid(), db.url)
    with _owners_lock:
        owner = _owners.get(key)
        if owner is None:
            owner = _owners[key] = Owner(db)
        return owner


# --------------------------------------------------------------------------- the Slack client


class RefusedConnectionRetryHandler(ConnectionErrorRetryHandler):
    """Retries only when the request certainly never reached Slack (connection refused, name
    resolution failed). A reset or a timeout may come after Slack accepted the post."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is None and _never_sent(error)


def _never_sent(error: BaseException | None) -> bool:
    if isinstance(error, URLError):
        error = error.reason if isinstance(error.reason, BaseException) else None
    return isinstance(error, ConnectionRefusedError | gaierror)


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if str(key).lower() == name.lower():
            if isinstance(value, list | tuple):
                value = value[0] if value else None
            return None if value is None else str(value)
    return None


def retry_after_seconds(exc: SlackApiError) -> float:
    raw = _header(getattr(exc.response, "headers", None), "Retry-After")
    try:
        return max(float(raw), 0.0) if raw is not None else 1.0
    except ValueError:
        return 1.0


# --------------------------------------------------------------------------- delivery


@dataclass
class Rendered:
    """What one row says, as rendered for this attempt (bot.posts.Message's fields)."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    summary: str | None = None
    unfurl: bool = False

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Rendered:
        return cls(
            text=str(payload.get("text") or ""),
            blocks=payload.get("blocks"),
            summary=payload.get("summary"),
        )

    def as_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"text": self.text}
        if self.blocks:
            kwargs["blocks"] = self.blocks
        if not self.unfurl:
            kwargs["unfurl_links"] = False
            kwargs["unfurl_media"] = False
        return kwargs


@dataclass
class _Post:
    channel_id: str
    team_id: str
    rows: list[OutboxMessage]
    attempt_id: str = ""
    rate_limited: int = 0
    messages: list[Rendered] = field(default_factory=list)
    op: str = POST
    # UPDATE: the message to edit; EPHEMERAL: the person who sees it.
    target_channel: str | None = None
    target_ts: str | None = None
    user_id: str | None = None

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]


@dataclass
class _Outcome:
    kind: str  # sent | rate_limited | done (released, unsure, lost …)
    retry_after: float = 0.0


class Outbox:
    """Delivers due outbox rows. One instance per process is enough (it remembers when each
    channel was last posted to); `deliver_due` may be called from any thread, several passes
    at once (each channel is handled by one pass at a time: a channel with a call in flight is
    not claimed again until that call is settled)."""

    def __init__(
        self,
        db: Database,
        client_factory: ClientFactory,
        *,
        policy: DeliveryPolicy | None = None,
        pace_seconds: float = 1.0,
        concurrency: int = 1,
        batch_size: int = 100,
        grace_seconds: float = 30.0,
        max_wait_seconds: float = 60.0,
        wall_clock: Callable[[], float] = time.time,
        runtime: Any = None,
    ) -> None:
        """`pace_seconds`: minimum spacing of posts to one channel (0 in tests).
        `concurrency`: Slack calls in flight at once, each to a different channel (1 keeps the
        order of posts across channels deterministic, as tests and the playground want).
        `grace_seconds`: wall-clock time after an interrupted attempt before it is reconciled
        (longer than the HTTP timeout, so a request still in flight has landed).
        `max_wait_seconds`: longest 429 Retry-After waited for within one pass; longer ones
        put the rows back with a later `not_before`.
        `runtime`: what renderers read with (bot.posts); rows that carry their text need none."""
        self.db = db
        self.client_factory = client_factory
        self.policy: DeliveryPolicy = policy or NoLimits()
        self.pace_seconds = pace_seconds
        self.concurrency = max(1, concurrency)
        self.batch_size = batch_size
        self.grace_seconds = grace_seconds
        self.max_wait_seconds = max_wait_seconds
        self.wall_clock = wall_clock
        self.runtime = runtime
        self._next_slot: dict[str, float] = {}
        self._slots_lock = threading.Lock()
        self._clients: dict[tuple[str | None, str], WebClient] = {}
        self._clients_lock = threading.Lock()
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Hand no more posts to Slack, for a process on its way out: a pass in progress lets
        its calls in flight finish and leaves the rest in the table (claimed rows no longer in
        hand are released by the next pass, here or in another process)."""
        self._stopping.set()

    @property
    def owner(self) -> Owner:
        return owner_for(self.db)

    def _wall(self) -> datetime:
        return datetime.fromtimestamp(self.wall_clock(), UTC)

    # -- the pass -----------------------------------------------------------------------------

    def deliver_due(
        self,
        now: datetime,
        *,
        channels: Iterable[str] | None = None,
        max_batches: int = 10_000,
    ) -> DeliveryReport:
        """Deliver everything due at `now` (the sweep's instant); returns what happened.

        `channels`: only these channels' rows — what a request or job just wrote, delivered
        right after its commit. A full pass (no `channels`) also settles interrupted attempts
        and forgets old event ids."""
        report = DeliveryReport()
        only = sorted(set(channels)) if channels is not None else None
        if (only is not None and not only) or self._stopping.is_set():
            return report
        if only is None:
            self.housekeeping(now)
            self.reconcile(now, report)
        self._deliver(now, report, max_batches, only)
        return report

    def housekeeping(self, now: datetime) -> int:
        """Forget Slack event ids older than the retry window (they de-duplicate retries)."""
        with self.db.transaction() as session:
            return forget_events_before(session, now - EVENT_ID_RETENTION)

    # -- claiming -----------------------------------------------------------------------------

    def _claim_query(self, now: datetime, channels: list[str] | None) -> Any:
        """The ids of the next batch (unlocked): spread over channels, bundles kept whole."""
        m = OutboxMessage
        due = and_(m.state == PENDING, m.not_before <= now)
        if channels is not None:
            due = and_(due, m.channel_id.in_(channels))
        busy = select(m.channel_id).where(m.state.in_(IN_FLIGHT))
        # Spread a batch over channels: a channel's budgeted rows (one bundle) rank 1, its other
        # rows 1, 2, 3 … so a batch takes the next post of many channels, not 500 of one; oldest
        # first within a rank, a bundle's rows kept together (sorted by its oldest row).
        group = (m.channel_id, m.budgeted)
        position = func.row_number().over(partition_by=group, order_by=(m.priority, m.id))
        rank = case((m.budgeted.is_(True), 1), else_=position)
        age = case((m.budgeted.is_(True), func.min(m.id).over(partition_by=group)), else_=m.id)
        ranked = (
            select(m.id.label("id"), rank.label("rank"), age.label("age"))
            .where(due, m.channel_id.not_in(busy))
            .subquery()
        )
        return (
            select(ranked.c.id)
            .order_by(ranked.c.rank, ranked.c.age, ranked.c.id)
            .limit(self.batch_size)
        )

    def _claimable_rows(
        self, session: Session, now: datetime, channels: list[str] | None = None
    ) -> tuple[list[OutboxMessage], bool]:
        """The rows of this batch, locked for this transaction, and whether channels another
        worker was claiming at that instant were left out. A channel's due bundle is always
        taken whole, even where the batch limit cut it: two halves would be two posts.

        PostgreSQL with several workers: each channel is claimed under a transaction-scoped
        advisory lock, taken before any row lock. Without it two workers could each lock part
        of a channel's bundle (FOR UPDATE SKIP LOCKED takes whatever is free), or both miss
        that the other has just made the channel busy. SQLite: claims are serialized by the
        owner's claim lock."""
        m = OutboxMessage
        due = and_(m.state == PENDING, m.not_before <= now)
        candidates = session.execute(
            select(m.id, m.channel_id, m.budgeted).where(m.id.in_(self._claim_query(now, channels)))
        ).all()
        found = sorted({c for _, c, _ in candidates})
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres and found:
            ours = set(
                session.scalars(
                    text(
                        "SELECT c FROM unnest(CAST(:channels AS text[])) AS c "
                        "WHERE pg_try_advisory_xact_lock(:space, hashtext(c))"
                    ),
                    {"channels": found, "space": CHANNEL_LOCK_SPACE},
                )
            )
        else:
            ours = set(found)
        contended = len(ours) < len(found)
        if not ours:
            return [], contended
        ids = [i for i, c, _ in candidates if c in ours]
        bundles = sorted({c for _, c, budgeted in candidates if budgeted and c in ours})
        # A new statement: on PostgreSQL it sees the claims another worker committed before
        # it let go of a channel, so the busy check is exact.
        busy = select(m.channel_id).where(m.state.in_(IN_FLIGHT), m.channel_id.in_(ours))
        query = (
            select(m)
            .where(
                due,
                m.channel_id.not_in(busy),
                or_(m.id.in_(ids), and_(m.budgeted.is_(True), m.channel_id.in_(bundles))),
            )
            .order_by(m.channel_id, m.priority, m.id)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True)
        return list(session.scalars(query)), contended

    def _claim_and_plan(
        self, now: datetime, report: DeliveryReport, channels: list[str] | None = None
    ) -> tuple[list[_Post], bool]:
        """Claim a batch of due rows, render them and plan their posts. Returns the posts and
        whether another claim is worth making at once: the batch handled rows (posted, held
        back by the noise policy, dropped), or it left out channels another worker was claiming
        at that instant. Renderers that need a Slack read the directory has not cached make
        the claim run again after the read (never a Slack call inside the transaction)."""
        directory = getattr(self.runtime, "directory", None)
        for _ in range(5):
            with Directory.deferring() as missed:
                try:
                    with self.owner.claiming():
                        return self._claim_once(now, report, channels)
                except LookupDeferred:
                    if not missed or directory is None:
                        raise
            directory.fetch(missed)
        return self._claim_once_locked(now, report, channels)

    def _claim_once_locked(
        self, now: datetime, report: DeliveryReport, channels: list[str] | None
    ) -> tuple[list[_Post], bool]:
        with self.owner.claiming():
            return self._claim_once(now, report, channels)

    def _claim_once(
        self, now: datetime, report: DeliveryReport, channels: list[str] | None
    ) -> tuple[list[_Post], bool]:
        owner = self.owner.key
        with self.db.transaction() as session:
            claimable, contended = self._claimable_rows(session, now, channels)
            rows = [r for r in claimable if r.state == PENDING and r.not_before <= now]
            if not rows:
                return [], contended
            by_channel: dict[str, list[OutboxMessage]] = defaultdict(list)
            for row in rows:
                by_channel[row.channel_id].append(row)
            posts: list[_Post] = []
            for channel_id, channel_rows in by_channel.items():
                planned = self._plan_channel(session, channel_id, channel_rows, now, report)
                posts.extend(self._render(session, planned, now, report))
            claimed_at = self._wall()
            for post in posts:
                post.attempt_id = f"{owner}.{uuid.uuid4().hex[:20]}"
                for row in post.rows:
                    row.state = CLAIMED
                    row.attempt_id = post.attempt_id
                    row.claimed_at = claimed_at
                    row.attempts += 1
            # In hand before the claim commits: a concurrent reconcile never takes them for a
            # crash's leftovers.
            self.owner.take(p.attempt_id for p in posts)
            try:
                session.flush()
            except BaseException:
                self.owner.drop(p.attempt_id for p in posts)
                raise
            return posts, True

    def _plan_channel(
        self,
        session: Session,
        channel_id: str,
        rows: list[OutboxMessage],
        now: datetime,
        report: DeliveryReport,
    ) -> list[_Post]:
        """The posts for one channel: unbudgeted rows one by one; the budgeted ones bundled
        (thread replies stay single, in their thread) within the noise policy."""
        posts = [_Post(channel_id, r.team_id, [r]) for r in rows if not r.budgeted]
        budgeted = [r for r in rows if r.budgeted]
        if not budgeted:
            return posts
        first = budgeted[0]
        hold = self.policy.hold_until(session, first, now)
        remaining: int | None = None
        if hold is None:
            remaining = self.policy.remaining(session, first, now)
            if remaining is not None and remaining <= 0:
                hold = self.policy.next_window(session, first, now)
        if hold is not None and hold > now:
            for row in budgeted:
                row.not_before = hold
            report.add(held=len(budgeted))
            return posts
        top = [r for r in budgeted if not (r.payload or {}).get("thread_ts")]
        threaded = [r for r in budgeted if (r.payload or {}).get("thread_ts")]
        candidates = ([_Post(channel_id, first.team_id, top)] if top else []) + [
            _Post(channel_id, r.team_id, [r]) for r in threaded
        ]
        if remaining is not None and len(candidates) > remaining:
            later = self.policy.next_window(session, first, now)
            for post in candidates[remaining:]:
                for row in post.rows:
                    row.not_before = later
                    report.add(held=1)
            candidates = candidates[:remaining]
        return posts + candidates

    def _render(
        self, session: Session, posts: list[_Post], now: datetime, report: DeliveryReport
    ) -> list[_Post]:
        """What each post says now. A row whose message no longer applies is dropped
        (`skipped`); an update whose message was never posted, or is still on its way, waits
        or is dropped; several updates of one message collapse into the newest."""
        from bot import posts as renderers

        kept: list[_Post] = []
        updated: dict[tuple[str, str], _Post] = {}
        for post in posts:
            rows: list[OutboxMessage] = []
            for row in post.rows:
                payload = row.payload or {}
                ref = payload.get("render")
                if ref is None:
                    message: Rendered | None = Rendered.from_payload(payload)
                else:
                    try:
                        made = renderers.render(
                            ref,
                            renderers.RenderContext(
                                session=session,
                                runtime=self.runtime,
                                now=now,
                                channel_id=row.channel_id,
                                team_id=row.team_id,
                            ),
                        )
                    except LookupDeferred:
                        raise
                    except Exception as exc:
                        # A renderer's bug must not block the channel: the row fails, alone.
                        log.exception("outbox: could not render row %s (%s)", row.id, row.kind)
                        row.state, row.last_error = FAILED, f"render: {exc!r}"[:500]
                        report.error("render")
                        continue
                    message = (
                        None
                        if made is None
                        else Rendered(made.text, made.blocks, made.summary, made.unfurl)
                    )
                if message is None:
                    row.state, row.last_error = SKIPPED, "no longer applies when delivered"
                    continue
                rows.append(row)
                post.messages.append(message)
            if not rows:
                continue
            post.rows = rows
            first = payload = rows[0].payload or {}
            post.op = str(first.get("op") or POST)
            if post.op == EPHEMERAL:
                post.user_id = first.get("user")
            elif post.op == UPDATE:
                if not self._resolve_target(session, post, rows[0], now):
                    continue
                key = (str(post.target_channel), str(post.target_ts))
                older = updated.get(key)
                if older is not None:
                    for row in older.rows:
                        row.state, row.last_error = SKIPPED, "a newer update of the message"
                    kept.remove(older)
                updated[key] = post
            kept.append(post)
        return kept

    def _resolve_target(
        self, session: Session, post: _Post, row: OutboxMessage, now: datetime
    ) -> bool:
        """Where an update goes. False when it is not sent in this pass."""
        target = (row.payload or {}).get("target") or {}
        if target.get("ts"):
            post.target_channel, post.target_ts = row.channel_id, str(target["ts"])
            return True
        posted = session.execute(
            select(
                OutboxMessage.state, OutboxMessage.message_ts, OutboxMessage.posted_channel
            ).where(OutboxMessage.dedupe_key == str(target.get("of") or ""))
        ).first()
        if posted is not None and posted.state == SENT and posted.message_ts:
            post.target_channel = posted.posted_channel or row.channel_id
            post.target_ts = posted.message_ts
            return True
        if posted is not None and posted.state in IN_FLIGHT:
            row.not_before = now + timedelta(seconds=1)  # after the post has landed
            return False
        # Never posted, or still waiting to be: when it goes out it shows the current state.
        row.state, row.last_error = SKIPPED, "the message it updates was not posted (yet)"
        return False

    # -- sending ------------------------------------------------------------------------------

    def _deliver(
        self,
        now: datetime,
        report: DeliveryReport,
        max_batches: int,
        channels: list[str] | None = None,
    ) -> None:
        """Post to many channels at once: at most `concurrency` calls in flight, one per
        channel, each channel paced to `pace_seconds` between posts and held back for a 429's
        Retry-After. Claims are pipelined: more rows are claimed whenever few posts are left
        waiting, so one slow channel never holds up the others."""
        queues: dict[str, deque[_Post]] = defaultdict(deque)
        order = itertools.count()
        ready: list[tuple[float, int, str]] = []  # (when the channel may post, tie, channel)
        inflight: dict[Future[_Outcome], tuple[str, _Post, float]] = {}
        active: set[str] = set()  # channels in `ready` or in flight: one entry each
        waiting = 0  # claimed posts not yet handed to a thread
        batches = 0
        more = True  # the last claim found rows, or a channel of ours was freed since

        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="outbox")
        try:
            while True:
                if self._stopping.is_set():
                    return  # calls in flight end in `finally`; queued posts stay in the table
                if more and waiting < max(self.batch_size // 2, 1) and batches < max_batches:
                    self.owner.ensure_alive()
                    posts, more = self._claim_and_plan(now, report, channels)
                    batches += 1
                    for post in posts:
                        queues[post.channel_id].append(post)
                        if post.channel_id not in active:
                            active.add(post.channel_id)
                            slot = self._slot(post.channel_id)
                            heapq.heappush(ready, (slot, next(order), post.channel_id))
                    waiting += len(posts)
                if not ready and not inflight:
                    if more and batches < max_batches:
                        continue
                    return
                clock = time.monotonic()
                while ready and ready[0][0] <= clock and len(inflight) < self.concurrency:
                    _, _, channel_id = heapq.heappop(ready)
                    post = queues[channel_id].popleft()
                    waiting -= 1
                    future = pool.submit(self._send, post, now, report)
                    inflight[future] = (channel_id, post, clock)
                timeout = max(ready[0][0] - clock, 0.0) if ready else None
                if ready and len(inflight) >= self.concurrency:
                    timeout = None  # nothing can start before a call ends
                if not inflight:
                    self._stopping.wait(min(timeout or 0.0, 1.0))
                    continue
                done, _ = wait(list(inflight), timeout=timeout, return_when=FIRST_COMPLETED)
                for future in done:
                    channel_id, post, started = inflight.pop(future)
                    outcome = future.result()
                    finished = time.monotonic()
                    if outcome.kind == "rate_limited":
                        wait_for = max(outcome.retry_after, self.pace_seconds)
                        post.rate_limited += 1
                        if wait_for > self.max_wait_seconds or post.rate_limited > 10:
                            # A long storm: the rows wait in the table, not in this process.
                            later = now + timedelta(seconds=wait_for)
                            rest = queues.pop(channel_id, deque())
                            active.discard(channel_id)
                            waiting -= len(rest)
                            for each in [post, *rest]:
                                self._release(each, later, "ratelimited", report)
                                self.owner.drop([each.attempt_id])
                            more = True
                            continue
                        queues[channel_id].appendleft(post)
                        waiting += 1
                        next_at = finished + wait_for
                    else:
                        self.owner.drop([post.attempt_id])
                        next_at = started + self.pace_seconds
                    self._set_slot(channel_id, next_at)
                    if queues.get(channel_id):
                        heapq.heappush(ready, (next_at, next(order), channel_id))
                    else:
                        queues.pop(channel_id, None)
                        active.discard(channel_id)
                        more = True  # its next rows may be claimed now
        finally:
            pool.shutdown(wait=True)
            # Posts claimed but never handed to Slack (a database error in a later claim):
            # no longer in hand, so the next pass releases them.
            self.owner.drop(p.attempt_id for q in queues.values() for p in q)

    def _slot(self, channel_id: str) -> float:
        with self._slots_lock:
            return self._next_slot.get(channel_id, 0.0)

    def _set_slot(self, channel_id: str, at: float) -> None:
        with self._slots_lock:
            self._next_slot[channel_id] = at
            if len(self._next_slot) > 50_000:  # forget channels whose slot has passed
                clock = time.monotonic()
                for key in [k for k, v in self._next_slot.items() if v < clock]:
                    del self._next_slot[key]

    def _send(self, post: _Post, now: datetime, report: DeliveryReport) -> _Outcome:
        try:
            return self._send_once(post, now, report)
        except Exception:
            # A database error around the call. The rows stay claimed/sending under our owner;
            # the next pass treats them like a crash's leftovers: claimed ones are released,
            # sending ones reconciled against Slack. Never lost, never blindly resent.
            log.exception("outbox delivery of %s failed unexpectedly", post.attempt_id)
            report.error("internal")
            return _Outcome("done")

    def _send_once(self, post: _Post, now: datetime, report: DeliveryReport) -> _Outcome:
        client = self._delivery_client(post.team_id)
        if client is None:
            # The workspace uninstalled the app or revoked tokens: keep the rows, post nothing.
            self._release(post, now + MAX_BACKOFF, "no installation for team", report)
            return _Outcome("done")
        # Record the attempt before calling Slack: claimed → sending, only if still ours.
        if not self._move(post, CLAIMED, SENDING, claimed_at=self._wall()):
            log.warning("outbox attempt %s was taken back before sending", post.attempt_id)
            return _Outcome("done")
        try:
            resp = self._call(client, post)
        except SlackApiError as exc:
            return self._failed(post, exc, now, report)
        except Exception as exc:
            if _never_sent(exc):
                self._back_off(post, now, repr(exc), report, from_state=SENDING)
                return _Outcome("done")
            return self._ambiguous(post, repr(exc), now, report, answered=False)
        ts = resp.get("ts") or resp.get("message_ts")
        channel = resp.get("channel") or post.channel_id
        if not self._move(
            post,
            SENDING,
            SENT,
            sent_at=now,
            message_ts=ts,
            posted_channel=channel,
            bundled_into=post.rows[0].id if len(post.rows) > 1 else None,
            last_error=None,
            on_done=partial(_record_sent, post.rows, str(channel), str(ts or "")),
        ):
            log.error("outbox attempt %s was posted but taken over meanwhile", post.attempt_id)
        report.add(posted=1, rows_sent=len(post.rows))
        metrics.SLACK_POSTS.inc()
        for row in post.rows:
            metrics.DELIVERIES.labels(kind=row.kind).inc()
        return _Outcome("sent")

    def _call(self, client: WebClient, post: _Post) -> Any:
        if post.op == UPDATE:
            message = post.messages[0].as_kwargs()
            message.pop("unfurl_links", None)
            message.pop("unfurl_media", None)
            return client.chat_update(
                channel=str(post.target_channel), ts=str(post.target_ts), **message
            )
        if post.op == EPHEMERAL:
            kwargs = post.messages[0].as_kwargs()
            thread = (post.rows[0].payload or {}).get("thread_ts")
            if thread:
                kwargs["thread_ts"] = thread
            return client.chat_postEphemeral(
                channel=post.channel_id, user=str(post.user_id), **kwargs
            )
        kwargs = build_post_kwargs(post, attempt_id=post.attempt_id)
        return client.chat_postMessage(channel=post.channel_id, **kwargs)

    def _ambiguous(
        self, post: _Post, error: str, now: datetime, report: DeliveryReport, *, answered: bool
    ) -> _Outcome:
        """The call ended without a clear answer (timeout, reset, 5xx): Slack may have done it.
        `answered`: Slack did answer (a 5xx), so nothing is still on its way and the channel's
        history can be read at once instead of after the grace period."""
        metrics.DELIVERY_ERRORS.labels(error="ambiguous").inc()
        if post.op == UPDATE:
            # Editing a message again to the same content is harmless: simply try again.
            self._back_off(post, now, error, report, from_state=SENDING)
            return _Outcome("done")
        if post.op == EPHEMERAL:
            # Not in any history, so it cannot be checked; once is better than twice.
            log.warning("outbox ephemeral %s may not have been shown: %s", post.attempt_id, error)
            self._move(post, SENDING, FAILED, last_error=f"unsure: {error}"[:500])
            return _Outcome("done")
        # A post: reconciled through its metadata after the grace period, never resent blindly.
        log.warning("outbox post %s ended ambiguously: %s", post.attempt_id, error)
        self._move(post, SENDING, UNSURE, last_error=error[:500])
        report.add(unsure=len(post.rows))
        if answered:
            thread = (post.rows[0].payload or {}).get("thread_ts")
            stale = [_Stale(r.id, post.attempt_id, UNSURE, self._wall()) for r in post.rows]
            settled = self._settle(post.team_id, post.channel_id, thread, stale, now, report)
            report.add(reconciled=settled)
        return _Outcome("done")

    def _failed(
        self, post: _Post, exc: SlackApiError, now: datetime, report: DeliveryReport
    ) -> _Outcome:
        status = getattr(exc.response, "status_code", 200)
        error = str(exc.response.get("error") or status)
        metrics.DELIVERY_ERRORS.labels(error=error).inc()
        report.error(error)
        if status == 429:
            report.add(rate_limited=1)
            metrics.RATE_LIMITED.inc()
            self._move(post, SENDING, CLAIMED)  # not posted: sent again in this pass
            return _Outcome("rate_limited", retry_after_seconds(exc))
        if status >= 500:
            return self._ambiguous(post, f"Slack said {status}", now, report, answered=True)
        if error in AUTH_ERRORS:
            self._forget_client(post.team_id)
            self._release(post, now + MAX_BACKOFF, error, report, from_state=SENDING)
            return _Outcome("done")
        if error in FINAL_ERRORS.get(post.op, frozenset()):
            log.warning("outbox %s to %s: %s; not retried", post.op, post.channel_id, error)
            self._move(post, SENDING, FAILED, last_error=error[:500])
            return _Outcome("done")
        log.warning("outbox %s to %s failed (%s); will retry", post.op, post.channel_id, error)
        self._back_off(post, now, error, report, from_state=SENDING)
        return _Outcome("done")

    def _back_off(
        self,
        post: _Post,
        now: datetime,
        error: str,
        report: DeliveryReport,
        *,
        from_state: str = CLAIMED,
    ) -> None:
        attempts = max(r.attempts for r in post.rows)
        if attempts >= MAX_ATTEMPTS:
            log.error("outbox %s gave up after %s attempts: %s", post.attempt_id, attempts, error)
            self._move(post, from_state, FAILED, last_error=error[:500])
            return
        delay = min(timedelta(seconds=30 * 2 ** min(attempts, 10)), MAX_BACKOFF)
        self._release(post, now + delay, error, report, from_state=from_state)

    def _release(
        self,
        post: _Post,
        not_before: datetime,
        error: str,
        report: DeliveryReport,
        *,
        from_state: str = CLAIMED,
    ) -> None:
        if self._move(
            post,
            from_state,
            PENDING,
            attempt_id=None,
            not_before=not_before,
            last_error=error[:500],
        ):
            report.add(retried=len(post.rows))

    def _move(
        self,
        post: _Post,
        from_state: str,
        to_state: str,
        *,
        on_done: Callable[[Session], None] | None = None,
        **values: Any,
    ) -> bool:
        """Compare-and-set the post's rows from `from_state` under our attempt id; `on_done`
        runs in the same transaction when the rows moved.

        Two of these per post is most of a delivery pass's own work, so they run on Core with
        one cached statement per set of columns (no ORM unit of work, no re-compiling)."""
        params = {
            "ids": post.ids,
            "from_state": from_state,
            "attempt": post.attempt_id,
            "to_state": to_state,
            **{f"v_{name}": value for name, value in values.items()},
        }
        with self.db.engine.begin() as conn:
            if to_state in RECOVERABLE_MARKS and self.owner.is_postgres:
                # Losing this mark in a database crash is harmless (the row is reconciled
                # against the channel's history), so it need not wait for the disk.
                conn.execute(_SYNCHRONOUS_COMMIT_OFF)
            result = conn.execute(_move_statement(tuple(sorted(values))), params)
            moved = int(getattr(result, "rowcount", 0) or 0) == len(post.ids)
            if moved and on_done is not None:
                with Session(bind=conn) as session:
                    on_done(session)
                    session.flush()
            return moved

    def _delivery_client(self, team_id: str) -> WebClient | None:
        base = self.client_factory(team_id)
        if base is None:
            return None
        key = (base.token, base.base_url)
        with self._clients_lock:
            client = self._clients.get(key)
            if client is None:
                client = WebClient(
                    token=base.token,
                    base_url=base.base_url,
                    timeout=base.timeout,
                    headers=dict(base.headers or {}),
                    retry_handlers=[RefusedConnectionRetryHandler(max_retry_count=2)],
                )
                self._clients[key] = client
            return client

    def _forget_client(self, team_id: str) -> None:
        forget = getattr(self.client_factory, "forget", None)
        if callable(forget):
            forget(team_id)

    # -- crash recovery -----------------------------------------------------------------------

    def reconcile(self, now: datetime, report: DeliveryReport | None = None) -> int:
        """Settle rows left behind by a dead owner, an earlier failed pass of this process or
        an ambiguous call. Returns rows settled."""
        report = report or DeliveryReport()
        grace_cutoff = self._wall() - timedelta(seconds=self.grace_seconds)
        lost_cutoff = self._wall() - timedelta(seconds=LOST_TRACK_SECONDS)
        groups: dict[tuple[str, str, str | None], list[_Stale]] = defaultdict(list)
        released = 0
        with self.db.transaction() as session:
            live = self.owner.live_owners(session)
            query = select(OutboxMessage).where(OutboxMessage.state.in_(IN_FLIGHT))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            for row in session.scalars(query):
                owner = _owner_of(row.attempt_id)
                # Our own attempts are alive only while a pass of ours has them in hand.
                owner_alive = owner in live and (
                    owner != self.owner.key or self.owner.in_hand(row.attempt_id)
                )
                if (
                    owner_alive
                    and owner != self.owner.key
                    and row.claimed_at is not None
                    and row.claimed_at <= lost_cutoff
                ):
                    owner_alive = False  # alive, but it has lost track of this attempt
                if row.state == CLAIMED:
                    if not owner_alive:  # never reached Slack
                        row.state, row.attempt_id = PENDING, None
                        released += 1
                    continue
                if row.state == SENDING and owner_alive:
                    continue  # in flight right now
                if row.claimed_at is not None and row.claimed_at > grace_cutoff:
                    continue  # a request may still be landing; look next pass
                op = (row.payload or {}).get("op") or POST
                if op != POST:
                    # An edit may simply be made again; an ephemeral is in no history to check.
                    row.state = PENDING if op == UPDATE else FAILED
                    row.attempt_id = None if op == UPDATE else row.attempt_id
                    released += 1
                    continue
                thread = (row.payload or {}).get("thread_ts")
                groups[(row.team_id, row.channel_id, thread)].append(
                    _Stale(
                        row.id,
                        row.attempt_id or "",
                        row.state,
                        row.claimed_at or row.created_at,
                    )
                )
        settled = released
        for (team_id, channel_id, thread_ts), stale in groups.items():
            settled += self._settle(team_id, channel_id, thread_ts, stale, now, report)
        report.add(reconciled=settled)
        if settled:
            metrics.RECONCILED.inc(settled)
        return settled

    def _settle(
        self,
        team_id: str,
        channel_id: str,
        thread_ts: str | None,
        stale: list[_Stale],
        now: datetime,
        report: DeliveryReport,
    ) -> int:
        client = self.client_factory(team_id)
        if client is None:
            return 0
        attempts = {s.attempt_id for s in stale}
        oldest = min(s.since for s in stale) - timedelta(minutes=2)
        try:
            # A DM row names the user; its history (and any later edit) needs the D… channel.
            channel_id = dm_channel(client, channel_id)
            found = find_posted(client, channel_id, attempts, oldest=oldest, thread_ts=thread_ts)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error not in UNVERIFIABLE_ERRORS:
                log.warning("outbox: cannot read %s to reconcile yet (%s)", channel_id, error)
                return 0  # look again next pass
            log.warning(
                "outbox: history of %s is unreadable (%s); releasing %d unverifiable "
                "attempt(s) for a resend, which may duplicate a post",
                channel_id,
                error,
                len(attempts),
            )
            metrics.UNVERIFIABLE.inc(len(attempts))
            found = {}
        settled = 0
        by_attempt: dict[str, list[_Stale]] = defaultdict(list)
        for s in stale:
            by_attempt[s.attempt_id].append(s)
        for attempt_id, items in by_attempt.items():
            ids = [s.id for s in items]
            ts = found.get(attempt_id)
            with self.db.transaction() as session:
                for state in {s.state for s in items}:
                    values: dict[str, Any]
                    if ts:
                        values = {
                            "state": SENT,
                            "message_ts": ts,
                            "posted_channel": channel_id,
                            "sent_at": now,
                            "bundled_into": min(ids) if len(ids) > 1 else None,
                            "last_error": None,
                        }
                    else:
                        values = {"state": PENDING, "attempt_id": None}
                    result = session.execute(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id.in_(ids),
                            OutboxMessage.state == state,
                            OutboxMessage.attempt_id == attempt_id,
                        )
                        .values(**values)
                        .execution_options(synchronize_session=False)
                    )
                    moved = int(getattr(result, "rowcount", 0) or 0)
                    settled += moved
                    if ts and moved:
                        rows = list(
                            session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
                        )
                        _record_sent(rows, channel_id, ts, session)
            if ts:
                log.info("outbox: attempt %s had been posted (ts %s); marked sent", attempt_id, ts)
        return settled


@dataclass(frozen=True)
class _Stale:
    id: int
    attempt_id: str
    state: str
    since: datetime


def _record_sent(rows: Sequence[OutboxMessage], channel_id: str, ts: str, session: Session) -> None:
    """Let each sent row's capability record where its message is (bot.posts.on_sent)."""
    from bot import posts

    for row in rows:
        ref = (row.payload or {}).get("render")
        if ref is not None and (row.payload or {}).get("op", POST) == POST:
            posts.sent(session, ref, channel_id, ts)


_SYNCHRONOUS_COMMIT_OFF = text("SET LOCAL synchronous_commit = off")


@functools.cache
def _move_statement(columns: tuple[str, ...]) -> Any:
    """UPDATE outbox SET state, <columns> WHERE id IN :ids AND state = :from_state AND
    attempt_id = :attempt — built once per set of columns."""
    table = cast(Table, OutboxMessage.__table__)
    return (
        update(table)
        .where(
            table.c.id.in_(bindparam("ids", expanding=True)),
            table.c.state == bindparam("from_state"),
            table.c.attempt_id == bindparam("attempt"),
        )
        .values(
            state=bindparam("to_state"),
            **{name: bindparam(f"v_{name}") for name in columns},
        )
    )


def existing_outbox(runtime: Runtime) -> Outbox | None:
    """The process's outbox if one was made (see `outbox_for`)."""
    outbox = runtime.extras.get("outbox")
    return outbox if isinstance(outbox, Outbox) else None


def outbox_for(runtime: Runtime) -> Outbox:
    """The process's outbox (one per process: it remembers each channel's pace)."""
    from bot.services.noise import NoisePolicy

    outbox = existing_outbox(runtime)
    if outbox is not None:
        return outbox
    outbox = Outbox(runtime.db, runtime.client_factory, policy=NoisePolicy(), runtime=runtime)
    runtime.extras["outbox"] = outbox
    return outbox


def outbox_depth_and_age(session: Session, now: datetime) -> tuple[int, float]:
    """Rows not yet delivered, and how long the oldest due one has been waiting (seconds)."""
    depth = session.scalar(
        select(func.count()).where(OutboxMessage.state.in_((PENDING, *IN_FLIGHT)))
    )
    oldest = session.scalar(
        select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.state.in_((PENDING, *IN_FLIGHT)), OutboxMessage.not_before <= now
        )
    )
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return int(depth or 0), max(age, 0.0)


def dm_channel(client: WebClient, channel_id: str) -> str:
    """The channel to read or edit: a DM is posted to by user id, but its history and its
    messages live in the D… conversation Slack opened for it."""
    if channel_id.startswith(("U", "W")):
        return str(client.conversations_open(users=channel_id)["channel"]["id"])
    return channel_id


def find_posted(
    client: WebClient,
    channel_id: str,
    attempt_ids: Iterable[str],
    *,
    oldest: datetime,
    thread_ts: str | None = None,
    max_pages: int = 10,
) -> dict[str, str]:
    """Which of these attempts Slack has: attempt id → message ts, read from the bot's message
    metadata in the channel's history (or the thread's replies) since `oldest`."""
    wanted = set(attempt_ids)
    kwargs: dict[str, Any] = {
        "channel": dm_channel(client, channel_id),
        "oldest": f"{max(oldest.timestamp(), 0):.6f}",
        "include_all_metadata": True,
        "limit": 200,
    }
    found: dict[str, str] = {}
    cursor: str | None = None
    for _ in range(max_pages):
        if cursor:
            kwargs["cursor"] = cursor
        if thread_ts:
            resp = client.conversations_replies(ts=thread_ts, **kwargs)
        else:
            resp = client.conversations_history(**kwargs)
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            attempt = (meta.get("event_payload") or {}).get("attempt_id")
            if meta.get("event_type") == METADATA_EVENT_TYPE and attempt in wanted:
                found[attempt] = str(message.get("ts"))
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        if not cursor or len(found) == len(wanted):
            break
    return found


def build_post_kwargs(post: _Post, *, attempt_id: str) -> dict[str, Any]:
    """The chat.postMessage arguments for one row, or a bundle of several."""
    metadata = {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {
            "attempt_id": attempt_id,
            "keys": ",".join(r.dedupe_key for r in post.rows),
        },
    }
    if len(post.rows) == 1:
        kwargs = post.messages[0].as_kwargs()
        kwargs["metadata"] = metadata
        thread = (post.rows[0].payload or {}).get("thread_ts")
        if thread:
            kwargs["thread_ts"] = thread
        return kwargs
    return {**bundle_message(post.messages), "metadata": metadata}


def bundle_message(messages: Iterable[Rendered]) -> dict[str, Any]:
    rows = list(messages)
    lines = [r.summary or r.text for r in rows]
    header = f"{len(rows)} updates"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{header}*"}}
    ]
    # Full blocks (with their buttons) while they fit in Slack's 50-block limit; every item
    # that does not fit still appears, as its one-line summary — nothing is dropped.
    rest: list[str] = []
    for row, line in zip(rows, lines, strict=True):
        row_blocks = row.blocks or [
            {"type": "section", "text": {"type": "mrkdwn", "text": row.text}}
        ]
        # Keep room for the compact list of the items that follow.
        if not rest and len(blocks) + len(row_blocks) + 2 <= MAX_BLOCKS - 1:
            blocks.append({"type": "divider"})
            blocks.extend(row_blocks)
        else:
            rest.append(line)
    if rest:
        blocks.append({"type": "divider"})
        chunk: list[str] = []
        for line in rest:
            candidate = "\n".join([*chunk, f"• {line}"])
            if len(candidate) > 2900 and chunk:
                blocks.append(
                    {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)}}
                )
                chunk = []
            chunk.append(f"• {line}")
        if len(blocks) >= MAX_BLOCKS:
            blocks = blocks[: MAX_BLOCKS - 1]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(chunk)[:3000]}}
        )
    text = header + ":\n" + "\n".join(f"• {line}" for line in lines)
    return {"text": text[:3900], "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
