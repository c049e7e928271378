"""Signed requests *from* Slack into the app: body builders with Slack's shapes, and a sender.

    sender = SlackRequestSender(
        "secret", wsgi_app=handler, fake=fs, user_id="U_ALICE", channel_id="C1"
    )
    r = sender.command("vendor add Acme")
    assert r.status == 200

Builders return the raw body exactly as Slack sends it: slash commands form-encoded,
interactivity as form field `payload` holding JSON, events as JSON.
"""

from __future__ import annotations

import io
import itertools
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.fakeslack.workspace import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_ID,
)

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication

    from bot.fakeslack.server import FakeSlack

JSON = dict[str, Any]
VERIFICATION_TOKEN = "fake-verification-token"

_counter = itertools.count(1)


def _unique() -> int:
    return next(_counter)


def new_trigger_id() -> str:
    """A trigger_id in Slack's format (`<digits>.<digits>.<hex>`), unique per call."""
    return (
        f"{int(time.time())}{_unique():04d}.{secrets.randbelow(10**9):09d}.{secrets.token_hex(16)}"
    )


def new_event_id() -> str:
    return f"Ev{secrets.token_hex(5).upper()}{_unique():04d}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def placeholder_response_url(team_id: str = DEFAULT_TEAM_ID) -> str:
    return f"https://hooks.slack.com/commands/{team_id}/{_unique()}/{secrets.token_hex(12)}"


# ----------------------------------------------------------------------------- signing


def sign_headers(
    body: str | bytes,
    signing_secret: str,
    timestamp: int | str | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """Slack's request headers for `body`: X-Slack-Request-Timestamp, X-Slack-Signature
    (`v0=` HMAC-SHA256 of `v0:{ts}:{body}`), Content-Type (JSON if the body starts with `{`)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    verifier = SignatureVerifier(signing_secret)
    signature = verifier.generate_signature(timestamp=ts, body=body)
    if content_type is None:
        head = body[:1] if isinstance(body, str) else body[:1].decode("latin-1")
        content_type = "application/json" if head == "{" else "application/x-www-form-urlencoded"
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature or "",
        "Content-Type": content_type,
    }


# ----------------------------------------------------------------------------- builders


def _user_obj(user_id: str, user_team_id: str, user_name: str | None) -> JSON:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": user_team_id}


def _team_obj(team_id: str, domain: str | None = None) -> JSON:
    return {"id": team_id, "domain": domain or team_id.lower().replace("_", "-")}


def _enterprise(enterprise_id: str | None) -> JSON | None:
    return {"id": enterprise_id, "name": enterprise_id} if enterprise_id else None


def _payload_form(payload: JSON) -> str:
    return urlencode({"payload": json.dumps(payload)})


def slash_command(
    text: str,
    *,
    user_id: str,
    team_id: str = DEFAULT_TEAM_ID,
    channel_id: str,
    command: str = "/outsource",
    response_url: str | None = None,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    user_name: str | None = None,
    channel_name: str | None = None,
    team_domain: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    is_enterprise_install: bool = False,
) -> str:
    """A slash command body, form-encoded, fields in the order Slack sends them."""
    fields: list[tuple[str, str]] = [
        ("token", VERIFICATION_TOKEN),
        ("team_id", team_id),
        ("team_domain", team_domain or team_id.lower().replace("_", "-")),
    ]
    if enterprise_id:
        fields += [("enterprise_id", enterprise_id), ("enterprise_name", enterprise_id)]
    fields += [
        ("channel_id", channel_id),
        (
            "channel_name",
            channel_name or ("directmessage" if channel_id.startswith("D") else channel_id.lower()),
        ),
        ("user_id", user_id),
        ("user_name", user_name or user_id.lower()),
        ("command", command),
        ("text", text),
        ("api_app_id", api_app_id),
        ("is_enterprise_install", "true" if is_enterprise_install else "false"),
        ("response_url", response_url or placeholder_response_url(team_id)),
        ("trigger_id", trigger_id or new_trigger_id()),
    ]
    return urlencode(fields)


def default_authorizations(
    team_id: str, enterprise_id: str | None = None, bot_user_id: str = DEFAULT_BOT_USER_ID
) -> list[JSON]:
    return [
        {
            "enterprise_id": enterprise_id,
            "team_id": team_id,
            "user_id": bot_user_id,
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ]


def event_callback(
    event: Mapping[str, Any],
    *,
    team_id: str = DEFAULT_TEAM_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    authorizations: list[JSON] | None = None,
    enterprise_id: str | None = None,
    is_ext_shared_channel: bool = False,
) -> str:
    """An Events API envelope (JSON). A fresh `event_id` unless one is given."""
    envelope: JSON = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": enterprise_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": authorizations
        if authorizations is not None
        else default_authorizations(team_id, enterprise_id),
        "is_ext_shared_channel": is_ext_shared_channel,
        "event_context": f"4-{secrets.token_hex(16)}",
    }
    if enterprise_id:
        envelope["enterprise_id"] = enterprise_id
    return json.dumps(envelope)


def message_event(
    text: str,
    *,
    user: str,
    channel: str,
    ts: str | None = None,
    team: str | None = DEFAULT_TEAM_ID,
    user_team: str | None = None,
    thread_ts: str | None = None,
    channel_type: str | None = None,
    subtype: str | None = None,
    blocks: list[Any] | None = None,
    files: list[JSON] | None = None,
    bot_id: str | None = None,
) -> JSON:
    """The inner `event` of a `message` event. `user_team`/`source_team` name the author's team."""
    ts = ts or f"{time.time():.6f}"
    event: JSON = {"type": "message"}
    if subtype:
        event["subtype"] = subtype
    event.update({"user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts})
    if team:
        event["team"] = team
        event["user_team"] = user_team or team
        event["source_team"] = user_team or team
    if thread_ts:
        event["thread_ts"] = thread_ts
    event["channel_type"] = channel_type or (
        "im" if channel.startswith("D") else "group" if channel.startswith("G") else "channel"
    )
    if blocks is not None:
        event["blocks"] = blocks
    if files is not None:
        event["files"] = files
    if bot_id:
        event["bot_id"] = bot_id
    return event


def block_actions(
    action_id: str,
    value: str | None = None,
    *,
    user_id: str,
    user_team_id: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    channel_id: str | None = None,
    message_ts: str | None = None,
    message: Mapping[str, Any] | None = None,
    container: Mapping[str, Any] | None = None,
    response_url: str | None = None,
    trigger_id: str | None = None,
    block_id: str | None = None,
    view: Mapping[str, Any] | None = None,
    action_type: str = "button",
    text: str | None = None,
    style: str | None = None,
    user_name: str | None = None,
    channel_name: str | None = None,
    enterprise_id: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    state_values: Mapping[str, Any] | None = None,
    is_ephemeral: bool = False,
    action_ts: str | None = None,
) -> str:
    """A `block_actions` payload (form field `payload`). From a message when `channel_id`
    is given, from a view when `view` is given. `action_type` "static_select" (or other
    selects) sends `selected_option` with `value`; "button" sends `value`."""
    user_team_id = user_team_id or team_id
    block_id = block_id or f"b_{action_id}"
    action: JSON = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": action_ts or _action_ts(),
    }
    label = text if text is not None else (value or action_id)
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": label, "emoji": True}
        if value is not None:
            action["value"] = value
        if style:
            action["style"] = style
    elif action_type in ("static_select", "external_select", "radio_buttons", "overflow"):
        action["selected_option"] = {
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": value,
        }
    elif action_type in ("users_select", "conversations_select", "channels_select"):
        key = {
            "users_select": "selected_user",
            "conversations_select": "selected_conversation",
        }.get(action_type, "selected_channel")
        action[key] = value
    elif action_type == "datepicker":
        action["selected_date"] = value
    elif action_type == "checkboxes":
        action["selected_options"] = [
            {"text": {"type": "plain_text", "text": label}, "value": value}
        ]
    else:
        action["value"] = value

    payload: JSON = {
        "type": "block_actions",
        "user": _user_obj(user_id, user_team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
    }
    if view is not None:
        v = dict(view)
        payload["container"] = (
            dict(container) if container else {"type": "view", "view_id": v.get("id", "")}
        )
        payload["trigger_id"] = trigger_id or new_trigger_id()
        payload["team"] = _team_obj(team_id)
        payload["enterprise"] = _enterprise(enterprise_id)
        payload["is_enterprise_install"] = False
        v.setdefault("state", {"values": dict(state_values or {})})
        payload["view"] = v
    else:
        if channel_id is None:
            raise ValueError("block_actions needs channel_id (message) or view")
        msg: JSON
        if message is not None:
            msg = dict(message)
            message_ts = message_ts or msg.get("ts")
        else:
            message_ts = message_ts or f"{time.time():.6f}"
            msg = {
                "type": "message",
                "user": DEFAULT_BOT_USER_ID,
                "bot_id": DEFAULT_BOT_ID,
                "app_id": api_app_id,
                "ts": message_ts,
                "text": "",
                "team": team_id,
                "blocks": [],
            }
        payload["container"] = (
            dict(container)
            if container
            else {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            }
        )
        payload["trigger_id"] = trigger_id or new_trigger_id()
        payload["team"] = _team_obj(team_id)
        payload["enterprise"] = _enterprise(enterprise_id)
        payload["is_enterprise_install"] = False
        payload["channel"] = {"id": channel_id, "name": channel_name or channel_id.lower()}
        if not is_ephemeral:
            payload["message"] = msg
        payload["state"] = {"values": dict(state_values or {})}
        payload["response_url"] = response_url or placeholder_response_url(team_id).replace(
            "commands", "actions"
        )
    payload["actions"] = [action]
    return _payload_form(payload)


def state_values(values: Mapping[str, Any]) -> JSON:
    """Slack's `view.state.values` from a shorthand: a leaf given as a plain string becomes
    `{"type": "plain_text_input", "value": s}`; dict leaves pass through unchanged."""
    out: JSON = {}
    for block_id, actions in values.items():
        out[block_id] = {}
        for action_id, leaf in dict(actions).items():
            if isinstance(leaf, str) or leaf is None:
                out[block_id][action_id] = {"type": "plain_text_input", "value": leaf}
            else:
                out[block_id][action_id] = leaf
    return out


def view_submission(
    callback_id: str,
    values: Mapping[str, Any],
    *,
    user_id: str,
    user_team_id: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    private_metadata: str = "",
    view_id: str | None = None,
    blocks: list[Any] | None = None,
    title: str = "Modal",
    view_hash: str | None = None,
    app_installed_team_id: str | None = None,
    view_team_id: str | None = None,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    user_name: str | None = None,
    api_app_id: str = DEFAULT_APP_ID,
    response_urls: list[JSON] | None = None,
) -> str:
    """A `view_submission` payload (form field `payload`). `values` may use the shorthand of
    `state_values()`. `team.id` is `team_id`; `user.team_id` is `user_team_id` (the user's
    own team, differs for an external Slack Connect user); `view.app_installed_team_id`
    defaults to `team_id`."""
    user_team_id = user_team_id or team_id
    vid = view_id or f"V{_unique():08d}"
    view: JSON = {
        "id": vid,
        "team_id": view_team_id or team_id,
        "type": "modal",
        "blocks": blocks or [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": state_values(values)},
        "hash": view_hash or f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": None,
        "root_view_id": vid,
        "app_id": api_app_id,
        "external_id": "",
        "app_installed_team_id": app_installed_team_id or team_id,
        "bot_id": DEFAULT_BOT_ID,
    }
    payload: JSON = {
        "type": "view_submission",
        "team": _team_obj(team_id),
        "user": _user_obj(user_id, user_team_id, user_name),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": view,
        "response_urls": response_urls or [],
        "is_enterprise_install": False,
        "enterprise": _enterprise(enterprise_id),
    }
    return _payload_form(payload)


def message_shortcut(
    callback_id: str,
    message: Mapping[str, Any],
    *,
    user_id: str,
    user_team_id: str | None = None,
    team_id: str = DEFAULT_TEAM_ID,
    channel_id: str,
    response_url: str | None = None,
    trigger_id: str | None = None,
    user_name: str | None = None,
    channel_name: str | None = None,
    enterprise_id: str | None = None,
    action_ts: str | None = None,
) -> str:
    """A message shortcut (`message_action`) payload (form field `payload`)."""
    user_team_id = user_team_id or team_id
    msg = dict(message)
    payload: JSON = {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": action_ts or _action_ts(),
        "team": _team_obj(team_id),
        "user": _user_obj(user_id, user_team_id, user_name),
        "channel": {"id": channel_id, "name": channel_name or channel_id.lower()},
        "is_enterprise_install": False,
        "enterprise": _enterprise(enterprise_id),
        "callback_id": callback_id,
        "trigger_id": trigger_id or new_trigger_id(),
        "response_url": response_url
        or placeholder_response_url(team_id).replace("commands", "actions"),
        "message_ts": msg.get("ts", ""),
        "message": msg,
    }
    return _payload_form(payload)


# ----------------------------------------------------------------------------- sender


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Response:
    """What the app answered."""

    status: int
    headers: dict[str, str]
    body_text: str
    request_body: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    set_cookies: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body_text) if self.body_text.strip() else None

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class SlackRequestSender:
    """Sends (signed) Slack requests to the app: over HTTP to `base_url + path`, or in-process
    to a WSGI callable. With `fake`, response URLs come from the fake server (so `respond()`
    is recorded) and the acting user's team is looked up in the fake workspace."""

    def __init__(
        self,
        signing_secret: str,
        *,
        base_url: str | None = None,
        wsgi_app: WSGIApplication | None = None,
        path: str = "/slack/events",
        fake: FakeSlack | None = None,
        team_id: str = DEFAULT_TEAM_ID,
        user_id: str | None = None,
        channel_id: str | None = None,
        enterprise_id: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        if (base_url is None) == (wsgi_app is None):
            raise ValueError("give exactly one of base_url or wsgi_app")
        self.signing_secret = signing_secret
        self.base_url = base_url.rstrip("/") if base_url else None
        self.wsgi_app = wsgi_app
        self.path = path
        self.fake = fake
        self.team_id = team_id
        self.user_id = user_id
        self.channel_id = channel_id
        self.enterprise_id = enterprise_id
        self.timeout = timeout
        #: cookies set by the app (e.g. Bolt's OAuth state cookie), sent back by `get()`
        self.cookies: dict[str, str] = {}

    # ------------------------------------------------------------------ transport

    def send(
        self,
        body: str | bytes,
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signed: bool = True,
        *,
        path: str | None = None,
    ) -> Response:
        """POST `body`. `timestamp` overrides X-Slack-Request-Timestamp (e.g. 10 minutes old);
        `signed=False` sends no signature headers."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        if signed:
            headers = sign_headers(raw, self.signing_secret, timestamp)
        else:
            head = raw[:1]
            headers = {
                "Content-Type": "application/json"
                if head == b"{"
                else "application/x-www-form-urlencoded"
            }
            if timestamp is not None:
                headers["X-Slack-Request-Timestamp"] = str(timestamp)
        headers.update(extra_headers or {})
        resp = self._request("POST", path or self.path, "", headers, raw)
        resp.request_body = raw.decode("utf-8", errors="replace")
        resp.request_headers = headers
        return resp

    def get(
        self,
        path: str,
        query: Mapping[str, str] | str = "",
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """A plain GET (e.g. `/slack/install`, `/slack/oauth_redirect?code=...&state=...`).
        Redirects are not followed; cookies set by earlier answers are sent back."""
        qs = query if isinstance(query, str) else urlencode(dict(query))
        all_headers = dict(headers or {})
        if self.cookies and not any(k.lower() == "cookie" for k in all_headers):
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return self._request("GET", path, qs, all_headers, b"")

    def _request(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Response:
        if self.wsgi_app is not None:
            return self._call_wsgi(method, path, query, headers, body)
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        req = urllib.request.Request(
            url, data=body if method == "POST" else None, headers=headers, method=method
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                pairs = list(resp.headers.items())
                return self._response(resp.status, pairs, resp.read())
        except urllib.error.HTTPError as err:
            return self._response(err.code, list(err.headers.items()), err.read())

    def _response(self, status: int, pairs: list[tuple[str, str]], body: bytes) -> Response:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for key, value in pairs:
            if key.lower() == "set-cookie":
                cookies.append(value)
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            headers[key] = value if key not in headers else f"{headers[key]}, {value}"
        return Response(status, headers, body.decode("utf-8", "replace"), set_cookies=cookies)

    def _call_wsgi(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Response:
        assert self.wsgi_app is not None
        host = "localhost"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": host,
            "SERVER_PORT": "3000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "HTTP_HOST": f"{host}:3000",
        }
        for key, value in headers.items():
            name = key.upper().replace("-", "_")
            if name == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif name != "CONTENT_LENGTH":
                environ[f"HTTP_{name}"] = value
        captured: dict[str, Any] = {}

        def start_response(
            status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            captured["status"] = status
            captured["headers"] = response_headers
            return lambda _data: None

        result: Iterable[bytes] = self.wsgi_app(environ, start_response)
        try:
            chunks = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        status = int(str(captured.get("status", "500")).split(" ", 1)[0])
        return self._response(status, list(captured.get("headers", [])), chunks)

    # ------------------------------------------------------------------ defaults

    def _need(self, name: str, value: str | None) -> str:
        if value is None:
            raise ValueError(f"{name} is required (pass it or set it on the sender)")
        return value

    def _user_team(self, user_id: str, given: str | None, team_id: str) -> str:
        if given:
            return given
        if self.fake is not None:
            with self.fake.workspace.lock:
                user = self.fake.workspace.users.get(user_id)
            if user is not None:
                return user.team_id
        return team_id

    def _interacting_user(self, kw: dict[str, Any]) -> str:
        """The user of a click, submission or shortcut. Sets in `kw` the team (and enterprise)
        the request comes from and the user's own team (another one for a Slack Connect guest)."""
        user_id = self._need("user_id", kw.pop("user_id", None) or self.user_id)
        team_id = kw.setdefault("team_id", self.team_id)
        kw.setdefault("enterprise_id", self.enterprise_id)
        kw["user_team_id"] = self._user_team(user_id, kw.get("user_team_id"), team_id)
        return user_id

    def _response_url(
        self, given: str | None, channel_id: str | None, user_id: str, message_ts: str | None = None
    ) -> str | None:
        if given:
            return given
        if self.fake is not None:
            return self.fake.new_response_url(
                channel_id=channel_id, user_id=user_id, message_ts=message_ts
            )
        return None

    # ------------------------------------------------------------------ helpers

    def command(
        self,
        text: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signed: bool = True,
        **kw: Any,
    ) -> Response:
        """Send a slash command (builder kwargs: user_id, channel_id, command, ...)."""
        user_id = self._need("user_id", kw.pop("user_id", None) or self.user_id)
        channel_id = self._need("channel_id", kw.pop("channel_id", None) or self.channel_id)
        kw.setdefault("team_id", self.team_id)
        kw.setdefault("enterprise_id", self.enterprise_id)
        kw["response_url"] = self._response_url(kw.get("response_url"), channel_id, user_id)
        body = slash_command(text, user_id=user_id, channel_id=channel_id, **kw)
        return self.send(body, extra_headers, timestamp, signed)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signed: bool = True,
        **kw: Any,
    ) -> Response:
        """Send an event_callback; `retry_num` adds X-Slack-Retry-Num / X-Slack-Retry-Reason
        (reuse the same `event_id` to simulate Slack's redelivery)."""
        kw.setdefault("team_id", self.team_id)
        kw.setdefault("enterprise_id", self.enterprise_id)
        headers = dict(extra_headers or {})
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return self.send(event_callback(event, **kw), headers, timestamp, signed)

    def _now_ts(self) -> str | None:
        """Slack's time of a click: the fake workspace's clock when it has one."""
        fake = getattr(self, "fake", None)
        clock = getattr(getattr(fake, "workspace", None), "clock", None)
        return f"{clock.now().timestamp():.6f}" if clock is not None else None

    def action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signed: bool = True,
        **kw: Any,
    ) -> Response:
        """Send a block_actions payload (builder kwargs: user_id, channel_id, message, view...)."""
        user_id = self._interacting_user(kw)
        if kw.get("view") is None:
            kw["channel_id"] = self._need("channel_id", kw.get("channel_id") or self.channel_id)
            message = kw.get("message")
            ts = kw.get("message_ts") or (message.get("ts") if message else None)
            kw["response_url"] = self._response_url(
                kw.get("response_url"), kw["channel_id"], user_id, ts
            )
        kw.setdefault("action_ts", self._now_ts())
        body = block_actions(action_id, value, user_id=user_id, **kw)
        return self.send(body, extra_headers, timestamp, signed)

    def submit(
        self,
        callback_id: str,
        values: Mapping[str, Any] | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signed: bool = True,
        **kw: Any,
    ) -> Response:
        """Send a view_submission (builder kwargs: user_id, private_metadata, view_id, ...)."""
        user_id = self._interacting_user(kw)
        body = view_submission(callback_id, values or {}, user_id=user_id, **kw)
        return self.send(body, extra_headers, timestamp, signed)

    def shortcut(
        self,
        callback_id: str,
        message: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timestamp: int | str | None = None,
        signed: bool = True,
        **kw: Any,
    ) -> Response:
        """Send a message shortcut on `message` (builder kwargs: user_id, channel_id, ...)."""
        user_id = self._interacting_user(kw)
        channel_id = self._need("channel_id", kw.pop("channel_id", None) or self.channel_id)
        kw["response_url"] = self._response_url(kw.get("response_url"), channel_id, user_id)
        kw.setdefault("action_ts", self._now_ts())
        body = message_shortcut(callback_id, message, user_id=user_id, channel_id=channel_id, **kw)
        return self.send(body, extra_headers, timestamp, signed)
