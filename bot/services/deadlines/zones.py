"""Which timezone a deadline's times are in: the vendor's (reminders, wall-clock times), the
one a `<when>` is read in, and a person's own."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackApiError

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.services.vendors.lookup import vendor_zone
from storage.models import Vendor


def user_zone(runtime: Runtime, team_id: str, user_id: str) -> ZoneInfo:
    """The user's Slack timezone, else OUTSOURCE_DEFAULT_TZ."""
    try:
        user = runtime.directory.user(team_id, user_id)
    except (SlackApiError, LookupError):
        user = None
    if user is not None and user.tz:
        try:
            return ZoneInfo(user.tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return runtime.settings.default_zone


def reading_zone(runtime: Runtime, vendor: Vendor, actor: Actor) -> ZoneInfo:
    """Where a `<when>` without zone is read: vendor → requester's Slack tz → the default."""
    if vendor.tz:
        try:
            return ZoneInfo(vendor.tz)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return user_zone(runtime, vendor.team_id, actor.user_id)


def deadline_zone(runtime: Runtime, vendor: Vendor) -> ZoneInfo:
    """Reminders and their wall-clock times are in the vendor's zone (else the default zone)."""
    if vendor.tz:
        try:
            return vendor_zone(vendor)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return runtime.settings.default_zone
