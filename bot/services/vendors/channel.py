"""What Slack says about a channel that is to become (or is) a vendor channel.

Slack Connect: `conversations.info` says whether the channel is shared with another organization
(`is_ext_shared`) and which teams are connected; the teams other than ours are stored as the
vendor's `external_team_ids` and kept current by `channel_shared`/`channel_unshared` events
(events.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.app.runtime import Runtime
from bot.errors import UserError
from bot.services.vendors.errors import slack_error
from bot.services.vendors.lookup import prefetch
from bot.slack.client import LookupDeferred

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelFacts:
    """What Slack says about a channel that is to become (or is) a vendor channel."""

    channel_id: str
    name: str | None
    is_ext_shared: bool
    external_team_ids: list[str]
    is_private: bool = False


def inspect_channel(
    runtime: Runtime, *, team_id: str, channel_id: str, channel_name: str | None = None
) -> ChannelFacts:
    """Slack Connect detection, and refusal of places that cannot be a vendor channel.

    DMs and group DMs are refused; so are channels the bot cannot read (a private channel it
    was not invited to, a public one it is not a member of: it would never see the vendor's
    messages) and archived channels.
    """
    if channel_id.startswith("D") or channel_name == "directmessage":
        raise UserError(
            "A direct message can't be a vendor channel. Run this in the channel you share with "
            "the vendor (ideally a Slack Connect channel)."
        )
    if channel_name and channel_name.startswith("mpdm-"):
        raise UserError(_MPIM)
    try:
        info = runtime.directory.channel(team_id, channel_id)
    except LookupDeferred:
        raise
    except (SlackApiError, LookupError) as exc:
        raise UserError(
            f"I couldn't check this channel with Slack ({slack_error(exc)}); "
            "nothing was changed. Please try again."
        ) from None
    if info is None:
        raise UserError(_CANT_SEE)
    if info.get("is_im"):
        raise UserError("A direct message can't be a vendor channel.")
    if info.get("is_mpim"):
        raise UserError(_MPIM)
    if info.get("is_archived"):
        raise UserError("This channel is archived; pick an active channel for the vendor.")
    if info.get("is_member") is False:
        raise UserError(_CANT_SEE)
    is_ext = bool(info.get("is_ext_shared"))
    connected = info.get("connected_team_ids") or info.get("shared_team_ids") or []
    external = list(dict.fromkeys(t for t in connected if t and t != team_id)) if is_ext else []
    return ChannelFacts(
        channel_id=channel_id,
        name=info.get("name"),
        is_ext_shared=is_ext,
        external_team_ids=external,
        is_private=bool(info.get("is_private")),
    )


_MPIM = (
    "A group DM can't be a vendor channel. Create a channel (shared with the vendor through "
    "Slack Connect, if they have Slack) and run the command there."
)
_CANT_SEE = (
    "I can't read this channel, so I couldn't keep track of it. Add me first with "
    "`/invite @outsource-bot`, then run the command again."
)


def team_names(runtime: Runtime, team_id: str, ids: list[str]) -> dict[str, str]:
    """Display names of connected teams (team.info through the directory), else the id."""
    prefetch(*(lambda tid=tid: runtime.directory.team(team_id, tid) for tid in ids))
    names: dict[str, str] = {}
    for tid in dict.fromkeys(ids):
        info: dict[str, object] | None = None
        try:
            info = runtime.directory.team(team_id, tid)
        except LookupDeferred:
            raise
        except (SlackApiError, LookupError):
            log.info("team.info failed for %s", tid)
        names[tid] = str((info or {}).get("name") or tid)
    return names
