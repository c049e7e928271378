"""A bundle of many due posts stays within Slack's 50-block limit and loses no item."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.delivery.outbox import MAX_BLOCKS, Rendered, bundle_message
from storage.models import OutboxMessage


def _row(i: int) -> OutboxMessage:
    return OutboxMessage(
        dedupe_key=f"k{i}",
        payload={
            "text": f"reminder {i}",
            "summary": f"#{i} Deliverable {i} is due",
            "blocks": [
                {
                    "type": "section",
                    "block_id": f"d{i}",
                    "text": {"type": "mrkdwn", "text": f"#{i}"},
                },
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "times"}]},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "ack",
                            "text": {"type": "plain_text", "text": "Ack"},
                        }
                    ],
                },
            ],
        },
        created_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


def test_twenty_items_fit_in_fifty_blocks_and_all_are_listed() -> None:
    message = bundle_message([Rendered.from_payload(_row(i).payload) for i in range(20)])
    assert len(message["blocks"]) <= MAX_BLOCKS
    rendered = str(message["blocks"])
    for i in range(20):
        assert f"#{i}" in rendered  # full blocks for the first ones, summaries for the rest
    assert "#19 Deliverable 19 is due" in rendered


def test_a_few_items_keep_their_buttons() -> None:
    message = bundle_message([Rendered.from_payload(_row(i).payload) for i in range(3)])
    assert sum(1 for b in message["blocks"] if b["type"] == "actions") == 3
