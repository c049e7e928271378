"""Secrets stay home: the bot token never follows a download redirect to another host, and
Settings never prints a token or a secret."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.app.config import Settings, load_settings
from bot.text.transcripts import DOWNLOAD_OPENER
from tests.harness import OWNER, PRIYA, RAVI, SHARED_CHANNEL, Harness
from tests.recaps.helpers import VTT, all_text, recaps, share_file, stored_message


class _Recorder(ThreadingHTTPServer):
    seen: list[dict[str, str]]
    body: bytes
    redirect_to: str | None


class _Handler(BaseHTTPRequestHandler):
    server: _Recorder

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.server.seen.append({"path": self.path, **dict(self.headers.items())})
        if self.server.redirect_to and not self.path.startswith("/final"):
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/vtt")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)


@pytest.fixture
def other_host() -> Iterator[_Recorder]:
    """A second local server that records request headers (a CDN on another host)."""
    server = _Recorder(("127.0.0.1", 0), _Handler)
    server.seen, server.body, server.redirect_to = [], VTT.encode(), None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_a_transcript_redirected_to_another_host_is_fetched_without_the_token(
    harness: Harness, other_host: _Recorder
) -> None:
    h = harness
    h.make_vendor(internal=(OWNER,), vendor=(PRIYA,))
    # "localhost" is another host than the fake Slack's 127.0.0.1, though on this machine.
    h.fake.redirect_downloads(f"http://localhost:{other_host.server_port}")
    share_file(h, "F_CALL", "acme-sync.vtt", VTT.encode(), user=OWNER)
    h.sweep()
    offer = stored_message(h, h.fake.workspace.history(SHARED_CHANNEL)[-1].ts)
    assert h.click_button(offer, "Make a recap", user=RAVI).status == 200

    (download,) = h.fake.calls("file_download")
    assert download.token == "xoxb-test"  # Slack's host got the token
    (fetched,) = other_host.seen
    assert fetched["path"].startswith("/files-pri/")
    assert not any(k.lower() == "authorization" for k in fetched), fetched
    assert "xoxb-test" not in str(fetched)
    # The file still became the recap the person asked for.
    (recap,) = recaps(h)
    assert recap.transcript == VTT
    assert "Send the revised estimate" in all_text(h.posts(SHARED_CHANNEL)[-1])


def test_a_redirect_on_the_same_host_keeps_the_token(other_host: _Recorder) -> None:
    base = f"http://127.0.0.1:{other_host.server_port}"
    other_host.redirect_to = f"{base}/final/file.vtt"
    request = urllib.request.Request(
        f"{base}/files-pri/T1-F1/file.vtt", headers={"Authorization": "Bearer xoxb-same"}
    )
    with DOWNLOAD_OPENER.open(request, timeout=5) as resp:
        assert resp.read() == VTT.encode()
    first, second = other_host.seen
    assert first["Authorization"] == second["Authorization"] == "Bearer xoxb-same"
    # Another port on the same name is another origin: no token there.
    (handler,) = [h for h in DOWNLOAD_OPENER.handlers if type(h).__name__ == "_TokenStaysHome"]
    for elsewhere in (f"http://127.0.0.1:{other_host.server_port + 1}/f", "https://cdn.example/f"):
        redirected = handler.redirect_request(request, None, 302, "Found", {}, elsewhere)
        assert redirected is not None and not redirected.has_header("Authorization")


def test_settings_never_print_tokens_or_secrets() -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-111-secret-bot",
            "SLACK_SIGNING_SECRET": "signing-secret-222",
            "SLACK_APP_TOKEN": "xapp-333-secret-app",
            "SLACK_CLIENT_ID": "1234.5678",
            "SLACK_CLIENT_SECRET": "client-secret-444",
            "DATABASE_URL": "postgresql://outsource:db-password-555@db.internal/outsource",
        },
        dotenv_path=None,
    )
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        for secret in ("secret-bot", "signing-secret", "secret-app", "client-secret", "555"):
            assert secret not in shown, shown
        assert "slack_bot_token='***'" in shown  # says that it is set
        assert "1234.5678" in shown and "db.internal" in shown  # the rest stays useful
    assert "slack_app_token=None" in repr(Settings())
