"""One error handler: domain errors become a friendly ephemeral message, nothing is committed."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.delivery.unit_of_work import after_rollback, database_error
from bot.errors import UserError
from bot.slack.client import RATE_LIMITED, LookupDeferred, rate_limited
from storage.db import is_disconnect

log = logging.getLogger("outsource_bot.errors")


FAILED_WITH = "failed_with"  # the context key of the exception a request failed with


def error_message(error: BaseException) -> str:
    """What the user is told: a domain error's own words, else a reference into the log."""
    if isinstance(error, UserError):
        return error.render()
    unavailable = database_error(error)
    if unavailable is not None:
        log.warning("database unavailable: %s", type(error).__name__)
        return unavailable.render()
    if isinstance(error, SlackApiError) and rate_limited(error):
        log.warning("Slack API rate limit: %s", error.response.get("error"))
        return RATE_LIMITED
    ref = uuid.uuid4().hex[:8]
    if isinstance(error, SlackApiError):
        log.error("Slack API error [%s]: %s", ref, error.response.get("error"))
    else:
        log.error("unhandled error [%s]", ref, exc_info=error)
    return (
        "Sorry — something went wrong on our side and nothing was changed. "
        f"Please try again; if it keeps happening, tell your admin (ref `{ref}`)."
    )


def json_response(data: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(data),
        headers={"content-type": ["application/json;charset=utf-8"]},
    )


def first_input(body: dict[str, Any], message: str) -> dict[str, str]:
    """Modal errors must name a block of the modal: the first input block of the view."""
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    block = next(iter(values), None) or "summary"
    return {str(block): message[:1900]}


def handle_listener_error(
    error: Exception, request: BoltRequest, body: dict[str, Any]
) -> BoltResponse:
    """A listener (or middleware) raised. The request's unit of work is rolled back
    (OutsourceApp.dispatch), which may also run it again (a Slack read to make first, a dead
    database connection): then this answer is never seen."""
    context = request.context
    context["failed"] = True
    context[FAILED_WITH] = error
    if isinstance(error, LookupDeferred) or is_disconnect(error):
        return BoltResponse(status=500, body="")  # run again by the dispatch
    message = error_message(error)
    kind = body.get("type")
    if body.get("command"):
        return json_response({"response_type": "ephemeral", "text": message})
    if kind == "event_callback":
        # Slack delivers a failed event again (a refusal of the person's input is no failure).
        return BoltResponse(status=200 if isinstance(error, UserError) else 500, body="")
    if kind == "view_submission":
        # An empty answer would close the form as if it had been saved.
        return json_response({"response_action": "errors", "errors": first_input(body, message)})
    respond = context.respond
    session = context.get("session")
    if respond is not None and session is not None and kind in CLICKS:
        # After the rollback, off the request's thread (bot/delivery/unit_of_work.py).
        after_rollback(session, lambda: tell_ephemeral(respond, message))
    return BoltResponse(status=200, body="")


def tell_ephemeral(respond: Any, message: str) -> None:
    """Answer through the request's response_url. One that cannot be reached (expired, or
    not a URL at all in a crafted payload) is one log line, not a traceback."""
    try:
        respond(text=message, response_type="ephemeral", replace_original=False)
    except Exception as exc:
        log.warning("could not answer through response_url: %s", type(exc).__name__)


CLICKS = ("block_actions", "message_action", "shortcut")
