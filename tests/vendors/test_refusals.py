"""Bad input and refused users: a clear ephemeral message (with the right form), nothing changes."""

from __future__ import annotations

import pytest

from handlers.middleware import EXTERNAL_COMMAND_REFUSAL
from tests.harness import (
    MALLORY,
    OTHER_CHANNEL,
    OWNER,
    PLAIN_CHANNEL,
    PRIYA,
    RAVI,
    SHARED_CHANNEL,
    VENDOR_TEAM,
    Harness,
)
from tests.vendors.helpers import ephemeral_text, snapshot

CONTACT_USAGE = "Usage: `/outsource contact set internal|vendor &lt;@user&gt; [backup]`"
ADD_USAGE = "Usage: `/outsource vendor add &lt;name&gt; [tz &lt;IANA zone&gt;]"

# (command, channel, what the reply must say)
BAD_INPUT = [
    ("vendor", SHARED_CHANNEL, "`vendor` needs one of: add, list, remove, restore."),
    ("vendor add", PLAIN_CHANNEL, "The vendor needs a name.\n" + ADD_USAGE),
    ("vendor add Beta tz", PLAIN_CHANNEL, "`tz` needs a value.\n" + ADD_USAGE),
    ("vendor add Beta tz Berlin", PLAIN_CHANNEL, "Did you mean `Europe/Berlin`?"),
    ("vendor add Beta tz Berlin", PLAIN_CHANNEL, ADD_USAGE),
    ("vendor add Beta country Germany", PLAIN_CHANNEL, "Did you mean `DE` (Germany)?"),
    ("vendor add <@U_PRIYA>", PLAIN_CHANNEL, "should be text, not a mention.\n" + ADD_USAGE),
    ("vendor add Beta", "D0DM00001", "A direct message can't be a vendor channel."),
    ("vendor add Beta", "G_SECRET", "I can't read this channel"),
    ("vendor add Beta", "G_SECRET", "`/invite @outsource-bot`"),
    ("vendor add Beta", "C_NOBOT", "I can't read this channel"),
    ("vendor add Beta", "G_MPDM", "A group DM can't be a vendor channel."),
    ("vendor list everything", SHARED_CHANNEL, "I didn't expect `everything` here."),
    ("vendor remove", PLAIN_CHANNEL, "This channel is not a vendor channel yet."),
    ("contact", SHARED_CHANNEL, "`contact` needs one of: set."),
    ("contact set", SHARED_CHANNEL, "Say which side: `internal` or `vendor`.\n" + CONTACT_USAGE),
    ("contact set vendor", SHARED_CHANNEL, "Mention the person with @.\n" + CONTACT_USAGE),
    ("contact set vendor priya", SHARED_CHANNEL, "`priya` is not a mention of a Slack user"),
    ("contact set vendor <#C_ACME>", SHARED_CHANNEL, "`#C_ACME` is a channel, not a person."),
    ("contact set vendor <!here>", SHARED_CHANNEL, "`@here` is not a person"),
    ("contact set vendor <@U_NOBODY>", SHARED_CHANNEL, "I can't find a Slack user `U_NOBODY`."),
    ("contact set vendor <@U_NOBODY>", SHARED_CHANNEL, CONTACT_USAGE),
    ("contact set vendor <@UBOT>", SHARED_CHANNEL, "<@UBOT> is a bot."),
    ("contact set vendor <@U_RAVI>", SHARED_CHANNEL, "<@U_RAVI> is deactivated in Slack."),
    (
        "contact set vendor <@U_MALLORY>",
        SHARED_CHANNEL,
        "<@U_MALLORY> belongs to an organization this channel is not shared with.",
    ),
    (
        "contact set internal <@U_MALLORY>",
        SHARED_CHANNEL,
        "<@U_MALLORY> belongs to another organization. The internal contact must be a member of "
        "your own workspace.",
    ),
    (
        "contact set internal <@U_PRIYA> backup",
        SHARED_CHANNEL,
        "<@U_PRIYA> is from Acme Dev's workspace.",
    ),
    (
        "contact set vendor <@U_ALEX>",
        SHARED_CHANNEL,
        "<@U_ALEX> is a member of your own workspace. In this Slack Connect channel the vendor "
        "contact must be someone from Acme Dev's workspace.",
    ),
    ("contact set vendor <@U_PRIYA> maybe", SHARED_CHANNEL, "I didn't expect `maybe` here."),
    ("contact set vendor <@U_PRIYA>", PLAIN_CHANNEL, "This channel is not a vendor channel yet."),
    ("contacts", PLAIN_CHANNEL, "This channel is not a vendor channel yet. Register it with"),
    ("contacts please", SHARED_CHANNEL, "I didn't expect `please` here."),
]


@pytest.mark.parametrize(("command", "channel", "expected"), BAD_INPUT)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    harness: Harness, command: str, channel: str, expected: str
) -> None:
    ws = harness.fake.workspace
    harness.make_vendor("Acme Dev", internal=(OWNER,), vendor=(PRIYA,))
    ws.add_channel("G_SECRET", "secret-vendor", members=[OWNER], is_private=True, bot_member=False)
    ws.add_channel("C_NOBOT", "no-bot-here", members=[OWNER], bot_member=False)
    ws.add_channel("G_MPDM", "mpdm-dana--alex-1", members=[OWNER], is_private=True)
    ws.update_channel("G_MPDM", is_mpim=True)
    ws.update_user(RAVI, deleted=True)
    before = snapshot(harness)

    text = ephemeral_text(harness, harness.command(command, channel=channel))

    assert expected in text
    assert "Traceback" not in text and "went wrong" not in text
    assert snapshot(harness) == before


def test_a_command_in_a_dm_is_refused_even_with_slacks_channel_name(harness: Harness) -> None:
    resp = harness.command("vendor add Beta", channel="D0DM00002", channel_name="directmessage")
    assert "A direct message can't be a vendor channel." in ephemeral_text(harness, resp)
    assert snapshot(harness).vendors == 0


@pytest.mark.parametrize(
    "command",
    [
        "vendor add Acme Dev tz Asia/Kolkata",
        f"contact set vendor <@{PRIYA}>",
        f"contact set internal <@{OWNER}>",
        "vendor remove",
    ],
)
@pytest.mark.parametrize(("user", "team"), [(PRIYA, VENDOR_TEAM), (MALLORY, "T_OTHER")])
def test_external_users_commands_are_refused_and_nothing_is_stored(
    harness: Harness, command: str, user: str, team: str
) -> None:
    if command == "vendor remove":
        harness.make_vendor("Acme Dev", channel=OTHER_CHANNEL)
    before = snapshot(harness)
    resp = harness.command(command, user=user, team_id=team)
    assert ephemeral_text(harness, resp) == EXTERNAL_COMMAND_REFUSAL
    assert snapshot(harness) == before
    assert harness.fake.calls("chat.postMessage") == []
