"""`/outsource sla`, `quiet`, `pause`, `resume`: how fast the vendor should answer, and when the
bot keeps quiet in their channel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.blocks.checkins import format_hours
from bot.services import responsiveness as service
from bot.slack.client import LookupDeferred
from bot.text.commands import Pause, QuietSet, Resume, SlaSet
from bot.time.timeparse import format_local
from handlers.middleware import installing_team
from handlers.routing import CommandRequest, Reply, subcommand

log = logging.getLogger(__name__)


def register(app: App) -> None:
    """Slash subcommands, and the vendor's clicks counted as the vendor being heard (the
    message observer lives in bot.services)."""
    app.middleware(note_vendor_clicks)


def note_vendor_clicks(
    body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]
) -> BoltResponse | None:
    """A vendor-side click on any of the bot's buttons in the vendor channel ends a silence and
    stops running response clocks, like a message would. Written in the request's own
    transaction: a click that is refused or fails is rolled back with it."""
    if body.get("type") == "block_actions" and context.get("actor") is not None:
        container = body.get("container") or {}
        channel_id = (body.get("channel") or {}).get("id") or container.get("channel_id")
        session = context.get("session")
        runtime = context.get("runtime")
        if channel_id and session is not None and runtime is not None:
            try:
                service.observe_click(
                    session,
                    runtime,
                    team_id=installing_team(context) or "",
                    channel_id=str(channel_id),
                    actor=context["actor"],
                    now=runtime.clock.now(),
                )
            except LookupDeferred:
                raise  # the request runs again once the read is made
            except (SlackApiError, LookupError):
                log.warning("could not tell the side of a click in %s", channel_id)
    return next()


@subcommand(SlaSet)
def sla(cmd: SlaSet, req: CommandRequest) -> Reply:
    result = service.set_sla(
        req.session,
        actor=req.actor,
        channel_id=req.channel_id,
        hours=cmd.hours,
        now=req.runtime.clock.now(),
    )
    hours = format_hours(result.vendor.sla_hours)
    if not result.changed:
        return Reply(text=f"The SLA is already {hours} business hours; nothing changed.")
    return Reply(
        text=f"{result.vendor.name} is expected to answer within {hours} business hours "
        f"(Mon–Fri 09:00–17:00 {result.vendor.tz}, public holidays excluded)."
    )


@subcommand(QuietSet)
def quiet(cmd: QuietSet, req: CommandRequest) -> Reply:
    result = service.set_quiet_hours(
        req.session,
        actor=req.actor,
        channel_id=req.channel_id,
        spec=cmd.spec,
        now=req.runtime.clock.now(),
    )
    vendor = result.vendor
    if cmd.spec is None:
        if not result.changed:
            return Reply(text="There are no quiet hours in this channel; nothing changed.")
        return Reply(text="Quiet hours are off; held posts go out at the next delivery.")
    span = f"{vendor.quiet_start}–{vendor.quiet_end} {vendor.tz}"
    if not result.changed:
        return Reply(text=f"Quiet hours are already {span}; nothing changed.")
    return Reply(text=f"Quiet hours: {span}. I hold my automatic posts here during them.")


@subcommand(Pause)
def pause(cmd: Pause, req: CommandRequest) -> Reply:
    result = service.pause(
        req.session,
        actor=req.actor,
        channel_id=req.channel_id,
        duration=cmd.duration,
        now=req.runtime.clock.now(),
    )
    vendor = result.vendor
    assert vendor.paused_until is not None
    until = format_local(vendor.paused_until, service.vendor_tz(vendor))
    return Reply(
        text=f"Automatic posts in this channel are paused until {until}. Nothing is lost: "
        "they go out when the pause ends, or at `/outsource resume`."
    )


@subcommand(Resume)
def resume(cmd: Resume, req: CommandRequest) -> Reply:
    result = service.resume(
        req.session, actor=req.actor, channel_id=req.channel_id, now=req.runtime.clock.now()
    )
    if not result.changed:
        return Reply(text="Automatic posts in this channel aren't paused; nothing changed.")
    held = (
        f" {result.released} held post(s) go out at the next delivery." if result.released else ""
    )
    return Reply(text=f"Resumed automatic posts in this channel.{held}")
