"""`outsource-bot playground`: the real app against an in-process fake Slack, in a terminal.

No token, no network: the fake Slack listens on 127.0.0.1, the database is a SQLite file. You
type what a person would do in Slack; the playground turns it into the signed request Slack
would send, and prints whatever the bot posts, updates or opens, with numbered buttons.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.app.config import Settings
from bot.app.runtime import build_runtime
from bot.app.web import build_web_app
from bot.delivery.outbox import Outbox
from bot.delivery.sweep import run_sweep
from bot.errors import UserError
from bot.fakeslack import FakeSlack, SlackRequestSender, input_fields, render_message
from bot.fakeslack.cast import PEOPLE, SHARED_CHANNEL, populate
from bot.fakeslack.render import ButtonRef
from bot.fakeslack.signing import message_event
from bot.services.noise import NoisePolicy
from bot.time.clock import ManualClock
from bot.time.timeparse import parse_duration
from storage.db import Database

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

HELP = """\
Type what you would do in Slack:
  /outsource …            run a command as the current user (try /outsource help)
  :as dana|alex|priya|ravi|mallory   act as someone else (:as vendor = priya, :as internal = dana)
  :say <text>             post a message in the vendor channel
  :reply <text>           reply in the thread of the bot's latest post there
  :click N                press button N
  :fill <field> <text>    fill a field of the open form (see its field names)
  :submit                 submit the open form
  :shortcut               "Turn into call recap" on the latest message in the channel
  :home                   open the App Home tab
  :leave priya            someone leaves the vendor channel (:join bot re-invites the bot)
  :advance 2d|3h|30m      move the clock forward and let the bot do what is due
  :at 2027-03-29T09:00Z   move the clock to that instant (forward only), same as :advance
  :time                   what time it is, in each person's zone
  :quit                   leave
Lines starting with # are comments."""


@dataclass
class Clickable:
    ref: ButtonRef
    channel: str | None
    message: dict[str, Any] | None
    view: dict[str, Any] | None


@dataclass
class OpenForm:
    view_id: str
    view: dict[str, Any]
    values: dict[str, dict[str, Any]]


class Playground:
    def __init__(self, db_path: Path, out: TextIO, start: datetime | None = None) -> None:
        self.out = out
        now = start or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.clock = ManualClock(now)
        self.fake = FakeSlack(clock=self.clock)
        self.fake.start()
        populate(self.fake)
        self.settings = Settings(
            slack_bot_token="xoxb-playground",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.fake.api_url,
            database_url=f"sqlite:///{db_path}",
        )
        self.fake.workspace.install(
            "T_INTERNAL", bot_user_id="UBOT", bot_token="xoxb-playground", bot_id="BBOT"
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
        self.user = PEOPLE["dana"]
        self.channel = SHARED_CHANNEL
        self.sender = SlackRequestSender(
            SIGNING_SECRET, wsgi_app=self.web, fake=self.fake, team_id="T_INTERNAL"
        )
        self.clickables: dict[int, Clickable] = {}
        self.next_number = 1
        self.form: OpenForm | None = None
        self.seen_calls = 0

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

    def _where(self, channel: str | None) -> str:
        if not channel:
            return "?"
        if channel.startswith(("U", "W")):
            return f"DM to {self.name_of(channel)}"
        ch = self.fake.workspace.channels.get(channel)
        if ch is not None and ch.is_im:
            other = next((m for m in ch.members if m != "UBOT"), channel)
            return f"DM to {self.name_of(other)}"
        return self.name_of(channel)

    def _render(
        self,
        title: str,
        params: dict[str, Any],
        channel: str | None,
        view: dict[str, Any] | None = None,
    ) -> None:
        text, refs = render_message(params, numbering_start=self.next_number, name_of=self.name_of)
        self.say(f"--- {title}")
        for line in text.splitlines() or [""]:
            self.say(f"    {line}")
        message = None
        if view is None and channel:
            message = dict(params)
        for ref in refs:
            self.clickables[ref.number] = Clickable(ref, channel, message, view)
            self.next_number = max(self.next_number, ref.number + 1)

    def show_new_calls(self) -> None:
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
                self._render(f"bot posted in {where}{thread}", p, channel)
            elif call.method == "chat.update":
                self._render(
                    f"bot updated a message in {self._where(p.get('channel'))}", p, p.get("channel")
                )
            elif call.method == "chat.postEphemeral":
                self._render(f"only {self.name_of(str(p.get('user')))} sees", p, p.get("channel"))
            elif call.method == "response_url":
                self._render("only you see", p, self.channel)
            elif call.method in ("views.open", "views.push", "views.update"):
                view = p.get("view") or {}
                view_id = (resp.get("view") or {}).get("id") or p.get("view_id") or "V?"
                self.form = OpenForm(view_id=view_id, view=view, values={})
                self._render("a form opened", p, None, view={"id": view_id, **view})
                fields = input_fields(view)
                if fields:
                    names = ", ".join(f.block_id or "?" for f in fields)
                    self.say(
                        f"    (fill with :fill <field> <text> — fields: {names}; then :submit)"
                    )
            elif call.method == "views.publish":
                view = p.get("view") or {}
                self._render(
                    f"App Home of {self.name_of(str(p.get('user_id')))}",
                    p,
                    None,
                    view={"type": "home", **view},
                )
            elif call.method == "files.completeUploadExternal":
                files = p.get("files") or []
                names = ", ".join(
                    str(f.get("title") or f.get("id")) for f in files if isinstance(f, dict)
                )
                self.say(
                    f"--- bot uploaded {names or 'a file'} to {self._where(p.get('channel_id'))}"
                )

    # -- actions --------------------------------------------------------------------------

    def run_line(self, line: str) -> bool:
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        try:
            if line.startswith("/outsource"):
                self.command(line[len("/outsource") :].strip())
            elif line.startswith(":"):
                verb, _, rest = line[1:].partition(" ")
                handler = getattr(self, f"do_{verb.lower()}", None)
                if handler is None:
                    self.say(f"(unknown playground command :{verb} — try :help)")
                else:
                    return bool(handler(rest.strip()) is not False)
            else:
                self.say("(type /outsource …, or :help)")
        except UserError as exc:
            self.say(f"(playground: {exc.message})")
        return True

    def command(self, text: str) -> None:
        # Slack sends the user's own team; for an external user our middleware refuses (real
        # Slack would not even deliver the command).
        team = self.fake.workspace.users[self.user].team_id
        resp = self.sender.command(
            escape_mentions(text), user_id=self.user, channel_id=self.channel, team_id=team
        )
        if resp.status != 200:
            self.say(f"(Slack would show an error: HTTP {resp.status})")
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
        key = {"vendor": "priya", "internal": "dana"}.get(who.lower(), who.lower().lstrip("@"))
        if key not in PEOPLE:
            raise UserError(f"nobody called {who!r}; choose one of {', '.join(PEOPLE)}")
        self.user = PEOPLE[key]
        user = self.fake.workspace.users[self.user]
        team = self.fake.workspace.teams[user.team_id].name
        self.say(f"(you are now @{user.name}, {user.real_name} of {team})")

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
        self.sender.event(event)
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

    def do_click(self, rest: str) -> None:
        if not rest.isdigit() or int(rest) not in self.clickables:
            raise UserError(f"there is no button {rest!r} on screen")
        item = self.clickables[int(rest)]
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
        resp = self.sender.action(ref.action_id, value, user_id=self.user, **kw)
        if resp.status != 200:
            self.say(f"(Slack would show an error: HTTP {resp.status})")
        self.show_new_calls()

    def do_fill(self, rest: str) -> None:
        if self.form is None:
            raise UserError("no form is open")
        name, _, value = rest.partition(" ")
        fields = {f.block_id: f for f in input_fields(self.form.view)}
        field = fields.get(name)
        if field is None:
            raise UserError(
                f"the form has no field {name!r}; fields: {', '.join(str(k) for k in fields)}"
            )
        action_id = field.action_id or name
        self.form.values[name] = {action_id: _state_value(field.kind, value, field.options)}
        self.say(f"({name} filled)")

    def do_submit(self, _rest: str) -> None:
        if self.form is None:
            raise UserError("no form is open")
        form, self.form = self.form, None
        # Slack submits pre-filled values too.
        for field in input_fields(form.view):
            if field.block_id and field.block_id not in form.values and field.initial:
                form.values[field.block_id] = {
                    field.action_id or field.block_id: _state_value(
                        field.kind, field.initial, field.options
                    )
                }
        resp = self.sender.submit(
            form.view.get("callback_id", ""),
            form.values,
            user_id=self.user,
            private_metadata=form.view.get("private_metadata", ""),
            view_id=form.view_id,
            blocks=form.view.get("blocks"),
        )
        body = resp.json() if resp.body_text.strip().startswith("{") else None
        if isinstance(body, dict) and body.get("response_action") == "errors":
            self.form = form
            for field, error in (body.get("errors") or {}).items():
                self.say(f"    ! {field}: {error}")
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
        self.sender.shortcut(
            "recap_from_message", message, user_id=self.user, channel_id=self.channel
        )
        self.show_new_calls()

    def _person(self, who: str) -> str:
        key = who.strip().lstrip("@").lower()
        if key == "bot":
            return "UBOT"
        if key not in PEOPLE:
            raise UserError(f"nobody called {who!r}; choose one of {', '.join(PEOPLE)} or bot")
        return PEOPLE[key]

    def do_leave(self, who: str) -> None:
        user = self._person(who or "priya")
        self.fake.workspace.remove_member(self.channel, user)
        team = (
            self.fake.workspace.users[user].team_id if user in self.fake.workspace.users else None
        )
        self.sender.event(
            {
                "type": "member_left_channel",
                "user": user,
                "channel": self.channel,
                "channel_type": "C",
                "team": team or "T_INTERNAL",
            }
        )
        self.say(f"({self.name_of(user)} left {self.name_of(self.channel)})")
        self.show_new_calls()

    def do_join(self, who: str) -> None:
        user = self._person(who or "bot")
        self.fake.workspace.add_member(self.channel, user)
        self.sender.event(
            {
                "type": "member_joined_channel",
                "user": user,
                "channel": self.channel,
                "channel_type": "C",
                "team": "T_INTERNAL",
                "inviter": self.user,
            }
        )
        self.say(f"({self.name_of(user)} joined {self.name_of(self.channel)})")
        self.show_new_calls()

    def do_home(self, _rest: str) -> None:
        self.sender.event(
            {"type": "app_home_opened", "user": self.user, "channel": "D_HOME", "tab": "home"}
        )
        self.show_new_calls()

    def do_advance(self, rest: str) -> None:
        self._advance_by(parse_duration(rest or "1d"))

    def _advance_by(self, delta: timedelta) -> None:
        target = self.clock.now() + delta
        # Sweep hour by hour, as the scheduler would (it runs every 30 s), so nothing due in
        # between is seen late.
        step = timedelta(hours=1)
        while self.clock.now() < target:
            self.clock.set(min(self.clock.now() + step, target))
            run_sweep(self.runtime)
        self.do_time("")
        self.show_new_calls()

    def do_at(self, rest: str) -> None:
        """Jump the clock to an instant (forward only) and sweep, like :advance."""
        try:
            target = datetime.fromisoformat(rest.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UserError("give an ISO instant, e.g. :at 2027-03-29T09:00Z") from None
        if target.tzinfo is None:
            target = target.replace(tzinfo=UTC)
        delta = target - self.clock.now()
        if delta <= timedelta(0):
            raise UserError("time only moves forward here")
        self._advance_by(delta)

    def do_time(self, _rest: str) -> None:
        now = self.clock.now()
        zones = sorted({u.tz for u in self.fake.workspace.users.values() if u.tz})
        parts = [f"{now.astimezone(ZoneInfo(z)):%a %d %b %H:%M} {z.split('/')[-1]}" for z in zones]
        self.say(f"(now: {now:%a %d %b %Y %H:%M} UTC — " + "; ".join(parts) + ")")

    def close(self) -> None:
        self.fake.stop()
        self.runtime.db.dispose()


_AT_NAME = re.compile(r"(?<![<\w])@([a-z]+)\b")


def escape_mentions(text: str) -> str:
    """`@priya` typed in the playground arrives as Slack sends it (should_escape: true)."""

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        uid = PEOPLE.get(name)
        return f"<@{uid}|{name}>" if uid else match.group(0)

    return _AT_NAME.sub(repl, text)


def _state_value(kind: str, value: str, options: Iterable[tuple[str, str]]) -> dict[str, Any]:
    if kind in ("multi_users_select",):
        users = [
            PEOPLE.get(v.strip().lstrip("@").lower(), v.strip())
            for v in value.split(",")
            if v.strip()
        ]
        return {"type": kind, "selected_users": users}
    if kind in ("users_select",):
        v = value.strip().lstrip("@").lower()
        return {"type": kind, "selected_user": PEOPLE.get(v, value.strip())}
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


def run_playground(
    *,
    script: str | None = None,
    db_path: str | None = None,
    start: datetime | None = None,
    out: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    tmp = None
    if db_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="outsource-playground-")
        path = Path(tmp.name) / "playground.db"
    else:
        path = Path(db_path)
    pg = Playground(path, out, start=start)
    try:
        user = pg.fake.workspace.users[pg.user]
        pg.say(
            f"outsource-bot playground — you are @{user.name} ({user.real_name}, internal) in "
            f"#ext-acme, a channel shared with the vendor Acme Dev (@priya, @ravi). "
            f"Type :help for help."
        )
        pg.do_time("")
        if script:
            lines = Path(script).read_text(encoding="utf-8").splitlines()
            for line in lines:
                if line.strip():
                    pg.say(f"\n> {line}")
                if not pg.run_line(line):
                    break
            return 0
        while True:
            try:
                line = input("> ")
            except EOFError:
                break
            if not pg.run_line(line):
                break
        return 0
    finally:
        pg.close()
        if tmp is not None:
            tmp.cleanup()


__all__ = ["Playground", "run_playground"]
