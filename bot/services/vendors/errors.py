"""Refusals shared by registration and contacts: `FieldError`, which a form shows next to
the field it is about, and how a failed Slack read is named in a refusal."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot.errors import UserError


class FieldError(UserError):
    """Bad input in one field of a form: the handler shows it next to that field."""

    def __init__(self, field_name: str, message: str, *, usage: str | None = None) -> None:
        # Shown under a modal input, which is plain text: no mrkdwn emphasis there.
        super().__init__(message.replace("*", ""), usage=usage)
        self.field = field_name


def refuse(message: str, field_name: str | None) -> None:
    if field_name:
        raise FieldError(field_name, message)
    raise UserError(message)


def slack_error(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or "error")
    return "no answer"
