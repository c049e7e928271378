"""Arbitrary bodies at `POST /slack/events`, signed and unsigned, and real Slack shapes with
one field replaced by an arbitrary JSON value: never a 5xx."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qs, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.fakeslack.signing import block_actions, event_callback, slash_command, view_submission
from bot.slack.payloads import MalformedBody, parse_slack_body
from tests.edge.conftest import LogCapture, call, signed_headers
from tests.harness import INTERNAL_TEAM, OWNER, PRIYA, SHARED_CHANNEL, VENDOR_TEAM, Harness

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONTENT_TYPES = st.sampled_from(
    [None, "application/json", "application/x-www-form-urlencoded", "text/plain", ""]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
BODIES = st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8"))


def _payload(form: str) -> dict[str, Any]:
    return json.loads(parse_qs(form)["payload"][0])


SHAPES: dict[str, Any] = {
    "command": dict(
        parse_qs(
            slash_command(
                'deadline add "API" 2027-03-10',
                user_id=OWNER,
                channel_id=SHARED_CHANNEL,
                team_id=INTERNAL_TEAM,
            )
        )
    ),
    "block_actions": _payload(
        block_actions(
            "deadline_done",
            '{"d": 1}',
            user_id=PRIYA,
            user_team_id=VENDOR_TEAM,
            channel_id=SHARED_CHANNEL,
            team_id=INTERNAL_TEAM,
            message={"ts": "1.000100", "text": "x"},
        )
    ),
    "view_submission": _payload(
        view_submission(
            "recap_modal",
            {"summary": {"summary": {"type": "plain_text_input", "value": "We agreed."}}},
            user_id=OWNER,
            team_id=INTERNAL_TEAM,
        )
    ),
    "event": json.loads(
        event_callback(
            {
                "type": "message",
                "user": PRIYA,
                "text": "hello",
                "channel": SHARED_CHANNEL,
                "ts": "1.000200",
                "user_team": VENDOR_TEAM,
            },
            team_id=INTERNAL_TEAM,
        )
    ),
}


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 0) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if depth >= 4:
        return found
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((*prefix, key))
            found.extend(_paths(inner, (*prefix, key), depth + 1))
    elif isinstance(value, list):
        for i, inner in enumerate(value[:2]):
            found.append((*prefix, i))
            found.extend(_paths(inner, (*prefix, i), depth + 1))
    return found


def _with_fake_response_url(harness: Harness, kind: str, body: Any) -> Any:
    """Replies to this request reach the fake Slack (the builders' default goes nowhere)."""
    url = harness.fake.new_response_url(channel_id=SHARED_CHANNEL, user_id=OWNER)
    if kind == "command":
        body["response_url"] = [url]
    elif kind == "block_actions":
        body["response_url"] = url
    return body


def _encode(kind: str, body: Any) -> bytes:
    if kind == "command":
        fields = {k: (v[0] if isinstance(v, list) and v else v) for k, v in body.items()}
        return urlencode(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        ).encode()
    if kind == "event":
        return json.dumps(body).encode()
    return urlencode({"payload": json.dumps(body)}).encode()


@FUZZ
@given(raw=BODIES, content_type=CONTENT_TYPES)
def test_unsigned_arbitrary_bodies_are_refused_with_4xx(
    harness: Harness, raw: bytes, content_type: str | None
) -> None:
    answer = call(harness.web, raw, content_type=content_type)
    assert answer.status in (400, 401, 413), answer


@FUZZ
@given(raw=BODIES, content_type=CONTENT_TYPES)
def test_signed_arbitrary_bodies_never_get_a_5xx(
    harness: Harness, app_log: LogCapture, raw: bytes, content_type: str | None
) -> None:
    answer = call(harness.web, raw, headers=signed_headers(raw), content_type=content_type)
    assert answer.status < 500, answer
    assert "Traceback" not in app_log.text


@FUZZ
@given(data=st.data(), kind=st.sampled_from(sorted(SHAPES)), value=JSON_VALUES)
def test_slack_shapes_with_one_field_replaced_never_get_a_5xx(
    harness: Harness, app_log: LogCapture, data: st.DataObject, kind: str, value: Any
) -> None:
    body = _with_fake_response_url(harness, kind, copy.deepcopy(SHAPES[kind]))
    path = data.draw(st.sampled_from(_paths(body)))
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    raw = _encode(kind, body)
    answer = call(harness.web, raw, headers=signed_headers(raw))
    assert answer.status < 500, (path, value, answer)
    assert "Traceback" not in app_log.text, (path, value, app_log.text[-3000:])


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), content_type=CONTENT_TYPES)
def test_the_parser_returns_a_dict_or_says_why_not(text: str, content_type: str | None) -> None:
    try:
        body = parse_slack_body(text, content_type)
    except MalformedBody as exc:
        assert exc.reason and len(exc.reason) < 100
    else:
        assert isinstance(body, dict)


def test_the_unmodified_shapes_are_accepted(harness: Harness, app_log: LogCapture) -> None:
    harness.make_vendor()
    for kind, body in SHAPES.items():
        raw = _encode(kind, _with_fake_response_url(harness, kind, copy.deepcopy(body)))
        answer = call(harness.web, raw, headers=signed_headers(raw))
        assert answer.status == 200, (kind, answer)
    assert "Traceback" not in app_log.text
