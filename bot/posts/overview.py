"""Overview output, rendered when it leaves: the weekly digest DM, the export notices, and the
App Home view (published with views.publish after the commit, not through the outbox)."""

from __future__ import annotations

from datetime import datetime

from bot.blocks import overview as views
from bot.posts import Message, RenderContext, renderer
from bot.services import digest as digest_service
from bot.services import overview as service
from bot.services.export import vendor_zone
from storage.models import Vendor
from storage.models.records import ExportRequest


@renderer("overview.home")
def home(ctx: RenderContext) -> Message | None:
    """A user's App Home as of now: the content blocks, then the 'last updated' footer
    (`service.HOME_FOOTER`, left out when two views are compared)."""
    if ctx.runtime is None:
        return None
    user_id = str(ctx.data.get("user") or "")
    viewer = service.resolve_viewer(ctx.runtime, team_id=ctx.team_id, user_id=user_id)
    data = service.home_data(ctx.session, runtime=ctx.runtime, viewer=viewer, now=ctx.now)
    view = views.home_view(
        views.home_blocks(data), viewer=viewer, now=ctx.now, footer_id=service.HOME_FOOTER
    )
    title = "Your vendors" if viewer.internal else "Your work with us"
    return Message(title, view["blocks"])


@renderer("overview.digest")
def digest(ctx: RenderContext) -> Message | None:
    """A vendor's week for one internal contact, from the tables as they are at delivery (a
    deadline done since is shown done). None once the vendor is archived or the week has
    nothing left to say."""
    vendor = ctx.session.get(Vendor, int(ctx.data.get("vendor") or 0))
    if vendor is None or vendor.archived_at is not None:
        return None
    built = digest_service.build_digest(
        ctx.session,
        vendor=vendor,
        user_id=str(ctx.data.get("user") or ""),
        reader_tz=service.zone_named(str(ctx.data.get("tz") or "")),
        since=datetime.fromisoformat(str(ctx.data["since"])),
        until=datetime.fromisoformat(str(ctx.data["until"])),
    )
    if built.empty:
        return None
    text, blocks = views.digest_message(built)
    return Message(text, blocks, summary=f"Weekly digest — {views.typed(vendor.name)}")


@renderer("overview.export_notice")
def export_notice(ctx: RenderContext) -> Message | None:
    """What the requester of an export is told in their DM while the file is not there yet:
    `preparing` (a long record, left to the sweep), `upload-failed` (it will be retried) or
    `gave-up`. A notice that is no longer true when it leaves (the file arrived) is dropped."""
    req = ctx.session.get(ExportRequest, int(ctx.data.get("export") or 0))
    if req is None:
        return None
    vendor = ctx.session.get(Vendor, req.vendor_id)
    if vendor is None:
        return None
    what = str(ctx.data.get("what") or "")
    if what == "gave-up":
        if req.state != "failed":
            return None
        return Message(views.export_gave_up_text(vendor.name, req.attempts, req.last_error or ""))
    if what == "preparing" and req.state in ("pending", "uploading"):
        return Message(views.export_preparing_text(vendor.name, req.fmt))
    if what == "upload-failed" and req.state == "pending" and req.next_attempt_at is not None:
        retry_at = max(req.next_attempt_at, ctx.now)
        return Message(
            views.export_failed_text(
                vendor.name, req.last_error or "", retry_at, vendor_zone(vendor)
            )
        )
    return None
