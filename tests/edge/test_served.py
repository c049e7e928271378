"""The edge under `outsource-bot serve` (gunicorn): real sockets, chunked bodies, lying
lengths."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlsplit

from bot.fakeslack import FakeSlack
from tests.app.test_cli import SECRET, served  # noqa: F401 - the fixture
from tests.edge.conftest import signed_headers as _signed


def signed_headers(raw: bytes, timestamp: str | None = None) -> dict[str, str]:
    return _signed(raw, timestamp, SECRET)


# A body refused unread: the server answers 413 and closes while the client is still
# sending. The client then usually reads the 413, but its kernel may get the server's reset
# first and drop the answer (the server closed with bytes unread); either way nothing was read.
REFUSED_UNREAD = (413, "reset")


def _post(base: str, body: object, headers: dict[str, str], **kw: object) -> int | str:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        try:
            conn.request("POST", "/slack/events", body=body, headers=headers, **kw)
        except (BrokenPipeError, ConnectionResetError):
            try:
                answer = conn.sock.recv(65536) if conn.sock else b""
            except ConnectionResetError:
                return "reset"
            return int(answer.split()[1]) if answer.startswith(b"HTTP/1.1 ") else "reset"
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_the_served_app_answers_garbage_with_4xx(served: str, slack: FakeSlack) -> None:  # noqa: F811
    json_type = {"Content-Type": "application/json"}
    truncated = b'{"type": "event_callback", "event": {"type": "mess'
    assert _post(served, truncated, json_type) == 401
    assert _post(served, truncated, {**json_type, **signed_headers(truncated)}) == 400
    array = b"[1, 2, 3]"
    assert _post(served, array, {**json_type, **signed_headers(array)}) == 400
    nan_ts = {**json_type, **signed_headers(array, "12ab")}
    assert _post(served, array, nan_ts) == 401

    big = b"x" * (2 * 1024 * 1024)
    status = _post(served, big, {**json_type, **signed_headers(big)})
    assert status in REFUSED_UNREAD
    # Chunked, no Content-Length: read up to the limit, then refused.
    status = _post(
        served,
        iter([big[i : i + 65536] for i in range(0, len(big), 65536)]),
        {**json_type, **signed_headers(big), "Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    assert status in REFUSED_UNREAD

    # Content-Length says more than is sent: the app answers once the client gives up.
    parts = urlsplit(served)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        short = b'{"type": "url_verification", "challenge": "c"}'
        head = "".join(f"{k}: {v}\r\n" for k, v in {**json_type, **signed_headers(short)}.items())
        sock.sendall(
            f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n{head}\r\n".encode()
            + short
        )
        sock.shutdown(socket.SHUT_WR)
        answer = sock.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 400")

    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", "/slack/events")
        resp = conn.getresponse()
        assert resp.status == 405 and json.loads(resp.read()) == {"error": "method not allowed"}
    finally:
        conn.close()
