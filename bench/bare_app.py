"""The baseline for the HTTP benchmarks: a bare Bolt app, served the same way as ours
(gunicorn, gthread), answering the same slash command and message events with nothing.

    gunicorn -w 2 -k gthread --threads 4 --reuse-port -b 127.0.0.1:3001 'bench.bare_app:create()'
"""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def create() -> Any:
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]),
        process_before_response=True,
        token_verification_enabled=False,
    )

    @app.command("/outsource")
    def answer(ack: Ack) -> None:
        ack({"response_type": "ephemeral", "text": "ok"})

    @app.event("message")
    def message() -> None:
        return None

    return SlackRequestHandler(app, path="/slack/events")
