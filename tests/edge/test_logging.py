"""Bolt's and slack_sdk's loggers never write a request body, a token or a response_url, even
when a request reaches Bolt without the edge in front, and even with the root logger at
DEBUG."""

from __future__ import annotations

import logging
import time

from bot.app.web import build_web_app
from bot.fakeslack.signing import block_actions, slash_command
from bot.ops.logs import MAX_CHARS, redact
from tests.edge.conftest import LogCapture, call, signed_headers
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL, Harness

MARK = "QQ-BODY-MARK-5519"
RESPONSE_URL = f"https://hooks.slack.com/commands/{INTERNAL_TEAM}/1/{MARK}"
SECRETS = (MARK, "response_url", "hooks.slack.com", "xoxb-", "xapp-", "Traceback")


def _slash() -> bytes:
    body = slash_command(
        f"help {MARK}",
        user_id=OWNER,
        channel_id=SHARED_CHANNEL,
        team_id=INTERNAL_TEAM,
        response_url=RESPONSE_URL,
    )
    return body.replace("token=fake-verification-token", "token=xoxb-9-leak").encode()


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in the log:\n{text}"


def test_bolt_behind_no_edge_logs_no_body_of_a_stale_request(
    harness: Harness, debug_log: LogCapture
) -> None:
    # Built with the root logger already at DEBUG, as a process that configures logging first
    # does (Bolt copies the root's level into each logger it creates).
    bolt = build_web_app(harness.runtime).slack_app
    body = _slash()
    stale = signed_headers(body, str(int(time.time()) - 600))
    # Straight into Bolt's adapter: Bolt's own signature check refuses it.
    assert call(bolt, body, headers=stale).status == 401
    assert call(bolt, body, headers={**stale, "X-Slack-Signature": "v0=00"}).status == 401
    _assert_clean(debug_log.text)


def test_an_unhandled_request_is_logged_without_its_body(
    harness: Harness, debug_log: LogCapture
) -> None:
    form = block_actions(
        "no_such_button",
        MARK,
        user_id=OWNER,
        channel_id=SHARED_CHANNEL,
        team_id=INTERNAL_TEAM,
        response_url=RESPONSE_URL,
    ).encode()
    answer = call(harness.web, form, headers=signed_headers(form))
    assert answer.status == 404  # Bolt: no listener
    assert "Unhandled request" in debug_log.text  # the warning is there, cut short
    _assert_clean(debug_log.text)
    for line in debug_log.text.splitlines():
        assert len(line) < MAX_CHARS + 80


def test_library_loggers_stay_at_warning_with_the_root_at_debug(
    harness: Harness, debug_log: LogCapture
) -> None:
    for name in ("slack_bolt.RequestVerification", "slack_sdk.web.base_client"):
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO), name
    # A Web API call at DEBUG would log its parameters and the response body.
    harness.runtime.client_factory(INTERNAL_TEAM).chat_postMessage(  # type: ignore[union-attr]
        channel=SHARED_CHANNEL, text=MARK
    )
    _assert_clean(debug_log.text)


def test_redact_cuts_bodies_and_masks_secrets() -> None:
    cases = {
        "Invalid request signature detected (signature: v0=1, timestamp: 1, body: token=x&a=1)": (
            "Invalid request signature detected"
        ),
        "Unhandled request ({'type': 'block_actions', 'value': 'x'})\n---\n[Suggestion]": (
            "Unhandled request"
        ),
        "Failed to authorize with the given token (xoxb-1-2-3 is bad)": (
            "Failed to authorize with the given token ([redacted] is bad)"
        ),
        "posting to https://hooks.slack.com/actions/T1/2/abc failed": (
            "posting to [redacted] failed"
        ),
        "auth with xapp-1-A1-2-abc token=secret-value failed": (
            "auth with [redacted] [redacted] failed"
        ),
    }
    for message, start in cases.items():
        assert redact(message).startswith(start), (message, redact(message))
        assert "\n" not in redact(message)
    assert len(redact("x" * 10_000)) == MAX_CHARS
