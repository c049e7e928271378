"""What Slack's libraries may write to our logs: short lines, no request bodies, no tokens.

Bolt writes the body of a rejected request at INFO ("Invalid request signature detected …
body: …", with its `token` and `response_url`), the filtered body of an unhandled one at
WARNING, and slack_sdk writes request and response bodies at DEBUG. Bolt copies the root
logger's level into each of its loggers when it creates them, so lowering the level of the
`slack_bolt` parent logger does nothing; what works is giving the App a base logger
(`App(logger=…)`): Bolt copies that logger's level and filters into every logger it makes.

`library_logger()` is that base logger: WARNING, with `RedactFilter`, which turns every
record into one line of at most `MAX_CHARS` characters, cut before the first dict, list or
body it quotes, with tokens and Slack URLs masked and no traceback.
"""

from __future__ import annotations

import logging
import re

__all__ = ["MAX_CHARS", "RedactFilter", "configure_slack_loggers", "library_logger", "redact"]

MAX_CHARS = 300
BOLT_LOGGER = "outsource_bot.slack_bolt"

# Where a quoted body starts: a dict/list repr, or the words Bolt and slack_sdk put before one.
_BODY_START = re.compile(
    r"[{\[]|\b(?:body|payload|params|json_body|query_params|headers|event)\s*[:=]",
    re.IGNORECASE,
)
_SECRETS = re.compile(
    r"xox[a-z]-[\w-]*|xapp-[\w-]*|https?://hooks\.slack(?:-gov)?\.com/\S*"
    r"|\b(?:response_url|token|client_secret|signing_secret)['\"]?\s*[:=]\s*['\"]?[^\s'\",&]*",
    re.IGNORECASE,
)
_SLACK_LOGGERS = (
    "slack_bolt",
    "slack_sdk",
    "slack_sdk.web.base_client",
    "slack_sdk.web.client",
    "slack_sdk.oauth",
    "slack_sdk.socket_mode",
    "slack_sdk.http_retry",
)


def redact(message: str) -> str:
    """One line, cut before any quoted body, secrets masked, at most MAX_CHARS."""
    line = message.splitlines()[0] if message else ""
    cut = _BODY_START.search(line)
    if cut is not None:
        line = line[: cut.start()].rstrip(" (:") + " […]"
    line = _SECRETS.sub("[redacted]", line)
    if len(line) > MAX_CHARS:
        line = line[: MAX_CHARS - 1] + "…"
    return line


class RedactFilter(logging.Filter):
    """Rewrites a record in place: `redact`ed message, no args, no traceback (the exception's
    type is kept)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        if record.exc_info and record.exc_info[0] is not None:
            message = f"{message} ({record.exc_info[0].__name__})"
        record.msg = redact(message)
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


_FILTER = RedactFilter()


def _quiet(logger: logging.Logger, level: int) -> logging.Logger:
    logger.setLevel(level)
    if not any(isinstance(f, RedactFilter) for f in logger.filters):
        logger.addFilter(_FILTER)
    return logger


def configure_slack_loggers(level: int = logging.WARNING) -> None:
    """slack_sdk's and Bolt's loggers that exist now, and the known ones, at `level` with
    `RedactFilter` (a filter on a logger applies to that logger's own records only)."""
    names = set(_SLACK_LOGGERS)
    names.update(
        name
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(("slack_bolt", "slack_sdk"))
    )
    for name in names:
        _quiet(logging.getLogger(name), level)


class BoltTokenNotice(logging.Filter):
    """Bolt warns that SLACK_BOT_TOKEN from the environment is unused when the app is given a
    client built from that same token: true, and no news to an operator."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in str(record.msg)


def library_logger(level: int = logging.WARNING) -> logging.Logger:
    """The base logger to give Bolt's App (see the module docstring); also quiets slack_sdk."""
    configure_slack_loggers(level)
    logger = _quiet(logging.getLogger(BOLT_LOGGER), level)
    if not any(isinstance(f, BoltTokenNotice) for f in logger.filters):
        logger.addFilter(BoltTokenNotice())
    return logger
