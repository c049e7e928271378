"""The one slash command, `/outsource`: parse, route to a capability, reply ephemerally."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks import kit
from bot.blocks.help import help_message
from bot.errors import UserError
from bot.text.commands import Help, parse, usage_of
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
        # What was wrong and the right form of that subcommand; the whole help only on `help`.
        ack(**kit.ephemeral(exc.render()))
        return
    handler = ROUTES.get(type(command))
    if handler is None:
        ack(**kit.ephemeral(f"`/outsource {command.KEY}` is not available yet in this build."))
        return
    request = CommandRequest(
        session=context["session"],
        actor=context["actor"],
        runtime=context["runtime"],
        client=client,
        body=body,
        respond=respond,
    )
    try:
        reply = handler(command, request)
    except UserError as exc:
        # A service may raise with the form of a shared argument (a date, a person); show the
        # form of the subcommand that was typed (`deadline move`, not `deadline add`).
        if exc.usage:
            exc.usage = usage_of(command)
        raise
    if reply is None:
        ack()
    else:
        ack(**reply.as_ack())


@subcommand(Help)
def show_help(command: Help, request: CommandRequest) -> Reply:
    message = help_message(topic=command.topic)
    return Reply(text=message["text"], blocks=message["blocks"])
