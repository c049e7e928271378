"""`vendor add|list|remove`, Slack Connect detection, and the intro post's register modal."""

from __future__ import annotations

from sqlalchemy import select

from bot.blocks.ids import Action, BlockId, Callback
from handlers.middleware import EXTERNAL_ACTION_REFUSAL
from storage.models import AuditEntry, Vendor
from tests.harness import (
    ALEX,
    INTERNAL_TEAM,
    OWNER,
    PLAIN_CHANNEL,
    PRIYA,
    RAVI,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Harness,
)
from tests.vendors.helpers import (
    BOT,
    active,
    audit_actions,
    buttons,
    deliver,
    ephemeral_text,
    joined,
    last_view,
    snapshot,
)


def _vendor(h: Harness, channel: str = SHARED_CHANNEL) -> Vendor:
    with h.session() as s:
        vendor = s.scalar(select(Vendor).where(Vendor.channel_id == channel))
        assert vendor is not None
        s.expunge(vendor)
        return vendor


def test_registration_in_a_connect_channel_stores_the_external_team(harness: Harness) -> None:
    text = ephemeral_text(
        harness, harness.command("vendor add Acme Dev tz Europe/Berlin country de")
    )
    assert "*Acme Dev* is registered" in text
    assert "Slack Connect channel shared with *Acme Dev* (`T_VENDOR`)" in text
    assert "Timezone: Europe/Berlin" in text and "country: DE" in text

    vendor = _vendor(harness)
    assert vendor.name == "Acme Dev"
    assert vendor.team_id == INTERNAL_TEAM
    assert vendor.is_ext_shared is True
    assert vendor.external_team_ids == [VENDOR_TEAM]
    assert (vendor.tz, vendor.country) == ("Europe/Berlin", "DE")
    assert vendor.created_by == OWNER
    assert vendor.created_at == harness.clock.now()
    assert audit_actions(harness) == ["vendor.add"]


def test_registration_in_an_ordinary_channel_is_not_connect(harness: Harness) -> None:
    text = ephemeral_text(harness, harness.command("vendor add Beta Co", channel=PLAIN_CHANNEL))
    assert "Not a Slack Connect channel" in text
    # No tz given: the default zone, and the reply says how to set the vendor's own.
    assert "Timezone: UTC (a default" in text
    vendor = _vendor(harness, PLAIN_CHANNEL)
    assert (vendor.is_ext_shared, vendor.external_team_ids, vendor.tz) == (False, [], "UTC")


def test_a_second_vendor_in_the_same_channel_is_refused_naming_the_first(
    harness: Harness,
) -> None:
    harness.command("vendor add Acme Dev")
    before = snapshot(harness)
    text = ephemeral_text(harness, harness.command("vendor add Globex"))
    assert "already *Acme Dev*'s vendor channel" in text
    assert snapshot(harness) == before


def test_adding_the_same_vendor_again_updates_tz_and_country_or_says_it_is_there(
    harness: Harness,
) -> None:
    harness.command("vendor add Acme Dev tz Europe/Berlin")
    before = snapshot(harness)
    text = ephemeral_text(harness, harness.command("vendor add acme dev"))
    assert "*Acme Dev* is already registered in this channel (timezone Europe/Berlin" in text
    assert snapshot(harness) == before

    text = ephemeral_text(
        harness, harness.command("vendor add Acme Dev tz Asia/Kolkata country IN")
    )
    assert "Updated *Acme Dev*: tz Europe/Berlin → Asia/Kolkata, country not set → IN" in text
    vendor = _vendor(harness)
    assert (vendor.tz, vendor.country) == ("Asia/Kolkata", "IN")
    assert audit_actions(harness) == ["vendor.add", "vendor.update"]


def test_vendor_list_shows_channels_contacts_and_connect_status(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER, ALEX), vendor=(PRIYA, RAVI))
    harness.make_vendor("Beta Co", channel=PLAIN_CHANNEL, internal=(ALEX,), vendor=(), shared=False)
    text = ephemeral_text(harness, harness.command("vendor list", channel=PLAIN_CHANNEL))
    assert text.startswith("*Vendors (2)*")
    acme = text.index("*Acme Dev*")
    beta = text.index("*Beta Co*")
    assert acme < beta  # by name
    assert "<#C_ACME> · 🔗 Slack Connect with Acme Dev · Europe/Berlin · DE" in text
    assert "Internal: <@U_DANA> (backup <@U_ALEX>) · Vendor: <@U_PRIYA> (backup <@U_RAVI>)" in text
    assert "<#C_PLAIN> · not shared" in text
    assert "Internal: <@U_ALEX> · Vendor: _none_" in text


def test_vendor_list_when_there_are_none_says_how_to_start(harness: Harness) -> None:
    text = ephemeral_text(harness, harness.command("vendor list"))
    assert "No vendors yet" in text and "vendor add" in text


def test_remove_archives_and_keeps_the_data(harness: Harness) -> None:
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA, RAVI))
    text = ephemeral_text(harness, harness.command("vendor remove"))
    assert "*Acme Dev* is archived" in text and "`/outsource vendor add Acme Dev`" in text

    vendor = _vendor(harness)
    assert vendor.archived_at == harness.clock.now()
    assert snapshot(harness).contacts == 3  # nothing deleted
    assert audit_actions(harness) == ["vendor.archive"]
    # The channel is no vendor channel any more for the commands …
    assert "not a vendor channel yet" in ephemeral_text(harness, harness.command("contacts"))
    # … and the list shows it as archived.
    listing = ephemeral_text(harness, harness.command("vendor list"))
    assert "*Vendors (0)*" in listing and "Archived: Acme Dev (<#C_ACME>, 2027-03-01)" in listing


def test_re_adding_an_archived_vendor_brings_it_back_with_its_history(harness: Harness) -> None:
    vendor_id = harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    harness.command("vendor remove")
    text = ephemeral_text(harness, harness.command("vendor add ACME DEV country IN"))
    assert "*Acme Dev* is active again" in text

    vendor = _vendor(harness)
    assert vendor.id == vendor_id and vendor.archived_at is None
    assert vendor.country == "IN"
    assert vendor.external_team_ids == [VENDOR_TEAM]
    assert active(harness) == {("internal", "primary"): OWNER, ("vendor", "primary"): PRIYA}
    assert audit_actions(harness) == ["vendor.archive", "vendor.reactivate"]


def test_another_vendor_in_an_archived_vendors_channel_is_refused(harness: Harness) -> None:
    harness.make_vendor("Acme Dev")
    harness.command("vendor remove")
    before = snapshot(harness)
    text = ephemeral_text(harness, harness.command("vendor add Globex"))
    assert "was *Acme Dev*'s vendor channel (archived 2027-03-01)" in text
    assert "`/outsource vendor add Acme Dev`" in text and "use a new channel" in text
    assert snapshot(harness) == before


def test_channel_shared_and_unshared_events_keep_connect_status_current(
    harness: Harness,
) -> None:
    harness.make_vendor("Beta Co", channel=PLAIN_CHANNEL, vendor=(), shared=False)
    harness.event(
        {
            "type": "channel_shared",
            "connected_team_id": VENDOR_TEAM,
            "channel": PLAIN_CHANNEL,
            "event_ts": "1804150800.000400",
        }
    )
    vendor = _vendor(harness, PLAIN_CHANNEL)
    assert (vendor.is_ext_shared, vendor.external_team_ids) == (True, [VENDOR_TEAM])

    # Now a vendor contact of that team can be set …
    text = ephemeral_text(
        harness, harness.command(f"contact set vendor <@{PRIYA}>", channel=PLAIN_CHANNEL)
    )
    assert "is now *Beta Co*'s vendor primary contact" in text

    # … and when the team is disconnected, its people stop being contacts (history kept).
    harness.event(
        {
            "type": "channel_unshared",
            "previously_connected_team_id": VENDOR_TEAM,
            "channel": PLAIN_CHANNEL,
            "is_ext_shared": False,
            "event_ts": "1804150800.000500",
        }
    )
    vendor = _vendor(harness, PLAIN_CHANNEL)
    assert (vendor.is_ext_shared, vendor.external_team_ids) == (False, [])
    assert ("vendor", "primary") not in active(harness, PLAIN_CHANNEL)
    deliver(harness)
    [dm] = harness.dms(OWNER)
    assert "<@U_PRIYA>, the vendor primary contact, can no longer see <#C_PLAIN>" in dm["text"]
    assert [b["text"]["text"] for b in buttons(dm)] == ["Pick a new vendor contact"]
    assert audit_actions(harness) == [
        "vendor.shared",
        "contact.set",
        "vendor.unshared",
        "contact.gone",
    ]


def test_shared_event_for_a_channel_without_vendor_changes_nothing(harness: Harness) -> None:
    resp = harness.event(
        {"type": "channel_shared", "connected_team_id": VENDOR_TEAM, "channel": PLAIN_CHANNEL}
    )
    assert resp.status == 200
    assert snapshot(harness).vendors == 0 and audit_actions(harness) == []


# ------------------------------------------------------------------------------ intro + modal


def _intro(h: Harness, channel: str = SHARED_CHANNEL) -> dict:
    h.event(joined(BOT, channel, inviter=OWNER))
    deliver(h)
    posts = h.posts(channel)
    assert len(posts) == 1
    return posts[0]


def test_bot_joining_a_channel_posts_an_intro_with_a_register_button(harness: Harness) -> None:
    intro = _intro(harness)
    assert "I'm *outsource-bot*" in intro["text"]
    assert [(b["text"]["text"], b["action_id"]) for b in buttons(intro)] == [
        ("Register this vendor", Action.REGISTER_VENDOR_INTERNAL)
    ]
    # Someone else joining is not the bot: no post.
    harness.event(joined(ALEX))
    deliver(harness)
    assert len(harness.posts(SHARED_CHANNEL)) == 1


def test_bot_joining_a_vendor_channel_again_says_hello_without_a_button(harness: Harness) -> None:
    harness.make_vendor("Acme Dev")
    intro = _intro(harness)
    assert "this is *Acme Dev*'s vendor channel" in intro["text"]
    assert buttons(intro) == []


def test_register_modal_gives_the_same_outcome_as_the_commands(harness: Harness) -> None:
    intro = _intro(harness)
    harness.click_button(intro, "Register this vendor", user=OWNER)
    view = last_view(harness)
    assert view["callback_id"] == Callback.REGISTER_VENDOR_MODAL
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    # A Connect channel suggests the other team's name; the clicker is the internal contact.
    assert blocks[BlockId.VENDOR_NAME]["element"]["initial_value"] == "Acme Dev"
    assert blocks[BlockId.CONTACT_INTERNAL_PRIMARY]["element"]["initial_user"] == OWNER

    resp = harness.submit(
        Callback.REGISTER_VENDOR_MODAL,
        {
            BlockId.VENDOR_NAME: {BlockId.VENDOR_NAME: "Acme Dev"},
            BlockId.VENDOR_TZ: {BlockId.VENDOR_TZ: "asia/kolkata"},
            BlockId.VENDOR_COUNTRY: {BlockId.VENDOR_COUNTRY: "IN"},
            BlockId.CONTACT_INTERNAL_PRIMARY: {
                BlockId.CONTACT_INTERNAL_PRIMARY: {
                    "type": "users_select",
                    "selected_user": OWNER,
                }
            },
            BlockId.CONTACT_VENDOR_PRIMARY: {
                BlockId.CONTACT_VENDOR_PRIMARY: {"type": "users_select", "selected_user": PRIYA}
            },
            BlockId.CONTACT_VENDOR_BACKUP: {
                BlockId.CONTACT_VENDOR_BACKUP: {"type": "users_select", "selected_user": RAVI}
            },
        },
        user=OWNER,
        private_metadata=view["private_metadata"],
    )
    assert resp.status == 200 and resp.body_text == ""  # the modal closes

    vendor = _vendor(harness)
    assert (vendor.name, vendor.tz, vendor.country) == ("Acme Dev", "Asia/Kolkata", "IN")
    assert vendor.external_team_ids == [VENDOR_TEAM]
    assert active(harness) == {
        ("internal", "primary"): OWNER,
        ("vendor", "primary"): PRIYA,
        ("vendor", "backup"): RAVI,
    }
    assert audit_actions(harness) == ["vendor.add", "contact.set", "contact.set", "contact.set"]
    [confirmation] = harness.fake.ephemeral(SHARED_CHANNEL, user=OWNER)
    assert "*Acme Dev* is registered" in confirmation["text"]
    assert "<@U_RAVI> is now *Acme Dev*'s vendor backup contact" in confirmation["text"]

    # The intro's button afterwards says it is done, and opens nothing.
    harness.click_button(intro, "Register this vendor", user=ALEX)
    assert len(harness.fake.calls("views.open")) == 1
    assert "already *Acme Dev*'s vendor channel" in harness.fake.responses()[-1]["text"]


def test_register_modal_shows_bad_input_next_to_the_field_and_stores_nothing(
    harness: Harness,
) -> None:
    intro = _intro(harness)
    harness.click_button(intro, "Register this vendor", user=OWNER)
    view = last_view(harness)

    def submit(**fields: object) -> dict:
        values = {BlockId.VENDOR_NAME: {BlockId.VENDOR_NAME: "Acme Dev"}}
        for block, value in fields.items():
            leaf = (
                {"type": "users_select", "selected_user": value}
                if block.startswith("contact")
                else value
            )
            values[block] = {block: leaf}
        resp = harness.submit(
            Callback.REGISTER_VENDOR_MODAL,
            values,
            user=OWNER,
            private_metadata=view["private_metadata"],
        )
        body = resp.json()
        assert body["response_action"] == "errors"
        return dict(body["errors"])

    errors = submit(vendor_tz="Berlin")
    assert "`Europe/Berlin`" in errors[BlockId.VENDOR_TZ]
    errors = submit(vendor_country="Germany")
    assert "`DE`" in errors[BlockId.VENDOR_COUNTRY]
    errors = submit(contact_vendor_primary=ALEX)
    assert "must be someone from Acme Dev's workspace" in errors[BlockId.CONTACT_VENDOR_PRIMARY]
    errors = submit(contact_internal_primary=PRIYA)
    assert "member of your own workspace" in errors[BlockId.CONTACT_INTERNAL_PRIMARY]
    errors = submit(contact_vendor_primary=PRIYA, contact_vendor_backup=PRIYA)
    assert "already the vendor primary contact" in errors[BlockId.CONTACT_VENDOR_BACKUP]
    errors = submit(contact_vendor_backup=RAVI)
    assert "before a backup" in errors[BlockId.CONTACT_VENDOR_PRIMARY]
    assert snapshot(harness).vendors == 0
    assert audit_actions(harness) == []


def test_register_button_and_modal_are_internal_only(harness: Harness) -> None:
    intro = _intro(harness)
    harness.click_button(intro, "Register this vendor", user=PRIYA)
    assert harness.fake.calls("views.open") == []
    assert harness.fake.responses()[-1]["text"] == EXTERNAL_ACTION_REFUSAL

    # A crafted submission of the internal modal by an external user changes nothing either.
    resp = harness.submit(
        Callback.REGISTER_VENDOR_MODAL,
        {BlockId.VENDOR_NAME: {BlockId.VENDOR_NAME: "Pwned"}},
        user=PRIYA,
        private_metadata='{"c":"C_ACME","t":"T_INTERNAL"}',
    )
    body = resp.json()
    assert body["response_action"] == "errors"
    assert "only the team that runs this vendor relationship" in body["errors"][BlockId.VENDOR_NAME]
    with harness.session() as s:
        assert s.scalars(select(Vendor)).all() == []
        assert s.scalars(select(AuditEntry)).all() == []
