"""A worker process for the kill tests: the real app served over HTTP against the fake Slack,
which kills itself (SIGKILL, no cleanup) at one chosen point of handling a request.

    python -m tests.delivery.worker <database url> <slack api url> <start iso> <point> <port file>

Points: `before_commit` (the change request is flushed, not committed), `after_commit` (the
commit is done, the post not started), `after_post` (Slack has the post, the outbox row is not
yet marked sent). `none` kills nothing: the test kills the process itself during the post.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.app.config import Settings
from bot.app.runtime import build_runtime
from bot.app.web import build_web_app
from bot.delivery.courier import Courier
from bot.delivery.outbox import SENT, Outbox
from bot.time.clock import ManualClock
from storage.models import ChangeRequest
from tests.harness import BOT_TOKEN, SIGNING_SECRET


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    if point == "before_commit":

        @event.listens_for(Session, "after_flush")
        def after_flush(session: Session, context: Any) -> None:
            if any(isinstance(obj, ChangeRequest) for obj in session.new):
                session.info["change_flushed"] = True

        @event.listens_for(Session, "before_commit")
        def before_commit(session: Session) -> None:
            session.flush()
            if session.info.get("change_flushed"):
                die()

    elif point == "after_commit":
        Courier.deliver = lambda self, channels: die()  # type: ignore[method-assign]
    elif point == "after_post":
        real_move = Outbox._move

        def move(self: Outbox, post: Any, from_state: str, to_state: str, **kw: Any) -> bool:
            if to_state == SENT:
                die()
            return real_move(self, post, from_state, to_state, **kw)

        Outbox._move = move  # type: ignore[method-assign]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    db_url, api_url, start, point, port_file = sys.argv[1:6]
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=api_url,
        database_url=db_url,
        default_tz="UTC",
    )
    runtime = build_runtime(settings, clock=ManualClock(datetime.fromisoformat(start)))
    runtime.inline_delivery = True  # the post is made on the request's thread, then answered
    arm(point)
    server = make_server("127.0.0.1", 0, build_web_app(runtime), handler_class=_Quiet)
    Path(port_file).write_text(str(server.server_port))
    server.serve_forever()


if __name__ == "__main__":
    main()
