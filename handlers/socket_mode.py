"""Socket Mode for `outsource-bot run`: one websocket to Slack, kept through refreshes.

Slack replaces Socket Mode connections all the time: it sends `{"type": "disconnect",
"reason": "warning"}` some seconds before, `refresh_requested` when it wants a new one now, and
sometimes a connection just ends (a TCP close without a websocket close frame). Envelopes that
arrive on the new connection must still be acked within Slack's 3 seconds.

slack_sdk's built-in client is not good at that: it lets go of the old socket only after its
3-second receive timeout (envelopes on the new socket wait meanwhile: acked after 3.1 s in our
tests) and notices a closed TCP connection only when its pings go stale (28 s). The
`websocket-client` adapter has a reader thread per connection that sees the close at once; the
new connection is read within half a second of the disconnect message. Measured with the fake
Socket Mode server in tests/process: envelopes sent right after the new connection's `hello`
are acked within ~30 ms in all three cases (built-in client: 1.1 s, 3.1 s, 28 s + 0.3 s).

Our subclass adds three things: a replaced connection does not open a second new one (the old
socket's close callback would otherwise ask for yet another URL while the new one is still
connecting; `apps.connections.open` is rate-limited); a replaced connection is ended by its own
reader thread (see `_end_in_reader`); and a connection that ends is logged as one INFO line
rather than two ERRORs.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.websocket_client import SocketModeClient

from bot.errors import ConfigError

log = logging.getLogger("outsource_bot.socket_mode")

PING_INTERVAL_SECONDS = 10
# A session created this recently and still connecting is not replaced by a non-forced
# reconnect (the old socket's close callback, the monitor).
CONNECTING_GRACE_SECONDS = 5.0


class SlackUnreachable(ConfigError):
    """Socket Mode could not start: Slack refused the app token or could not be reached."""


class _ConnectionNoise(logging.Filter):
    """A connection that ends is routine in Socket Mode (Slack refreshes them): INFO, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno >= logging.ERROR and (
            "Connection to remote host was lost" in message
            or "WebSocketConnectionClosedException" in message
        ):
            if record.name == "websocket":
                return False  # the adapter's own on_error line says the same
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "the Socket Mode connection ended; reconnecting", ()
        return True


class _Client(SocketModeClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session_started = 0.0
        self._opened: Any = None  # the last session whose websocket opened
        self.on_open_listeners.append(self._on_open)

    def _on_open(self, ws: Any) -> None:
        self._opened = ws

    def connect(self) -> None:
        self._session_started = time.monotonic()  # before: connect() starts the monitor
        if self.current_session is not None:
            _end_in_reader(self.current_session)
        super().connect()  # closes the old session itself only if its reader did not

    def disconnect(self) -> None:
        if self.current_session is not None:
            _end_in_reader(self.current_session)
        super().disconnect()

    def connect_to_new_endpoint(self, force: bool = False) -> None:
        # slack_sdk's version, with "is a new session needed?" decided under the lock: the
        # monitor or an old socket's close callback, waiting for the lock while a forced
        # reconnect runs, would otherwise replace the brand-new session once more.
        acquired = self.connect_operation_lock.acquire(blocking=True, timeout=5)
        try:
            needed = force or not (not acquired or self.is_connected() or self._connecting())
            if self.closed or not needed:
                return
            self.logger.info("Connecting to a new endpoint...")
            self.wss_uri = self.issue_new_wss_url()
            self.connect()
            self.logger.info("Connected to a new endpoint...")
        finally:
            if acquired:
                self.connect_operation_lock.release()

    def _connecting(self) -> bool:
        """The current session was made moments ago and its websocket is not open yet."""
        session = self.current_session
        return (
            session is not None
            and session is not self._opened
            and time.monotonic() - self._session_started < CONNECTING_GRACE_SECONDS
        )


def _end_in_reader(session: Any, wait: float = 1.0) -> None:
    """End a connection being replaced so that its reader thread lets go of it at once.

    `WebSocketApp.close()` called from another thread closes the socket under the reader
    thread's selector; epoll then never reports it, and the reader sleeps out its 10-second
    select timeout before the runner starts reading the new connection (envelopes on it go
    unacked meanwhile; seen in CI). A shutdown wakes the reader, which sees `keep_running` off
    and tears the connection down itself; the file descriptor is closed once it has."""
    ws = session.sock
    raw = ws.sock if ws is not None else None
    if raw is None:  # never opened, or already torn down (by its own reader, too)
        return
    session.keep_running = False
    with contextlib.suppress(Exception):
        ws.send_close()  # the polite close frame; no reply is waited for
    with contextlib.suppress(OSError):
        raw.shutdown(socket.SHUT_RDWR)
    deadline = time.monotonic() + wait
    while session.sock is ws and time.monotonic() < deadline:
        time.sleep(0.005)
    ws.shutdown()  # closes the descriptor (send_close marked it closed, so close() would not)


class _Handler(SocketModeHandler):
    """Bolt's websocket-client adapter (`handle`: run the app, send the ack) on our client."""

    def __init__(self, app: App, client: _Client) -> None:
        self.app = app
        self.app_token = client.app_token
        self.client = client
        client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


class SocketMode:
    """The Bolt app behind Slack's Socket Mode. `connect()` returns once connected; `close()`
    stops taking envelopes and waits (bounded) for the ones being handled."""

    def __init__(
        self,
        app: App,
        app_token: str,
        *,
        ping_interval: float = PING_INTERVAL_SECONDS,
        concurrency: int = 10,
    ) -> None:
        logger = logging.getLogger("outsource_bot.socket_mode.client")
        noise = _ConnectionNoise()
        logger.addFilter(noise)
        logging.getLogger("websocket").addFilter(noise)
        self.client = _Client(
            app_token=app_token,
            logger=logger,
            web_client=app.client,
            ping_interval=ping_interval,
            concurrency=concurrency,
        )
        self.handler = _Handler(app, self.client)

    def connect(self) -> None:
        # slack_sdk logs each failed try at ERROR; a failure here is said once, below.
        quiet = logging.getLogger("slack_sdk.web.base_client")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)
        try:
            self.client.connect()
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            raise SlackUnreachable(
                f"Slack refused to open a Socket Mode connection ({error}): check "
                "SLACK_APP_TOKEN (an app-level xapp- token with connections:write)."
            ) from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SlackUnreachable(
                f"Slack cannot be reached at {self.client.web_client.base_url} ({reason}); "
                "check the network (or SLACK_API_URL)."
            ) from None
        finally:
            quiet.setLevel(level)
        log.info("Socket Mode connected")

    def close(self, timeout: float = 2.0) -> None:
        """Stop reading, let envelopes already taken finish for up to `timeout` seconds."""
        client = self.client
        deadline = time.monotonic() + timeout
        client.closed = True  # the dispatcher hands out no more envelopes
        client.auto_reconnect_enabled = False
        client.message_queue.put(None)  # wakes the dispatcher, which then sees `closed`
        client.message_processor.event.set()
        client.message_processor.thread.join(max(0.1, deadline - time.monotonic()))
        # Envelopes being handled finish and are acked; one read but not yet handled is not
        # acked, and Slack sends it again on the next connection.
        pool = client.message_workers
        pool.shutdown(wait=False)
        for thread in list(getattr(pool, "_threads", ())):
            thread.join(max(0.0, deadline - time.monotonic()))
        closer = threading.Thread(target=client.close, name="socket-mode-close", daemon=True)
        closer.start()
        # The reader thread ends with its socket; no need to wait for it here.
        closer.join(min(0.5, max(0.1, deadline - time.monotonic())))
