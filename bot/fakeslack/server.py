"""`FakeSlack`: a threaded HTTP server speaking enough of Slack's Web API for tests and the
playground.

    fs = FakeSlack().start()
    client = WebClient(base_url=fs.api_url, token="xoxb-test")
    ...
    fs.stop()

Routes on `http://127.0.0.1:PORT`:
- `/api/<method>`            Web API (GET query, form-encoded, JSON or multipart bodies)
- `/upload/v1/<file_id>`     upload URLs handed out by files.getUploadURLExternal
- `/files-pri/<team>-<id>/…` url_private downloads (need `Authorization: Bearer <valid token>`)
- `/response_url/<id>`       response URLs made by `new_response_url()`

Every request is recorded as a `Call` (see `calls()`), including requests answered by an
injected fault (`Call.faulted`).
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from bot.fakeslack.workspace import (
    DEFAULT_BOT_TOKEN,
    Ephemeral,
    Workspace,
    decode_json_params,
)
from bot.time.clock import Clock

if TYPE_CHECKING:
    from slack_sdk import WebClient

JSON = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request the fake received."""

    method: str
    params: JSON
    headers: dict[str, str]
    token: str | None
    http_method: str
    path: str
    status: int
    response: Any
    faulted: bool = False
    at: float = 0.0
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return isinstance(self.response, dict) and bool(self.response.get("ok"))


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: float
    times: int | None = None  # fail_next: remaining failures
    every: int | None = None  # fail_every: period
    seen: int = 0
    # The call takes effect (a message is stored) and only then the error is answered: what a
    # timeout or a 5xx after Slack accepted a post looks like to the client.
    applied: bool = False


@dataclass
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class WaitTimeout(AssertionError):
    """`FakeSlack.wait_for` gave up."""


def _format_retry_after(seconds: float) -> str:
    # Slack sends whole seconds and slack_sdk's RateLimitErrorRetryHandler parses int():
    # integral values go out as integers; fractions are kept for clients that accept them.
    if float(seconds).is_integer():
        return str(int(seconds))
    return repr(float(seconds))


def _default_error(status: int) -> str:
    if status == 429:
        return "ratelimited"
    if status >= 500:
        return "internal_error"
    return "fatal_error"


def _parse_multipart(content_type: str, body: bytes) -> tuple[JSON, dict[str, bytes]]:
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: JSON = {}
    files: dict[str, bytes] = {}
    if not msg.is_multipart():
        return fields, files
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            files[name] = data
        else:
            fields[name] = data.decode("utf-8", errors="replace")
    return fields, files


def _parse_body(content_type: str, body: bytes) -> tuple[JSON, dict[str, bytes]]:
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return {}, {}
    if ctype == "application/json" or (not ctype and body.lstrip()[:1] == b"{"):
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            return {}, {}
        return (data if isinstance(data, dict) else {"_json": data}), {}
    if ctype == "multipart/form-data":
        return _parse_multipart(content_type, body)
    text = body.decode("utf-8", errors="replace")
    return {
        k: v[0] if len(v) == 1 else v for k, v in parse_qs(text, keep_blank_values=True).items()
    }, {}


def _bearer(headers: dict[str, str]) -> str | None:
    for key, value in headers.items():
        if key.lower() == "authorization" and value.lower().startswith("bearer "):
            return value[7:].strip() or None
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr logging
        return

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k: v for k, v in self.headers.items()}
        reply = self.server.fake._dispatch(self.command, self.path, headers, body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        # The client may have given up waiting (a timeout under test): say nothing, as Slack.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(reply.body)


def _json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, json.dumps(body).encode("utf-8"), headers=headers or {})


class FakeSlack:
    """A local Slack: Web API, uploads, url_private downloads and response URLs, with recording
    and fault injection. Bound to 127.0.0.1 on a free port; usable as a context manager."""

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.workspace = workspace if workspace is not None else Workspace(clock)
        self._host = host
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._cond = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._delays: dict[str, float] = {}
        self._download_redirect: str | None = None
        self._extra_methods: dict[str, Callable[[JSON, str | None], JSON]] = {}

    def add_method(self, method: str, handler: Callable[[JSON, str | None], JSON]) -> None:
        """Answer `method` with `handler(params, token)` (a Web API body, `ok` included) instead
        of the workspace: for APIs the workspace does not model (e.g. apps.connections.open)."""
        with self._cond:
            self._extra_methods[method] = handler

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        server = _Server((self._host, 0), _Handler)
        server.fake = self
        self._server = server
        self.workspace.base_url = self.url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-slack",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Root URL, e.g. `http://127.0.0.1:54321` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL for slack_sdk: `http://127.0.0.1:PORT/api/`."""
        return f"{self.url}/api/"

    def client(self, token: str = DEFAULT_BOT_TOKEN, **kwargs: Any) -> WebClient:
        """A slack_sdk WebClient pointed at this fake."""
        from slack_sdk import WebClient

        return WebClient(base_url=self.api_url, token=token, **kwargs)

    def new_response_url(
        self,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """A response_url on this server. Posts are recorded as method "response_url"; with
        a channel they also take effect (in_channel post, ephemeral, replace/delete original)."""
        rid = self.workspace.new_response_url_id(channel_id, user_id, message_ts, thread_ts)
        return f"{self.url}/response_url/{rid}"

    # ------------------------------------------------------------------ recording

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def clear_calls(self) -> None:
        with self._cond:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until at least `count` calls of `method` were recorded; returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self._calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self._calls]
                    raise WaitTimeout(
                        f"waited {timeout}s for {count} x {method!r}, got {len(found)}; "
                        f"calls: {seen}"
                    )
                self._cond.wait(remaining)

    def posts(self, channel: str | None = None) -> list[JSON]:
        """Params of chat.postMessage calls Slack accepted (`ok: true`; injected faults and API
        errors left out: see `calls()` for every attempt).
        `channel` matches the requested channel or the resolved one (a DM's D… id)."""
        return [
            c.params
            for c in self._accepted("chat.postMessage")
            if self._matches_channel(c, channel)
        ]

    def ephemeral(self, channel: str | None = None, user: str | None = None) -> list[JSON]:
        """Params of accepted chat.postEphemeral calls."""
        return [
            c.params
            for c in self._accepted("chat.postEphemeral")
            if self._matches_channel(c, channel) and (user is None or c.params.get("user") == user)
        ]

    def responses(self, url: str | None = None) -> list[JSON]:
        """Accepted payloads POSTed to response URLs (optionally to one URL)."""
        path = urlsplit(url).path if url else None
        return [c.params for c in self._accepted("response_url") if path is None or c.path == path]

    def messages(self, channel_id: str, *, include_replies: bool = True) -> list[JSON]:
        """The channel's stored messages as Slack JSON, oldest first (metadata included)."""
        ws = self.workspace
        with ws.lock:
            return [
                ws.message_json(m) for m in ws.history(channel_id, include_replies=include_replies)
            ]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages shown (chat.postEphemeral and ephemeral response_url posts)."""
        with self.workspace.lock:
            return [e for e in self.workspace.ephemerals if user is None or e.user == user]

    def _accepted(self, method: str) -> list[Call]:
        return [c for c in self.calls(method) if not c.faulted and c.ok]

    @staticmethod
    def _matches_channel(call: Call, channel: str | None) -> bool:
        if channel is None:
            return True
        if call.params.get("channel") == channel:
            return True
        return isinstance(call.response, dict) and call.response.get("channel") == channel

    def _record(self, call: Call) -> None:
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str,
        status: int = 429,
        times: int = 1,
        retry_after: float = 0,
        error: str | None = None,
    ) -> None:
        """The next `times` calls of `method` answer `status` with `{"ok": false, "error": error}`
        (default error: "ratelimited" for 429, "internal_error" for 5xx). 429s carry Retry-After.
        `status=200` with an error injects a plain API error."""
        with self._cond:
            self._faults.setdefault(method, []).append(
                _Fault(status, error or _default_error(status), retry_after, times=times)
            )

    def accept_then_fail(
        self, method: str, status: int = 500, times: int = 1, error: str | None = None
    ) -> None:
        """The next `times` calls of `method` take effect as usual (a chat.postMessage stores
        its message) and then answer `status` with an error, as Slack does when it accepted a
        post and failed or timed out before it could say so."""
        with self._cond:
            self._faults.setdefault(method, []).append(
                _Fault(status, error or _default_error(status), 0, times=times, applied=True)
            )

    def fail_every(
        self,
        method: str,
        n: int,
        status: int = 429,
        retry_after: float = 0,
        error: str | None = None,
    ) -> None:
        """Every n-th call of `method` (counted from now: n, 2n, ...) answers `status`."""
        if n < 1:
            raise ValueError("n must be >= 1")
        with self._cond:
            self._faults.setdefault(method, []).append(
                _Fault(status, error or _default_error(status), retry_after, every=n)
            )

    def clear_faults(self) -> None:
        with self._cond:
            self._faults.clear()
            self._delays.clear()

    def delay(self, method: str, seconds: float) -> None:
        """Answer every call of `method` only after `seconds` (0 removes the delay)."""
        with self._cond:
            if seconds > 0:
                self._delays[method] = seconds
            else:
                self._delays.pop(method, None)

    def redirect_downloads(self, base_url: str | None) -> None:
        """url_private downloads with a valid token answer 302 to `base_url` + the file's
        path (a file served from another host, e.g. a CDN); None serves them again."""
        with self._cond:
            self._download_redirect = base_url.rstrip("/") if base_url else None

    def _take_fault(self, method: str) -> _Fault | None:
        with self._cond:
            hit: _Fault | None = None
            for fault in list(self._faults.get(method, [])):
                if fault.times is not None:
                    if hit is None and fault.times > 0:
                        fault.times -= 1
                        hit = fault
                    if fault.times <= 0:
                        self._faults[method].remove(fault)
                elif fault.every is not None:
                    fault.seen += 1
                    if hit is None and fault.seen % fault.every == 0:
                        hit = fault
            return hit

    # ------------------------------------------------------------------ dispatch

    def _dispatch(
        self, http_method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> _Reply:
        split = urlsplit(raw_path)
        path = split.path
        query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")

        params: JSON
        if path.startswith("/api/"):
            method = path[len("/api/") :].strip("/")
            parsed, uploads = _parse_body(content_type, body)
            params = decode_json_params({**query, **parsed})
            for name, data in uploads.items():
                params[name] = {"filename": name, "length": len(data)}
        elif path.startswith("/upload/v1/"):
            method = "file_upload"
            params = {"file_id": path.rsplit("/", 1)[-1], "length": len(body), **query}
        elif path.startswith("/files-pri/"):
            method = "file_download"
            params = dict(query)
        elif path.startswith("/response_url/"):
            method = "response_url"
            parsed, _ = _parse_body(content_type or "application/json", body)
            params = decode_json_params(parsed)
        else:
            method = "unknown_path"
            params = dict(query)

        token = _bearer(headers) or (str(params["token"]) if params.get("token") else None)
        with self._cond:
            delay = self._delays.get(method, 0.0)
        if delay > 0:
            time.sleep(delay)

        fault = self._take_fault(method)
        if fault is not None and fault.applied and path.startswith("/api/"):
            self.workspace.call(method, params, token)
        if fault is not None:
            fault_body = {"ok": False, "error": fault.error}
            extra = (
                {"Retry-After": _format_retry_after(fault.retry_after)}
                if fault.status == 429
                else {}
            )
            reply = _json_reply(fault.status, fault_body, extra)
            self._record(
                Call(
                    method,
                    params,
                    headers,
                    token,
                    http_method,
                    path,
                    fault.status,
                    fault_body,
                    True,
                    time.time(),
                    body,
                )
            )
            return reply

        response: Any
        if method == "unknown_path":
            response = {"ok": False, "error": "not_found"}
            reply = _json_reply(404, response)
        elif path.startswith("/api/"):
            with self._cond:
                handler = self._extra_methods.get(method)
            if not method:
                response = {"ok": False, "error": "unknown_method"}
                reply = _json_reply(200, response)
            elif handler is not None:
                response = handler(params, token)
                reply = _json_reply(200, response)
            else:
                result = self.workspace.call(method, params, token)
                response = result.body
                reply = _json_reply(result.status, response, result.headers)
        elif method == "file_upload":
            data = body
            if content_type.lower().startswith("multipart/form-data"):
                _, parts = _parse_multipart(content_type, body)
                data = next(iter(parts.values()), b"")
            if self.workspace.receive_upload(str(params["file_id"]), data):
                response = f"OK - {len(data)}"
                reply = _Reply(200, response.encode(), "text/plain; charset=utf-8")
            else:
                response = "Not Found"
                reply = _Reply(404, response.encode(), "text/plain; charset=utf-8")
        elif method == "file_download":
            reply, response = self._download(path, token)
        else:  # response_url
            rid = path.rsplit("/", 1)[-1]
            status, response = self.workspace.response_url_post(rid, params)
            reply = _json_reply(status, response)
        self._record(
            Call(
                method,
                params,
                headers,
                token,
                http_method,
                path,
                reply.status,
                response,
                False,
                time.time(),
                body,
            )
        )
        return reply

    def _download(self, path: str, token: str | None) -> tuple[_Reply, Any]:
        ws = self.workspace
        if ws.installation_for_token(token) is None:
            text = "Forbidden: a valid `Authorization: Bearer <token>` header is required"
            return _Reply(403, text.encode(), "text/plain; charset=utf-8"), text
        if self._download_redirect:
            location = self._download_redirect + path
            return _Reply(302, b"", "text/plain", {"Location": location}), f"-> {location}"
        f = ws.file_by_path(path)
        if f is None or f.content is None:
            return _Reply(404, b"Not Found", "text/plain; charset=utf-8"), "Not Found"
        headers = {"Content-Disposition": f'attachment; filename="{f.name}"'}
        return _Reply(200, f.content, f.mimetype, headers), f"<{len(f.content)} bytes>"


def started(workspace: Workspace | None = None, *, clock: Clock | None = None) -> FakeSlack:
    """Shorthand for `FakeSlack(workspace, clock=clock).start()`."""
    return FakeSlack(workspace, clock=clock).start()


__all__ = ["Call", "FakeSlack", "WaitTimeout", "started"]
