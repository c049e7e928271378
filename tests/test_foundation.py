"""The walking skeleton through Slack's real shapes: signed requests in, Web API calls out."""

from __future__ import annotations

import time

from tests.harness import MALLORY, OWNER, PRIYA, Harness


def test_help_lists_every_subcommand(harness: Harness) -> None:
    resp = harness.command("help")
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    for needle in ("vendor add", "deadline move", "checkin every", "offboard", "export [md|csv]"):
        assert needle in body["text"]


def test_empty_command_shows_help(harness: Harness) -> None:
    body = harness.command("").json()
    assert "deadline add" in body["text"]


def test_unknown_subcommand_says_so_and_points_to_help(harness: Harness) -> None:
    body = harness.command("frobnicate now").json()
    assert body["response_type"] == "ephemeral"
    assert "I don't know the command `frobnicate`" in body["text"]
    assert "`/outsource help`" in body["text"]
    assert "deadline add" not in body["text"] and "blocks" not in body


def test_unsigned_request_is_refused_before_any_handler(harness: Harness) -> None:
    resp = harness.sender.command("help", user_id=OWNER, signed=False)
    assert resp.status == 401
    assert harness.fake.calls() == []


def test_stale_timestamp_is_refused(harness: Harness) -> None:
    resp = harness.sender.command("help", user_id=OWNER, timestamp=int(time.time()) - 600)
    assert resp.status == 401


def test_external_user_cannot_run_commands(harness: Harness) -> None:
    for user in (PRIYA, MALLORY):
        body = harness.command(
            "help", user=user, team_id=harness.fake.workspace.users[user].team_id
        ).json()
        assert "for the team that runs this vendor relationship" in body["text"]


def test_healthz_and_metrics(harness: Harness) -> None:
    ok = harness.sender.get("/healthz")
    assert ok.status == 200 and ok.json() == {"status": "ok", "database": "up"}
    metrics = harness.sender.get("/metrics")
    assert metrics.status == 200 and "outsource_slack_requests_total" in metrics.body_text


def test_healthz_is_503_when_the_database_is_unreachable(harness: Harness, tmp_path) -> None:
    from storage.db import Database

    harness.runtime.db = Database(f"sqlite:///{tmp_path}/missing-dir/nope.db")
    resp = harness.sender.get("/healthz")
    assert resp.status == 503
    assert resp.json()["database"] == "down"
