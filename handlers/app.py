"""Builds the Bolt app. One unit of work (DB session) per Slack request."""

from __future__ import annotations

import copy
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

from bot.app.runtime import Runtime
from bot.delivery.unit_of_work import (
    AFTER_ROLLBACK,
    Attempts,
    database_error,
    deferral,
    deliver_after_commit,
    run_actions,
)
from bot.ops import metrics
from bot.ops.logs import library_logger
from bot.slack.client import make_client
from handlers.errors import FAILED_WITH, first_input, json_response
from handlers.middleware import claim_request_key

log = logging.getLogger(__name__)


def request_type(body: dict[str, Any]) -> str:
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        return "event:" + str((body.get("event") or {}).get("type"))
    return str(kind or "other")


class OutsourceApp(App):
    """A Bolt App whose every request is one unit of work (bot/delivery/unit_of_work.py).

    Bolt runs global middleware and then the listener (with process_before_response=True the
    listener runs before the HTTP response), so the unit of work wraps `dispatch` itself:

    * the request's transaction is committed when it succeeded, rolled back when it failed;
    * a listener makes no Slack call: its posts are outbox rows, delivered right after the
      commit off this thread, its views.open and response_url messages run after the commit
      (or, for an error message, after the rollback) — so the answer to Slack never waits on
      Slack, and nothing is said about work that was rolled back;
    * Slack reads missed in the directory's cache, and a database connection found dead
      before the commit, run the request again from its body (nothing was committed or sent);
    * a Slack retry, a duplicate event, a second identical click or submission has no second
      effect: its key is stored in the same transaction (`REQUEST_KEY`, handlers/middleware.py);
    * the request is timed by the time Slack gave it (`event_ts`, `action_ts`) where Slack
      gives one, so a retried or replayed event counts when it happened.
    """

    runtime: Runtime

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.perf_counter()
        kind = request_type(req.body)
        status = "500"
        pristine = copy.deepcopy(req.body)
        attempts = Attempts(self.runtime)
        try:
            while True:
                resp, again = self._dispatch_once(req, attempts)
                if not again:
                    status = str(resp.status)
                    return resp
                req = _fresh_request(req, pristine)
        finally:
            elapsed = time.perf_counter() - started
            metrics.ACK_LATENCY.labels(type=kind.split(":")[0]).observe(elapsed)
            metrics.REQUESTS.labels(type=kind, status=status).inc()

    def _dispatch_once(self, req: BoltRequest, attempts: Attempts) -> tuple[BoltResponse, bool]:
        """One run of the request. Returns the response and whether to run it again."""
        runtime = timed_runtime(self.runtime, req.body)
        with deferral(attempts) as missed:
            session = runtime.db.sessionmaker()
            req.context["session"] = session
            req.context["runtime"] = runtime
            req.context["request_body"] = req.body  # for authorize (handlers/oauth.py)
            committing = False
            error: BaseException | None = None
            try:
                resp = super().dispatch(req)
                error = req.context.get(FAILED_WITH)
                if missed or req.context.get("failed") or resp.status >= 500:
                    session.rollback()
                elif not claim_request_key(session, req.context, runtime.clock.now()):
                    # The same event, click or submission was handled meanwhile by another
                    # worker: this run's work is dropped.
                    session.rollback()
                    metrics.DUPLICATE_EVENTS.inc()
                    resp = duplicate_response(req.body)
                else:
                    committing = True
                    session.commit()
            except Exception as exc:  # a commit that failed; Bolt itself catches the rest
                session.rollback()
                error = exc
                resp = BoltResponse(status=500, body="")
            info = dict(session.info)
            session.close()
        # Reads noted on the way are made and the request runs again — unless the database
        # itself failed (busy, down): a second run would only wait for it a second time.
        busy = error is not None and database_error(error) is not None
        if missed and not busy and attempts.after_lookups(missed):
            return resp, True
        if error is not None and attempts.after_error(error, committing=committing):
            return resp, True
        if committing and error is None:
            deliver_after_commit(self.runtime, info)
            return resp, False
        run_actions(self.runtime, info.get(AFTER_ROLLBACK))
        if error is not None and database_error(error) is not None:
            return unavailable_response(req, error), False
        return resp, False


def timed_runtime(runtime: Runtime, body: dict[str, Any]) -> Runtime:
    """The runtime whose clock says when Slack says the request happened (an event's or a
    click's own time), or the runtime itself where Slack gives no time or an implausible one
    (in the future, or older than Slack ever retries)."""
    raw = slack_time(body)
    if raw is None:
        return runtime
    try:
        at = datetime.fromtimestamp(float(raw), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return runtime
    now = runtime.clock.now()
    if at > now or now - at > MAX_EVENT_AGE:
        return runtime
    return runtime.at(at)


MAX_EVENT_AGE = timedelta(hours=6)


def slack_time(body: dict[str, Any]) -> Any:
    """`event_ts`/`ts` of an event, `action_ts` of a click or shortcut, else None."""
    if body.get("type") == "event_callback":
        event = body.get("event")
        if isinstance(event, dict):
            return event.get("event_ts") or event.get("ts")
        return None
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[0].get("action_ts")
    return body.get("action_ts")


def _fresh_request(req: BoltRequest, pristine: dict[str, Any]) -> BoltRequest:
    """The same Slack request, as it arrived, for one more run."""
    from slack_bolt.context import BoltContext
    from slack_bolt.request.internals import build_context

    body: Any = req.raw_body if req.mode == "http" else copy.deepcopy(pristine)
    fresh = BoltRequest(body=body, query=req.query, headers=req.headers, mode=req.mode)
    if fresh.body != pristine:  # the edge's reading of the body (see slack_wsgi)
        fresh.body = copy.deepcopy(pristine)
        fresh.context = build_context(BoltContext(), fresh.body)
    return fresh


def duplicate_response(body: dict[str, Any]) -> BoltResponse:
    """What a second delivery of something already handled gets: nothing more happens."""
    return BoltResponse(status=200, body="")


def unavailable_response(req: BoltRequest, error: BaseException) -> BoltResponse:
    """The database is down, busy or read-only: say so, plainly, within Slack's 3 seconds.
    Events get 503 so that Slack delivers them again later."""
    message = str(database_error(error) or error)
    body = req.body
    if body.get("type") == "event_callback":
        return BoltResponse(status=503, body="")
    if body.get("command"):
        return json_response({"response_type": "ephemeral", "text": message})
    if body.get("type") == "view_submission":
        return json_response({"response_action": "errors", "errors": first_input(body, message)})
    respond = req.context.respond
    if respond is not None:
        _respond = respond

        def tell() -> None:
            _respond(text=message, response_type="ephemeral", replace_original=False)

        req.context["runtime"].courier.run(tell)
    return BoltResponse(status=200, body="")


def create_app(runtime: Runtime) -> OutsourceApp:
    settings = runtime.settings
    kwargs: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret or "",
        "process_before_response": True,
        "raise_error_for_unhandled_request": False,
        # Token verification calls auth.test at start-up; it runs on the first request instead.
        "token_verification_enabled": False,
        # bot.app.web checks the signature before the body is parsed; Bolt's check stays on
        # behind it (one more HMAC) for wherever this app is mounted without that edge.
        "request_verification_enabled": True,
        # No request body, token or response_url in any log line (bot/ops/logs.py).
        "logger": library_logger(),
    }
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

    from bot.slack.payloads import PARSED_BODY_KEY

    class Handler(SlackRequestHandler):
        def dispatch(self, request: Any) -> BoltResponse:
            req = BoltRequest(
                body=request.get_body(), query=request.query_string, headers=request.get_headers()
            )
            # bot.app.web parsed and checked the body. Bolt reads any form body that contains
            # the word "payload" (e.g. `/outsource help payload`) as an interaction, finds
            # no payload field and would drop the command: use the edge's reading.
            parsed = request.environ.get(PARSED_BODY_KEY)
            if parsed is not None and req.body != parsed:
                req.body = parsed
                req.context = build_context(BoltContext(), parsed)
            return self.app.dispatch(req)

    return Handler(app, path="/slack/events")
