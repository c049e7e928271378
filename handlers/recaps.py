"""Call recap listeners: `/outsource recap`, the recap modal, the `recap_from_message` shortcut,
and the buttons on recaps (Confirm per side, Edit) and on offers and nudges (Make a recap).

What they say in the channel the service writes to the outbox (bot/posts/recaps.py). Work that
waits on Slack — a transcript download, a message's permalink — never runs inside the
request's transaction: the shortcut and **Make a recap** on a transcript or meeting notes are
answered at once and finished after the commit (`hand_over`), the slow reads first and the
recap in a unit of work of its own; a modal's transcript is downloaded after its checks and
before the request stores the recap.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.app.runtime import Runtime
from bot.blocks import kit
from bot.blocks import recaps as views
from bot.blocks.ids import Action, BlockId, Callback
from bot.delivery.unit_of_work import after_commit, run_unit
from bot.errors import UserError
from bot.services.recaps.confirmation import confirm
from bot.services.recaps.form import edit_form, open_form
from bot.services.recaps.offers import (
    LaterWork,
    make_from_offer,
    plan_make,
    read_offer_transcript,
)
from bot.services.recaps.shortcut import check_shortcut, recap_from_message
from bot.services.recaps.submission import (
    FieldError,
    RecapSubmission,
    check_submission,
    read_submitted_transcript,
    submit_form,
)
from bot.services.recaps.transcript_files import read_transcript, transcript_in
from bot.text.commands import RecapOpen
from bot.text.escaping import unescape
from handlers.background import BackgroundWork, hand_over
from handlers.routing import CommandRequest, Reply, open_modal, subcommand
from storage.models import INTERNAL, VENDOR

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(Callback.RECAP_MODAL.value)(on_submit)
    app.shortcut(Callback.RECAP_FROM_MESSAGE.value)(on_shortcut)
    app.action(Action.RECAP_CONFIRM_INTERNAL.value)(on_confirm)
    app.action(Action.RECAP_CONFIRM_VENDOR.value)(on_confirm)
    app.action(Action.RECAP_EDIT.value)(on_edit)
    app.action(Action.RECAP_MAKE.value)(on_make)


@subcommand(RecapOpen)
def open_recap(cmd: RecapOpen, req: CommandRequest) -> Reply | None:
    form = open_form(req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id)
    open_modal(req.session, req.client, req.trigger_id, views.recap_modal(form))
    return None


# --------------------------------------------------------------------------- the modal


def on_submit(
    ack: Ack,
    body: dict[str, Any],
    context: BoltContext,
    session: Any,
    runtime: Runtime,
    actor: Actor,
) -> None:
    view = body.get("view")
    if not isinstance(view, dict):
        view = {}
    submission = RecapSubmission(
        metadata=_decode(view.get("private_metadata")),
        summary=_text(_value(view, BlockId.SUMMARY, "value")),
        call_date=_text(_value(view, BlockId.RECAP_CALL_DATE, "selected_date")),
        call_time=_text(_value(view, BlockId.RECAP_CALL_TIME, "selected_time")),
        participants=_list(_value(view, BlockId.RECAP_PARTICIPANTS, "selected_users"), str),
        files=_list(_value(view, BlockId.RECAP_TRANSCRIPT, "files"), dict),
    )
    try:
        transcript = None
        if submission.files and not submission.editing:
            # Checked in a short transaction of its own, then downloaded with none open
            # (a refused submission downloads nothing); the request's unit stores the recap.
            run_unit(
                runtime,
                lambda s: check_submission(s, runtime=runtime, actor=actor, sub=submission),
            )
            transcript = read_submitted_transcript(runtime, actor=actor, sub=submission)
        submit_form(session, runtime=runtime, actor=actor, sub=submission, transcript=transcript)
    except FieldError as exc:
        context["failed"] = True  # nothing of this submission is kept
        ack(response_action="errors", errors={exc.block_id: exc.message[:1900]})
        return
    except UserError as exc:
        context["failed"] = True
        # Shown as plain text under the input: no mrkdwn escaping there.
        errors = {BlockId.SUMMARY.value: unescape(exc.render())[:1900]}
        ack(response_action="errors", errors=errors)
        return
    ack()


def _value(view: Any, block_id: str, key: str) -> Any:
    """A field's value from view.state; None when the field was not sent."""
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    block = values.get(str(block_id)) if isinstance(values, dict) else None
    if not isinstance(block, dict):
        return None
    element = block.get(str(block_id))
    if element is None and block:
        element = next(iter(block.values()))
    if not isinstance(element, dict):
        return None
    return element.get(key)


def _decode(raw: Any) -> dict[str, Any]:
    """A button's value or a view's private_metadata (written by the bot; {} if not)."""
    return kit.decode(raw) if isinstance(raw, str) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _list(value: Any, kind: type) -> list[Any] | None:
    """A list of `kind` (what else arrives is no list: the field counts as not sent)."""
    if not isinstance(value, list):
        return None
    return [v for v in value if isinstance(v, kind)]


# --------------------------------------------------------------------------- the shortcut


def on_shortcut(
    ack: Ack,
    body: dict[str, Any],
    context: BoltContext,
    session: Any,
    runtime: Runtime,
    actor: Actor,
    respond: Respond,
) -> None:
    ack()
    message = _dict(body.get("message"))
    channel_id = _channel(body)
    file = check_shortcut(
        session, runtime=runtime, actor=actor, channel_id=channel_id, message=message
    )
    if file is not None:
        _tell(session, respond, views.reading_note(str(file.get("name"))))
    # The message's permalink (and any transcript) are read after the answer, outside the
    # transaction; then the recap is made in a unit of work of its own.
    hand_over(context, body, recap_from_message_later)


def recap_from_message_later(runtime: Runtime, actor: Actor, body: dict[str, Any]) -> None:
    message = _dict(body.get("message"))
    channel_id = _channel(body)
    file = transcript_in(message)
    transcript = read_transcript(runtime, actor.team_id, file) if file else None
    permalink = _permalink(runtime, actor.team_id, channel_id, message.get("ts"))
    run_unit(
        runtime,
        lambda session: recap_from_message(
            session,
            runtime=runtime,
            actor=actor,
            channel_id=channel_id,
            message=message,
            transcript=transcript,
            permalink=permalink,
        ),
    )


def _permalink(runtime: Runtime, team_id: str, channel_id: str, ts: Any) -> str | None:
    """The link to a message, quoted by its record (outside any transaction; optional)."""
    client = runtime.client(team_id)
    if client is None or not ts or not channel_id:
        return None
    try:
        link = client.chat_getPermalink(channel=channel_id, message_ts=str(ts)).get("permalink")
    except SlackApiError as exc:
        log.info("no permalink for a recap's message: %s", exc.response.get("error"))
        return None
    return str(link) if link else None


def _tell(session: Session, respond: Respond, text: str) -> None:
    """An ephemeral note to the person who clicked, after the commit."""
    after_commit(
        session, lambda: respond(text=text, response_type="ephemeral", replace_original=False)
    )


# --------------------------------------------------------------------------- buttons


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _channel(body: dict[str, Any]) -> str:
    channel = _dict(body.get("channel")).get("id") or _dict(body.get("container")).get("channel_id")
    return channel if isinstance(channel, str) else ""


def _message_ts(body: dict[str, Any]) -> str | None:
    ts = _dict(body.get("message")).get("ts") or _dict(body.get("container")).get("message_ts")
    return str(ts) if ts else None


def _button_value(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    action = actions[0] if isinstance(actions, list) and isinstance(actions[0], dict) else {}
    return _decode(action.get("value"))


def on_confirm(
    ack: Ack, body: dict[str, Any], session: Any, runtime: Runtime, actor: Actor
) -> None:
    ack()
    action_id = str((body.get("actions") or [{}])[0].get("action_id") or "")
    side = INTERNAL if action_id == Action.RECAP_CONFIRM_INTERNAL else VENDOR
    confirm(
        session,
        runtime=runtime,
        actor=actor,
        recap_id=_button_value(body).get("recap"),
        side=side,
        channel_id=_channel(body),
        message_ts=_message_ts(body),
    )


def on_edit(
    ack: Ack,
    body: dict[str, Any],
    session: Any,
    runtime: Runtime,
    actor: Actor,
    client: WebClient,
) -> None:
    ack()
    form = edit_form(
        session,
        runtime=runtime,
        actor=actor,
        recap_id=_button_value(body).get("recap"),
        channel_id=_channel(body),
        message_ts=_message_ts(body),
    )
    open_modal(session, client, body.get("trigger_id"), views.recap_modal(form))


def on_make(
    ack: Ack,
    body: dict[str, Any],
    session: Any,
    runtime: Runtime,
    actor: Actor,
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    plan = plan_make(
        session, runtime=runtime, actor=actor, value=_button_value(body), channel_id=_channel(body)
    )
    if plan.form is not None:
        open_modal(session, client, body.get("trigger_id"), views.recap_modal(plan.form))
        return
    if plan.later is None:
        return
    if plan.reading is not None:
        _tell(session, respond, views.reading_note(plan.reading))
    hand_over(context, body, make_later(plan.later))


def make_later(work: LaterWork) -> BackgroundWork:
    """The recap of an offer, made after the click's answer: the transcript downloaded and the
    permalink read outside any transaction, then the recap stored in a unit of its own."""

    def run(runtime: Runtime, actor: Actor, body: dict[str, Any]) -> None:
        transcript = read_offer_transcript(runtime, work)
        permalink = _permalink(runtime, work.team_id, work.channel_id, work.message_ts)
        run_unit(
            runtime,
            lambda session: make_from_offer(
                session,
                runtime=runtime,
                actor=actor,
                work=work,
                transcript=transcript,
                permalink=permalink,
            ),
        )

    return run
