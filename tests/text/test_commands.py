"""The `/outsource` grammar, as Slack sends the text: every subcommand's good forms, its bad
forms answered with what was wrong and that subcommand's usage line, and did-you-mean."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.text.commands import (
    USAGE,
    AccessAdd,
    AccessList,
    AccessRemove,
    ChangeRequestCmd,
    ChangeWithdraw,
    CheckinEvery,
    CheckinNow,
    CheckinOff,
    ContactSet,
    ContactsShow,
    DeadlineAdd,
    DeadlineCancel,
    DeadlineDone,
    DeadlineList,
    DeadlineMove,
    DeadlineOwner,
    DeadlineRename,
    DeadlineShow,
    Export,
    Help,
    Offboard,
    Pause,
    QuietSet,
    RecapOpen,
    Resume,
    SlaSet,
    Status,
    VendorAdd,
    VendorList,
    VendorRemove,
    VendorRestore,
    parse,
    usage_of,
)

GOOD = [
    ("", Help()),
    ("help", Help()),
    ("help deadline", Help(topic="deadline")),
    ("vendor add Acme Dev", VendorAdd("Acme Dev")),
    (
        "vendor add Acme Dev tz Europe/Berlin country DE",
        VendorAdd("Acme Dev", "Europe/Berlin", "DE"),
    ),
    ("vendor add R&amp;D &lt;Labs&gt;", VendorAdd("R&D <Labs>")),
    ('vendor add "Acme Dev" country GB-ENG', VendorAdd("Acme Dev", None, "GB-ENG")),
    ("vendor list", VendorList()),
    ("vendor remove", VendorRemove()),
    ("vendor restore", VendorRestore()),
    ("VENDOR RESTORE", VendorRestore()),
    ("contact set vendor <@U_PRIYA|priya>", ContactSet("vendor", "U_PRIYA")),
    ("contact set internal <@U_DANA> backup", ContactSet("internal", "U_DANA", backup=True)),
    ("contacts", ContactsShow()),
    ('deadline add "API v2" 2027-03-10', DeadlineAdd("API v2", "2027-03-10")),
    (
        'deadline add "API v2" next friday 5pm owner <@U_PRIYA|priya> milestone',
        DeadlineAdd("API v2", "next friday 5pm", "U_PRIYA", milestone=True),
    ),
    (
        'deadline add "Tests" 2027-03-10 under #2',
        DeadlineAdd("Tests", "2027-03-10", None, False, 2),
    ),
    # Slack escapes &, <, > in the text: decoded once.
    (
        'deadline add "Q&amp;A sign-off &lt;v2&gt;" 2027-03-10',
        DeadlineAdd("Q&A sign-off <v2>", "2027-03-10"),
    ),
    ('deadline add "&amp;amp;" 2027-03-10', DeadlineAdd("&amp;", "2027-03-10")),
    # Quotes inside a title: the other kind, or a pair.
    ('deadline add “The "beta" launch” 2027-03-10', DeadlineAdd('The "beta" launch', "2027-03-10")),
    ('deadline add "The “beta” launch" 2027-03-10', DeadlineAdd("The “beta” launch", "2027-03-10")),
    ('deadline add "The "beta" launch" 2027-03-10', DeadlineAdd('The "beta" launch', "2027-03-10")),
    ('deadline add "Say "hi"" 2027-03-10', DeadlineAdd('Say "hi"', "2027-03-10")),
    ("deadline add “Bob's 27\" screen” 2027-03-10", DeadlineAdd("Bob's 27\" screen", "2027-03-10")),
    ("deadline add „Abnahme“ 2027-03-10", DeadlineAdd("Abnahme", "2027-03-10")),
    ("deadline add «Recette» 2027-03-10", DeadlineAdd("Recette", "2027-03-10")),
    ("deadline add ”Leverans” 2027-03-10", DeadlineAdd("Leverans", "2027-03-10")),
    # Control characters and bidi overrides are removed.
    ('deadline add "a\x00b\u202ec" 2027-03-10', DeadlineAdd("abc", "2027-03-10")),
    ("deadline list", DeadlineList()),
    ("deadlines", DeadlineList()),
    ("deadline show #2", DeadlineShow(2)),
    ("deadline done 2", DeadlineDone(2)),
    (
        'deadline move 2 next friday reason "QA &amp; UX found a blocker"',
        DeadlineMove(2, "next friday", "QA & UX found a blocker"),
    ),
    (
        "deadline move 2 2027-03-12 reason vendor asked",
        DeadlineMove(2, "2027-03-12", "vendor asked"),
    ),
    ('deadline cancel 2 reason "Dropped from scope"', DeadlineCancel(2, "Dropped from scope")),
    ('deadline cancel #2 "Duplicate of #3"', DeadlineCancel(2, "Duplicate of #3")),
    (
        'deadline rename 2 "API v2 handover (staging)"',
        DeadlineRename(2, "API v2 handover (staging)"),
    ),
    ("deadline rename 2 API v2 &lt;final&gt;", DeadlineRename(2, "API v2 <final>")),
    ("deadline owner 2 <@U_PRIYA|priya>", DeadlineOwner(2, "U_PRIYA")),
    ("deadline owner #2 owner <@U_PRIYA>", DeadlineOwner(2, "U_PRIYA")),
    ('change "R&amp;D &gt; ops"', ChangeRequestCmd("R&D > ops")),
    ('change Add a "beta" flag', ChangeRequestCmd('Add a "beta" flag')),
    ("change withdraw 3", ChangeWithdraw(3)),
    ("change withdraw #3", ChangeWithdraw(3)),
    ("change withdraw the legacy API", ChangeRequestCmd("withdraw the legacy API")),
    ("recap", RecapOpen()),
    (
        "checkin every mon,thu 10:00 Europe/Berlin",
        CheckinEvery("mon,thu", "10:00", "Europe/Berlin"),
    ),
    ("checkin off", CheckinOff()),
    ("checkin now", CheckinNow()),
    ("sla 8", SlaSet(8.0)),
    ("sla 0.5", SlaSet(0.5)),
    ("sla 200h", SlaSet(200.0)),
    ("quiet 19:00-08:00", QuietSet("19:00-08:00")),
    ("quiet off", QuietSet(None)),
    ("pause 3d", Pause("3d")),
    ("resume", Resume()),
    ("status", Status()),
    ("access add GitHub <@U_PRIYA|priya>", AccessAdd("GitHub", "U_PRIYA")),
    ("access add Google Workspace", AccessAdd("Google Workspace")),
    ("access add AT&amp;T portal", AccessAdd("AT&T portal")),
    ("access remove Google Workspace", AccessRemove("Google Workspace")),
    ("access list", AccessList()),
    ("offboard", Offboard()),
    ("export", Export("md")),
    ("export csv", Export("csv")),
]


@pytest.mark.parametrize(("text", "expected"), GOOD, ids=[g[0][:40] for g in GOOD])
def test_good_forms(text: str, expected: object) -> None:
    assert parse(text) == expected


# (text, usage key whose line is shown, what the message says)
BAD = [
    # deadline add
    ("deadline add 2027-03-10", "deadline add", "title in double quotes first"),
    ('deadline add "API v2"', "deadline add", "When is it due?"),
    ('deadline add "" 2027-03-10', "deadline add", "The title is empty."),
    ('deadline add "\u200b\u200b" 2027-03-10', "deadline add", "The title is empty."),
    ('deadline add "\x00\u202e" 2027-03-10', "deadline add", "The title is empty."),
    (f'deadline add "{"x" * 201}" 2027-03-10', "deadline add", "keep it under 200"),
    (
        'deadline add "API v2 2027-03-10',
        "deadline add",
        "The title has an opening quote without a closing one",
    ),
    ('deadline add "A" "2027-03-10"', "deadline add", "Only the title goes in quotes."),
    (
        'deadline add "A" 2027-03-10 owner <@U_A> owner <@U_B>',
        "deadline add",
        "`owner` given twice",
    ),
    ('deadline add "A" 2027-03-10 owner @nobody', "deadline add", "I can't find @nobody"),
    ('deadline add "A" 2027-03-10 owner bob', "deadline add", "`bob` is not a mention"),
    ('deadline add "A" 2027-03-10 owner', "deadline add", "Mention the person with @."),
    ('deadline add "A" 2027-03-10 <@U_A|a>', "deadline add", "Put `owner` before the person"),
    ('deadline add "A" 2027-03-10 under 1 under 2', "deadline add", "`under` given twice"),
    ('deadline add "A" 2027-03-10 under x', "deadline add", "`x` is not a deadline number"),
    # deadline done / show / move / cancel / rename / owner
    ("deadline done", "deadline done", "Which deadline?"),
    ("deadline done x", "deadline done", "`x` is not a deadline number"),
    ("deadline done 0", "deadline done", "`0` is not a deadline number"),
    ("deadline done 1 2", "deadline done", "I didn't expect `2` here."),
    ("deadline show", "deadline show", "Which deadline?"),
    ("deadline move 1 2027-03-12", "deadline move", "A move needs a reason"),
    ("deadline move 1 reason x", "deadline move", "To when?"),
    ('deadline move 1 friday reason ""', "deadline move", "The reason is empty."),
    (
        'deadline move 1 friday reason "QA found a blocker',
        "deadline move",
        "The reason has an opening quote without a closing one",
    ),
    (f'deadline move 1 friday reason "{"y" * 1001}"', "deadline move", "keep it under 1000"),
    ("deadline cancel", "deadline cancel", "Which deadline?"),
    ("deadline cancel 2", "deadline cancel", "A cancel needs a reason"),
    ("deadline cancel 2 reason", "deadline cancel", "A cancel needs a reason"),
    (
        'deadline cancel 2 reason "no longer needed',
        "deadline cancel",
        "The reason has an opening quote without a closing one",
    ),
    ("deadline rename 2", "deadline rename", "Give the new title in quotes."),
    ('deadline rename 2 "\u200b"', "deadline rename", "The title is empty."),
    ('deadline rename 2 "New" tomorrow', "deadline rename", "I didn't expect `tomorrow`"),
    ('deadline rename 2 "New', "deadline rename", "The title has an opening quote"),
    ('deadline rename x "New"', "deadline rename", "`x` is not a deadline number"),
    ("deadline owner 2", "deadline owner", "Mention the person with @."),
    ("deadline owner 2 @mallory", "deadline owner", "I can't find @mallory — pick the person"),
    ("deadline owner 2 <@U_A> <@U_B>", "deadline owner", "I didn't expect"),
    ("deadline owner 2 <!here>", "deadline owner", "`@here` is not a person"),
    # change
    ("change", "change", "Describe the change."),
    ('change ""', "change", "Describe the change."),
    ('change "Add SSO', "change", "The description has an opening quote"),
    (f'change "{"z" * 2001}"', "change", "keep it under 2000"),
    ("change withdraw", "change withdraw", "Which change request?"),
    ("change withdraw #0", "change withdraw", "`#0` is not a change request number"),
    ("change withdraw abc", "change withdraw", "`abc` is not a change request number"),
    # vendor / contact
    ("vendor add", "vendor add", "The vendor needs a name."),
    ("vendor add \u200b", "vendor add", "The vendor needs a name."),
    ("vendor add Beta tz", "vendor add", "`tz` needs a value."),
    ("vendor add Beta tz UTC tz CET", "vendor add", "`tz` given twice."),
    ("vendor add tz UTC Beta", "vendor add", "Put the vendor's name first"),
    ("vendor add <@U_PRIYA>", "vendor add", "should be text, not a mention"),
    ("vendor add @acme", "vendor add", "should be text, not a mention"),
    (f"vendor add {'n' * 121}", "vendor add", "keep it under 120"),
    ("vendor list all", "vendor list", "I didn't expect `all` here."),
    ("vendor restore now", "vendor restore", "I didn't expect `now` here."),
    ("contact set", "contact set", "Say which side"),
    ("contact set vendor", "contact set", "Mention the person with @."),
    ("contact set vendor @priya", "contact set", "I can't find @priya"),
    ("contact set vendor <#C1|general>", "contact set", "`#general` is a channel, not a person."),
    ("contacts all", "contacts", "I didn't expect `all` here."),
    # access
    ("access add", "access add", "Which system?"),
    ("access add GitHub @nobody", "access add", "I can't find @nobody — pick the person"),
    ("access add <@U_PRIYA> GitHub", "access add", "Name the system first, then the person."),
    ("access add \u202e\u200b <@U_PRIYA>", "access add", "system's name is empty"),
    ("access remove", "access remove", "Which system?"),
    ("access remove GitHub <@U_PRIYA>", "access remove", "takes only the system's name"),
    ("access list all", "access list", "I didn't expect `all` here."),
    # the rest
    ("checkin every mon", "checkin every", "Say which days and at what time."),
    ("checkin off now", "checkin off", "I didn't expect `now` here."),
    ("sla", "sla", "Give the expected reply time"),
    ("sla soon", "sla", "`soon` is not a number of hours."),
    ("sla 0", "sla", "The SLA must be between 0.5 and 200 business hours."),
    ("sla -3", "sla", "between 0.5 and 200"),
    ("sla 201", "sla", "between 0.5 and 200"),
    ("sla nan", "sla", "between 0.5 and 200"),
    ("quiet", "quiet", "Give quiet hours as a range."),
    ("pause", "pause", "For how long?"),
    ("resume now", "resume", "I didn't expect `now` here."),
    ("status please", "status", "I didn't expect `please` here."),
    ("recap now", "recap", "I didn't expect `now` here."),
    ("offboard now", "offboard", "I didn't expect `now` here."),
    ("export pdf", "export", "Export as `md` or `csv`."),
]


@pytest.mark.parametrize(("text", "key", "says"), BAD, ids=[b[0][:40] for b in BAD])
def test_bad_forms_say_what_was_wrong_and_show_that_usage(text: str, key: str, says: str) -> None:
    with pytest.raises(UserError) as info:
        parse(text)
    assert says in info.value.message
    assert info.value.usage == USAGE[key]
    rendered = info.value.render()
    assert len(rendered.splitlines()) == 2  # what was wrong, then the right form
    assert "Traceback" not in rendered


# (typo, what the answer suggests, usage key shown or None)
TYPOS = [
    ("hlep", "Did you mean `help`?", "help"),
    ("dealine", "Did you mean `deadline`?", None),
    ('dealine add "API" 2027-03-10', "Did you mean `deadline add`?", "deadline add"),
    ('deadline ad "API" 2027-03-10', "Did you mean `deadline add`?", "deadline add"),
    ("deadline lst", "Did you mean `deadline list`?", "deadline list"),
    ("deadline cancle 2 reason x", "Did you mean `deadline cancel`?", "deadline cancel"),
    ('deadline renam 2 "x"', "Did you mean `deadline rename`?", "deadline rename"),
    ("vendr restore", "Did you mean `vendor restore`?", "vendor restore"),
    ("vendor restor", "Did you mean `vendor restore`?", "vendor restore"),
    ("acess remove GitHub", "Did you mean `access remove`?", "access remove"),
    ("statsu", "Did you mean `status`?", "status"),
    ("chekin every mon 10:00", "Did you mean `checkin every`?", "checkin every"),
    ("exprot csv", "Did you mean `export`?", "export"),
]


@pytest.mark.parametrize(("text", "says", "key"), TYPOS)
def test_typos_get_a_did_you_mean(text: str, says: str, key: str | None) -> None:
    with pytest.raises(UserError) as info:
        parse(text)
    assert says in info.value.message
    assert info.value.usage == (USAGE[key] if key else None)
    assert len(info.value.render().splitlines()) <= 2


def test_unknown_words_without_a_near_command_point_to_help() -> None:
    with pytest.raises(UserError) as info:
        parse("frobnicate now")
    assert info.value.message == (
        "I don't know the command `frobnicate`. Type `/outsource help` to see what I understand."
    )
    with pytest.raises(UserError) as info:
        parse("deadline frobnicate")
    assert "try `deadline add`, `deadline list`" in info.value.message
    assert "`deadline cancel`" in info.value.message


def test_a_group_word_alone_lists_its_subcommands() -> None:
    with pytest.raises(UserError) as info:
        parse("deadline")
    assert info.value.message == (
        "`deadline` needs one of: add, list, show, done, move, cancel, rename, owner."
    )
    with pytest.raises(UserError) as info:
        parse("access")
    assert info.value.message == "`access` needs one of: add, remove, list."


def test_what_people_typed_is_escaped_in_the_answer() -> None:
    # Typed literally, these arrive escaped; decoded for the message and escaped again once.
    with pytest.raises(UserError) as info:
        parse("deadline done &lt;!channel&gt;")
    assert "`&lt;!channel&gt;` is not a deadline number" in info.value.message
    with pytest.raises(UserError) as info:
        parse("deadline list <!channel> <https://evil.example|x>")
    message = info.value.render()
    assert "<!" not in message and "<http" not in message
    assert "@channel" in message


def test_a_mention_must_come_from_the_menu() -> None:
    # An @word Slack did not turn into a mention is not a person, even if it looks like an id.
    with pytest.raises(UserError) as info:
        parse("contact set vendor &lt;@U_PRIYA&gt;")
    assert "not a mention of a Slack user" in info.value.message


def test_every_command_has_a_usage_line() -> None:
    for _, command in GOOD:
        assert usage_of(command).startswith("/outsource ")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- properties

HOSTILE = st.sampled_from(
    [
        "deadline add",
        "deadline rename 2",
        "deadline cancel 2 reason",
        "change",
        "vendor add",
        "access add",
        '"',
        "“",
        "”",
        "„",
        "«",
        "»",
        "\x00",
        "\x1b",
        "\u202e",
        "\u2066",
        "\u200b",
        "\ud800",
        "&amp;",
        "&lt;",
        "<!channel>",
        "<@U1|a>",
        "@nobody",
        "2027-03-10",
        " ",
        "\n",
    ]
)
COMMANDS = st.lists(st.one_of(HOSTILE, st.text(max_size=6)), max_size=12).map("".join)
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@settings(max_examples=800, deadline=None)
@given(COMMANDS)
def test_any_text_parses_to_clean_fields_or_one_clear_error(text: str) -> None:
    try:
        command = parse(text)
    except UserError as exc:
        assert exc.message and len(exc.render().splitlines()) <= 2
        return
    for f in dataclasses.fields(command):  # type: ignore[arg-type]
        value = getattr(command, f.name)
        if isinstance(value, str):
            assert not UNSAFE.search(value), (f.name, value)
            if f.name in ("title", "name", "system", "reason", "description"):
                assert value.strip() and value == value.strip()
            if f.name in ("title", "name", "system"):
                assert "\n" not in value
