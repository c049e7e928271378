"""Thin Bolt listeners, one module per capability, each with `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.modules import import_modules

# Order: middleware first, then capabilities. A module missing from a build is skipped.
MODULES = [
    "handlers.middleware",
    "handlers.commands",
    "handlers.vendors",
    "handlers.deadlines",
    "handlers.recaps",
    "handlers.checkins",
    "handlers.responsiveness",
    "handlers.overview",
    "handlers.messages",
    "handlers.lifecycle",
]


def register_all(app: App) -> None:
    for module in import_modules(MODULES):
        module.register(app)
