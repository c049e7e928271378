"""Global middleware: event de-duplication, who is acting, and who may do what."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks.ids import is_internal_only
from storage.repositories import claim_event

log = logging.getLogger(__name__)

EXTERNAL_COMMAND_REFUSAL = (
    "Sorry — `/outsource` commands are for the team that runs this vendor relationship. "
    "You can use the buttons on the bot's messages in your shared channel."
)
EXTERNAL_ACTION_REFUSAL = "Sorry — that button is for the internal team; nothing was changed."


def register(app: App) -> None:
    app.middleware(skip_duplicate_events)
    app.middleware(resolve_actor)
    app.middleware(guard_internal_only)


REQUEST_KEY = "request_key"


def skip_duplicate_events(
    body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    """Slack retries (X-Slack-Retry-Num) keep the event_id; a form submitted twice, or the same
    click delivered twice, is the same request too. Its key is stored in the request's own
    transaction, at its end (OutsourceApp.dispatch → `claim_request_key`): the second delivery
    finds it taken and its work is dropped, and a request whose work failed leaves no key, so
    Slack's retry gets a real second chance."""
    key = request_key(body)
    if key is not None:
        team = installing_team(context) or body.get("team_id") or "-"
        context[REQUEST_KEY] = (str(team), key)
    return next()


def request_key(body: dict[str, Any]) -> str | None:
    """What makes a request the same request: an event's id; a submission's view and values;
    a click's user, button and time."""
    kind = body.get("type")
    if kind == "event_callback":
        event_id = body.get("event_id")
        return str(event_id) if event_id else None
    if kind == "view_submission":
        view = body.get("view") or {}
        values = (view.get("state") or {}).get("values") or {}
        return "view:" + _digest([view.get("id"), values])
    user = (body.get("user") or {}).get("id")
    if kind == "block_actions":
        action = (body.get("actions") or [{}])[0]
        if action.get("action_ts"):
            parts = [user, action.get("action_id"), action.get("value"), action["action_ts"]]
            return "action:" + _digest(parts)
    if kind in ("message_action", "shortcut") and body.get("action_ts"):
        return "shortcut:" + _digest([user, body.get("callback_id"), body["action_ts"]])
    return None


def _digest(parts: Any) -> str:
    raw = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:40]


def claim_request_key(session: Session, context: BoltContext, at: datetime) -> bool:
    """Store the request's key (see `skip_duplicate_events`); False when it was there already."""
    key = context.get(REQUEST_KEY)
    if key is None:
        return True
    return claim_event(session, team_id=key[0], event_id=key[1], at=at)


def installing_team(context: BoltContext) -> str | None:
    """The workspace that installed the bot. For a Slack Connect user the request's `team_id`
    may be theirs; the authorization result names the installation."""
    result = context.authorize_result
    if result is not None and result.team_id:
        return str(result.team_id)
    return context.team_id


def _user_of(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(user id, the user's own team id, the user's enterprise id) from any payload shape."""
    if body.get("command"):
        return body.get("user_id"), body.get("team_id"), body.get("enterprise_id")
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id"), user.get("team_id"), None
    event = body.get("event")
    if isinstance(event, dict):
        uid = event.get("user")
        if isinstance(uid, dict):  # user_change carries the whole user object
            return uid.get("id"), uid.get("team_id"), None
        return uid, event.get("user_team") or event.get("source_team"), None
    return None, None, None


def resolve_actor(
    body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    user_id, user_team, user_enterprise = _user_of(body)
    team_id = installing_team(context) or body.get("team_id") or ""
    lookup = bool(user_id) and user_team is None and body.get("type") != "event_callback"
    if user_id and lookup:
        runtime: Runtime = context["runtime"]
        try:
            found = runtime.directory.user(team_id, user_id)
            user_team = found.team_id if found else None
        except Exception:
            log.warning("could not look up user %s", user_id, exc_info=True)
    if user_id:
        context["actor"] = Actor(
            user_id=user_id,
            user_team_id=user_team,
            team_id=team_id,
            enterprise_id=(
                context.authorize_result.enterprise_id
                if context.authorize_result is not None
                else context.enterprise_id
            ),
            user_enterprise_id=user_enterprise,
            team_known=not (lookup and user_team is None and not body.get("command")),
        )
    return next()


def guard_internal_only(
    body: dict[str, Any],
    context: BoltContext,
    request: BoltRequest,
    next: Callable[[], BoltResponse],
) -> BoltResponse | None:
    """Slash commands and `_internal` buttons are honoured only for the installing org."""
    actor: Actor | None = context.get("actor")
    if actor is None or actor.is_internal:
        return next()
    if body.get("command"):
        return BoltResponse(
            status=200,
            body=json.dumps({"response_type": "ephemeral", "text": EXTERNAL_COMMAND_REFUSAL}),
            headers={"content-type": ["application/json;charset=utf-8"]},
        )
    if body.get("type") == "block_actions":
        action_ids = [a.get("action_id", "") for a in body.get("actions") or []]
        if any(is_internal_only(a) for a in action_ids):
            respond = context.respond
            if respond is not None:
                runtime: Runtime = context["runtime"]
                runtime.courier.run(
                    lambda: respond(
                        text=EXTERNAL_ACTION_REFUSAL,
                        response_type="ephemeral",
                        replace_original=False,
                    )
                )
            return BoltResponse(status=200, body="")
    return next()
