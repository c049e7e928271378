"""A fake Slack for tests and the offline playground.

- `FakeSlack` (server): Web API over HTTP on 127.0.0.1, recording and fault injection.
- `Workspace`: the in-memory state and method semantics behind it.
- `signing`: signed request bodies Slack would send to the app, and `SlackRequestSender`.
- `render`: messages and views as terminal text with numbered buttons.
"""

from bot.fakeslack.render import ButtonRef, InputField, input_fields, mrkdwn_to_text, render_message
from bot.fakeslack.server import Call, FakeSlack, WaitTimeout, started
from bot.fakeslack.signing import (
    Response,
    SlackRequestSender,
    block_actions,
    event_callback,
    message_event,
    message_shortcut,
    new_event_id,
    new_trigger_id,
    sign_headers,
    slash_command,
    state_values,
    view_submission,
)
from bot.fakeslack.workspace import (
    DEFAULT_APP_ID,
    DEFAULT_BOT_ID,
    DEFAULT_BOT_TOKEN,
    DEFAULT_BOT_USER_ID,
    DEFAULT_TEAM_ID,
    ApiResult,
    Channel,
    Ephemeral,
    Installation,
    Message,
    SlackApiFault,
    StoredFile,
    Team,
    User,
    Workspace,
)

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_BOT_ID",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_BOT_USER_ID",
    "DEFAULT_TEAM_ID",
    "ApiResult",
    "ButtonRef",
    "Call",
    "Channel",
    "Ephemeral",
    "FakeSlack",
    "InputField",
    "Installation",
    "Message",
    "Response",
    "SlackApiFault",
    "SlackRequestSender",
    "StoredFile",
    "Team",
    "User",
    "WaitTimeout",
    "Workspace",
    "block_actions",
    "event_callback",
    "input_fields",
    "message_event",
    "message_shortcut",
    "mrkdwn_to_text",
    "new_event_id",
    "new_trigger_id",
    "render_message",
    "sign_headers",
    "slash_command",
    "started",
    "state_values",
    "view_submission",
]
