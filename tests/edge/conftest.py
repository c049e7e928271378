"""Raw HTTP requests into the real WSGI app (`Harness.web`), and the log they leave.

`SlackSender` in the harness always sends a correct Content-Length and signs UTF-8 text; the
edge tests need lying lengths, chunked bodies, binary bodies and a count of the bytes the
app read, so they build the WSGI environ themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.harness import SIGNING_SECRET

SLACK_PATH = "/slack/events"


class CountingStream(io.RawIOBase):
    """A request body that counts what the app read from it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = self._data.read(-1 if size is None else size)
        self.read_bytes += len(chunk)
        return chunk

    def readable(self) -> bool:
        return True


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    read_bytes: int

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def signature(raw: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature over raw bytes (binary bodies too, unlike SignatureVerifier)."""
    base = b"v0:" + timestamp.encode("latin-1") + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    raw: bytes, timestamp: str | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    ts = str(int(time.time())) if timestamp is None else timestamp
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature(raw, ts, secret)}


def call(
    app: Any,
    raw: bytes = b"",
    *,
    method: str = "POST",
    path: str = SLACK_PATH,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
    content_length: str | None = "auto",
    chunked: bool = False,
) -> Answer:
    """One request straight into a WSGI callable. `content_length="auto"` sends the true
    length, None sends none; `chunked` marks the body as terminated (what gunicorn does for
    `Transfer-Encoding: chunked`)."""
    stream = CountingStream(raw)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": "localhost:3000",
    }
    if content_length == "auto":
        environ["CONTENT_LENGTH"] = str(len(raw))
    elif content_length is not None:
        environ["CONTENT_LENGTH"] = content_length
    if chunked:
        environ["wsgi.input_terminated"] = True
    if content_type is None and raw:
        content_type = (
            "application/json" if raw[:1] == b"{" else "application/x-www-form-urlencoded"
        )
    if content_type:
        environ["CONTENT_TYPE"] = content_type
    for key, value in (headers or {}).items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info=None):
        seen["status"] = int(status.split(" ", 1)[0])
        seen["headers"] = dict(response_headers)
        return lambda _data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if callable(close):
            close()
    return Answer(seen["status"], seen["headers"], body, stream.read_bytes)


@dataclass
class LogCapture:
    """Every log line (and traceback) the process writes at `level` and above, formatted as
    `outsource-bot serve` formats them."""

    stream: io.StringIO = field(default_factory=io.StringIO)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def size(self) -> int:
        return len(self.stream.getvalue().encode())


@pytest.fixture
def app_log() -> Iterator[LogCapture]:
    """The log at INFO, the level `outsource-bot serve` runs at."""
    yield from _capture(logging.INFO)


@pytest.fixture
def debug_log() -> Iterator[LogCapture]:
    """The log at DEBUG."""
    yield from _capture(logging.DEBUG)


def _capture(level: int) -> Iterator[LogCapture]:
    capture = LogCapture()
    handler = logging.StreamHandler(capture.stream)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield capture
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
