"""Call recap listeners: `/outsource recap`, the recap modal, the `recap_from_message` shortcut,
and the buttons on recaps (Confirm per side, Edit) and on offers and nudges (Make a recap)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.actors import Actor
from bot.blocks import kit
from bot.blocks import recaps as views
from bot.blocks.ids import Action, BlockId, Callback
from bot.commands import RecapOpen
from bot.errors import UserError
from bot.runtime import Runtime
from bot.services import recaps as service
from bot.unit_of_work import after_commit, run_unit
from handlers.background import hand_over
from handlers.routing import CommandRequest, Reply, open_modal, subcommand
from storage.models import INTERNAL, VENDOR


def register(app: App) -> None:
    app.view(Callback.RECAP_MODAL.value)(on_submit)
    # A transcript file may take longer to download than Slack waits for an answer: those
    # clicks are answered at once and the recap is made after the commit
    # (handlers/background.py).
    app.shortcut(Callback.RECAP_FROM_MESSAGE.value)(on_shortcut)
    app.action(Action.RECAP_CONFIRM_INTERNAL.value)(on_confirm)
    app.action(Action.RECAP_CONFIRM_VENDOR.value)(on_confirm)
    app.action(Action.RECAP_EDIT.value)(on_edit)
    app.action(Action.RECAP_MAKE.value)(on_make)


@subcommand(RecapOpen)
def open_recap(cmd: RecapOpen, req: CommandRequest) -> Reply | None:
    form = service.open_form(
        req.session, runtime=req.runtime, actor=req.actor, channel_id=req.channel_id
    )
    open_modal(req.session, req.client, req.trigger_id, views.recap_modal(form))
    return None


def on_submit(
    ack: Ack,
    body: dict[str, Any],
    context: BoltContext,
    session: Any,
    runtime: Runtime,
    actor: Actor,
) -> None:
    view = body.get("view") or {}
    submission = service.RecapSubmission(
        metadata=kit.decode(view.get("private_metadata")),
        summary=_value(view, BlockId.SUMMARY, "value"),
        call_date=_value(view, BlockId.RECAP_CALL_DATE, "selected_date"),
        call_time=_value(view, BlockId.RECAP_CALL_TIME, "selected_time"),
        participants=_value(view, BlockId.RECAP_PARTICIPANTS, "selected_users"),
        files=_value(view, BlockId.RECAP_TRANSCRIPT, "files"),
    )
    try:
        service.submit_form(session, runtime=runtime, actor=actor, sub=submission)
    except service.FieldError as exc:
        context["failed"] = True  # nothing of this submission is kept
        ack(response_action="errors", errors={exc.block_id: exc.message[:1900]})
        return
    except UserError as exc:
        context["failed"] = True
        ack(response_action="errors", errors={BlockId.SUMMARY.value: exc.render()[:1900]})
        return
    ack()


def _value(view: dict[str, Any], block_id: str, key: str) -> Any:
    """A field's value from view.state; None when the field was not sent."""
    block = ((view.get("state") or {}).get("values") or {}).get(str(block_id)) or {}
    element = block.get(str(block_id))
    if element is None and block:
        element = next(iter(block.values()))
    if not isinstance(element, dict):
        return None
    return element.get(key)


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
    message = body.get("message") or {}
    channel_id = str((body.get("channel") or {}).get("id") or "")
    name = service.transcript_in(message)
    if name is not None:
        service.check_may_record(session, runtime=runtime, actor=actor, channel_id=channel_id)
        _tell(session, respond, reading(name))
        hand_over(context, body, recap_from_transcript_message)
        return
    service.recap_from_message(
        session, runtime=runtime, actor=actor, channel_id=channel_id, message=message
    )


def recap_from_transcript_message(runtime: Runtime, actor: Actor, body: dict[str, Any]) -> None:
    message = body.get("message") or {}
    channel_id = str((body.get("channel") or {}).get("id") or "")
    run_unit(
        runtime,
        lambda session: service.recap_from_message(
            session, runtime=runtime, actor=actor, channel_id=channel_id, message=message
        ),
    )


def _tell(session: Session, respond: Respond, text: str) -> None:
    """An ephemeral note to the person who clicked, after the commit."""
    after_commit(
        session, lambda: respond(text=text, response_type="ephemeral", replace_original=False)
    )


def reading(name: str) -> str:
    return f"📄 Reading {kit.escape(name)}… the recap draft will be posted in the thread shortly."


def _button_value(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return kit.decode(actions[0].get("value"))


def on_confirm(
    ack: Ack, body: dict[str, Any], session: Any, runtime: Runtime, actor: Actor
) -> None:
    ack()
    action_id = str((body.get("actions") or [{}])[0].get("action_id") or "")
    side = INTERNAL if action_id == Action.RECAP_CONFIRM_INTERNAL else VENDOR
    service.confirm(
        session,
        runtime=runtime,
        actor=actor,
        recap_id=_button_value(body).get("recap"),
        side=side,
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
    form = service.edit_form(
        session, runtime=runtime, actor=actor, recap_id=_button_value(body).get("recap")
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
    value = _button_value(body)
    name = service.transcript_to_read(session, runtime=runtime, actor=actor, value=value)
    if name is not None:
        _tell(session, respond, reading(name))
        hand_over(context, body, make_from_transcript)
        return
    result = service.make_recap(session, runtime=runtime, actor=actor, value=value)
    if result.form is not None:
        open_modal(session, client, body.get("trigger_id"), views.recap_modal(result.form))


def make_from_transcript(runtime: Runtime, actor: Actor, body: dict[str, Any]) -> None:
    value = _button_value(body)
    run_unit(
        runtime,
        lambda session: service.make_recap_from_file(
            session, runtime=runtime, actor=actor, value=value
        ),
    )
