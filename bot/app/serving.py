"""How `outsource-bot serve` runs the WSGI app: gunicorn with a worker class that reads each
request whole before an app thread sees it.

gunicorn's gthread worker hands a connection to one of its threads as soon as the first bytes
arrive, and the thread then reads the rest of the headers and the body with blocking reads
and no overall deadline. Four clients sending a body at one byte a second held all four
threads, and `/healthz` went unanswered. `BufferingWorker` reads headers and body in the
worker's event loop (non-blocking, like the keep-alive wait gthread already does there) and
hands the request to a thread only when it is complete, so a thread never waits on a client.
A request still incomplete `READ_TIMEOUT_SECONDS` after its first byte is dropped.

What is not buffered, and so read by a thread as before: a body over `MAX_BUFFERED_BODY`
(the app refuses it with 413 from its Content-Length, without reading it), a chunked body, a
request that asks for `100 Continue`, and bytes of a pipelined next request. Put a reverse
proxy that buffers requests in front in production anyway (docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import struct
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

READ_TIMEOUT_SECONDS = 10.0
MAX_BUFFERED_BODY = 1024 * 1024  # Slack's requests are far smaller; bigger ones get 413
MAX_HEAD = 64 * 1024  # gunicorn's own header limits answer anything bigger
STREAM_RECV_TIMEOUT_SECONDS = 10  # for what a thread must read itself (see above)

# request_status() answers
INCOMPLETE, COMPLETE, STREAM = "incomplete", "complete", "stream"


def request_status(data: bytes | bytearray) -> str:
    """Whether `data` holds one whole HTTP/1.x request (COMPLETE), needs more (INCOMPLETE), or
    is one the worker's thread must read itself (STREAM)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return STREAM if len(data) > MAX_HEAD else INCOMPLETE
    length = 0
    for line in bytes(data[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"transfer-encoding":
            return STREAM
        if name == b"expect" and value.strip().lower() == b"100-continue":
            return STREAM  # the client waits for "100 Continue" before sending its body
        if name == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return STREAM  # gunicorn answers 400
            if length < 0 or length > MAX_BUFFERED_BODY:
                return STREAM
    return COMPLETE if len(data) - (end + 4) >= length else INCOMPLETE


class BufferingWorker(ThreadWorker):
    """gthread, but a connection reaches a thread only with a whole request read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.buffering: deque[TConn] = deque()

    # -- new connections and kept-alive ones become readable: buffer, don't hand over --------

    def accept(self, listener: socket.socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())
        self._start_buffering(conn)

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._start_buffering(conn)
        self._read_some(conn, client)

    def _start_buffering(self, conn: TConn) -> None:
        conn.sock.setblocking(False)
        conn.pending_data = bytearray()
        conn.read_deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        self.buffering.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_some, conn))

    def _read_some(self, conn: TConn, client: socket.socket) -> None:
        if conn not in self.buffering:
            return
        try:
            data = client.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data and b"\r\n\r\n" not in conn.pending_data:  # the client went away
            self._stop_buffering(conn)
            self.nr_conns -= 1
            conn.close()
            return
        conn.pending_data += data
        # A client that stopped sending before the end of its body: the app answers it (400).
        status = request_status(conn.pending_data) if data else STREAM
        if status == INCOMPLETE:
            return
        self._stop_buffering(conn)
        conn.buffered = bytes(conn.pending_data)
        conn.stream = status == STREAM
        conn.data_ready = True
        self.enqueue_req(conn)

    def _stop_buffering(self, conn: TConn) -> None:
        self.buffering.remove(conn)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self.buffering if c.read_deadline <= now or not self.alive]:
            # Too slow (whatever it is, it is not Slack), or this worker is stopping: a request
            # not yet whole is not one in flight.
            self._stop_buffering(conn)
            self.nr_conns -= 1
            conn.close()

    # -- in the thread: the parser starts from the buffered bytes -----------------------------

    def handle(self, conn: TConn) -> Any:
        buffered = getattr(conn, "buffered", None)
        if buffered is not None:
            conn.buffered = None
            conn.sock.setblocking(True)
            conn.init()
            if getattr(conn, "stream", False):
                # This thread reads the rest itself: each read waits at most this long.
                timeval = struct.pack("ll", STREAM_RECV_TIMEOUT_SECONDS, 0)
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            if conn.parser is not None and not conn.is_http2:
                conn.parser.unreader.unread(buffered)
        return super().handle(conn)
