"""Thin Bolt listeners, one module per capability, each with `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.modules import import_modules

# Order: middleware first, then capabilities. Bolt tries listeners in registration order until
# one matches, so the busiest (channel messages, then the slash command) come first. A module
# missing from a build is skipped.
MODULES = [
    "handlers.middleware",
    "handlers.messages",
    "handlers.commands",
    "handlers.vendors",
    "handlers.deadlines",
    "handlers.recaps",
    "handlers.checkins",
    "handlers.responsiveness",
    "handlers.overview",
    "handlers.lifecycle",
]


def register_all(app: App) -> None:
    for module in import_modules(MODULES):
        module.register(app)
