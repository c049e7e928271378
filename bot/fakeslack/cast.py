"""The standard cast of the fake workspace, shared by the tests and the playground.

Internal (the organization that installed the bot): Dana (vendor manager, London) and Alex
(New York). The vendor, Acme Dev, in its own workspace joined through Slack Connect: Priya
(Kolkata) and Ravi. Mallory belongs to a third organization.
"""

from __future__ import annotations

from bot.fakeslack.server import FakeSlack

INTERNAL_TEAM = "T_INTERNAL"
VENDOR_TEAM = "T_VENDOR"
OTHER_TEAM = "T_OTHER"

OWNER = "U_DANA"
ALEX = "U_ALEX"
PRIYA = "U_PRIYA"
RAVI = "U_RAVI"
MALLORY = "U_MALLORY"

SHARED_CHANNEL = "C_ACME"  # shared with the vendor's workspace
PLAIN_CHANNEL = "C_PLAIN"  # an ordinary channel, not shared
OTHER_CHANNEL = "C_OTHER"

PEOPLE = {
    "dana": OWNER,
    "alex": ALEX,
    "priya": PRIYA,
    "ravi": RAVI,
    "mallory": MALLORY,
}


def populate(fake: FakeSlack) -> None:
    ws = fake.workspace
    ws.add_team(INTERNAL_TEAM, "Northwind")
    ws.add_team(VENDOR_TEAM, "Acme Dev")
    ws.add_team(OTHER_TEAM, "Elsewhere")
    ws.add_user(OWNER, INTERNAL_TEAM, name="dana", real_name="Dana Scully", tz="Europe/London")
    ws.add_user(ALEX, INTERNAL_TEAM, name="alex", real_name="Alex Kim", tz="America/New_York")
    ws.add_user(PRIYA, VENDOR_TEAM, name="priya", real_name="Priya Sharma", tz="Asia/Kolkata")
    ws.add_user(RAVI, VENDOR_TEAM, name="ravi", real_name="Ravi Patel", tz="Asia/Kolkata")
    ws.add_user(MALLORY, OTHER_TEAM, name="mallory", real_name="Mallory Evans", tz="UTC")
    ws.add_channel(
        SHARED_CHANNEL,
        "ext-acme",
        members=[OWNER, ALEX, PRIYA, RAVI],
        is_ext_shared=True,
        connected_team_ids=[INTERNAL_TEAM, VENDOR_TEAM],
    )
    ws.add_channel(PLAIN_CHANNEL, "proj-plain", members=[OWNER, ALEX])
    ws.add_channel(OTHER_CHANNEL, "random", members=[OWNER, ALEX])
