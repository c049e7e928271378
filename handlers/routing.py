"""Routes each parsed `/outsource` subcommand to the capability module that serves it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks import kit
from bot.delivery.unit_of_work import after_commit


@dataclass
class CommandRequest:
    """What a subcommand handler gets: the parsed command plus the request's context."""

    session: Session
    actor: Actor
    runtime: Runtime
    client: WebClient
    body: dict[str, Any]
    respond: Respond | None = None

    @property
    def channel_id(self) -> str:
        return str(self.body.get("channel_id", ""))

    @property
    def team_id(self) -> str:
        return self.actor.team_id

    @property
    def trigger_id(self) -> str | None:
        return self.body.get("trigger_id")


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    in_channel: bool = False

    def as_ack(self) -> dict[str, Any]:
        body = kit.ephemeral(self.text, self.blocks or None)
        if self.in_channel:
            body["response_type"] = "in_channel"
        return body


SubcommandHandler = Callable[[Any, CommandRequest], Reply | None]
ROUTES: dict[type, SubcommandHandler] = {}


def subcommand(*command_types: type) -> Callable[[SubcommandHandler], SubcommandHandler]:
    def decorator(func: SubcommandHandler) -> SubcommandHandler:
        for command_type in command_types:
            ROUTES[command_type] = func
        return func

    return decorator


def open_modal(
    session: Session, client: WebClient, trigger_id: str | None, view: dict[str, Any]
) -> None:
    """views.open once the request's reads are committed (a trigger id lasts 3 seconds; the
    request answers within milliseconds, and the modal opens right after)."""
    after_commit(session, lambda: client.views_open(trigger_id=trigger_id, view=view))
