"""Prometheus metrics, one place. Served at GET /metrics (see bot/app/web.py).

With several gunicorn workers each process counts on its own; `outsource-bot serve` therefore
sets PROMETHEUS_MULTIPROC_DIR before anything imports prometheus_client, and /metrics
aggregates every process's files (prometheus_client's multiprocess mode). The outbox depth and
age are read from the database at scrape time, so every replica reports the same true value.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "outsource_slack_requests_total",
    "Slack requests received, by type and HTTP status answered",
    ["type", "status"],
)
ACK_LATENCY = Histogram(
    "outsource_ack_seconds",
    "Time from receiving a Slack request to answering it",
    ["type"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0),
)
DUPLICATE_EVENTS = Counter(
    "outsource_duplicate_events_total", "Slack events ignored as retries or duplicates"
)
DELIVERIES = Counter("outsource_outbox_deliveries_total", "Outbox rows delivered", ["kind"])
SLACK_POSTS = Counter("outsource_slack_posts_total", "Messages posted by the outbox")
RATE_LIMITED = Counter("outsource_rate_limited_total", "429 answers from Slack seen by the outbox")
DELIVERY_ERRORS = Counter(
    "outsource_outbox_errors_total", "Outbox delivery failures (retried)", ["error"]
)
RECONCILED = Counter(
    "outsource_outbox_reconciled_total",
    "Outbox rows settled after a crash or an ambiguous call (marked sent or released)",
)
UNVERIFIABLE = Counter(
    "outsource_outbox_unverifiable_total",
    "Interrupted attempts released without being able to read the channel history",
)
SWEEP_DURATION = Histogram(
    "outsource_sweep_seconds",
    "Duration of one sweep (compute due work + deliver)",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
SLACK_CALLS_IN_TRANSACTION = Counter(
    "outsource_slack_calls_in_transaction_total",
    "Slack Web API calls made while a database transaction was open (should stay 0)",
)
UNIT_RETRIES = Counter(
    "outsource_unit_of_work_retries_total",
    "Units of work run again: after Slack reads made outside the transaction, or a dead "
    "database connection",
    ["reason"],
)
