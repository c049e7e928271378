"""`app_uninstalled` and `tokens_revoked`: stop all delivery for that workspace, keep its rows.

In OAuth mode the workspace's tokens are deleted from the installation store, so the client
factory answers None for the team and the outbox holds its rows (nothing is posted, nothing is
lost; a reinstall resumes). In single-token mode the token is simply dead: Slack refuses every
call, and the outbox treats auth errors the same way (rows kept, retried hourly).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

from bot.app.runtime import Runtime

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_uninstalled")(on_app_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)


def on_app_uninstalled(body: dict[str, Any], runtime: Runtime, session: Session) -> None:
    _forget(session, runtime, body, bot=True, user_ids=[])


def on_tokens_revoked(
    body: dict[str, Any], event: dict[str, Any], runtime: Runtime, session: Session
) -> None:
    tokens = event.get("tokens") or {}
    _forget(
        session,
        runtime,
        body,
        bot=bool(tokens.get("bot")),
        user_ids=[str(u) for u in tokens.get("oauth") or []],
    )


def _forget(
    session: Session, runtime: Runtime, body: dict[str, Any], *, bot: bool, user_ids: list[str]
) -> None:
    team_id = body.get("team_id")
    enterprise_id = body.get("enterprise_id")
    if runtime.settings.oauth_enabled:
        from bot.slack.installations import revoke

        revoke(
            session,
            runtime.settings,
            runtime.db,
            team_id=team_id,
            enterprise_id=enterprise_id,
            bot=bot,
            user_ids=user_ids,
        )
    else:
        log.warning(
            "Slack revoked this app's tokens for team %s; nothing will be posted until it is "
            "reinstalled and SLACK_BOT_TOKEN is replaced",
            team_id,
        )
    forget = getattr(runtime.client_factory, "forget", None)
    if bot and callable(forget) and team_id:
        forget(team_id)
