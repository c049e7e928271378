"""Builds the Bolt app. One unit of work (DB session) per Slack request."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from bot import metrics
from bot.logs import library_logger
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
        # bot.web checks the signature before the body is parsed; Bolt's check stays on
        # behind it (one more HMAC) for wherever this app is mounted without that edge.
        "request_verification_enabled": True,
        # No request body, token or response_url in any log line (bot/logs.py).
        "logger": library_logger(),
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
    from slack_bolt.context import BoltContext
    from slack_bolt.request.internals import build_context

    from bot.payloads import PARSED_BODY_KEY

    class Handler(SlackRequestHandler):
        def dispatch(self, request: Any) -> BoltResponse:
            req = BoltRequest(
                body=request.get_body(), query=request.query_string, headers=request.get_headers()
            )
            # bot.web parsed and checked the body. Bolt reads any form body that contains
            # the word "payload" (e.g. `/outsource help payload`) as an interaction, finds
            # no payload field and would drop the command: use the edge's reading.
            parsed = request.environ.get(PARSED_BODY_KEY)
            if parsed is not None and req.body != parsed:
                req.body = parsed
                req.context = build_context(BoltContext(), parsed)
            return self.app.dispatch(req)

    return Handler(app, path="/slack/events")


def start_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
