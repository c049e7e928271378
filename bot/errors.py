"""Domain errors. A UserError carries a message fit to show the person who asked."""

from __future__ import annotations

from bot.text.escaping import slack_escape


class UserError(Exception):
    """Bad input or a refused action: shown to the user ephemerally, nothing changed.

    `message` is mrkdwn written by the bot (anything people typed is escaped where it is
    quoted); `usage` is the right form of the subcommand, shown under it as literal text."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    def render(self) -> str:
        if self.usage:
            # Literal <placeholders> must not be read by Slack as links or mentions.
            return f"{self.message}\nUsage: `{slack_escape(self.usage)}`"
        return self.message


class NotAllowed(UserError):
    """The actor is not permitted to do this (wrong side, wrong team)."""


class NotFound(UserError):
    """The thing referred to does not exist here."""


class ConfigError(Exception):
    """A missing or invalid setting; the CLI prints it as one line and exits non-zero."""
