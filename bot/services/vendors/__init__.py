"""Vendors and contact points.

A vendor is one Slack channel (one vendor per channel) with a name, a timezone and a country
(for public holidays). Each side — internal and vendor — has a primary and optionally a backup
contact. Contact rows are never deleted: replacing, moving, leaving or deactivation sets
`ended_at`/`ended_reason`, so the history is there for export.

Every state change writes one audit row. Nothing here calls Slack: reads go through the
runtime's directory (a read it has not cached raises `LookupDeferred` inside the transaction;
it must propagate, so the unit of work makes the read and runs again), and what the bot says is
an outbox row naming what to render (bot/posts/vendors.py).

The modules, each importing only those above it:

- `lookup` — the vendor of a channel, its contacts, which side a person is on, and the
  refusals built on them (`require_vendor`, `side_of`, `require_side`, `require_internal`,
  `require_bot_in_channel`, `prefetch`): what the other capabilities import.
- `errors` — `FieldError` (bad input in one field of a form) and the wording of a refusal
  that registration and contacts share.
- `channel` — what Slack says about a channel that is to become a vendor channel (Slack
  Connect, refusal of DMs and channels the bot can't read) and the names of connected teams.
- `contacts` — `contact set`, `contacts`, the pick-a-contact modal, and who may be a contact
  on which side.
- `registration` — `vendor add` and the "Register this vendor" modal, `vendor list`,
  `vendor remove` (archive) and `vendor restore`.
- `events` — what Slack tells us: the bot joined a channel, a channel was shared or unshared,
  a contact left the channel or was deactivated.
"""
