"""The shape of a Slack request body, checked before anything else reads it.

Slack sends three kinds of body to `POST /slack/events`: a form-encoded slash command, a
form with a `payload` field holding the JSON of an interaction (buttons, modals,
shortcuts), and a JSON object for the Events API (`event_callback`, `url_verification`).
`parse_slack_body` turns the (already signature-checked) text into the dict Bolt works
with, or raises `MalformedBody` naming the first thing that is wrong. Only the envelope
is checked: the fields Bolt and our global middleware index into without looking (ids,
`actions`, `view`, `event`), so a malformed body is answered 400 instead of reaching code
that assumes Slack's shapes.

Nothing here knows about HTTP or Bolt; `bot.app.web` calls it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["PARSED_BODY_KEY", "MalformedBody", "parse_slack_body"]

#: The WSGI environ key under which bot.app.web hands Bolt's adapter the body it checked.
PARSED_BODY_KEY = "outsource_bot.slack_body"
MAX_FORM_FIELDS = 100

EVENT_ENVELOPES = frozenset({"event_callback", "url_verification", "app_rate_limited"})
INTERACTIONS = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "dialog_submission",
        "dialog_cancellation",
        "dialog_suggestion",
    }
)
_COMMAND_FIELDS = ("command", "user_id", "team_id", "channel_id")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_NONE = type(None)


class MalformedBody(ValueError):
    """The body is not one of Slack's shapes; `reason` is short and holds no body bytes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_slack_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """The body as a dict, the way Bolt reads it (JSON when the content type says so or the
    body starts with `{`, else a form), with its envelope checked."""
    if not raw.strip():
        raise MalformedBody("empty body")
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype == "application/json" or raw.startswith("{"):
        body = _json_object(raw, "body")
        _check_event_envelope(body)
        return body
    if ctype not in ("", "application/x-www-form-urlencoded"):
        raise MalformedBody("unexpected content type")
    try:
        pairs = parse_qsl(
            raw, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FORM_FIELDS
        )
    except ValueError:
        raise MalformedBody("not a form") from None
    form = dict(pairs)
    if len(form) != len(pairs):
        raise MalformedBody("a form field is repeated")
    if "payload" in form:
        payload = _json_object(form["payload"], "payload")
        _check_interaction(payload)
        return payload
    if form.get("ssl_check") == "1":
        return form
    for name in _COMMAND_FIELDS:
        if not form.get(name):
            raise MalformedBody(f"a slash command needs {name}")
    if not form["command"].startswith("/"):
        raise MalformedBody("command must start with /")
    return form


# ----------------------------------------------------------------------------- envelopes


def _check_event_envelope(body: dict[str, Any]) -> None:
    kind = _get(body, "type", str, required=True)
    if kind not in EVENT_ENVELOPES:
        raise MalformedBody("type is not an Events API envelope")
    if kind == "url_verification":
        _get(body, "challenge", str, required=True)
        return
    if kind == "app_rate_limited":
        return
    for key in ("team_id", "api_app_id", "event_id", "enterprise_id", "context_team_id"):
        _get(body, key, (str, _NONE))
    _get(body, "is_ext_shared_channel", (bool, _NONE))
    _list_of_objects(body, "authorizations", "authorizations")
    event = _get(body, "event", dict, required=True)
    _get(event, "type", str, required=True, where="event.")
    for key in ("subtype", "text", "ts", "thread_ts", "event_ts", "bot_id", "channel_type"):
        _get(event, key, (str, _NONE), where="event.")
    for key in ("user_team", "source_team", "team", "tab", "callback_id"):
        _get(event, key, (str, _NONE), where="event.")
    _ref(event, "user", "event.")  # user_change carries the whole user object
    _ref(event, "channel", "event.")  # channel_created carries the channel object
    for key in ("item", "message", "previous_message", "assistant_thread"):
        inner = _get(event, key, (dict, _NONE), where="event.")
        if inner:
            _ref(inner, "user", f"event.{key}.")
            _ref(inner, "channel", f"event.{key}.")
            _get(inner, "thread_ts", (str, _NONE), where=f"event.{key}.")
    _list_of_objects(event, "files", "event.files")


def _check_interaction(payload: dict[str, Any]) -> None:
    kind = _get(payload, "type", str, required=True, where="payload.")
    if kind not in INTERACTIONS:
        raise MalformedBody("payload.type is not an interaction")
    _ref(payload, "team", "payload.")
    _ref(payload, "channel", "payload.")
    _ref(payload, "enterprise", "payload.")
    user = _get(payload, "user", dict, required=True, where="payload.")
    _get(user, "id", str, required=True, where="payload.user.")
    _get(user, "team_id", (str, _NONE), where="payload.user.")
    for key in ("trigger_id", "response_url", "api_app_id", "token", "action_ts"):
        _get(payload, key, (str, _NONE), where="payload.")
    _get(payload, "is_enterprise_install", (bool, str, _NONE), where="payload.")
    for key in ("message", "container", "state"):
        _get(payload, key, (dict, _NONE), where="payload.")
    for item in _list_of_objects(payload, "response_urls", "payload.response_urls"):
        _get(item, "response_url", str, where="payload.response_urls[].")
    actions = _list_of_objects(payload, "actions", "payload.actions")
    for action in actions:
        for key in ("action_id", "block_id", "value", "type", "action_ts"):
            _get(action, key, (str, _NONE), where="payload.actions[].")
    if kind in ("block_actions", "interactive_message") and not actions:
        raise MalformedBody(f"a {kind} payload needs at least one action")
    if kind == "block_actions":
        for action in actions:
            _get(action, "action_id", str, required=True, where="payload.actions[].")
    if kind in ("view_submission", "view_closed"):
        _check_view(_get(payload, "view", dict, required=True, where="payload."), required=True)
    elif "view" in payload:  # a button in a modal or on the Home tab
        view = _get(payload, "view", (dict, _NONE), where="payload.")
        if view is not None:
            _check_view(view, required=False)
    if kind in ("shortcut", "message_action", "interactive_message") or kind.startswith("dialog_"):
        _get(payload, "callback_id", str, required=True, where="payload.")
    if kind == "block_suggestion":
        _get(payload, "action_id", str, required=True, where="payload.")
        _get(payload, "value", str, where="payload.")


def _check_view(view: dict[str, Any], *, required: bool) -> None:
    for key in ("id", "type", "callback_id"):
        _get(view, key, str, required=required, where="payload.view.")
    for key in ("private_metadata", "team_id", "app_installed_team_id", "hash"):
        _get(view, key, (str, _NONE), where="payload.view.")
    state = _get(view, "state", (dict, _NONE), where="payload.view.")
    if state:
        values = _get(state, "values", (dict, _NONE), where="payload.view.state.")
        for block in (values or {}).values():
            if not isinstance(block, dict) or not all(isinstance(v, dict) for v in block.values()):
                raise MalformedBody("payload.view.state.values holds something else than inputs")


# ----------------------------------------------------------------------------- helpers


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedBody(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedBody(f"{what} is not a JSON object")
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise MalformedBody(f"{what} holds an unpaired UTF-16 surrogate")
    return value


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= ch <= "\udfff" for ch in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _get(
    obj: Mapping[str, Any],
    key: str,
    types: type | tuple[type, ...],
    *,
    required: bool = False,
    where: str = "",
) -> Any:
    if key not in obj:
        if required:
            raise MalformedBody(f"{where}{key} is missing")
        return None
    value = obj[key]
    if not isinstance(value, types):
        raise MalformedBody(f"{where}{key} has the wrong type")
    return value


def _ref(obj: Mapping[str, Any], key: str, where: str) -> None:
    """A reference Slack sends either as an id or as an object with an `id`."""
    value = _get(obj, key, (str, dict, _NONE), where=where)
    if isinstance(value, dict):
        _get(value, "id", (str, _NONE), where=f"{where}{key}.")


def _list_of_objects(obj: Mapping[str, Any], key: str, what: str) -> list[dict[str, Any]]:
    value = _get(obj, key, (list, _NONE))
    if value is None:
        return []
    if not all(isinstance(item, dict) for item in value):
        raise MalformedBody(f"{what} must be a list of objects")
    return value
