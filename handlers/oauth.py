"""Multi-workspace mode: the OAuth install flow and authorization by the HOST installation.

`oauth_kwargs(runtime)` is what `create_app` adds to the Bolt App when SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET are set: `GET /slack/install` and `GET /slack/oauth_redirect` (Bolt's
OAuthFlow, with slack_sdk's SQLAlchemy installation and state stores in our database) and a
custom `authorize`.

Why custom (bolt-python issue 767): in a Slack Connect channel the vendor's people are users
of another workspace. Their button clicks and modal submissions belong to the installation of
the workspace that hosts the channel, but the payload's `team` may name the user's own team,
where the app is not installed — Bolt's default authorization then finds nothing and the
click or submission fails. `HostInstallationAuthorize` tries, in order, the view's
`app_installed_team_id`, a host team carried in the view's `private_metadata` (key `team` or
`host_team_id`), the team Bolt extracted, the payload's `team.id`, its `authorizations`, and the
user's own team — and uses the first one that has an installation. It builds the result from
the stored bot: one indexed query, no `auth.test` round trip per request.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from bot.app.runtime import Runtime
from bot.slack.client import make_client
from bot.slack.installations import find_bot, stores_for

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

# The bot scopes requested at install; tests/scale check them against manifest.yml.
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "im:write",
    "im:history",
    "users:read",
    "files:read",
    "files:write",
    "reactions:write",
    "team:read",
    "metadata.message:read",
]


def oauth_kwargs(runtime: Runtime) -> dict[str, Any]:
    settings = runtime.settings
    stores = stores_for(settings, runtime.db)
    return {
        "client": make_client(settings, None),  # oauth.v2.access goes to SLACK_API_URL
        "installation_store": stores.installations,
        "authorize": HostInstallationAuthorize(stores.installations),
        "oauth_settings": OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=BOT_SCOPES,
            installation_store=stores.installations,
            state_store=stores.states,
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
        ),
    }


def host_team_candidates(body: dict[str, Any], team_id: str | None) -> list[str]:
    """Team ids that may own the installation for this request, most specific first."""
    found: list[str | None] = []
    view = body.get("view")
    if isinstance(view, dict):
        found.append(view.get("app_installed_team_id"))
        meta = _decode(view.get("private_metadata"))
        found += [meta.get("host_team_id"), meta.get("team")]
    found.append(team_id)
    team = body.get("team")
    found.append(team.get("id") if isinstance(team, dict) else team)
    found.append(body.get("team_id"))
    for auth in body.get("authorizations") or []:
        if isinstance(auth, dict):
            found.append(auth.get("team_id"))
    user = body.get("user")
    if isinstance(user, dict):
        found.append(user.get("team_id"))
    if isinstance(view, dict):
        found.append(view.get("team_id"))
    out: list[str] = []
    for candidate in found:
        if isinstance(candidate, str) and candidate and candidate not in out:
            out.append(candidate)
    return out


def _decode(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class HostInstallationAuthorize(Authorize):
    """Authorize by the installation of the workspace hosting the interaction (see module doc)."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        body = context.get("request_body") or {}
        for candidate in host_team_candidates(body, team_id):
            # One indexed query per request, not cached: an uninstall takes effect at once.
            bot = find_bot(self.store, candidate)
            if bot is not None:
                return AuthorizeResult(
                    enterprise_id=bot.enterprise_id,
                    team_id=bot.team_id,
                    bot_user_id=bot.bot_user_id,
                    bot_id=bot.bot_id,
                    bot_token=bot.bot_token,
                    bot_scopes=bot.bot_scopes,
                    user_id=user_id,
                )
        return None
