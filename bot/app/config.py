"""Settings from the process environment and a `.env` file (the process environment wins)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.errors import ConfigError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///outsource-bot.db"


SECRET_FIELDS = frozenset(
    {"slack_bot_token", "slack_signing_secret", "slack_app_token", "slack_client_secret"}
)


@dataclass(frozen=True, repr=False)
class Settings:
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    slack_api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    default_tz: str = "UTC"
    # Bot user ids / app names of meeting-note apps whose posts are offered as recaps.
    meeting_note_apps: tuple[str, ...] = field(
        default=("zoom", "google meet", "otter", "fireflies", "fathom", "tl;dv", "tldv")
    )

    def __repr__(self) -> str:
        """Secrets show only whether they are set; the database URL without its password."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value:
                text = "'***'"
            elif f.name == "database_url":
                text = repr(_without_password(value))
            else:
                text = repr(value)
            shown.append(f"{f.name}={text}")
        return f"Settings({', '.join(shown)})"

    @property
    def oauth_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def default_zone(self) -> ZoneInfo:
        return ZoneInfo(self.default_tz)

    def require(self, *names: str) -> Settings:
        """Stop with one clear line naming the first missing variable."""
        for name in names:
            if not getattr(self, name.lower()):
                raise ConfigError(f"{name} is not set (environment or .env); it is required here.")
        return self


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv_path: str | Path | None = ".env"
) -> Settings:
    values: dict[str, str | None] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        values.update(dotenv_values(dotenv_path))
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = values.get(name)
        return value.strip() if value and value.strip() else None

    api_url = get("SLACK_API_URL") or DEFAULT_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    default_tz = get("OUTSOURCE_DEFAULT_TZ") or "UTC"
    try:
        ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"OUTSOURCE_DEFAULT_TZ={default_tz!r} is not an IANA timezone (e.g. Europe/Berlin)."
        ) from exc
    apps = get("OUTSOURCE_MEETING_NOTE_APPS")
    extra: dict[str, object] = {}
    if apps:
        extra["meeting_note_apps"] = _split(apps)
    return Settings(
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_client_id=get("SLACK_CLIENT_ID"),
        slack_client_secret=get("SLACK_CLIENT_SECRET"),
        slack_api_url=api_url,
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        default_tz=default_tz,
        **extra,  # type: ignore[arg-type]
    )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


def _split(value: str) -> tuple[str, ...]:
    items: Iterable[str] = (part.strip().lower() for part in value.split(","))
    return tuple(item for item in items if item)
