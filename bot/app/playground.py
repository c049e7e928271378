"""`outsource-bot playground`: the real app against an in-process fake Slack, in a terminal.

No token, no network: the fake Slack listens on 127.0.0.1, the database is a SQLite file. You
type what a person would do in Slack; the playground turns it into the signed request Slack
would send, and prints whatever the bot posts, updates or opens, with numbered buttons.

Lines are read the same way typed or from a script (`--script FILE`):

* a line whose first non-blank character is `#` is a comment;
* a trailing comment starts at a `#` that has blank space before it and blank space (or the
  end of the line) after it, outside double quotes: `:advance 2d  # a comment` loses its
  comment, `/outsource deadline done #3` and `"Fix # handling"` keep their `#`;
* a line starting with `!` is one the bot is expected to refuse (bad input shown on purpose).

With `--strict`, a script whose line was refused without a `!` (or whose `!` line was not
refused) ends with one line per such line on stderr and exit status 1, so example scripts
cannot silently go stale.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app.config import Settings
from bot.app.runtime import build_runtime
from bot.app.web import build_web_app
from bot.blocks.ids import is_internal_only
from bot.delivery.outbox import Outbox
from bot.delivery.sweep import run_sweep
from bot.errors import ConfigError, UserError
from bot.fakeslack import FakeSlack, SlackRequestSender, input_fields, render_message
from bot.fakeslack.cast import (
    INTERNAL_TEAM,
    PEOPLE,
    PLAIN_CHANNEL,
    SHARED_CHANNEL,
    populate,
)
from bot.fakeslack.render import ButtonRef
from bot.fakeslack.signing import Response, message_event
from bot.services.noise import NoisePolicy
from bot.text.commands import parse
from bot.time.clock import ManualClock
from bot.time.timeparse import parse_duration, parse_when
from storage.db import Database
from storage.models.vendors import Vendor

SIGNING_SECRET = "playground-secret"
SHOWN_METHODS = {
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
    "response_url",
    "files.completeUploadExternal",
}

# A second vendor, only in the playground: Globex, in São Paulo, shares #ext-globex with us.
GLOBEX_TEAM = "T_GLOBEX"
TOMAS = "U_TOMAS"
GLOBEX_CHANNEL = "C_GLOBEX"
PLAY_PEOPLE = {**PEOPLE, "tomas": TOMAS}
CHANNELS = {
    "ext-acme": SHARED_CHANNEL,
    "acme": SHARED_CHANNEL,
    "main": SHARED_CHANNEL,
    "ext-globex": GLOBEX_CHANNEL,
    "globex": GLOBEX_CHANNEL,
    "other": GLOBEX_CHANNEL,
    "proj-plain": PLAIN_CHANNEL,
    "plain": PLAIN_CHANNEL,
}
# The vendor's people of each channel, first the one `:as vendor` picks.
VENDOR_PEOPLE = {SHARED_CHANNEL: ("priya", "ravi"), GLOBEX_CHANNEL: ("tomas",)}

SWEEP_STEP = timedelta(minutes=30)
EXPORT_PREVIEW_LINES = 12
CLOCK_TABLE = "playground_clock"

HELP = """\
Type what you would do in Slack:
  /outsource …            run a command as the current user (try /outsource help)
  :as dana|alex|priya|ravi|tomas|mallory   act as someone else
                          (:as internal = dana; :as vendor = this channel's vendor, e.g. priya)
  :channel other          go to #ext-globex, shared with a second vendor, Globex (@tomas);
                          :channel acme goes back; :channel plain is an unshared channel
  :say <text>             post a message in the current channel
  :reply <text>           reply in the thread of the bot's latest post there
  :click N                press button N
  :click <label>          press the newest button with that label, e.g. :click Acknowledge
  :fill <field> <text>    fill a field of the open form (see its field names; \\n = new line)
  :fill transcript <file> attach a transcript file (.vtt, .srt, .txt) to the recap form
  :submit                 submit the open form
  :shortcut               "Turn into call recap" on the latest message in the channel
  :home                   open the App Home tab
  :read [name]            print the newest file the bot sent (an export), or the one named
  :leave priya            someone leaves the channel (:join bot re-invites the bot)
  :advance 2d|3h|30m      move the clock forward; the bot does what is due, each post
                          printed with its time
  :at 2027-03-29T09:00Z   move the clock to that instant (forward only), same as :advance;
                          also :at next monday 09:00 or :at 18:00 (in your own zone)
  :time                   what time it is, in each person's zone
  :quit                   leave (Ctrl-D does too)
A line starting with # is a comment, and so is the rest of a line after " # ".
A line starting with ! is expected to be refused (for --script … --strict)."""


@dataclass
class Clickable:
    ref: ButtonRef
    channel: str | None
    message: dict[str, Any] | None
    view: dict[str, Any] | None
    # What this button was rendered on (a message, a view, a user's Home): a newer rendering
    # of the same thing replaces its buttons for `:click <label>`.
    source: tuple[str, ...] | None = None
    stale: bool = False


@dataclass
class OpenForm:
    view_id: str
    view: dict[str, Any]
    values: dict[str, dict[str, Any]]


@dataclass
class Problem:
    number: int
    line: str
    what: str


@dataclass
class ScriptResult:
    problems: list[Problem] = field(default_factory=list)


class Playground:
    def __init__(
        self,
        db_path: Path,
        out: TextIO,
        start: datetime | None = None,
        *,
        exports_dir: Path | None = None,
        script_dir: Path | None = None,
        temporary: bool = False,
    ) -> None:
        self.out = out
        self.db_path = db_path
        self.temporary = temporary
        self.exports_dir = exports_dir or db_path.parent / f"{db_path.stem}-exports"
        self.script_dir = script_dir
        now = start or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.clock = ManualClock(now)
        self.fake = FakeSlack(clock=self.clock)
        self.fake.start()
        populate(self.fake)
        self._add_second_vendor()
        self.settings = Settings(
            slack_bot_token="xoxb-playground",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.fake.api_url,
            database_url=f"sqlite:///{db_path}",
        )
        self.fake.workspace.install(
            INTERNAL_TEAM, bot_user_id="UBOT", bot_token="xoxb-playground", bot_id="BBOT"
        )
        db = Database(self.settings.database_url)
        db.upgrade()
        self.runtime = build_runtime(self.settings, clock=self.clock, db=db)
        # What a request writes for Slack is printed before the next prompt, in order.
        self.runtime.inline_delivery = True
        self.runtime.extras["outbox"] = Outbox(
            db,
            self.runtime.client_factory,
            policy=NoisePolicy(),
            pace_seconds=0,
            runtime=self.runtime,
        )
        self.web = build_web_app(self.runtime)
        self._watch_failures()
        self.user = PEOPLE["dana"]
        self.channel = SHARED_CHANNEL
        self.sender = SlackRequestSender(
            SIGNING_SECRET, wsgi_app=self.web, fake=self.fake, team_id=INTERNAL_TEAM
        )
        self.clickables: dict[int, Clickable] = {}
        self.next_number = 1
        self.form: OpenForm | None = None
        self.seen_calls = 0
        self.exports: list[Path] = []
        self.next_file = 1
        # Whether the line being run was refused (by the bot or by the playground).
        self.refused = False
        self._run_error: BaseException | None = None
        save_clock(db_path, now)

    def _add_second_vendor(self) -> None:
        ws = self.fake.workspace
        ws.add_team(GLOBEX_TEAM, "Globex")
        ws.add_user(
            TOMAS, GLOBEX_TEAM, name="tomas", real_name="Tomás Silva", tz="America/Sao_Paulo"
        )
        ws.add_channel(
            GLOBEX_CHANNEL,
            "ext-globex",
            members=[PEOPLE["dana"], PEOPLE["alex"], TOMAS],
            is_ext_shared=True,
            connected_team_ids=[INTERNAL_TEAM, GLOBEX_TEAM],
        )

    def _watch_failures(self) -> None:
        """Note whether a request failed (a refusal, a field error, a crash), for `--strict`.

        The app runs a request again when a directory lookup was missing, so what counts is
        the last run: a middleware clears the note at the start of each run, the error handler
        (the app's own, wrapped) sets it."""
        from handlers.errors import handle_listener_error

        bolt = self.web.slack_app.app  # type: ignore[attr-defined]

        def start_of_run(next: Callable[[], Any]) -> Any:
            self._run_error = None
            return next()

        def listener_failed(error: Exception, request: Any, body: dict[str, Any]) -> Any:
            self._run_error = error
            return handle_listener_error(error, request, body)

        bolt.middleware(start_of_run)
        bolt.error(listener_failed)

    # -- output ---------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def name_of(self, ident: str) -> str:
        user = self.fake.workspace.users.get(ident)
        if user is not None:
            return f"@{user.name}"
        channel = self.fake.workspace.channels.get(ident)
        if channel is not None:
            return f"#{channel.name}"
        return ident

    def _dm_partner(self, channel: str | None) -> str | None:
        if not channel:
            return None
        if channel.startswith(("U", "W")):
            return channel
        ch = self.fake.workspace.channels.get(channel)
        if ch is not None and ch.is_im:
            return next((m for m in ch.members if m != "UBOT"), channel)
        return None

    def _where(self, channel: str | None) -> str:
        if not channel:
            return "?"
        partner = self._dm_partner(channel)
        if partner is not None:
            return f"DM to {self.name_of(partner)}"
        return self.name_of(channel)

    def _zone_of(self, channel: str | None, user: str | None = None) -> ZoneInfo:
        """The zone a post is best read in: the recipient's for a DM or a Home, the vendor's
        in a vendor channel, else UTC."""
        person = user or self._dm_partner(channel)
        if person is not None:
            tz = getattr(self.fake.workspace.users.get(person), "tz", None)
            return ZoneInfo(tz) if tz else ZoneInfo("UTC")
        if channel:
            with self.runtime.db.sessionmaker() as session:
                tz = session.scalar(
                    select(Vendor.tz)
                    .where(Vendor.channel_id == channel, Vendor.archived_at.is_(None))
                    .limit(1)
                )
            if tz:
                return ZoneInfo(tz)
        return ZoneInfo("UTC")

    def _stamp(self, channel: str | None, user: str | None = None) -> str:
        local = self.clock.now().astimezone(self._zone_of(channel, user))
        return f"[{local:%a} {local.day} {local:%b %H:%M %Z}] "

    def _render(
        self,
        title: str,
        params: dict[str, Any],
        channel: str | None,
        view: dict[str, Any] | None = None,
        source: tuple[str, ...] | None = None,
    ) -> None:
        text, refs = render_message(params, numbering_start=self.next_number, name_of=self.name_of)
        self.say(f"--- {title}")
        for line in text.splitlines() or [""]:
            self.say(f"    {line}")
        message = None
        if view is None and channel:
            message = dict(params)
        if source is not None:
            for item in self.clickables.values():
                if item.source == source:
                    item.stale = True
        for ref in refs:
            self.clickables[ref.number] = Clickable(ref, channel, message, view, source)
            self.next_number = max(self.next_number, ref.number + 1)

    def show_new_calls(self, *, stamped: bool = False) -> None:
        calls = self.fake.calls()
        new, self.seen_calls = calls[self.seen_calls :], len(calls)
        for call in new:
            if call.method not in SHOWN_METHODS or not call.ok:
                continue
            p = dict(call.params)
            resp = call.response if isinstance(call.response, dict) else {}
            if call.method == "chat.postMessage":
                channel = resp.get("channel") or p.get("channel")
                p["ts"] = resp.get("ts")
                p["channel"] = channel
                where = self._where(channel)
                thread = " (in thread)" if p.get("thread_ts") else ""
                stamp = self._stamp(channel) if stamped else ""
                self._render(
                    f"{stamp}bot posted in {where}{thread}",
                    p,
                    channel,
                    source=("message", str(channel), str(p["ts"])),
                )
            elif call.method == "chat.update":
                channel = p.get("channel")
                stamp = self._stamp(channel) if stamped else ""
                self._render(
                    f"{stamp}bot updated a message in {self._where(channel)}",
                    p,
                    channel,
                    source=("message", str(channel), str(p.get("ts"))),
                )
            elif call.method == "chat.postEphemeral":
                self._render(f"only {self.name_of(str(p.get('user')))} sees", p, p.get("channel"))
            elif call.method == "response_url":
                self._render("only you see", p, self.channel)
            elif call.method in ("views.open", "views.push", "views.update"):
                view = p.get("view") or {}
                view_id = (resp.get("view") or {}).get("id") or p.get("view_id") or "V?"
                self.form = OpenForm(view_id=view_id, view=view, values={})
                self._render(
                    "a form opened",
                    p,
                    None,
                    view={"id": view_id, **view},
                    source=("view", str(view_id)),
                )
                fields = input_fields(view)
                if fields:
                    names = ", ".join(f.block_id or "?" for f in fields)
                    self.say(
                        f"    (fill with :fill <field> <text> — fields: {names}; then :submit)"
                    )
            elif call.method == "views.publish":
                view = p.get("view") or {}
                user = str(p.get("user_id"))
                stamp = self._stamp(None, user) if stamped else ""
                self._render(
                    f"{stamp}App Home of {self.name_of(user)}",
                    p,
                    None,
                    view={"type": "home", **view},
                    source=("home", user),
                )
            elif call.method == "files.completeUploadExternal":
                self._show_upload(p, stamped=stamped)

    def _show_upload(self, p: dict[str, Any], *, stamped: bool) -> None:
        """A file the bot sent (an export): saved to a folder and its first lines printed, so
        it can be read without Slack."""
        channel = p.get("channel_id") or p.get("channels")
        stamp = self._stamp(str(channel)) if stamped and channel else ""
        for entry in p.get("files") or []:
            if not isinstance(entry, dict):
                continue
            stored = self.fake.workspace.files.get(str(entry.get("id")))
            title = str(entry.get("title") or entry.get("id"))
            if stored is None or stored.content is None:
                self.say(f"--- {stamp}bot uploaded {title} to {self._where(channel)}")
                continue
            path = self._save_export(stored.name, stored.content)
            lines = stored.content.decode("utf-8-sig", "replace").splitlines()
            self.say(f"--- {stamp}bot uploaded {stored.name} ({title}) to {self._where(channel)}")
            if self.temporary and len(self.exports) == 1:
                self.say(
                    "    (a temporary folder, gone when the playground ends; --db FILE keeps it)"
                )
            self.say(f"    saved as {path} ({len(lines)} lines); it begins:")
            for line in lines[:EXPORT_PREVIEW_LINES]:
                self.say(f"    | {line}")
            if len(lines) > EXPORT_PREVIEW_LINES:
                self.say(f"    (… {len(lines) - EXPORT_PREVIEW_LINES} more lines: :read shows all)")

    def _save_export(self, name: str, content: bytes) -> Path:
        self.exports_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\-]+", "-", Path(name).name).strip("-.") or "file"
        path = self.exports_dir / safe
        n = 2
        while path.exists():
            path = self.exports_dir / f"{Path(safe).stem}-{n}{Path(safe).suffix}"
            n += 1
        path.write_bytes(content)
        self.exports.append(path)
        return path

    # -- actions --------------------------------------------------------------------------

    def run_line(self, line: str) -> bool:
        """Run one line as typed. Returns False when the playground should end. Sets
        `self.refused` to whether the line was refused."""
        self.refused = False
        line = strip_comment(line)
        if line.startswith("!"):
            line = line[1:].strip()
        if not line:
            return True
        try:
            if line.startswith("/outsource"):
                self.command(line[len("/outsource") :].strip())
            elif line.startswith(":"):
                verb, _, rest = line[1:].partition(" ")
                handler = getattr(self, f"do_{verb.lower()}", None)
                if handler is None:
                    self._refuse(f"(unknown playground command :{verb} — try :help)")
                else:
                    return bool(handler(rest.strip()) is not False)
            else:
                self._refuse("(type /outsource …, or :help)")
        except UserError as exc:
            self._refuse(f"(playground: {exc.message})")
        return True

    def _refuse(self, message: str) -> None:
        self.refused = True
        self.say(message)

    def _send(self, send: Callable[[], Response]) -> Response:
        """One request to the app; a failed one marks the line refused."""
        self._run_error = None
        resp = send()
        if resp.status != 200:
            self._refuse(f"(Slack would show an error: HTTP {resp.status})")
        if self._run_error is not None:
            self.refused = True
        return resp

    def command(self, text: str) -> None:
        # Slack sends the user's own team; for an external user our middleware refuses (real
        # Slack would not even deliver the command).
        team = self.fake.workspace.users[self.user].team_id
        escaped = escape_mentions(text)
        if team != INTERNAL_TEAM:
            self.refused = True
        from handlers.routing import ROUTES

        try:
            if type(parse(escaped)) not in ROUTES:
                self.refused = True  # "not available yet in this build"
        except UserError:
            self.refused = True  # the app answers with what was wrong (below)
        resp = self._send(
            lambda: self.sender.command(
                escaped, user_id=self.user, channel_id=self.channel, team_id=team
            )
        )
        body = resp.json() if resp.body_text.strip().startswith("{") else None
        if isinstance(body, dict) and (body.get("text") or body.get("blocks")):
            who = "everyone" if body.get("response_type") == "in_channel" else "only you"
            self._render(f"{who} see", body, self.channel)
        self.show_new_calls()

    def do_help(self, _rest: str) -> None:
        self.say(HELP)

    def do_quit(self, _rest: str) -> bool:
        return False

    do_exit = do_quit

    def do_as(self, who: str) -> None:
        key = who.lower().lstrip("@")
        if key == "internal":
            key = "dana"
        elif key == "vendor":
            people = VENDOR_PEOPLE.get(self.channel)
            if not people:
                raise UserError(
                    f"nobody from a vendor's workspace is in {self.name_of(self.channel)}; "
                    f"choose one of {', '.join(PLAY_PEOPLE)}"
                )
            key = people[0]
        if key not in PLAY_PEOPLE:
            raise UserError(f"nobody called {who!r}; choose one of {', '.join(PLAY_PEOPLE)}")
        self.user = PLAY_PEOPLE[key]
        user = self.fake.workspace.users[self.user]
        team = self.fake.workspace.teams[user.team_id].name
        self.say(f"(you are now @{user.name}, {user.real_name} of {team})")

    def do_channel(self, rest: str) -> None:
        key = rest.strip().lstrip("#").lower()
        if not key:
            self.say(f"(you are in {self.name_of(self.channel)}; :channel acme|other|plain)")
            return
        channel = CHANNELS.get(key)
        if channel is None:
            raise UserError(
                f"no channel {rest!r} here; choose ext-acme (acme), ext-globex (other) "
                "or proj-plain (plain)"
            )
        self.channel = channel
        ch = self.fake.workspace.channels[channel]
        if channel in VENDOR_PEOPLE:
            team = next(t for t in ch.connected_team_ids if t != INTERNAL_TEAM)
            people = ", ".join(f"@{p}" for p in VENDOR_PEOPLE[channel])
            shared = f"shared with {self.fake.workspace.teams[team].name} ({people})"
        else:
            shared = "an ordinary channel of our workspace, not shared"
        self.say(f"(you are now in #{ch.name}, {shared})")

    def do_say(self, text: str, thread_ts: str | None = None) -> None:
        if not text:
            raise UserError("say what? e.g. :say just got off the phone with Priya")
        user = self.fake.workspace.users[self.user]
        stored = self.fake.workspace.add_message(
            self.channel, text=text, user=self.user, thread_ts=thread_ts
        )
        event = message_event(
            text,
            user=self.user,
            channel=self.channel,
            ts=stored.ts,
            user_team=user.team_id,
            thread_ts=thread_ts,
        )
        self._send(lambda: self.sender.event(event))
        self.show_new_calls()

    def do_reply(self, text: str) -> None:
        messages = [
            m
            for m in self.fake.workspace.history(self.channel, include_replies=False)
            if m.user == "UBOT" or m.bot_id
        ]
        if not messages:
            raise UserError("the bot has not posted in the channel yet")
        self.do_say(text, thread_ts=messages[-1].ts)

    def _button(self, rest: str) -> Clickable:
        if rest.isdigit():
            if int(rest) not in self.clickables:
                raise UserError(f"there is no button {rest!r} on screen")
            return self.clickables[int(rest)]
        want = " ".join(rest.split()).lower()
        if not want:
            raise UserError("click what? e.g. :click 3 or :click Acknowledge")
        current = sorted(((n, c) for n, c in self.clickables.items() if not c.stale), reverse=True)
        for matches in (
            lambda label: label == want,
            lambda label: label.startswith(want),
        ):
            for _n, item in current:
                if matches(item.ref.label.strip().lower()):
                    return item
        raise UserError(f"there is no button {rest!r} on screen")

    def do_click(self, rest: str) -> None:
        item = self._button(rest.strip())
        ref = item.ref
        kw: dict[str, Any] = {"block_id": ref.block_id}
        value = ref.value
        if ref.kind != "button" and ref.options:
            value = ref.options[0][1]
            kw["action_type"] = ref.kind
        if item.view is not None:
            kw["view"] = item.view
        else:
            channel = item.channel or self.channel
            kw["channel_id"] = channel
            if item.message is not None:
                stored = None
                if item.message.get("ts"):
                    stored = self.fake.workspace.find_message(
                        str(item.message.get("channel") or channel), str(item.message["ts"])
                    )
                kw["message"] = self.fake.workspace.message_json(stored) if stored else item.message
                kw["message_ts"] = kw["message"].get("ts")
        team = self.fake.workspace.users[self.user].team_id
        if team != INTERNAL_TEAM and is_internal_only(ref.action_id):
            self.refused = True  # our middleware answers "that button is for the internal team"
        self._send(lambda: self.sender.action(ref.action_id, value, user_id=self.user, **kw))
        self.show_new_calls()

    def do_fill(self, rest: str) -> None:
        if self.form is None:
            raise UserError("no form is open")
        name, _, value = rest.partition(" ")
        fields = {f.block_id: f for f in input_fields(self.form.view)}
        field_ = fields.get(name)
        if field_ is None:
            raise UserError(
                f"the form has no field {name!r}; fields: {', '.join(str(k) for k in fields)}"
            )
        action_id = field_.action_id or name
        if field_.kind == "file_input":
            state = self._attach(value.strip())
            self.form.values[name] = {action_id: state}
            self.say(f"({name}: {state['files'][0]['name']} attached)")
            return
        self.form.values[name] = {action_id: _state_value(field_.kind, value, field_.options)}
        self.say(f"({name} filled)")

    def _attach(self, given: str) -> dict[str, Any]:
        """A local file, as if uploaded into the form's file input by the current user."""
        if not given:
            raise UserError("attach which file? e.g. :fill transcript examples/weekly-sync.vtt")
        path = Path(given).expanduser()
        if not path.is_absolute() and not path.is_file() and self.script_dir is not None:
            path = self.script_dir / path
        if not path.is_file():
            raise UserError(f"there is no file at {given}")
        ws = self.fake.workspace
        stored = ws.add_file(
            f"F_PLAY{self.next_file}", path.name, path.read_bytes(), user=self.user
        )
        self.next_file += 1
        return {"type": "file_input", "files": [ws.file_json(stored)]}

    def do_submit(self, _rest: str) -> None:
        if self.form is None:
            raise UserError("no form is open")
        form, self.form = self.form, None
        # Slack submits pre-filled values too.
        for field_ in input_fields(form.view):
            if field_.block_id and field_.block_id not in form.values and field_.initial:
                form.values[field_.block_id] = {
                    field_.action_id or field_.block_id: _state_value(
                        field_.kind, field_.initial, field_.options
                    )
                }
        resp = self._send(
            lambda: self.sender.submit(
                form.view.get("callback_id", ""),
                form.values,
                user_id=self.user,
                private_metadata=form.view.get("private_metadata", ""),
                view_id=form.view_id,
                blocks=form.view.get("blocks"),
            )
        )
        body = resp.json() if resp.body_text.strip().startswith("{") else None
        if isinstance(body, dict) and body.get("response_action") == "errors":
            self.refused = True
            self.form = form
            for name, error in (body.get("errors") or {}).items():
                self.say(f"    ! {name}: {error}")
        self.show_new_calls()

    def do_shortcut(self, _rest: str) -> None:
        history = [
            m
            for m in self.fake.workspace.history(self.channel, include_replies=False)
            if m.user != "UBOT"
        ]
        if not history:
            raise UserError("nobody has posted in the channel yet (use :say first)")
        message = self.fake.workspace.message_json(history[-1])
        self._send(
            lambda: self.sender.shortcut(
                "recap_from_message", message, user_id=self.user, channel_id=self.channel
            )
        )
        self.show_new_calls()

    def _person(self, who: str) -> str:
        key = who.strip().lstrip("@").lower()
        if key == "bot":
            return "UBOT"
        if key not in PLAY_PEOPLE:
            raise UserError(f"nobody called {who!r}; choose one of {', '.join(PLAY_PEOPLE)} or bot")
        return PLAY_PEOPLE[key]

    def do_leave(self, who: str) -> None:
        user = self._person(who or "priya")
        self.fake.workspace.remove_member(self.channel, user)
        team = (
            self.fake.workspace.users[user].team_id if user in self.fake.workspace.users else None
        )
        event = {
            "type": "member_left_channel",
            "user": user,
            "channel": self.channel,
            "channel_type": "C",
            "team": team or INTERNAL_TEAM,
        }
        self._send(lambda: self.sender.event(event))
        self.say(f"({self.name_of(user)} left {self.name_of(self.channel)})")
        self.show_new_calls()

    def do_join(self, who: str) -> None:
        user = self._person(who or "bot")
        self.fake.workspace.add_member(self.channel, user)
        event = {
            "type": "member_joined_channel",
            "user": user,
            "channel": self.channel,
            "channel_type": "C",
            "team": INTERNAL_TEAM,
            "inviter": self.user,
        }
        self._send(lambda: self.sender.event(event))
        self.say(f"({self.name_of(user)} joined {self.name_of(self.channel)})")
        self.show_new_calls()

    def do_home(self, _rest: str) -> None:
        event = {"type": "app_home_opened", "user": self.user, "channel": "D_HOME", "tab": "home"}
        before = self.seen_calls
        self._send(lambda: self.sender.event(event))
        published = any(c.method == "views.publish" for c in self.fake.calls()[before:])
        self.show_new_calls()
        if not published:
            # The bot does not publish a Home that has not changed; Slack shows the last one.
            view = self.fake.workspace.view_for_user_home(self.user)
            if view is None:
                self.say("(the App Home is empty: the bot has not published it yet)")
                return
            self._render(
                f"App Home of {self.name_of(self.user)} (as last published: unchanged)",
                {"view": view},
                None,
                view={"type": "home", **view},
                source=("home", self.user),
            )

    def do_read(self, rest: str) -> None:
        if not self.exports:
            raise UserError("the bot has sent no file yet; try /outsource export md")
        want = rest.strip().lower()
        chosen = next((p for p in reversed(self.exports) if want in p.name.lower()), None)
        if chosen is None:
            names = ", ".join(p.name for p in self.exports)
            raise UserError(f"no file called {rest!r}; the bot sent: {names}")
        self.say(f"--- {chosen}")
        for line in chosen.read_text(encoding="utf-8-sig", errors="replace").splitlines():
            self.say(f"    | {line}")

    def do_advance(self, rest: str) -> None:
        self._advance_by(parse_duration(rest or "1d"))

    def _advance_by(self, delta: timedelta) -> None:
        target = self.clock.now() + delta
        # The scheduler sweeps every 30 s; here a sweep at every full and half hour (UTC) sees
        # what is due at a wall-clock hour or half hour in any zone (Kolkata is UTC+5:30) on
        # time, and the rest within 30 minutes. What each sweep posts is printed with its time.
        try:
            while self.clock.now() < target:
                self.clock.set(min(_next_step(self.clock.now()), target))
                run_sweep(self.runtime)
                self.show_new_calls(stamped=True)
        finally:
            save_clock(self.db_path, self.clock.now())
        self.do_time("")

    def do_at(self, rest: str) -> None:
        """Jump the clock to an instant (forward only) and sweep, like :advance."""
        text = rest.strip()
        if not text:
            raise UserError("at when? e.g. :at 2027-03-29T09:00Z or :at next monday 09:00")
        try:
            target = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if target.tzinfo is None:
                target = target.replace(tzinfo=UTC)
        except ValueError:
            target = self._when(text)
        delta = target - self.clock.now()
        if delta <= timedelta(0):
            raise UserError("time only moves forward here")
        self._advance_by(delta)

    def _when(self, text: str) -> datetime:
        """`next monday 09:00`, `18:00`, `tomorrow 08:00`: read in the acting person's zone."""
        tz = self.fake.workspace.users[self.user].tz or "UTC"
        try:
            return parse_when(text, tz=ZoneInfo(tz), now=self.clock.now()).at
        except UserError:
            raise UserError(
                f"I can't read {text!r} as a time to move to; give an ISO instant "
                "(:at 2027-03-29T09:00Z) or a time ahead in your zone (:at next monday 09:00, "
                ":at 18:00)"
            ) from None

    def do_time(self, _rest: str) -> None:
        now = self.clock.now()
        zones = sorted({u.tz for u in self.fake.workspace.users.values() if u.tz})
        parts = [f"{now.astimezone(ZoneInfo(z)):%a %d %b %H:%M} {z.split('/')[-1]}" for z in zones]
        self.say(f"(now: {now:%a %d %b %Y %H:%M} UTC — " + "; ".join(parts) + ")")

    def close(self) -> None:
        try:
            save_clock(self.db_path, self.clock.now())
        finally:
            self.fake.stop()
            self.runtime.db.dispose()


# An opening double quote (at the start of a word) and what closes it (before a space), as the
# command grammar reads them (bot/text/commands.py).
QUOTE_PAIRS: dict[str, tuple[str, ...]] = {
    '"': ('"',),
    "“": ("”", "“"),
    "„": ("“", "”"),
    "«": ("»",),
}


def _next_step(now: datetime) -> datetime:
    """The next full or half hour after `now`."""
    floor = now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)
    return floor + SWEEP_STEP


def strip_comment(line: str) -> str:
    """The line without its comment (see the module's docstring for the rule)."""
    text = line.strip()
    if text.startswith("#"):
        return ""
    quote: str | None = None
    for i, ch in enumerate(text):
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if quote is not None:
            if ch in QUOTE_PAIRS[quote] and after.isspace():
                quote = None
        elif ch in QUOTE_PAIRS and before.isspace():
            quote = ch
        elif ch == "#" and before.isspace() and after.isspace():
            return text[:i].rstrip()
    return text


def read_clock(db_path: Path) -> datetime | None:
    """The playground clock kept in a database file by an earlier run, if any."""
    if not db_path.is_file():
        return None
    try:
        con = sqlite3.connect(db_path, timeout=5)
    except sqlite3.Error:
        return None
    try:
        row = con.execute(f"SELECT now FROM {CLOCK_TABLE} WHERE id = 1").fetchone()
    except sqlite3.Error:  # no such table: a database the playground has not run on
        return None
    finally:
        con.close()
    if not row:
        return None
    try:
        return datetime.fromisoformat(str(row[0])).astimezone(UTC)
    except ValueError:
        return None


def save_clock(db_path: Path, now: datetime) -> None:
    """Keep the clock in the database file itself (a table of the playground's own, next to the
    app's), so `--db FILE` resumes where the last run left off."""
    con = sqlite3.connect(db_path, timeout=5)
    try:
        with con:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {CLOCK_TABLE} "
                "(id INTEGER PRIMARY KEY CHECK (id = 1), now TEXT NOT NULL)"
            )
            con.execute(
                f"INSERT INTO {CLOCK_TABLE} (id, now) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET now = excluded.now",
                (now.astimezone(UTC).isoformat(),),
            )
    finally:
        con.close()


_AT_NAME = re.compile(r"(?<![<\w])@([a-z]+)\b")


def escape_mentions(text: str) -> str:
    """`@priya` typed in the playground arrives as Slack sends it (should_escape: true)."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        uid = PLAY_PEOPLE.get(name)
        return f"<@{uid}|{name}>" if uid else match.group(0)

    return _AT_NAME.sub(repl, text)


def _state_value(kind: str, value: str, options: Iterable[tuple[str, str]]) -> dict[str, Any]:
    if kind in ("multi_users_select",):
        users = [
            PLAY_PEOPLE.get(v.strip().lstrip("@").lower(), v.strip())
            for v in value.split(",")
            if v.strip()
        ]
        return {"type": kind, "selected_users": users}
    if kind in ("users_select",):
        v = value.strip().lstrip("@").lower()
        return {"type": kind, "selected_user": PLAY_PEOPLE.get(v, value.strip())}
    if kind in ("static_select", "radio_buttons"):
        chosen = next((o for o in options if value.lower() in (o[0].lower(), o[1].lower())), None)
        if chosen is None:
            raise UserError(f"choose one of: {', '.join(o[0] for o in options)}")
        return {
            "type": kind,
            "selected_option": {
                "text": {"type": "plain_text", "text": chosen[0]},
                "value": chosen[1],
            },
        }
    if kind == "datepicker":
        return {"type": kind, "selected_date": value.strip()}
    if kind == "timepicker":
        return {"type": kind, "selected_time": value.strip()}
    return {"type": "plain_text_input", "value": value.replace("\\n", "\n")}


def _banner(pg: Playground, resumed: datetime | None) -> None:
    user = pg.fake.workspace.users[pg.user]
    pg.say(
        f"outsource-bot playground — you are @{user.name} ({user.real_name}, internal) in "
        f"#ext-acme, a channel shared with the vendor Acme Dev (@priya, @ravi); "
        f":channel other goes to #ext-globex, shared with Globex (@tomas). "
        f"Type :help for help; :quit or Ctrl-D leaves."
    )
    if resumed is not None:
        pg.say(f"(the clock resumes where {pg.db_path} left it)")
    pg.do_time("")


def run_script(pg: Playground, lines: list[str]) -> ScriptResult:
    """Run a script's lines, echoing each; note every line refused unexpectedly, and every
    `!` line that was not refused."""
    result = ScriptResult()
    for number, line in enumerate(lines, start=1):
        if line.strip():
            pg.say(f"\n> {line}")
        go_on = pg.run_line(line)
        expected = strip_comment(line).startswith("!")
        if pg.refused and not expected:
            result.problems.append(Problem(number, line.strip(), "was refused"))
        elif expected and not pg.refused:
            result.problems.append(
                Problem(number, line.strip(), "starts with ! but was not refused")
            )
        if not go_on:
            break
    return result


def run_playground(
    *,
    script: str | None = None,
    db_path: str | None = None,
    start: datetime | None = None,
    out: TextIO | None = None,
    strict: bool = False,
    err: TextIO | None = None,
) -> int:
    """0 when done; with `strict`, 1 when a script line went otherwise than it says."""
    out = out or sys.stdout
    err = err or sys.stderr
    if script is not None and not Path(script).is_file():
        raise ConfigError(f"no playground script at {script}")
    tmp = None
    if db_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="outsource-playground-")
        path = Path(tmp.name) / "playground.db"
    else:
        path = Path(db_path)
    resumed = read_clock(path)
    if resumed is not None and start is not None and start < resumed:
        if tmp is not None:
            tmp.cleanup()
        raise ConfigError(
            f"{path} was left at {resumed:%Y-%m-%dT%H:%MZ}; --start can only move its clock forward"
        )
    pg = Playground(
        path,
        out,
        start=start or resumed,
        script_dir=Path(script).resolve().parent if script else None,
        temporary=tmp is not None,
    )
    try:
        _banner(pg, resumed if start is None else None)
        if script:
            lines = Path(script).read_text(encoding="utf-8").splitlines()
            result = run_script(pg, lines)
            if strict and result.problems:
                for problem in result.problems:
                    print(
                        f"{script}:{problem.number}: {problem.what}: {problem.line}",
                        file=err,
                    )
                return 1
            return 0
        while True:
            try:
                line = input("> ")
            except (EOFError, KeyboardInterrupt):
                pg.say()
                break
            if not pg.run_line(line):
                break
        return 0
    finally:
        pg.close()
        if tmp is not None:
            tmp.cleanup()


__all__ = ["Playground", "run_playground", "run_script", "strip_comment"]
