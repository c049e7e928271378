"""Multi-workspace mode: two workspaces installed through the OAuth flow (the fake's
`oauth.v2.access`) each see only their own data, get their own bot token, and an uninstall
stops delivery for that workspace only. Slack Connect interactions authorize by the HOST
installation (bolt-python issue 767). Runs on SQLite and PostgreSQL (`any_db_url`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select

from bot.app.config import Settings
from bot.app.runtime import Runtime, build_runtime
from bot.app.web import WebApp, build_web_app
from bot.delivery.outbox import PENDING, Outbox, enqueue
from bot.fakeslack import FakeSlack, SlackRequestSender
from bot.slack.installations import stores_for
from bot.time.clock import ManualClock
from storage.db import Database
from storage.models import OutboxMessage, Vendor
from tests.scale.helpers import posted_keys

SECRET = "oauth-signing-secret"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
APOLOGY = "your installation with this app is no longer available"


@dataclass
class Team:
    id: str
    user: str
    channel: str
    token: str


A = Team("T_AAA", "U_ANNA", "C_AAA", "xoxb-aaa-secret-token")
B = Team("T_BBB", "U_BORIS", "C_BBB", "xoxb-bbb-secret-token")
VENDOR_TEAM = "T_VND"
VENDOR_USER = "U_VERA"


@dataclass
class App:
    runtime: Runtime
    web: WebApp
    fake: FakeSlack

    def sender(self, team: str) -> SlackRequestSender:
        return SlackRequestSender(SECRET, wsgi_app=self.web, fake=self.fake, team_id=team)


@pytest.fixture
def app(fake_slack: FakeSlack, any_db_url: str) -> Iterator[App]:
    fake = fake_slack
    for team in (A, B):
        fake.workspace.add_team(team.id, team.id)
        fake.workspace.add_user(team.user, team.id, name=team.user.lower(), tz="Europe/Berlin")
    fake.workspace.add_team(VENDOR_TEAM, "Vendor")
    fake.workspace.add_user(VENDOR_USER, VENDOR_TEAM, name="vera")
    settings = Settings(
        slack_client_id="1111.2222",
        slack_client_secret="client-secret",
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
        database_url=any_db_url,
    )
    db = Database(any_db_url)
    runtime = build_runtime(settings, clock=ManualClock(NOW), db=db)
    db.upgrade()  # creates the installation and state store tables
    stores = stores_for(settings, db)
    with db.engine.begin() as conn:  # the PostgreSQL database is shared by the session
        for table in (stores.installations.bots, stores.installations.installations):
            conn.execute(delete(table))
    runtime.extras["outbox"] = Outbox(db, runtime.client_factory, pace_seconds=0)
    yield App(runtime, build_web_app(runtime), fake)
    db.dispose()


def install(app: App, team: Team) -> None:
    """A workspace admin clicks "Add to Slack", approves, and Slack redirects back."""
    app.fake.workspace.add_oauth_code(
        f"code-{team.id}", team_id=team.id, bot_token=team.token, bot_user_id=f"UBOT_{team.id}"
    )
    browser = app.sender(team.id)
    page = browser.get("/slack/install")
    assert page.status == 200
    state = re.search(r"state=([\w-]+)", page.body_text)
    assert state is not None and "slack-app-oauth-state" in browser.cookies
    done = browser.get("/slack/oauth_redirect", {"code": f"code-{team.id}", "state": state[1]})
    assert done.status == 200, done.body_text
    app.fake.workspace.add_channel(team.channel, team.channel.lower(), [team.user], team_id=team.id)


def command(app: App, team: Team, text: str) -> str:
    resp = app.sender(team.id).command(text, user_id=team.user, channel_id=team.channel)
    assert resp.status == 200
    return str(resp.json()["text"])


def test_two_workspaces_installed_by_oauth_see_only_their_own_data(app: App) -> None:
    install(app, A)
    install(app, B)

    added = command(app, A, "vendor add Acme Dev tz Europe/Berlin")
    assert "Acme Dev" in added
    assert "Acme Dev" in command(app, A, "vendor list")
    assert "Acme Dev" not in command(app, B, "vendor list")
    assert "No vendors yet" in command(app, B, "vendor list")
    with app.runtime.db.transaction() as s:
        assert list(s.execute(select(Vendor.team_id, Vendor.name))) == [(A.id, "Acme Dev")]
    # every Web API call made for team A's requests used A's token, none used B's
    tokens = {c.token for c in app.fake.calls() if c.method not in ("oauth.v2.access",)}
    assert tokens <= {A.token, B.token} and A.token in tokens


def test_each_workspace_is_delivered_with_its_own_token_and_uninstall_stops_only_it(
    app: App,
) -> None:
    install(app, A)
    install(app, B)
    with app.runtime.db.transaction() as s:
        for team in (A, B):
            for n in (1, 2):
                enqueue(
                    s,
                    team_id=team.id,
                    dedupe_key=f"{team.id}:{n}",
                    channel_id=team.channel,
                    kind="test",
                    now=NOW,
                    text=f"hello {team.id} {n}",
                    budgeted=False,
                )
    outbox = app.runtime.extras["outbox"]
    # first post of each team now; the second after B uninstalled
    with app.runtime.db.transaction() as s:
        s.execute(
            OutboxMessage.__table__.update()
            .where(OutboxMessage.dedupe_key.like("%:2"))
            .values(not_before=datetime(2027, 3, 2, tzinfo=UTC))
        )
    outbox.deliver_due(NOW)
    by_token = {c.params["channel"]: c.token for c in app.fake.calls("chat.postMessage")}
    assert by_token == {A.channel: A.token, B.channel: B.token}

    resp = app.sender(B.id).event({"type": "app_uninstalled"}, team_id=B.id)
    assert resp.status == 200
    app.fake.workspace.revoke(B.token)
    app.runtime.client_factory.forget(B.id)  # type: ignore[attr-defined]
    outbox.deliver_due(datetime(2027, 3, 2, tzinfo=UTC))

    assert posted_keys(app.fake) == {f"{A.id}:1": 1, f"{B.id}:1": 1, f"{A.id}:2": 1}
    with app.runtime.db.transaction() as s:
        kept = s.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"{B.id}:2"))
        assert kept is not None and kept.state == PENDING  # kept for a reinstall, not posted
    assert command(app, A, "vendor list")  # A is untouched
    refused = app.sender(B.id).command("vendor list", user_id=B.user, channel_id=B.channel)
    assert refused.body_text == ""  # Bolt answers through the response_url instead
    assert APOLOGY in app.fake.responses()[-1]["text"]


def test_external_users_modal_submissions_authorize_by_the_host_installation(app: App) -> None:
    """bolt-python issue 767: the submitter's own team has no installation."""
    install(app, A)
    vendor = app.sender(VENDOR_TEAM)

    def submit(**kw: str) -> str:
        resp = vendor.submit("no_such_callback", {}, user_id=VENDOR_USER, team_id=VENDOR_TEAM, **kw)
        return resp.body_text

    # Slack names the host in view.app_installed_team_id …
    assert APOLOGY not in submit(app_installed_team_id=A.id)
    # … and where it does not, the host team carried in private_metadata is used
    assert APOLOGY not in submit(
        app_installed_team_id=VENDOR_TEAM, private_metadata='{"team": "T_AAA"}'
    )
    # with neither, there is no installation to act for
    assert APOLOGY in submit(app_installed_team_id=VENDOR_TEAM)


def test_tokens_never_reach_the_logs(app: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="bot")
    caplog.set_level("DEBUG", logger="handlers")
    install(app, A)
    command(app, A, "vendor add Acme Dev tz Europe/Berlin")
    app.sender(A.id).event({"type": "app_uninstalled"}, team_id=A.id)
    assert caplog.records  # something was logged
    assert A.token not in caplog.text
