"""One error handler: domain errors become a friendly ephemeral message, nothing is committed."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.errors import UserError
from bot.slack import RATE_LIMITED, rate_limited

log = logging.getLogger("outsource_bot.errors")


def error_message(error: Exception) -> str:
    """What the user is told: a domain error's own words, else a reference into the log."""
    if isinstance(error, UserError):
        return error.render()
    if isinstance(error, SlackApiError) and rate_limited(error):
        log.warning("Slack API rate limit: %s", error.response.get("error"))
        return RATE_LIMITED
    ref = uuid.uuid4().hex[:8]
    if isinstance(error, SlackApiError):
        log.error("Slack API error [%s]: %s", ref, error.response.get("error"))
    else:
        log.exception("unhandled error [%s]", ref, exc_info=error)
    return (
        "Sorry — something went wrong on our side and nothing was changed. "
        f"Please try again; if it keeps happening, tell your admin (ref `{ref}`)."
    )


def handle_listener_error(
    error: Exception, request: BoltRequest, body: dict[str, Any]
) -> BoltResponse:
    # The request's unit of work is rolled back (see OutsourceApp.dispatch).
    request.context["failed"] = True
    message = error_message(error)
    if body.get("command"):
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": message}),
            headers={"content-type": ["application/json;charset=utf-8"]},
        )
    respond = request.context.respond
    if respond is not None and body.get("type") in ("block_actions", "message_action"):
        try:
            respond(text=message, response_type="ephemeral", replace_original=False)
        except Exception:  # the user is told nothing more; the log has the original error
            log.warning("could not tell the user about an error", exc_info=True)
    return BoltResponse(status=200, body="")
