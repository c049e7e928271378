"""Socket Mode through the ordinary events of a production week: Slack asks for a new
connection (`refresh_requested`), warns that it will (`warning`), or the TCP connection just
ends. Envelopes sent right after the new connection's `hello` are acked within Slack's 3 s and
take effect once. The real app and handlers/socket_mode.py against a fake Socket Mode server."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from bot.fakeslack import FakeSlack
from bot.fakeslack.signing import slash_command
from handlers.app import create_app
from handlers.socket_mode import SocketMode
from storage.models import Deadline
from tests.harness import INTERNAL_TEAM, OWNER, SHARED_CHANNEL, Harness
from tests.process.socket_mode_server import APP_TOKEN, FakeSocketMode

ACK_BUDGET = 3.0  # Slack's


@pytest.fixture
def socket_mode(slack: FakeSlack) -> Iterator[FakeSocketMode]:
    server = FakeSocketMode(slack).start()
    yield server
    server.stop()


@pytest.fixture
def connected(harness: Harness, socket_mode: FakeSocketMode) -> Iterator[SocketMode]:
    harness.make_vendor()
    client = SocketMode(create_app(harness.runtime), APP_TOKEN)
    client.connect()
    try:
        yield client
    finally:
        client.close(timeout=2)


def _add(server: FakeSocketMode, conn_number: int, title: str) -> str:
    conn = server.connections[conn_number - 1]
    body = slash_command(
        f'deadline add "{title}" 2027-03-20',
        user_id=OWNER,
        team_id=INTERNAL_TEAM,
        channel_id=SHARED_CHANNEL,
    )
    return server.command(conn, body)


def _deadlines(harness: Harness, title: str) -> int:
    with harness.session() as s:
        return int(s.scalar(select(func.count()).where(Deadline.title == title)) or 0)


@pytest.mark.parametrize("how", ["refresh_requested", "warning", "tcp_close"])
def test_envelopes_after_a_new_connection_are_acked_in_time_and_processed_once(
    how: str, harness: Harness, socket_mode: FakeSocketMode, connected: SocketMode
) -> None:
    first = socket_mode.wait_for_connection(1)
    before = _add(socket_mode, 1, "Before the refresh")
    socket_mode.wait_for_acks([before])

    went_away = time.monotonic()
    if how == "tcp_close":
        socket_mode.drop(first)
    else:
        # refresh_requested: Slack closes the old connection soon after; a warning comes
        # seconds before, and the old connection stays usable meanwhile.
        socket_mode.disconnect(first, how, close_after=1.0 if how != "warning" else 10.0)
    second = socket_mode.wait_for_connection(2, timeout=10)
    # noticed at once, not at the next ping check
    assert second.hello_at - went_away < 3.0

    titles = [f"{how} item {i}" for i in range(5)]
    envelopes = [_add(socket_mode, 2, title) for title in titles]
    acks = socket_mode.wait_for_acks(envelopes, timeout=10)

    for envelope, title in zip(envelopes, titles, strict=True):
        assert len(acks[envelope]) == 1, "acked once"
        ack = acks[envelope][0]
        assert ack.at - second.hello_at < ACK_BUDGET, (
            f"{title}: acked {ack.at - second.hello_at:.2f}s after hello"
        )
        assert ack.payload and "#" in str(ack.payload.get("text", "")), ack.payload
        assert _deadlines(harness, title) == 1
    assert _deadlines(harness, "Before the refresh") == 1
    # one new connection, one new URL asked for (apps.connections.open is rate-limited)
    time.sleep(1.2)  # past the old connection's close
    assert len(socket_mode.connections) == 2
    assert socket_mode.opened_urls == 2


def test_a_wrong_app_token_is_one_clear_error(
    harness: Harness, socket_mode: FakeSocketMode
) -> None:
    from handlers.socket_mode import SlackUnreachable

    client = SocketMode(create_app(harness.runtime), "xapp-1-wrong")
    try:
        with pytest.raises(SlackUnreachable, match="SLACK_APP_TOKEN"):
            client.connect()
    finally:
        client.close(timeout=1)
