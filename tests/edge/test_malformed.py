"""Garbage, oversized, unsigned and stale requests at `POST /slack/events`: each gets a 4xx,
the body is not read whole when it is too large, and the log gets one short line without a
byte of the body, a token, a response_url or a traceback."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

import pytest

from bot.app.web import MAX_BODY_BYTES
from bot.fakeslack.signing import block_actions, slash_command
from tests.edge.conftest import SLACK_PATH, LogCapture, call, signed_headers
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL, Harness

MARK = "QQ-BODY-MARK-7731"  # in every body: must never reach the log
TOKEN = "xoxb-1234-leaked-token"
RESPONSE_URL = f"https://hooks.slack.com/commands/{INTERNAL_TEAM}/1/{MARK}"
PER_REQUEST_LOG_BYTES = 300


def _slash(text: str = f"help {MARK}") -> str:
    body = slash_command(
        text,
        user_id=OWNER,
        channel_id=SHARED_CHANNEL,
        team_id=INTERNAL_TEAM,
        response_url=RESPONSE_URL,
    )
    return body.replace("token=fake-verification-token", f"token={TOKEN}")


def _payload(**changes: object) -> str:
    form = block_actions(
        "deadline_done",
        MARK,
        user_id=OWNER,
        channel_id=SHARED_CHANNEL,
        team_id=INTERNAL_TEAM,
        response_url=RESPONSE_URL,
    )
    payload = json.loads(parse_qs(form)["payload"][0])
    payload.update(changes, token=TOKEN)
    return urlencode({"payload": json.dumps(payload)})


TRUNCATED_JSON = json.dumps(
    {"type": "event_callback", "token": TOKEN, "event": {"type": "message", "text": MARK}}
)[:-7]
BINARY = b"\x89PNG\r\n\x1a\n\x00\xff\xfe" + MARK.encode() + bytes(range(256))


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes
    status: int
    signed: bool = False
    method: str = "POST"
    path: str = SLACK_PATH
    content_length: str | None = "auto"
    timestamp: str | None = None  # None: now
    # Seconds from the moment of sending (not of collecting the cases: on a busy machine the
    # test may run minutes after import, and a fixed stamp would drift into the window).
    skew: int | None = None
    content_type: str | None = None
    sign_over: bytes | None = None  # sign these bytes instead of the body
    chunked: bool = False


CASES = [
    Case("unsigned truncated JSON", TRUNCATED_JSON.encode(), 401),
    Case("unsigned JSON array", f'["{MARK}", 1, 2]'.encode(), 401),
    Case("unsigned binary", BINARY, 401),
    Case("unsigned empty body", b"", 401),
    Case("unsigned slash command", _slash().encode(), 401),
    Case("2 MB body", MARK.encode() * (2 * 1024 * 1024 // len(MARK)), 413),
    Case("2 MB signed body", MARK.encode() * (2 * 1024 * 1024 // len(MARK)), 413, signed=True),
    Case(
        "2 MB chunked body, no length",
        MARK.encode() * (2 * 1024 * 1024 // len(MARK)),
        413,
        signed=True,
        content_length=None,
        chunked=True,
    ),
    Case(
        "Content-Length longer than the body",
        _slash().encode(),
        400,
        signed=True,
        content_length="9000",
    ),
    Case(
        "Content-Length shorter than the body",
        _slash().encode(),
        401,
        signed=True,
        content_length="40",
    ),
    Case("Content-Length not a number", _slash().encode(), 400, content_length="12abc"),
    Case("signed empty body", b"", 400, signed=True),
    Case("signed bad JSON", TRUNCATED_JSON.encode(), 400, signed=True),
    Case("signed JSON array", f'["{MARK}"]'.encode(), 400, signed=True),
    Case("signed JSON string", json.dumps(MARK).encode(), 400, signed=True),
    Case("signed binary", BINARY, 401, signed=True),
    Case("signed actions: null", _payload(actions=None).encode(), 400, signed=True),
    Case("signed actions: a string", _payload(actions=MARK).encode(), 400, signed=True),
    Case("signed actions: list of numbers", _payload(actions=[1, 2]).encode(), 400, signed=True),
    Case("signed actions: empty list", _payload(actions=[]).encode(), 400, signed=True),
    Case("signed user: null", _payload(user=None).encode(), 400, signed=True),
    Case("signed unknown payload type", _payload(type=MARK).encode(), 400, signed=True),
    Case(
        "signed slash command sent as JSON",
        json.dumps(
            {
                "command": "/outsource",
                "text": f"help {MARK}",
                "user_id": OWNER,
                "team_id": INTERNAL_TEAM,
                "channel_id": SHARED_CHANNEL,
                "token": TOKEN,
                "response_url": RESPONSE_URL,
            }
        ).encode(),
        400,
        signed=True,
    ),
    Case(
        "signed event with event: a list",
        json.dumps(
            {"type": "event_callback", "team_id": INTERNAL_TEAM, "event": [MARK], "token": TOKEN}
        ).encode(),
        400,
        signed=True,
    ),
    Case(
        "signed event with event.text: an object",
        json.dumps(
            {
                "type": "event_callback",
                "team_id": INTERNAL_TEAM,
                "event": {"type": "message", "text": {"x": MARK}, "channel": SHARED_CHANNEL},
            }
        ).encode(),
        400,
        signed=True,
    ),
    Case("signed payload not JSON", f"payload={MARK}".encode(), 400, signed=True),
    Case(
        "signed payload a JSON array",
        urlencode({"payload": json.dumps([MARK])}).encode(),
        400,
        signed=True,
    ),
    Case("signed form without a command", f"text={MARK}&user_id=U1".encode(), 400, signed=True),
    Case("signed form, not a form", f"{MARK}&&&=".encode(), 400, signed=True),
    Case(
        "signed XML",
        f"<x>{MARK}</x>".encode(),
        400,
        signed=True,
        content_type="application/xml",
    ),
    Case(
        "signed lone surrogate",
        json.dumps(
            {
                "type": "event_callback",
                "team_id": INTERNAL_TEAM,
                "event": {"type": "message", "text": "\ud800" + MARK},
            }
        ).encode(),
        400,
        signed=True,
    ),
    Case(
        "non-numeric timestamp",
        _slash().encode(),
        401,
        signed=True,
        timestamp="12ab34",
    ),
    Case("negative timestamp", _slash().encode(), 401, signed=True, timestamp="-1"),
    Case(
        "stale timestamp (a replay of a real command)",
        _slash().encode(),
        401,
        signed=True,
        skew=-600,
    ),
    Case(
        "timestamp from the future",
        _slash().encode(),
        401,
        signed=True,
        skew=600,
    ),
    Case(
        "signed with another secret's signature",
        _slash().encode(),
        401,
        signed=True,
        sign_over=b"something else",
    ),
    Case("wrong path", _slash().encode(), 404, signed=True, path="/slack/event"),
    Case("GET on /slack/events", b"", 405, method="GET"),
    Case("PUT on /slack/events", _slash().encode(), 405, method="PUT", signed=True),
]


def _send(harness: Harness, case: Case):
    headers: dict[str, str] = {}
    if case.signed:
        timestamp = case.timestamp
        if case.skew is not None:
            timestamp = str(int(time.time()) + case.skew)
        headers = signed_headers(case.body if case.sign_over is None else case.sign_over, timestamp)
    return call(
        harness.web,
        case.body,
        method=case.method,
        path=case.path,
        headers=headers,
        content_type=case.content_type,
        content_length=case.content_length,
        chunked=case.chunked,
    )


def assert_clean(log: LogCapture, before: int) -> None:
    text = log.text
    for secret in (MARK, "response_url", "hooks.slack.com", "xoxb-", "xapp-", "Traceback"):
        assert secret not in text, f"{secret!r} in the log:\n{text}"
    assert log.size - before <= PER_REQUEST_LOG_BYTES, text


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bad_request_gets_a_4xx_and_a_short_clean_log_line(
    harness: Harness, app_log: LogCapture, case: Case
) -> None:
    before = app_log.size
    answer = _send(harness, case)
    assert answer.status == case.status, answer.body
    assert answer.headers["Content-Type"] == "application/json"
    assert set(answer.json()) == {"error"}
    assert MARK not in answer.body.decode("utf-8", "replace")
    assert_clean(app_log, before)
    # Nothing reached Slack or the database.
    assert harness.fake.calls("chat.postMessage") == []
    assert harness.fake.responses() == []
    if case.status == 405:
        assert answer.headers["Allow"] == "POST"


def test_an_oversized_body_is_refused_before_it_is_read(harness: Harness) -> None:
    body = b"x" * (2 * 1024 * 1024)
    declared = call(harness.web, body, headers=signed_headers(body))
    assert declared.status == 413 and declared.read_bytes == 0
    chunked = call(
        harness.web, body, headers=signed_headers(body), content_length=None, chunked=True
    )
    assert chunked.status == 413
    assert chunked.read_bytes <= MAX_BODY_BYTES + 1  # read up to the limit, not the rest
    unsigned = call(harness.web, body[:1000])
    assert unsigned.status == 401 and unsigned.read_bytes == 0  # no signature: not even read


def test_a_body_of_exactly_the_limit_is_read_and_judged(harness: Harness) -> None:
    body = b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}"
    answer = call(harness.web, body, headers=signed_headers(body))
    assert answer.status == 400  # read in full (1 MB is allowed), then refused for its shape
    assert answer.read_bytes == MAX_BODY_BYTES


def test_refusals_are_rate_limited_in_the_log(harness: Harness, app_log: LogCapture) -> None:
    body = f'["{MARK}"]'.encode()
    for _ in range(200):
        assert call(harness.web, body).status == 401
    lines = app_log.text.splitlines()
    assert 1 <= len(lines) <= 25, lines
    assert all(len(line) < PER_REQUEST_LOG_BYTES for line in lines)
    assert_clean(app_log, 0 if app_log.size < PER_REQUEST_LOG_BYTES else app_log.size)


def test_good_requests_still_work_through_the_edge(harness: Harness, app_log: LogCapture) -> None:
    # A slash command whose text holds the word "payload": Bolt alone reads such a form as an
    # interaction and drops the command; the edge hands Bolt the form it parsed.
    answer = harness.command("help payload")
    assert answer.status == 200
    assert "Commands" in harness.reply_text(answer)
    challenge = harness.sender.send(
        json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"})
    )
    assert challenge.status == 200 and "c-123" in challenge.body_text
    ssl = harness.sender.send("ssl_check=1&token=fake-verification-token")
    assert ssl.status == 200
    assert "Traceback" not in app_log.text


def test_a_click_with_an_unreachable_response_url_is_answered_and_logs_no_traceback(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.make_vendor()
    caplog.set_level("WARNING")
    resp = h.click(
        "deadline_done",
        '{"d": 999}',  # no such deadline: the refusal goes back through the response_url
        user=OWNER,
        channel_id=SHARED_CHANNEL,
        response_url="not a url at all",
    )
    assert resp.status == 200
    assert "could not answer through response_url" in caplog.text
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)
