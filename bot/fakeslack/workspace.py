"""In-memory Slack state and Web API method semantics, independent of HTTP.

`Workspace.call(method, params, token)` answers like Slack's Web API would, with realistic
shapes (`{"ok": true, ...}` / `{"ok": false, "error": "..."}`). The HTTP layer lives in
`bot.fakeslack.server`; this module only knows about URLs through `base_url`.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import itertools
import json
import mimetypes
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.time.clock import Clock

Params = dict[str, Any]
JSON = dict[str, Any]

DEFAULT_TEAM_ID = "T_INTERNAL"
DEFAULT_TEAM_NAME = "Internal"
DEFAULT_BOT_USER_ID = "UBOT"
DEFAULT_BOT_ID = "BBOT"
DEFAULT_BOT_TOKEN = "xoxb-test"
DEFAULT_APP_ID = "A_OUTSOURCE"
DEFAULT_BOT_NAME = "outsource-bot"
DEFAULT_SCOPES = (
    "commands,chat:write,chat:write.public,channels:history,groups:history,im:history,"
    "im:write,mpim:history,users:read,channels:read,groups:read,im:read,files:read,"
    "files:write,reactions:write,team:read,metadata.message:read"
)
DEFAULT_BASE_URL = "http://fake-slack.invalid"

MAX_TEXT = 40_000
MAX_BLOCKS = 50

# Parameters Slack documents as JSON strings when sent form-encoded.
JSON_PARAMS = frozenset(
    {
        "blocks",
        "attachments",
        "metadata",
        "view",
        "files",
        "unfurls",
        "user_auth_blocks",
        "outputs",
        "channels_list",
    }
)


class SlackApiFault(Exception):
    """Raised inside a method implementation: becomes `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class ApiResult:
    body: JSON
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200


# ----------------------------------------------------------------------------- entities


@dataclass
class Team:
    id: str
    name: str
    domain: str
    enterprise_id: str | None = None
    email_domain: str = ""


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str
    display_name: str = ""
    tz: str = "UTC"
    deleted: bool = False
    is_bot: bool = False
    email: str | None = None
    bot_id: str | None = None
    is_admin: bool = False
    updated: int = 0


@dataclass
class Channel:
    id: str
    name: str
    team_id: str = DEFAULT_TEAM_ID
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_ext_shared: bool = False
    is_archived: bool = False
    connected_team_ids: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    im_user: str | None = None
    created: int = 0
    creator: str = ""
    topic: str = ""
    purpose: str = ""


@dataclass
class Message:
    channel: str
    ts: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    team: str | None = None
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    metadata: JSON | None = None
    files: list[str] = field(default_factory=list)
    subtype: str | None = None
    username: str | None = None
    icon_emoji: str | None = None
    edited: JSON | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    extra: JSON = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass
class Ephemeral:
    channel: str
    user: str
    message_ts: str
    text: str
    blocks: list[Any] | None
    thread_ts: str | None
    source: str = "chat.postEphemeral"


@dataclass
class StoredFile:
    id: str
    name: str
    content: bytes | None
    filetype: str
    user: str
    team_id: str
    title: str
    mimetype: str
    created: int
    size: int | None = None
    uploaded: bool = True
    completed: bool = True
    channel_id: str | None = None
    initial_comment: str | None = None
    alt_txt: str | None = None
    # channel id -> list of message ts where the file was shared
    shares: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Installation:
    team_id: str
    bot_user_id: str
    bot_token: str
    bot_id: str
    enterprise_id: str | None = None
    app_id: str = DEFAULT_APP_ID
    scopes: str = DEFAULT_SCOPES
    is_enterprise_install: bool = False


@dataclass
class OAuthCode:
    code: str
    team_id: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    enterprise_id: str | None
    authed_user_id: str
    scope: str
    app_id: str
    is_enterprise_install: bool
    team_name: str | None = None


@dataclass
class ResponseUrl:
    id: str
    channel_id: str | None
    user_id: str | None
    message_ts: str | None
    thread_ts: str | None
    uses: int = 0


@dataclass
class _Ctx:
    token: str | None
    inst: Installation | None

    @property
    def installation(self) -> Installation:
        if self.inst is None:  # pragma: no cover - guarded by the dispatcher
            raise SlackApiFault("not_authed")
        return self.inst


# ----------------------------------------------------------------------------- helpers


def ts_key(ts: str) -> int:
    """Slack ts "1700000000.000100" as integer microseconds (for ordering)."""
    sec, _, frac = str(ts).partition(".")
    try:
        return int(sec) * 1_000_000 + int((frac + "000000")[:6])
    except ValueError as exc:
        raise SlackApiFault("invalid_ts_latest") from exc


def format_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def decode_json_params(params: Params) -> Params:
    """Decode Slack's JSON-string parameters (blocks, metadata, view, ...) in place."""
    for key in JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return False


def _int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise SlackApiFault("invalid_arguments") from exc


def _str(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value)
    return s if s != "" else None


def _required(params: Params, name: str, error: str = "invalid_arguments") -> str:
    value = _str(params.get(name))
    if value is None:
        raise SlackApiFault(
            error, response_metadata={"messages": [f"[ERROR] missing required field: {name}"]}
        )
    return value


def _set_fields(record: User | Channel, changes: dict[str, Any]) -> None:
    """A test's edit of a user or channel: a misspelt field fails instead of adding one."""
    for key, value in changes.items():
        if not hasattr(record, key):
            raise AttributeError(f"{type(record).__name__} has no field {key!r}")
        setattr(record, key, value)


def _csv(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v)]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: Any) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(str(cursor).encode()).decode()
        kind, _, num = raw.partition(":")
        if kind != "offset":
            raise ValueError(raw)
        return int(num)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SlackApiFault("invalid_cursor") from exc


def _paginate(items: list[Any], params: Params, default_limit: int = 100) -> tuple[list[Any], str]:
    start = _decode_cursor(params.get("cursor"))
    limit = _int(params.get("limit"), default_limit) or default_limit
    page = items[start : start + limit]
    next_cursor = _encode_cursor(start + limit) if start + limit < len(items) else ""
    return page, next_cursor


def _validate_blocks(blocks: Any) -> list[Any] | None:
    if blocks is None or blocks == "":
        return None
    if not isinstance(blocks, list):
        raise SlackApiFault("invalid_blocks_format")
    if len(blocks) > MAX_BLOCKS:
        raise SlackApiFault("invalid_blocks", response_metadata={"messages": ["too many blocks"]})
    for i, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise SlackApiFault(
                "invalid_blocks",
                response_metadata={
                    "messages": [f"[ERROR] missing required field: type [json-pointer:/blocks/{i}]"]
                },
            )
    return copy.deepcopy(blocks)


def _validate_metadata(metadata: Any) -> JSON | None:
    if metadata is None or metadata == "":
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackApiFault("invalid_metadata_format")
    return copy.deepcopy(metadata)


_FILETYPE_MIME = {
    "text": "text/plain",
    "vtt": "text/vtt",
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "json": "application/json",
    "csv": "text/csv",
    "markdown": "text/markdown",
    "html": "text/html",
    "zip": "application/zip",
}


def _guess_filetype(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {"txt": "text", "md": "markdown", "jpeg": "jpg", "": "binary"}.get(ext, ext)


def _mimetype(name: str, filetype: str) -> str:
    if filetype in _FILETYPE_MIME:
        return _FILETYPE_MIME[filetype]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


# ----------------------------------------------------------------------------- workspace


class Workspace:
    """All the fake Slack state. Thread-safe: every public method takes `self.lock`."""

    def __init__(self, clock: Clock | None = None, *, with_defaults: bool = True) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.base_url = DEFAULT_BASE_URL
        self.teams: dict[str, Team] = {}
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, JSON] = {}
        self.home_views: dict[str, str] = {}
        self.files: dict[str, StoredFile] = {}
        self.installations: dict[str, Installation] = {}
        self.revoked_tokens: set[str] = set()
        self.oauth_codes: dict[str, OAuthCode] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.used_trigger_ids: set[str] = set()
        #: trigger_ids may be used once (Slack: "exchanged_trigger_id").
        self.single_use_triggers = True
        #: response_url accepts this many posts (Slack: 5 within 30 minutes).
        self.response_url_max_uses = 5
        self._last_ts = 0
        self._ids = itertools.count(1)
        self._methods: dict[str, Callable[[_Ctx, Params], JSON]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.conversations": self._users_conversations,
            "conversations.info": self._conversations_info,
            "conversations.list": self._conversations_list,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "files.info": self._files_info,
            "team.info": self._team_info,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.uninstall": self._apps_uninstall,
        }
        self._no_token_methods = {"oauth.v2.access", "apps.uninstall"}
        if with_defaults:
            self.add_team(DEFAULT_TEAM_ID, DEFAULT_TEAM_NAME, domain="internal")
            self.install(DEFAULT_TEAM_ID, DEFAULT_BOT_USER_ID, DEFAULT_BOT_TOKEN, DEFAULT_BOT_ID)

    # ------------------------------------------------------------------ time and ids

    def now(self) -> float:
        if self.clock is not None:
            return self.clock.now().timestamp()
        return time.time()

    def next_ts(self) -> str:
        """A new message ts, strictly greater than any ts seen so far."""
        with self.lock:
            micros = max(int(self.now() * 1_000_000), self._last_ts + 1)
            self._last_ts = micros
            return format_ts(micros)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _seen_ts(self, ts: str) -> None:
        self._last_ts = max(self._last_ts, ts_key(ts))

    @property
    def root_url(self) -> str:
        return self.base_url.rstrip("/")

    # ------------------------------------------------------------------ setup helpers

    def add_team(
        self,
        team_id: str,
        name: str | None = None,
        *,
        domain: str | None = None,
        enterprise_id: str | None = None,
        email_domain: str = "",
    ) -> Team:
        with self.lock:
            team = Team(
                id=team_id,
                name=name or team_id,
                domain=domain or (name or team_id).lower().replace(" ", "-").replace("_", "-"),
                enterprise_id=enterprise_id,
                email_domain=email_domain,
            )
            self.teams[team_id] = team
            return team

    def _ensure_team(self, team_id: str) -> Team:
        return self.teams.get(team_id) or self.add_team(team_id)

    def add_user(
        self,
        user_id: str,
        team_id: str = DEFAULT_TEAM_ID,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "UTC",
        is_bot: bool = False,
        deleted: bool = False,
        *,
        display_name: str = "",
        email: str | None = None,
        bot_id: str | None = None,
        is_admin: bool = False,
    ) -> User:
        with self.lock:
            self._ensure_team(team_id)
            uname = name or user_id.lower()
            user = User(
                id=user_id,
                team_id=team_id,
                name=uname,
                real_name=real_name if real_name is not None else uname.replace(".", " ").title(),
                display_name=display_name,
                tz=tz,
                deleted=deleted,
                is_bot=is_bot,
                email=email,
                bot_id=bot_id,
                is_admin=is_admin,
                updated=int(self.now()),
            )
            self.users[user_id] = user
            return user

    def update_user(self, user_id: str, **changes: Any) -> User:
        """Change fields of a user (e.g. `deleted=True`, `tz="Asia/Tokyo"`)."""
        with self.lock:
            user = self.users[user_id]
            _set_fields(user, changes)
            user.updated = int(self.now())
            return user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: Iterable[str] = (),
        is_ext_shared: bool = False,
        connected_team_ids: Iterable[str] | None = None,
        is_private: bool = False,
        *,
        team_id: str = DEFAULT_TEAM_ID,
        bot_member: bool = True,
        is_archived: bool = False,
        topic: str = "",
        purpose: str = "",
        creator: str = "",
    ) -> Channel:
        """Add a channel. With `bot_member` (default) the default bot user is a member too."""
        with self.lock:
            self._ensure_team(team_id)
            member_list = list(dict.fromkeys(members))
            if bot_member:
                bot = self._bot_user_for_team(team_id)
                if bot not in member_list:
                    member_list.append(bot)
            if connected_team_ids is None:
                teams = [team_id]
                if is_ext_shared:
                    for uid in member_list:
                        u = self.users.get(uid)
                        if u is not None and u.team_id not in teams:
                            teams.append(u.team_id)
                connected = teams
            else:
                connected = list(connected_team_ids)
                if team_id not in connected:
                    connected.insert(0, team_id)
            for tid in connected:
                self._ensure_team(tid)
            channel = Channel(
                id=channel_id,
                name=name,
                team_id=team_id,
                is_private=is_private,
                is_ext_shared=is_ext_shared,
                is_archived=is_archived,
                connected_team_ids=connected,
                members=member_list,
                created=int(self.now()),
                creator=creator,
                topic=topic,
                purpose=purpose,
            )
            self.channels[channel_id] = channel
            self.messages.setdefault(channel_id, [])
            return channel

    def update_channel(self, channel_id: str, **changes: Any) -> Channel:
        """Change fields of a channel (e.g. `is_ext_shared=True`, `is_archived=True`)."""
        with self.lock:
            channel = self.channels[channel_id]
            _set_fields(channel, changes)
            return channel

    def add_member(self, channel_id: str, user_id: str) -> None:
        with self.lock:
            members = self.channels[channel_id].members
            if user_id not in members:
                members.append(user_id)

    def remove_member(self, channel_id: str, user_id: str) -> None:
        with self.lock:
            members = self.channels[channel_id].members
            if user_id in members:
                members.remove(user_id)

    def install(
        self,
        team_id: str,
        bot_user_id: str,
        bot_token: str,
        bot_id: str,
        *,
        enterprise_id: str | None = None,
        app_id: str = DEFAULT_APP_ID,
        scopes: str = DEFAULT_SCOPES,
        bot_name: str = DEFAULT_BOT_NAME,
        is_enterprise_install: bool = False,
    ) -> Installation:
        """Make `bot_token` valid: auth.test answers with this team/bot for it."""
        with self.lock:
            self._ensure_team(team_id)
            inst = Installation(
                team_id=team_id,
                bot_user_id=bot_user_id,
                bot_token=bot_token,
                bot_id=bot_id,
                enterprise_id=enterprise_id,
                app_id=app_id,
                scopes=scopes,
                is_enterprise_install=is_enterprise_install,
            )
            self.installations[bot_token] = inst
            self.revoked_tokens.discard(bot_token)
            if bot_user_id not in self.users:
                self.add_user(
                    bot_user_id,
                    team_id=team_id,
                    name=bot_name,
                    real_name=bot_name,
                    is_bot=True,
                    bot_id=bot_id,
                )
            return inst

    def add_oauth_code(
        self,
        code: str,
        team_id: str = DEFAULT_TEAM_ID,
        bot_token: str = DEFAULT_BOT_TOKEN,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        enterprise_id: str | None = None,
        *,
        bot_id: str | None = None,
        team_name: str | None = None,
        authed_user_id: str = "U_INSTALLER",
        scope: str = DEFAULT_SCOPES,
        app_id: str = DEFAULT_APP_ID,
        is_enterprise_install: bool = False,
    ) -> OAuthCode:
        """oauth.v2.access with this `code` answers this installation (once) and installs it."""
        with self.lock:
            oc = OAuthCode(
                code=code,
                team_id=team_id,
                bot_token=bot_token,
                bot_user_id=bot_user_id,
                bot_id=bot_id or "B" + hashlib.sha1(bot_token.encode()).hexdigest()[:9].upper(),
                enterprise_id=enterprise_id,
                authed_user_id=authed_user_id,
                scope=scope,
                app_id=app_id,
                is_enterprise_install=is_enterprise_install,
                team_name=team_name,
            )
            self.oauth_codes[code] = oc
            return oc

    def add_file(
        self,
        file_id: str,
        name: str,
        content: bytes,
        filetype: str | None = None,
        user: str = DEFAULT_BOT_USER_ID,
        size: int | None = None,
        *,
        title: str | None = None,
        mimetype: str | None = None,
        team_id: str | None = None,
    ) -> StoredFile:
        """A file that already exists (e.g. a transcript a recorder app uploaded)."""
        with self.lock:
            ftype = filetype or _guess_filetype(name)
            owner = self.users.get(user)
            f = StoredFile(
                id=file_id,
                name=name,
                content=bytes(content),
                filetype=ftype,
                user=user,
                team_id=team_id or (owner.team_id if owner else DEFAULT_TEAM_ID),
                title=title or name,
                mimetype=mimetype or _mimetype(name, ftype),
                created=int(self.now()),
                size=size,
            )
            self.files[file_id] = f
            return f

    def add_message(
        self,
        channel_id: str,
        text: str = "",
        *,
        user: str | None = None,
        bot_id: str | None = None,
        blocks: list[Any] | None = None,
        thread_ts: str | None = None,
        metadata: JSON | None = None,
        subtype: str | None = None,
        files: Iterable[str] = (),
        ts: str | None = None,
        team: str | None = None,
        reply_broadcast: bool = False,
        username: str | None = None,
        **extra: Any,
    ) -> Message:
        """Seed a message (a person's, another app's, a huddle...) without going through the API."""
        with self.lock:
            if channel_id not in self.channels:
                raise KeyError(f"unknown channel {channel_id}")
            if ts is None:
                ts = self.next_ts()
            else:
                self._seen_ts(ts)
            if team is None and user is not None and user in self.users:
                team = self.users[user].team_id
            msg = Message(
                channel=channel_id,
                ts=ts,
                text=text,
                user=user,
                bot_id=bot_id,
                team=team,
                blocks=copy.deepcopy(blocks),
                thread_ts=thread_ts,
                reply_broadcast=reply_broadcast,
                metadata=copy.deepcopy(metadata),
                files=list(files),
                subtype=subtype,
                username=username,
                extra=dict(extra),
            )
            self._store(msg)
            return msg

    def dm_channel_id(self, user_id: str, bot_user_id: str = DEFAULT_BOT_USER_ID) -> str:
        """The (stable) id of the DM between `bot_user_id` and `user_id`."""
        return "D" + hashlib.sha1(f"{bot_user_id}:{user_id}".encode()).hexdigest()[:10].upper()

    def open_dm(self, user_id: str, bot_user_id: str = DEFAULT_BOT_USER_ID) -> Channel:
        with self.lock:
            cid = self.dm_channel_id(user_id, bot_user_id)
            channel = self.channels.get(cid)
            if channel is None:
                bot = self.users.get(bot_user_id)
                channel = Channel(
                    id=cid,
                    name="",
                    team_id=bot.team_id if bot else DEFAULT_TEAM_ID,
                    is_private=True,
                    is_im=True,
                    members=[bot_user_id, user_id],
                    im_user=user_id,
                    created=int(self.now()),
                )
                self.channels[cid] = channel
                self.messages.setdefault(cid, [])
            return channel

    def new_response_url_id(
        self,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        with self.lock:
            rid = self._new_id("R")
            self.response_urls[rid] = ResponseUrl(rid, channel_id, user_id, message_ts, thread_ts)
            return rid

    # ------------------------------------------------------------------ read helpers for tests

    def history(self, channel_id: str, *, include_replies: bool = True) -> list[Message]:
        """Messages of a channel, oldest first."""
        with self.lock:
            msgs = list(self.messages.get(channel_id, []))
            if not include_replies:
                msgs = [m for m in msgs if not m.is_reply or m.reply_broadcast]
            return msgs

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        with self.lock:
            for m in self.messages.get(channel_id, []):
                if m.ts == ts:
                    return m
            return None

    def view_for_user_home(self, user_id: str) -> JSON | None:
        with self.lock:
            vid = self.home_views.get(user_id)
            return copy.deepcopy(self.views[vid]) if vid else None

    # ------------------------------------------------------------------ dispatch

    def call(self, method: str, params: Params, token: str | None = None) -> ApiResult:
        """Run one Web API method. Unknown methods answer `unknown_method` (HTTP 200)."""
        with self.lock:
            params = decode_json_params(dict(params))
            if token is None:
                token = _str(params.get("token"))
            impl = self._methods.get(method)
            if impl is None:
                return ApiResult({"ok": False, "error": "unknown_method"})
            inst: Installation | None = None
            if method not in self._no_token_methods:
                if token is None:
                    return ApiResult({"ok": False, "error": "not_authed"})
                if token in self.revoked_tokens:
                    return ApiResult({"ok": False, "error": "token_revoked"})
                inst = self.installations.get(token)
                if inst is None:
                    return ApiResult({"ok": False, "error": "invalid_auth"})
            ctx = _Ctx(token=token, inst=inst)
            try:
                body = impl(ctx, params)
            except SlackApiFault as fault:
                return ApiResult({"ok": False, "error": fault.error, **fault.extra})
            headers: dict[str, str] = {}
            if inst is not None:
                headers["x-oauth-scopes"] = inst.scopes
            return ApiResult({"ok": True, **body}, headers)

    def installation_for_token(self, token: str | None) -> Installation | None:
        with self.lock:
            if token is None or token in self.revoked_tokens:
                return None
            return self.installations.get(token)

    # ------------------------------------------------------------------ serialisation

    def _bot_user_for_team(self, team_id: str) -> str:
        for inst in self.installations.values():
            if inst.team_id == team_id:
                return inst.bot_user_id
        return DEFAULT_BOT_USER_ID

    def _tz_info(self, tz: str) -> tuple[str, int]:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            return tz, 0
        at = datetime.fromtimestamp(self.now(), UTC).astimezone(zone)
        offset = at.utcoffset()
        return at.tzname() or tz, int(offset.total_seconds()) if offset else 0

    def user_json(self, user: User) -> JSON:
        tz_label, tz_offset = self._tz_info(user.tz)
        profile: JSON = {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "first_name": user.real_name.split(" ")[0] if user.real_name else "",
            "last_name": " ".join(user.real_name.split(" ")[1:]) if user.real_name else "",
            "team": user.team_id,
            "image_48": f"https://avatars.fake-slack.invalid/{user.id}_48.png",
            "status_text": "",
            "status_emoji": "",
        }
        if user.email:
            profile["email"] = user.email
        if user.bot_id:
            profile["bot_id"] = user.bot_id
            profile["api_app_id"] = DEFAULT_APP_ID
        return {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": user.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": user.updated,
            "is_email_confirmed": not user.is_bot,
        }

    def channel_json(
        self, channel: Channel, viewer: str | None = None, *, num_members: bool = False
    ) -> JSON:
        if channel.is_im:
            im_user = self.users.get(channel.im_user or "")
            return {
                "id": channel.id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.im_user,
                "is_user_deleted": bool(im_user and im_user.deleted),
                "priority": 0,
                "context_team_id": channel.team_id,
            }
        out: JSON = {
            "id": channel.id,
            "name": channel.name,
            "name_normalized": channel.name,
            "is_channel": not channel.is_private and not channel.is_mpim,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "created": channel.created,
            "creator": channel.creator,
            "is_archived": channel.is_archived,
            "is_general": False,
            "unlinked": 0,
            "is_shared": channel.is_ext_shared,
            "is_org_shared": False,
            "is_ext_shared": channel.is_ext_shared,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": channel.team_id,
            "conversation_host_id": channel.team_id,
            "shared_team_ids": list(channel.connected_team_ids),
            "connected_team_ids": list(channel.connected_team_ids),
            "internal_team_ids": [],
            "is_member": viewer in channel.members if viewer else False,
            "topic": {"value": channel.topic, "creator": "", "last_set": 0},
            "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if num_members:
            out["num_members"] = len(channel.members)
        return out

    def file_json(self, f: StoredFile) -> JSON:
        team = self.teams.get(f.team_id)
        domain = team.domain if team else "fake"
        base = f"{self.root_url}/files-pri/{f.team_id}-{f.id}"
        shares_public: JSON = {}
        shares_private: JSON = {}
        for cid, tss in f.shares.items():
            ch = self.channels.get(cid)
            entry = [
                {
                    "reply_users": [],
                    "reply_users_count": 0,
                    "reply_count": 0,
                    "ts": ts,
                    "channel_name": ch.name if ch else "",
                    "team_id": ch.team_id if ch else f.team_id,
                    "share_user_id": f.user,
                }
                for ts in tss
            ]
            (shares_private if ch is None or ch.is_private else shares_public)[cid] = entry
        content_len = len(f.content) if f.content is not None else 0
        out: JSON = {
            "id": f.id,
            "created": f.created,
            "timestamp": f.created,
            "name": f.name,
            "title": f.title,
            "mimetype": f.mimetype,
            "filetype": f.filetype,
            "pretty_type": f.filetype.upper() if f.filetype else "Binary",
            "user": f.user,
            "user_team": f.team_id,
            "editable": f.filetype in ("text", "markdown", "vtt", "csv"),
            "size": f.size if f.size is not None else content_len,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": any(
                not (self.channels.get(c) and self.channels[c].is_private) for c in f.shares
            ),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{quote(f.name)}",
            "url_private_download": f"{base}/download/{quote(f.name)}",
            "permalink": f"https://{domain}.slack.com/files/{f.user}/{f.id}/{quote(f.name)}",
            "permalink_public": f"https://slack-files.com/{f.team_id}-{f.id}-0000000000",
            "channels": [c for c in f.shares if not c.startswith(("G", "D"))],
            "groups": [c for c in f.shares if c.startswith("G")],
            "ims": [c for c in f.shares if c.startswith("D")],
            "comments_count": 0,
            "has_rich_preview": False,
            "file_access": "visible",
        }
        if f.alt_txt:
            out["alt_txt"] = f.alt_txt
        if f.initial_comment:
            out["initial_comment"] = {"comment": f.initial_comment, "user": f.user}
        if f.shares:
            out["shares"] = {}
            if shares_public:
                out["shares"]["public"] = shares_public
            if shares_private:
                out["shares"]["private"] = shares_private
        return out

    def message_json(self, m: Message, *, include_metadata: bool = True) -> JSON:
        out: JSON = {"type": "message"}
        if m.subtype:
            out["subtype"] = m.subtype
        out["text"] = m.text
        if m.user is not None:
            out["user"] = m.user
        if m.bot_id is not None:
            out["bot_id"] = m.bot_id
            out["app_id"] = m.app_id or DEFAULT_APP_ID
            bot_user = self.users.get(m.user or "")
            out["bot_profile"] = {
                "id": m.bot_id,
                "app_id": m.app_id or DEFAULT_APP_ID,
                "name": bot_user.name if bot_user else DEFAULT_BOT_NAME,
                "deleted": False,
                "team_id": m.team or DEFAULT_TEAM_ID,
            }
        if m.username:
            out["username"] = m.username
        if m.icon_emoji:
            out["icons"] = {"emoji": m.icon_emoji}
        out["ts"] = m.ts
        if m.team:
            out["team"] = m.team
        if m.blocks is not None:
            out["blocks"] = copy.deepcopy(m.blocks)
        if m.attachments is not None:
            out["attachments"] = copy.deepcopy(m.attachments)
        if m.files:
            out["files"] = [self.file_json(self.files[fid]) for fid in m.files if fid in self.files]
            out["upload"] = False
            out["display_as_bot"] = False
        if m.edited:
            out["edited"] = dict(m.edited)
        if m.thread_ts is not None:
            out["thread_ts"] = m.thread_ts
            if m.is_reply:
                parent = self.find_message(m.channel, m.thread_ts)
                if parent is not None and parent.user:
                    out["parent_user_id"] = parent.user
                if m.reply_broadcast:
                    out["subtype"] = "thread_broadcast"
            else:
                replies = [
                    r
                    for r in self.messages.get(m.channel, [])
                    if r.is_reply and r.thread_ts == m.ts
                ]
                out["reply_count"] = len(replies)
                users = list(dict.fromkeys(r.user or r.bot_id or "" for r in replies))
                out["reply_users"] = users
                out["reply_users_count"] = len(users)
                if replies:
                    out["latest_reply"] = replies[-1].ts
        if m.reactions:
            out["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in m.reactions.items()
            ]
        if include_metadata and m.metadata is not None:
            out["metadata"] = copy.deepcopy(m.metadata)
        for key, value in m.extra.items():
            out.setdefault(key, copy.deepcopy(value))
        return out

    def _store(self, msg: Message) -> None:
        msgs = self.messages.setdefault(msg.channel, [])
        msgs.append(msg)
        msgs.sort(key=lambda m: ts_key(m.ts))
        if msg.thread_ts is not None and msg.is_reply:
            parent = self.find_message(msg.channel, msg.thread_ts)
            if parent is not None and parent.thread_ts is None:
                parent.thread_ts = parent.ts

    # ------------------------------------------------------------------ lookups (Slack errors)

    def _channel(
        self,
        ctx: _Ctx,
        channel_id: str | None,
        *,
        for_write: bool = False,
        user_ok: bool = False,
    ) -> Channel:
        """The conversation a call names. A user id stands for the DM with that user only where
        Slack takes one (posting, opening); history, edits and the like want the D… id."""
        if channel_id is None:
            raise SlackApiFault("channel_not_found")
        if channel_id.startswith(("U", "W")):
            if not user_ok:
                raise SlackApiFault("channel_not_found")
            return self._dm_for_user(ctx, channel_id)
        channel = self.channels.get(channel_id)
        if channel is None:
            raise SlackApiFault("channel_not_found")
        bot = ctx.installation.bot_user_id
        if channel.is_private and bot not in channel.members:
            raise SlackApiFault("channel_not_found")
        if for_write:
            if channel.is_archived:
                raise SlackApiFault("is_archived")
            # a public channel takes posts from a non-member bot with chat:write.public
            public_ok = not channel.is_private and "chat:write.public" in _csv(
                ctx.installation.scopes
            )
            if bot not in channel.members and not public_ok:
                raise SlackApiFault("not_in_channel")
        return channel

    def _dm_for_user(self, ctx: _Ctx, user_id: str) -> Channel:
        user = self.users.get(user_id)
        if user is None:
            raise SlackApiFault("channel_not_found")
        if user.deleted:
            raise SlackApiFault("user_disabled")
        if user.is_bot and user.id != ctx.installation.bot_user_id:
            raise SlackApiFault("cannot_dm_bot")
        return self.open_dm(user_id, ctx.installation.bot_user_id)

    def _message(self, channel: Channel, ts: str | None) -> Message:
        if ts is None:
            raise SlackApiFault("message_not_found")
        msg = self.find_message(channel.id, ts)
        if msg is None:
            raise SlackApiFault("message_not_found")
        return msg

    def _user(self, user_id: str | None) -> User:
        user = self.users.get(user_id or "")
        if user is None:
            raise SlackApiFault("user_not_found")
        return user

    # ------------------------------------------------------------------ methods: auth, users, team

    def _auth_test(self, ctx: _Ctx, p: Params) -> JSON:
        inst = ctx.installation
        team = self._ensure_team(inst.team_id)
        bot = self.users.get(inst.bot_user_id)
        return {
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": bot.name if bot else DEFAULT_BOT_NAME,
            "team_id": inst.team_id,
            "user_id": inst.bot_user_id,
            "bot_id": inst.bot_id,
            "enterprise_id": inst.enterprise_id,
            "is_enterprise_install": inst.is_enterprise_install,
        }

    def _users_info(self, ctx: _Ctx, p: Params) -> JSON:
        return {"user": self.user_json(self._user(_str(p.get("user"))))}

    def _users_list(self, ctx: _Ctx, p: Params) -> JSON:
        members = [self.user_json(u) for u in self.users.values()]
        page, cursor = _paginate(members, p, 200)
        return {
            "members": page,
            "cache_ts": int(self.now()),
            "response_metadata": {"next_cursor": cursor},
        }

    def _team_info(self, ctx: _Ctx, p: Params) -> JSON:
        team_id = _str(p.get("team")) or ctx.installation.team_id
        team = self.teams.get(team_id)
        if team is None:
            raise SlackApiFault("team_not_found")
        out: JSON = {
            "id": team.id,
            "name": team.name,
            "url": f"https://{team.domain}.slack.com/",
            "domain": team.domain,
            "email_domain": team.email_domain,
            "icon": {"image_default": True, "image_34": "", "image_44": "", "image_68": ""},
            "avatar_base_url": "https://ca.slack-edge.com/",
            "is_verified": False,
        }
        if team.enterprise_id:
            out["enterprise_id"] = team.enterprise_id
            out["enterprise_name"] = team.enterprise_id
        return {"team": out}

    # ------------------------------------------------------------------ methods: conversations

    def _types_filter(self, types: list[str]) -> Callable[[Channel], bool]:
        wanted = set(types or ["public_channel"])

        def keep(c: Channel) -> bool:
            if c.is_im:
                return "im" in wanted
            if c.is_mpim:
                return "mpim" in wanted
            if c.is_private:
                return "private_channel" in wanted
            return "public_channel" in wanted

        return keep

    def _users_conversations(self, ctx: _Ctx, p: Params) -> JSON:
        user_id = _str(p.get("user")) or ctx.installation.bot_user_id
        self._user(user_id)
        keep = self._types_filter(_csv(p.get("types")))
        exclude_archived = _bool(p.get("exclude_archived"))
        chans = [
            self.channel_json(c, user_id)
            for c in self.channels.values()
            if user_id in c.members and keep(c) and not (exclude_archived and c.is_archived)
        ]
        page, cursor = _paginate(chans, p)
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_list(self, ctx: _Ctx, p: Params) -> JSON:
        bot = ctx.installation.bot_user_id
        keep = self._types_filter(_csv(p.get("types")))
        exclude_archived = _bool(p.get("exclude_archived"))
        chans = [
            self.channel_json(c, bot)
            for c in self.channels.values()
            if keep(c)
            and not (exclude_archived and c.is_archived)
            and not ((c.is_private or c.is_im) and bot not in c.members)
        ]
        page, cursor = _paginate(chans, p)
        return {"channels": page, "response_metadata": {"next_cursor": cursor}}

    def _conversations_info(self, ctx: _Ctx, p: Params) -> JSON:
        channel = self._channel(ctx, _str(p.get("channel")))
        return {
            "channel": self.channel_json(
                channel,
                ctx.installation.bot_user_id,
                num_members=_bool(p.get("include_num_members")),
            )
        }

    def _conversations_members(self, ctx: _Ctx, p: Params) -> JSON:
        channel = self._channel(ctx, _str(p.get("channel")))
        page, cursor = _paginate(list(channel.members), p)
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _window(self, msgs: list[Message], p: Params) -> list[Message]:
        inclusive = _bool(p.get("inclusive"))
        oldest = _str(p.get("oldest"))
        latest = _str(p.get("latest"))
        lo = ts_key(oldest) if oldest else None
        hi = ts_key(latest) if latest else None
        out = []
        for m in msgs:
            k = ts_key(m.ts)
            if lo is not None and (k < lo or (k == lo and not inclusive)):
                continue
            if hi is not None and (k > hi or (k == hi and not inclusive)):
                continue
            out.append(m)
        return out

    def _conversations_history(self, ctx: _Ctx, p: Params) -> JSON:
        channel = self._channel(ctx, _str(p.get("channel")))
        if ctx.installation.bot_user_id not in channel.members:
            raise SlackApiFault("not_in_channel")
        include_metadata = _bool(p.get("include_all_metadata"))
        top = [m for m in self.messages.get(channel.id, []) if not m.is_reply or m.reply_broadcast]
        window = list(reversed(self._window(top, p)))  # newest first
        page, cursor = _paginate(window, p)
        out: JSON = {
            "messages": [self.message_json(m, include_metadata=include_metadata) for m in page],
            "has_more": bool(cursor),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
        }
        out["response_metadata"] = {"next_cursor": cursor}
        return out

    def _conversations_replies(self, ctx: _Ctx, p: Params) -> JSON:
        channel = self._channel(ctx, _str(p.get("channel")))
        ts = _str(p.get("ts"))
        if ts is None:
            raise SlackApiFault("invalid_arguments")
        msg = self.find_message(channel.id, ts)
        if msg is None:
            raise SlackApiFault("thread_not_found")
        include_metadata = _bool(p.get("include_all_metadata"))
        if msg.is_reply:
            window = [msg]
        else:
            replies = [
                r for r in self.messages.get(channel.id, []) if r.is_reply and r.thread_ts == ts
            ]
            window = [msg, *self._window(replies, p)]  # the parent always comes first
        page, cursor = _paginate(window, p, 1000)
        return {
            "messages": [self.message_json(m, include_metadata=include_metadata) for m in page],
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _conversations_open(self, ctx: _Ctx, p: Params) -> JSON:
        return_im = _bool(p.get("return_im"))
        existing = _str(p.get("channel"))
        bot = ctx.installation.bot_user_id
        if existing is not None:
            channel = self._channel(ctx, existing, user_ok=True)
            return {"channel": self.channel_json(channel, bot) if return_im else {"id": channel.id}}
        users = _csv(p.get("users"))
        if not users:
            raise SlackApiFault("users_list_not_supplied")
        for uid in users:
            u = self.users.get(uid)
            if u is None:
                raise SlackApiFault("user_not_found")
            if u.deleted:
                raise SlackApiFault("user_disabled")
        if len(users) == 1:
            already = self.dm_channel_id(users[0], bot) in self.channels
            channel = self._dm_for_user(ctx, users[0])
            out: JSON = {
                "channel": self.channel_json(channel, bot) if return_im else {"id": channel.id}
            }
            if already:
                out["no_op"] = True
                out["already_open"] = True
            return out
        if len(users) > 8:
            raise SlackApiFault("too_many_users")
        members = sorted({bot, *users})
        gid = "G" + hashlib.sha1(",".join(members).encode()).hexdigest()[:10].upper()
        channel_or_none = self.channels.get(gid)
        if channel_or_none is None:
            channel_or_none = Channel(
                id=gid,
                name="mpdm-"
                + "--".join(self.users[m].name for m in members if m in self.users)
                + "-1",
                team_id=ctx.installation.team_id,
                is_private=True,
                is_mpim=True,
                members=members,
                created=int(self.now()),
            )
            self.channels[gid] = channel_or_none
            self.messages.setdefault(gid, [])
        return {"channel": self.channel_json(channel_or_none, bot) if return_im else {"id": gid}}

    # ------------------------------------------------------------------ methods: chat

    def _text_blocks(
        self, p: Params, *, require: bool = True
    ) -> tuple[str, list[Any] | None, list[Any] | None]:
        text = p.get("text")
        text = "" if text is None else str(text)
        blocks = _validate_blocks(p.get("blocks"))
        attachments = p.get("attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise SlackApiFault("invalid_attachments")
        if require and not text and not blocks and not attachments:
            raise SlackApiFault("no_text")
        if len(text) > MAX_TEXT:
            raise SlackApiFault("msg_too_long")
        return text, blocks, copy.deepcopy(attachments) if attachments else None

    def _chat_post_message(self, ctx: _Ctx, p: Params) -> JSON:
        inst = ctx.installation
        channel = self._channel(ctx, _str(p.get("channel")), for_write=True, user_ok=True)
        text, blocks, attachments = self._text_blocks(p)
        metadata = _validate_metadata(p.get("metadata"))
        thread_ts = _str(p.get("thread_ts"))
        msg = Message(
            channel=channel.id,
            ts=self.next_ts(),
            text=text,
            user=inst.bot_user_id,
            bot_id=inst.bot_id,
            app_id=inst.app_id,
            team=inst.team_id,
            blocks=blocks,
            attachments=attachments,
            thread_ts=thread_ts,
            reply_broadcast=_bool(p.get("reply_broadcast")) and thread_ts is not None,
            metadata=metadata,
            username=_str(p.get("username")),
            icon_emoji=_str(p.get("icon_emoji")),
        )
        self._store(msg)
        return {"channel": channel.id, "ts": msg.ts, "message": self.message_json(msg)}

    def _chat_update(self, ctx: _Ctx, p: Params) -> JSON:
        inst = ctx.installation
        channel = self._channel(ctx, _str(p.get("channel")))
        msg = self._message(channel, _str(p.get("ts")))
        if msg.bot_id != inst.bot_id:
            raise SlackApiFault("cant_update_message")
        if "text" in p or "blocks" in p or "attachments" in p:
            text, blocks, attachments = self._text_blocks(p, require=False)
            if "text" in p:
                msg.text = text
            if "blocks" in p:
                msg.blocks = blocks
            if "attachments" in p:
                msg.attachments = attachments
        if "metadata" in p:
            msg.metadata = _validate_metadata(p.get("metadata"))
        msg.edited = {"user": inst.bot_user_id, "ts": self.next_ts()}
        return {
            "channel": channel.id,
            "ts": msg.ts,
            "text": msg.text,
            "message": self.message_json(msg),
        }

    def _chat_delete(self, ctx: _Ctx, p: Params) -> JSON:
        inst = ctx.installation
        channel = self._channel(ctx, _str(p.get("channel")))
        msg = self._message(channel, _str(p.get("ts")))
        if msg.bot_id != inst.bot_id:
            raise SlackApiFault("cant_delete_message")
        self.messages[channel.id].remove(msg)
        return {"channel": channel.id, "ts": msg.ts}

    def _chat_post_ephemeral(self, ctx: _Ctx, p: Params) -> JSON:
        channel = self._channel(ctx, _str(p.get("channel")), for_write=True, user_ok=True)
        user_id = _required(p, "user", "user_not_found")
        user = self._user(user_id)
        if user.id not in channel.members:
            raise SlackApiFault("user_not_in_channel")
        text, blocks, _ = self._text_blocks(p)
        eph = Ephemeral(
            channel=channel.id,
            user=user.id,
            message_ts=self.next_ts(),
            text=text,
            blocks=blocks,
            thread_ts=_str(p.get("thread_ts")),
        )
        self.ephemerals.append(eph)
        return {"message_ts": eph.message_ts}

    def permalink(self, channel_id: str, ts: str) -> str:
        with self.lock:
            channel = self.channels.get(channel_id)
            team = self.teams.get(channel.team_id if channel else DEFAULT_TEAM_ID)
            domain = team.domain if team else "fake"
            url = f"https://{domain}.slack.com/archives/{channel_id}/p{ts.replace('.', '')}"
            msg = self.find_message(channel_id, ts)
            if msg is not None and msg.is_reply:
                url += f"?thread_ts={msg.thread_ts}&cid={channel_id}"
            return url

    def _chat_get_permalink(self, ctx: _Ctx, p: Params) -> JSON:
        channel = self._channel(ctx, _str(p.get("channel")))
        msg = self._message(channel, _str(p.get("message_ts")))
        return {"channel": channel.id, "permalink": self.permalink(channel.id, msg.ts)}

    def _reaction_target(self, ctx: _Ctx, p: Params) -> tuple[Message, str]:
        name = _str(p.get("name"))
        if name is None:
            raise SlackApiFault("invalid_name")
        if _str(p.get("channel")) is None or _str(p.get("timestamp")) is None:
            raise SlackApiFault("no_item_specified")
        channel = self._channel(ctx, _str(p.get("channel")))
        return self._message(channel, _str(p.get("timestamp"))), name.strip(":")

    def _reactions_add(self, ctx: _Ctx, p: Params) -> JSON:
        msg, name = self._reaction_target(ctx, p)
        users = msg.reactions.setdefault(name, [])
        bot = ctx.installation.bot_user_id
        if bot in users:
            raise SlackApiFault("already_reacted")
        users.append(bot)
        return {}

    def _reactions_remove(self, ctx: _Ctx, p: Params) -> JSON:
        msg, name = self._reaction_target(ctx, p)
        users = msg.reactions.get(name, [])
        bot = ctx.installation.bot_user_id
        if bot not in users:
            raise SlackApiFault("no_reaction")
        users.remove(bot)
        if not users:
            del msg.reactions[name]
        return {}

    # ------------------------------------------------------------------ methods: views

    def _use_trigger(self, p: Params) -> str:
        trigger_id = _str(p.get("trigger_id"))
        if trigger_id is None:
            raise SlackApiFault(
                "invalid_arguments", response_metadata={"messages": ["missing trigger_id"]}
            )
        if self.single_use_triggers and trigger_id in self.used_trigger_ids:
            raise SlackApiFault("exchanged_trigger_id")
        self.used_trigger_ids.add(trigger_id)
        return trigger_id

    def _check_view(self, view: Any, *, home: bool = False) -> JSON:
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            raise SlackApiFault(
                "invalid_arguments", response_metadata={"messages": ["invalid view"]}
            )
        kind = view["type"]
        if home and kind != "home":
            raise SlackApiFault(
                "invalid_arguments", response_metadata={"messages": ["view type must be home"]}
            )
        if kind == "modal" and not isinstance(view.get("title"), dict):
            raise SlackApiFault(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: title"]},
            )
        if len(view.get("blocks") or []) > 100:
            raise SlackApiFault(
                "invalid_arguments", response_metadata={"messages": ["too many blocks"]}
            )
        return view

    def _make_view(
        self, ctx: _Ctx, view: JSON, *, view_id: str | None = None, previous: JSON | None = None
    ) -> JSON:
        inst = ctx.installation
        vid = view_id or self._new_id("V")
        out: JSON = {
            "id": vid,
            "team_id": inst.team_id,
            "type": view["type"],
            "blocks": copy.deepcopy(view.get("blocks") or []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(self.now())}.{next(self._ids):08d}",
            "title": copy.deepcopy(view.get("title")),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": copy.deepcopy(view.get("close")),
            "submit": copy.deepcopy(view.get("submit")),
            "previous_view_id": None,
            "root_view_id": vid,
            "app_id": inst.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": inst.team_id,
            "bot_id": inst.bot_id,
        }
        if previous is not None:
            out["previous_view_id"] = previous.get("previous_view_id")
            out["root_view_id"] = previous.get("root_view_id", vid)
        return out

    def _views_open(self, ctx: _Ctx, p: Params) -> JSON:
        view = self._check_view(p.get("view"))
        trigger_id = self._use_trigger(p)
        out = self._make_view(ctx, view)
        out["trigger_id"] = trigger_id
        self.views[out["id"]] = out
        return {"view": copy.deepcopy(out)}

    def _views_push(self, ctx: _Ctx, p: Params) -> JSON:
        view = self._check_view(p.get("view"))
        trigger_id = self._use_trigger(p)
        out = self._make_view(ctx, view)
        out["trigger_id"] = trigger_id
        self.views[out["id"]] = out
        return {"view": copy.deepcopy(out)}

    def _views_update(self, ctx: _Ctx, p: Params) -> JSON:
        view = self._check_view(p.get("view"))
        view_id = _str(p.get("view_id"))
        external_id = _str(p.get("external_id"))
        current: JSON | None = None
        if view_id is not None:
            current = self.views.get(view_id)
        elif external_id is not None:
            current = next(
                (v for v in self.views.values() if v.get("external_id") == external_id), None
            )
        else:
            raise SlackApiFault("invalid_arguments")
        if current is None:
            raise SlackApiFault("not_found")
        expected_hash = _str(p.get("hash"))
        if expected_hash is not None and expected_hash != current["hash"]:
            raise SlackApiFault("hash_conflict")
        out = self._make_view(ctx, view, view_id=current["id"], previous=current)
        for key in ("trigger_id", "user_id"):
            if key in current:
                out[key] = current[key]
        self.views[out["id"]] = out
        return {"view": copy.deepcopy(out)}

    def _views_publish(self, ctx: _Ctx, p: Params) -> JSON:
        user = self._user(_str(p.get("user_id")))
        view = self._check_view(p.get("view"), home=True)
        current_id = self.home_views.get(user.id)
        current = self.views.get(current_id) if current_id else None
        expected_hash = _str(p.get("hash"))
        if current is not None and expected_hash is not None and expected_hash != current["hash"]:
            raise SlackApiFault("hash_conflict")
        out = self._make_view(ctx, view, view_id=current_id, previous=current)
        out["user_id"] = user.id
        self.views[out["id"]] = out
        self.home_views[user.id] = out["id"]
        return {"view": copy.deepcopy(out)}

    # ------------------------------------------------------------------ methods: files

    def _files_get_upload_url(self, ctx: _Ctx, p: Params) -> JSON:
        filename = _required(p, "filename")
        length = _int(p.get("length"), -1)
        if length < 0:
            raise SlackApiFault(
                "invalid_arguments", response_metadata={"messages": ["missing length"]}
            )
        inst = ctx.installation
        fid = self._new_id("F")
        self.files[fid] = StoredFile(
            id=fid,
            name=filename,
            content=None,
            filetype=_guess_filetype(filename),
            user=inst.bot_user_id,
            team_id=inst.team_id,
            title=filename,
            mimetype=_mimetype(filename, _guess_filetype(filename)),
            created=int(self.now()),
            size=length,
            uploaded=False,
            completed=False,
            alt_txt=_str(p.get("alt_txt")),
        )
        return {"upload_url": f"{self.root_url}/upload/v1/{fid}", "file_id": fid}

    def receive_upload(self, file_id: str, data: bytes) -> bool:
        """The bytes POSTed to an upload_url. False when the id is unknown."""
        with self.lock:
            f = self.files.get(file_id)
            if f is None or f.completed:
                return False
            f.content = bytes(data)
            f.size = len(data)
            f.uploaded = True
            return True

    def _files_complete_upload(self, ctx: _Ctx, p: Params) -> JSON:
        inst = ctx.installation
        entries = p.get("files")
        if not isinstance(entries, list) or not entries:
            raise SlackApiFault(
                "invalid_arguments", response_metadata={"messages": ["missing files"]}
            )
        targets: list[Channel] = []
        channel_ids = _csv(p.get("channels")) or _csv(p.get("channel_id"))
        for cid in channel_ids:
            targets.append(self._channel(ctx, cid, for_write=True, user_ok=True))
        stored: list[StoredFile] = []
        for entry in entries:
            fid = entry.get("id") if isinstance(entry, dict) else None
            f = self.files.get(str(fid))
            if f is None or f.completed:
                raise SlackApiFault("file_not_found")
            if not f.uploaded:
                raise SlackApiFault("file_not_found")
            stored.append(f)
        comment = _str(p.get("initial_comment"))
        thread_ts = _str(p.get("thread_ts"))
        for f, entry in zip(stored, entries, strict=True):
            f.completed = True
            if entry.get("title"):
                f.title = str(entry["title"])
            f.initial_comment = comment
            f.channel_id = targets[0].id if targets else None
        for channel in targets:
            msg = Message(
                channel=channel.id,
                ts=self.next_ts(),
                text=comment or "",
                user=inst.bot_user_id,
                bot_id=inst.bot_id,
                app_id=inst.app_id,
                team=inst.team_id,
                thread_ts=thread_ts,
                files=[f.id for f in stored],
                subtype=None,
            )
            self._store(msg)
            for f in stored:
                f.shares.setdefault(channel.id, []).append(msg.ts)
        return {"files": [self.file_json(f) for f in stored]}

    def _files_info(self, ctx: _Ctx, p: Params) -> JSON:
        f = self.files.get(_str(p.get("file")) or "")
        if f is None or not f.completed:
            raise SlackApiFault("file_not_found")
        return {
            "file": self.file_json(f),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def file_by_path(self, path: str) -> StoredFile | None:
        """The file behind a `/files-pri/{team}-{file_id}/...` path."""
        with self.lock:
            parts = path.split("/")
            if len(parts) < 3 or parts[1] != "files-pri":
                return None
            _, _, fid = parts[2].rpartition("-")
            f = self.files.get(fid)
            return f if f is not None and f.content is not None else None

    # ------------------------------------------------------------------ methods: oauth / apps

    def _oauth_v2_access(self, ctx: _Ctx, p: Params) -> JSON:
        code = _str(p.get("code"))
        if code is None:
            grant = _str(p.get("grant_type"))
            raise SlackApiFault(
                "invalid_refresh_token" if grant == "refresh_token" else "invalid_code"
            )
        oc = self.oauth_codes.pop(code, None)
        if oc is None:
            raise SlackApiFault("invalid_code")
        team = self._ensure_team(oc.team_id)
        if oc.team_name:
            team.name = oc.team_name
        if oc.enterprise_id:
            team.enterprise_id = oc.enterprise_id
        self.install(
            oc.team_id,
            oc.bot_user_id,
            oc.bot_token,
            oc.bot_id,
            enterprise_id=oc.enterprise_id,
            app_id=oc.app_id,
            scopes=oc.scope,
            is_enterprise_install=oc.is_enterprise_install,
        )
        return {
            "app_id": oc.app_id,
            "authed_user": {"id": oc.authed_user_id},
            "scope": oc.scope,
            "token_type": "bot",
            "access_token": oc.bot_token,
            "bot_user_id": oc.bot_user_id,
            "team": {"id": team.id, "name": team.name},
            "enterprise": {"id": oc.enterprise_id, "name": oc.enterprise_id}
            if oc.enterprise_id
            else None,
            "is_enterprise_install": oc.is_enterprise_install,
        }

    def _apps_uninstall(self, ctx: _Ctx, p: Params) -> JSON:
        token = ctx.token
        if token is None:
            raise SlackApiFault("not_authed")
        if token in self.revoked_tokens:
            raise SlackApiFault("token_revoked")
        if token not in self.installations:
            raise SlackApiFault("invalid_auth")
        self.revoke(token)
        return {}

    def revoke(self, token: str) -> None:
        """Make a token invalid (`token_revoked`), as after an uninstall."""
        with self.lock:
            self.installations.pop(token, None)
            self.revoked_tokens.add(token)

    # ------------------------------------------------------------------ response_url

    def response_url_post(self, rid: str, payload: JSON) -> tuple[int, JSON]:
        """Apply a post to a response_url; returns (HTTP status, body)."""
        with self.lock:
            ru = self.response_urls.get(rid)
            if ru is None:
                ru = ResponseUrl(rid, None, None, None, None)
                self.response_urls[rid] = ru
            ru.uses += 1
            if ru.uses > self.response_url_max_uses:
                return 404, {"ok": False, "error": "used_url"}
            text = str(payload.get("text") or "")
            try:
                blocks = _validate_blocks(payload.get("blocks"))
            except SlackApiFault as fault:
                return 400, {"ok": False, "error": fault.error}
            channel = self.channels.get(ru.channel_id or "")
            inst = next(
                (
                    i
                    for i in self.installations.values()
                    if channel and i.team_id == channel.team_id
                ),
                self.installations.get(DEFAULT_BOT_TOKEN),
            )
            if channel is None:
                return 200, {"ok": True}
            original = self.find_message(channel.id, ru.message_ts) if ru.message_ts else None
            if _bool(payload.get("delete_original")):
                if original is not None:
                    self.messages[channel.id].remove(original)
                return 200, {"ok": True}
            if _bool(payload.get("replace_original")) and original is not None:
                original.text = text
                original.blocks = blocks
                original.edited = {
                    "user": inst.bot_user_id if inst else DEFAULT_BOT_USER_ID,
                    "ts": self.next_ts(),
                }
                return 200, {"ok": True}
            if payload.get("response_type") == "in_channel":
                self._store(
                    Message(
                        channel=channel.id,
                        ts=self.next_ts(),
                        text=text,
                        user=inst.bot_user_id if inst else DEFAULT_BOT_USER_ID,
                        bot_id=inst.bot_id if inst else DEFAULT_BOT_ID,
                        app_id=inst.app_id if inst else DEFAULT_APP_ID,
                        team=channel.team_id,
                        blocks=blocks,
                        thread_ts=_str(payload.get("thread_ts")) or ru.thread_ts,
                    )
                )
            elif ru.user_id is not None:
                self.ephemerals.append(
                    Ephemeral(
                        channel=channel.id,
                        user=ru.user_id,
                        message_ts=self.next_ts(),
                        text=text,
                        blocks=blocks,
                        thread_ts=ru.thread_ts,
                        source="response_url",
                    )
                )
            return 200, {"ok": True}
