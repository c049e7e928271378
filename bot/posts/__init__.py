"""What the bot posts, rendered when it is delivered.

A service that wants something said writes an outbox row naming *what* to say — a kind and
its data, e.g. `{"kind": "deadline.reminder", "deadline": 42, "step": "due-24h"}` — in the
same transaction as the change it reports. The outbox renders the row when it claims it for
delivery, from the database as it is then: a reminder held by quiet hours says "due today" as
of the morning it goes out, an update of a message shows the state after the latest click, and
a post that no longer applies (the deadline was done, moved or cancelled meanwhile) renders as
nothing and is dropped.

Renderers live in this package, one module per capability, each registering its kinds with
`@renderer("kind")`. They read through the services and build Block Kit with `bot.blocks`;
the services never import the views, which keeps the dependencies one way:
handlers → posts → services → storage, and views ← posts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.modules import import_modules

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.app.runtime import Runtime

# Modules that register renderers. Imported on the first render, not before: a sweep with
# nothing to deliver never loads the views.
POST_MODULES = [
    "bot.posts.deadlines",
    "bot.posts.vendors",
    "bot.posts.recaps",
    "bot.posts.checkins",
    "bot.posts.overview",
]


@dataclass
class Message:
    """One Slack message: what chat.postMessage / chat.update / chat.postEphemeral send."""

    text: str
    blocks: list[dict[str, Any]] | None = None
    # The one line this message becomes when the noise budget bundles several into one post.
    summary: str | None = None
    # Link previews: off unless a message wants them (people's links never unfurl).
    unfurl: bool = False

    def as_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"text": self.text}
        if self.blocks:
            kwargs["blocks"] = self.blocks
        if not self.unfurl:
            kwargs["unfurl_links"] = False
            kwargs["unfurl_media"] = False
        return kwargs


@dataclass
class RenderContext:
    """What a renderer may use: the claim's session (read only), the runtime, the instant of
    delivery, and where the message goes."""

    session: Session
    runtime: Runtime | None
    now: datetime
    channel_id: str
    team_id: str
    data: dict[str, Any] = field(default_factory=dict)


Renderer = Callable[[RenderContext], Message | None]
# What a capability records once its post is in Slack (e.g. the check-in's message ts, which
# thread replies are matched against): run in the transaction that marks the row sent.
SentHook = Callable[["Session", dict[str, Any], str, str], None]
_RENDERERS: dict[str, Renderer] = {}
_ON_SENT: dict[str, SentHook] = {}
_loaded = False


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that renders outbox rows of `kind`."""

    def register(func: Renderer) -> Renderer:
        _RENDERERS[kind] = func
        return func

    return register


def on_sent(kind: str) -> Callable[[SentHook], SentHook]:
    """Register `hook(session, ref, channel_id, ts)`, run when a row of `kind` is sent."""

    def register(func: SentHook) -> SentHook:
        _ON_SENT[kind] = func
        return func

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        import_modules(POST_MODULES)
        _loaded = True


def sent(session: Session, ref: dict[str, Any], channel_id: str, ts: str) -> None:
    """Run the sent hook of the row's kind, if it has one."""
    _load()
    hook = _ON_SENT.get(str(ref.get("kind") or ""))
    if hook is not None:
        hook(session, ref, channel_id, ts)


class UnknownKind(LookupError):
    """An outbox row names a kind no module renders (a build that lacks the module)."""


def render(ref: dict[str, Any], ctx: RenderContext) -> Message | None:
    """The message for a row's `render` reference, or None when it no longer applies."""
    _load()
    kind = str(ref.get("kind") or "")
    func = _RENDERERS.get(kind)
    if func is None:
        raise UnknownKind(f"no renderer for outbox kind {kind!r}")
    ctx.data = ref
    return func(ctx)
