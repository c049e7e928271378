"""Builds the Bolt app. One unit of work (DB session) per Slack request."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from bot import metrics
from bot.runtime import Runtime
from bot.slack import make_client

log = logging.getLogger(__name__)


def request_type(body: dict[str, Any]) -> str:
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event:" + str((body.get("event") or {}).get("type"))
    return str(kind or "other")


class OutsourceApp(App):
    """A Bolt App whose every request runs inside one database transaction.

    Bolt runs global middleware and then the listener (with process_before_response=True the
    listener runs before the HTTP response), so the unit of work wraps `dispatch` itself:
    committed when the request succeeded, rolled back when a listener failed.
    """

    runtime: Runtime

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        session = self.runtime.db.sessionmaker()
        req.context["session"] = session
        req.context["runtime"] = self.runtime
        req.context["request_body"] = req.body  # for authorize (handlers/oauth.py)
        kind = request_type(req.body)
        status = "500"
        try:
            resp = super().dispatch(req)
            status = str(resp.status)
            if req.context.get("failed") or resp.status >= 500:
                session.rollback()
            else:
                session.commit()
            return resp
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()
            elapsed = time.perf_counter() - started
            metrics.ACK_LATENCY.labels(type=kind.split(":")[0]).observe(elapsed)
            metrics.REQUESTS.labels(type=kind, status=status).inc()


def create_app(runtime: Runtime) -> OutsourceApp:
    settings = runtime.settings
    kwargs: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "process_before_response": True,
        "raise_error_for_unhandled_request": False,
        # Token verification calls auth.test at start-up; it runs on the first request instead.
        "token_verification_enabled": False,
        "request_verification_enabled": True,
    }
    if runtime.listener_executor is not None:
        kwargs["listener_executor"] = runtime.listener_executor
    if settings.oauth_enabled:
        from handlers.oauth import oauth_kwargs

        kwargs.update(oauth_kwargs(runtime))
    else:
        kwargs["client"] = make_client(settings, settings.slack_bot_token)
    app = OutsourceApp(**kwargs)
    app.runtime = runtime

    from handlers import register_all
    from handlers.errors import handle_listener_error

    app.error(handle_listener_error)
    register_all(app)
    return app


def slack_wsgi(app: App) -> Any:
    """Bolt's WSGI adapter: POST /slack/events, and the OAuth paths when configured."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    return SlackRequestHandler(app, path="/slack/events")
