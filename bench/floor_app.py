"""The floor for the HTTP benchmarks: the bare Bolt app of bench/bare_app.py plus the one
database round trip that no correct answer can skip, served the same way (gunicorn, gthread).

- `/outsource …`: looks the channel's vendor up in a transaction. Any listing that shows
  current data reads the database at least this once.
- `message` events: stores the event id in a transaction (INSERT … ON CONFLICT DO NOTHING,
  committed). DESIGN §5 asks for stored event ids, so retries have no second effect.

Nothing else: no ORM, no middleware, no rendering. Its throughput over the bare app's is
the highest ratio any implementation that keeps those two rules can reach on the machine
that runs the benchmark; outsource-bot's own figure is read against both.

    gunicorn -w 2 -k gthread --threads 4 --reuse-port -b 127.0.0.1:3002 'bench.floor_app:create()'
"""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import text

from storage.db import make_engine

VENDOR_OF_CHANNEL = text(
    "SELECT id FROM vendors WHERE team_id = :team AND channel_id = :channel AND archived_at IS NULL"
)
CLAIM_EVENT = text(
    "INSERT INTO processed_events (team_id, event_id, received_at) "
    "VALUES (:team, :event_id, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING"
)


def create() -> Any:
    # The same engine settings (pool, no ping on checkout) as outsource-bot's own.
    engine = make_engine(os.environ["DATABASE_URL"])
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/outsource")
    def answer(ack: Ack, body: dict[str, Any]) -> None:
        with engine.begin() as conn:
            found = conn.execute(
                VENDOR_OF_CHANNEL, {"team": body["team_id"], "channel": body["channel_id"]}
            ).first()
        ack({"response_type": "ephemeral", "text": "ok" if found else "no vendor"})

    @app.event("message")
    def message(body: dict[str, Any]) -> None:
        with engine.begin() as conn:
            conn.execute(CLAIM_EVENT, {"team": body["team_id"], "event_id": body["event_id"]})

    return SlackRequestHandler(app, path="/slack/events")
