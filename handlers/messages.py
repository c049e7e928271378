"""The one `message` listener: every capability observes vendor-channel messages through it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.services.messages import observe_message
from handlers.middleware import installing_team


def register(app: App) -> None:
    app.event("message")(on_message)


def on_message(event: dict[str, Any], context: BoltContext) -> None:
    observe_message(
        context["session"],
        context["runtime"],
        installing_team(context) or "",
        event,
        context.get("actor"),
    )
