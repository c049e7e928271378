"""Units of work and the one way out to Slack: the outbox, the courier, the sweep and its
scheduler."""
