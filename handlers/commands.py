"""The one slash command, `/outsource`: parse, route to a capability, reply ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks.help import help_message
from bot.commands import Help, parse
from bot.errors import UserError
from handlers.routing import ROUTES, CommandRequest, Reply, subcommand


def register(app: App) -> None:
    app.command("/outsource")(handle_outsource)


def handle_outsource(
    ack: Ack,
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
) -> None:
    try:
        command = parse(body.get("text") or "")
    except UserError as exc:
        ack(**help_message(exc.render()))
        return
    handler = ROUTES.get(type(command))
    if handler is None:
        ack(**help_message(f"`{body.get('text')}` is not available yet in this build."))
        return
    request = CommandRequest(
        session=context["session"],
        actor=context["actor"],
        runtime=context["runtime"],
        client=client,
        body=body,
        respond=respond,
    )
    reply = handler(command, request)
    if reply is None:
        ack()
    else:
        ack(**reply.as_ack())


@subcommand(Help)
def show_help(command: Help, request: CommandRequest) -> Reply:
    message = help_message()
    return Reply(text=message["text"], blocks=message["blocks"])
