"""Test helpers around the fake Slack: re-exports `bot.fakeslack`.

The fixtures (`fake_slack`, `fake_slack_client`) live in `tests.slack_fake.plugin`, loaded by
`tests/conftest.py` through `pytest_plugins`.
"""

from bot.fakeslack import *  # noqa: F403
from bot.fakeslack import __all__ as __all__
