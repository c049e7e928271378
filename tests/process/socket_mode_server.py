"""A fake of Slack's Socket Mode side, for tests.

`apps.connections.open` on the fake Web API (`FakeSlack`) hands out a ws:// URL of a local
websocket server (the `websockets` package). Each connection gets `hello`; a test sends
envelopes on any connection, asks a connection to go away the way Slack does
(`{"type": "disconnect", "reason": "refresh_requested" | "warning"}`, then a close some time
later) or drops it abruptly (TCP closed without a websocket close frame), and reads back which
envelopes were acked, when, and with what payload.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.fakeslack import FakeSlack

APP_TOKEN = "xapp-1-A0TEST-1-secret"


@dataclass
class Connection:
    number: int
    ws: ServerConnection
    opened_at: float
    hello_at: float = 0.0
    closed_at: float | None = None
    closed_by_client: bool = False


@dataclass
class Ack:
    envelope_id: str
    at: float
    connection: int
    payload: dict[str, Any] | None


@dataclass
class Sent:
    envelope_id: str
    at: float
    connection: int
    kind: str


@dataclass
class FakeSocketMode:
    fake: FakeSlack
    app_token: str = APP_TOKEN
    connections: list[Connection] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    opened_urls: int = 0

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._tickets: set[str] = set()
        self._numbers = itertools.count(1)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-socket-mode", daemon=True
        )
        self._thread.start()
        self.fake.add_method("apps.connections.open", self._connections_open)
        return self

    def stop(self) -> None:
        with self._cond:
            live = [c for c in self.connections if c.closed_at is None]
        for conn in live:
            with contextlib.suppress(Exception):
                conn.ws.close()
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.socket.getsockname()[1])

    def _connections_open(self, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        ticket = uuid.uuid4().hex
        with self._cond:
            self._tickets.add(ticket)
            self.opened_urls += 1
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}"}

    # -- one connection -------------------------------------------------------------------------

    def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        query = dict(parse_qsl((request.path if request else "").partition("?")[2]))
        with self._cond:
            valid = query.get("ticket") in self._tickets
            self._tickets.discard(query.get("ticket", ""))
        if not valid:
            ws.close(code=1008, reason="invalid ticket")
            return
        conn = Connection(next(self._numbers), ws, opened_at=time.monotonic())
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0TEST"},
        }
        ws.send(json.dumps(hello))
        conn.hello_at = time.monotonic()
        with self._cond:
            self.connections.append(conn)
            self._cond.notify_all()
        try:
            for raw in ws:
                message = json.loads(raw)
                if "envelope_id" in message:
                    with self._cond:
                        self.acks.append(
                            Ack(
                                str(message["envelope_id"]),
                                time.monotonic(),
                                conn.number,
                                message.get("payload"),
                            )
                        )
                        self._cond.notify_all()
            conn.closed_by_client = True
        except (ConnectionClosed, OSError):
            pass
        finally:
            with self._cond:
                if conn.closed_at is None:
                    conn.closed_at = time.monotonic()
                self._cond.notify_all()

    # -- what a test does -----------------------------------------------------------------------

    def wait_for_connection(self, number: int, timeout: float = 10) -> Connection:
        """The `number`-th connection (1-based), once its hello was sent."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.connections) < number:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"connection {number} not opened within {timeout}s "
                        f"({len(self.connections)} so far)"
                    )
                self._cond.wait(left)
            return self.connections[number - 1]

    def send(self, conn: Connection, envelope_type: str, payload: dict[str, Any]) -> str:
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "accepts_response_payload": envelope_type != "events_api",
            "payload": payload,
        }
        if envelope_type == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        with self._cond:
            self.sent.append(Sent(envelope_id, time.monotonic(), conn.number, envelope_type))
        conn.ws.send(json.dumps(envelope))
        return envelope_id

    def command(self, conn: Connection, body: str) -> str:
        """A slash command envelope; `body` is the form-encoded body Slack would POST."""
        return self.send(conn, "slash_commands", dict(parse_qsl(body, keep_blank_values=True)))

    def disconnect(self, conn: Connection, reason: str, *, close_after: float | None) -> None:
        """Slack's "this connection is going away": the message now, the close `close_after`
        seconds later (None: left open)."""
        conn.ws.send(
            json.dumps(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
            )
        )
        if close_after is not None:
            timer = threading.Timer(close_after, self._close, args=(conn,))
            timer.daemon = True
            timer.start()

    def _close(self, conn: Connection) -> None:
        with contextlib.suppress(Exception):
            conn.ws.close(code=1001, reason="refresh")

    def drop(self, conn: Connection) -> None:
        """The TCP connection ends without a websocket close frame (a load balancer restarts,
        a NAT entry expires): the client sees EOF and nothing else."""
        sock = conn.ws.socket
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def wait_for_acks(self, envelope_ids: list[str], timeout: float = 10) -> dict[str, list[Ack]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = {e: [a for a in self.acks if a.envelope_id == e] for e in envelope_ids}
                if all(found.values()):
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = [e for e, acks in found.items() if not acks]
                    raise AssertionError(f"{len(missing)} envelope(s) not acked in {timeout}s")
                self._cond.wait(left)
