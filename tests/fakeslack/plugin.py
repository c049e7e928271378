"""pytest fixtures for the fake Slack. Load with `pytest_plugins = ["tests.fakeslack.plugin"]`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.fakeslack import DEFAULT_BOT_TOKEN, FakeSlack


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started FakeSlack on a free port, stopped after the test."""
    fs = FakeSlack()
    fs.start()
    try:
        yield fs
    finally:
        fs.stop()


@pytest.fixture
def fake_slack_client(fake_slack: FakeSlack) -> WebClient:
    """A slack_sdk WebClient for the default bot token, pointed at `fake_slack`."""
    return WebClient(base_url=fake_slack.api_url, token=DEFAULT_BOT_TOKEN)
