"""Slow work after the answer: run once the request has committed, off the request's thread.

Slack wants every request answered within 3 seconds. A listener whose work can take longer
(downloading a transcript file) answers at once, tells the user what is happening, and hands the
rest over with `hand_over`: it runs after the request's commit (on the courier's threads,
bot/delivery/courier.py), in units of work of its own, and a failure reaches the user as an
ephemeral message through the request's `response_url`. If the request is rolled back, or run
again, the work of the discarded run is never started.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.delivery.unit_of_work import after_commit
from handlers.errors import error_message

log = logging.getLogger(__name__)

# work(runtime, actor, body): makes its own units of work (bot.delivery.unit_of_work.run_unit),
# with any slow reads (a file download) outside them.
BackgroundWork = Callable[[Runtime, Actor, dict[str, Any]], None]


def hand_over(context: BoltContext, body: dict[str, Any], work: BackgroundWork) -> None:
    """Run `work` once this request has committed."""
    runtime: Runtime = context["runtime"]
    actor: Actor = context["actor"]
    respond = context.respond

    def later() -> None:
        try:
            work(runtime, actor, body)
        except Exception as error:
            message = error_message(error)
            if respond is None:
                return
            try:
                respond(text=message, response_type="ephemeral", replace_original=False)
            except Exception:
                log.warning("could not tell the user about a background error", exc_info=True)

    after_commit(context["session"], later)
