"""Tests of the fake Slack itself (`bot.fakeslack`, which the playground uses too) and its
pytest fixtures (`fake_slack`, `fake_slack_client` in `tests.fakeslack.plugin`, loaded by
`tests/conftest.py` through `pytest_plugins`)."""
