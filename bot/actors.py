"""Who is acting: a user of the installing organization (internal) or of another one (external)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: str
    # The user's own team; for Slack Connect users this is the vendor's workspace.
    user_team_id: str | None
    # The workspace (and enterprise) that installed the bot.
    team_id: str
    enterprise_id: str | None = None
    user_enterprise_id: str | None = None
    # False when the user's own team could not be established for a click or a submission
    # (no `user.team_id`, users.info failing): such a user is on nobody's side (fail closed).
    team_known: bool = True

    @property
    def is_internal(self) -> bool:
        if not self.team_known:
            return False
        if self.user_team_id is None or self.user_team_id == self.team_id:
            return True
        # Enterprise Grid: any workspace of the installing enterprise is internal.
        return bool(self.enterprise_id and self.user_enterprise_id == self.enterprise_id)

    @property
    def mention(self) -> str:
        return f"<@{self.user_id}>"
