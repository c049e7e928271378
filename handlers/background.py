"""Slow work after the ack: Bolt lazy listeners with a unit of work of their own.

Slack wants every request answered within 3 seconds. A listener whose work can take longer
(downloading a transcript file) acks at once, tells the user what is happening, and hands the
rest to a lazy listener. Bolt runs it on its listener executor once the ack function has
returned, with a copy of the request's context in which the request's session is None (see
`storage.db.UnitOfWork`): the lazy work commits or rolls back in its own transaction, and
tells the user about a failure through the request's `response_url`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext, Respond
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.runtime import Runtime
from handlers.errors import error_message

log = logging.getLogger(__name__)

BackgroundWork = Callable[[Session, Runtime, Actor, dict[str, Any]], None]
HANDED_OVER = "handed_over"


def hand_over(context: BoltContext) -> None:
    """Called by an ack function that left the rest of the request to its lazy listener (Bolt
    starts lazy listeners after every ack function, with a copy of its context)."""
    context[HANDED_OVER] = True


def after_ack(work: BackgroundWork) -> Callable[..., None]:
    """A Bolt lazy listener running `work(session, runtime, actor, body)` in its own
    transaction when the ack function called `hand_over`; a failure rolls it back and reaches
    the user as an ephemeral message."""

    def lazy(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        runtime: Runtime = context["runtime"]
        actor: Actor | None = context.get("actor")
        if not context.get(HANDED_OVER) or actor is None:
            return  # the ack function did all of it
        try:
            with runtime.db.transaction() as session:
                work(session, runtime, actor, body)
        except Exception as error:
            message = error_message(error)
            try:
                respond(text=message, response_type="ephemeral", replace_original=False)
            except Exception:
                log.warning("could not tell the user about a background error", exc_info=True)

    lazy.__name__ = lazy.__qualname__ = f"after_ack_{getattr(work, '__name__', 'work')}"
    return lazy
