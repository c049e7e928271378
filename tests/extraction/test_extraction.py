"""Unit tests for bot.text.extraction, one per shape people paste."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.text.extraction import (
    ActionItem,
    Decision,
    Extraction,
    OpenQuestion,
    Person,
    extract,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
# Wednesday 6 March 2024, 15:00 in Berlin.
CALL = datetime(2024, 3, 6, 15, 0, tzinfo=BERLIN)

PEOPLE = (
    Person("U01PRIYA", ("Priya Sharma", "priya"), "internal"),
    Person("U02TOM", ("Tom Becker", "tom.becker"), "internal"),
    Person("U11ANIL", ("Anil Kumar", "anil.k"), "vendor"),
    Person("U12MARTA", ("Marta Nowak", "marta"), "vendor"),
)


def run(text: str, *, call: datetime = CALL, tz: ZoneInfo = BERLIN) -> Extraction:
    return extract(
        text,
        call_at=call,
        tz=tz,
        people=PEOPLE,
        we_user_id="U01PRIYA",
        they_user_id="U11ANIL",
    )


def local(item: ActionItem, tz: ZoneInfo = BERLIN) -> str | None:
    return item.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if item.due_at else None


def only_action(text: str, **kw: object) -> ActionItem:
    ex = run(text, **kw)  # type: ignore[arg-type]
    assert len(ex.action_items) == 1, ex.action_items
    return ex.action_items[0]


# --------------------------------------------------------------------------- sections


@pytest.mark.parametrize(
    "heading",
    [
        "Action items",
        "Action Items:",
        "## Action items",
        "**Next steps**",
        "*todo*",
        "To do:",
        "Follow-ups",
        "### Next Steps (3)",
        "Suggested next steps",
        "Aufgaben",
    ],
)
def test_action_headings(heading: str) -> None:
    ex = run(f"{heading}\n- Send the revised estimate\n- Book the retest")
    assert [a.what for a in ex.action_items] == ["Send the revised estimate", "Book the retest"]
    assert not ex.decisions and not ex.open_questions


@pytest.mark.parametrize("heading", ["Decisions", "# Decisions", "**Decided:**", "Agreed"])
def test_decision_headings(heading: str) -> None:
    ex = run(f"{heading}\n- Go with option B\n- Keep the release date")
    assert ex.decisions == (Decision("Go with option B"), Decision("Keep the release date"))
    assert not ex.action_items


@pytest.mark.parametrize(
    "heading", ["Open questions", "Questions:", "Parking lot", "## Parking Lot"]
)
def test_question_headings(heading: str) -> None:
    ex = run(f"{heading}\n- Who pays for the extra seats\n- Do we need VPN access?")
    assert [q.text for q in ex.open_questions] == [
        "Who pays for the extra seats",
        "Do we need VPN access?",
    ]


def test_sections_switch_and_unknown_heading_ends_section() -> None:
    text = (
        "Decisions\n- Go with B\n\nAction items\n- Priya to send the estimate\n\n"
        "## Notes\n- The sandbox was slow.\n"
    )
    ex = run(text)
    assert [d.text for d in ex.decisions] == ["Go with B"]
    assert [a.what for a in ex.action_items] == ["Send the estimate"]


def test_prose_after_a_bulleted_section_is_not_an_item() -> None:
    text = "Next steps\n- Priya to send the estimate\n\nLet me know if I missed anything.\n"
    ex = run(text)
    assert len(ex.action_items) == 1


def test_inline_heading_content() -> None:
    ex = run("Action items: Tom to review the test plan by Friday")
    (item,) = ex.action_items
    assert item.owner_user_id == "U02TOM"
    assert local(item) == "2024-03-08 17:00"


# --------------------------------------------------------------------------- bullets


@pytest.mark.parametrize("bullet", ["-", "*", "•", "1.", "2)", "◦", "+"])
def test_bullet_kinds(bullet: str) -> None:
    item = only_action(f"Action items\n{bullet} Anil to send the SBOM by Friday")
    assert item.owner_user_id == "U11ANIL"
    assert item.what == "Send the SBOM"


def test_checkboxes_open_and_done() -> None:
    ex = run(
        "- [ ] Priya: book the retest\n- [x] Tom: signed the NDA\n☐ Marta to hand over the repo"
    )
    assert [a.owner_user_id for a in ex.action_items] == ["U01PRIYA", "U12MARTA"]


def test_wrapped_bullet_continues() -> None:
    item = only_action("Action items\n- Priya to send the estimate\n  to finance by Friday\n")
    assert item.what == "Send the estimate to finance"
    assert local(item) == "2024-03-08 17:00"


# --------------------------------------------------------------------------- tags


@pytest.mark.parametrize(
    "line",
    [
        "ACTION: anil to prepare the rollback script",
        "TODO: anil to prepare the rollback script",
        "AI: Anil to prepare the rollback script",
        "Action item: Anil will prepare the rollback script",
        "#action anil to prepare the rollback script",
        "AI anil.k: prepare the rollback script",
        "TODO(anil): prepare the rollback script",
    ],
)
def test_action_tags(line: str) -> None:
    item = only_action(line)
    assert item.owner_user_id == "U11ANIL"
    assert "rollback script" in item.what


@pytest.mark.parametrize(
    "line", ["DECISION: go with option B", "DECIDED: go with option B", "AGREED: go with option B"]
)
def test_decision_tags(line: str) -> None:
    assert run(line).decisions == (Decision("Go with option B"),)


def test_info_and_idea_tags_are_not_items() -> None:
    ex = run("IDEA: move alerting to PagerDuty\n#info Tom will be out next week")
    assert ex.empty


def test_open_question_tag() -> None:
    ex = run("Open question: who approves new test environments?")
    assert ex.open_questions == (OpenQuestion("Who approves new test environments?"),)


# --------------------------------------------------------------------------- owners


@pytest.mark.parametrize(
    ("text", "owner"),
    [
        ("Priya to send the estimate by Friday", "U01PRIYA"),
        ("Priya Sharma will send the estimate", "U01PRIYA"),
        ("priya will send the estimate", "U01PRIYA"),
        ("<@U02TOM> will review the plan", "U02TOM"),
        ("<@U02TOM|tom> will review the plan", "U02TOM"),
        ("@marta will send the test matrix", "U12MARTA"),
        ("@Marta Nowak will send the test matrix", "U12MARTA"),
        ("We will give them access to staging", "U01PRIYA"),
        ("They'll send the report by Friday", "U11ANIL"),
        ("Anil is checking with his team", "U11ANIL"),
        ("Marta agreed to run the load tests", "U12MARTA"),
    ],
)
def test_owner_resolution(text: str, owner: str) -> None:
    assert only_action(text).owner_user_id == owner


def test_unknown_name_is_kept_but_not_sure() -> None:
    item = only_action("Action items\n- Maria to send the contract")
    assert item.owner_user_id is None
    assert item.owner_name == "Maria"
    assert item.owner_sure is False


def test_named_owner_is_sure_group_owner_is_not() -> None:
    named = only_action("Tom will review the plan")
    assert named.owner_sure is True
    group = only_action("We will review the plan")
    assert group.owner_user_id == "U01PRIYA" and group.owner_sure is False


def test_no_owner_is_none() -> None:
    item = only_action("Action items\n- Update the runbook")
    assert (item.owner_user_id, item.owner_name, item.owner_sure) == (None, None, False)


def test_two_owners_the_first_holds_the_item_unsure() -> None:
    item = only_action("Action items\n- Tom and Marta to pair on the signature bug")
    assert item.owner_user_id == "U02TOM"
    assert item.owner_name == "Tom and Marta"
    assert item.owner_sure is False


def test_ambiguous_first_name() -> None:
    people = (*PEOPLE, Person("U09TOM", ("Tom Schulz",), "vendor"))
    ex = extract("Tom to send the logs", call_at=CALL, tz=BERLIN, people=people)
    (item,) = ex.action_items
    assert item.owner_user_id is None and item.owner_sure is False
    ex = extract("Tom Becker to send the logs", call_at=CALL, tz=BERLIN, people=people)
    assert ex.action_items[0].owner_user_id == "U02TOM"


def test_trailing_owner_forms() -> None:
    text = (
        "Action Items\n"
        "□ Deploy the rate limiting fix by Friday - Anil Kumar\n"
        "• Share the audit report. (Priya Sharma)\n"
        "- Update the runbook, owner: Tom\n"
    )
    ex = run(text)
    assert [a.owner_user_id for a in ex.action_items] == ["U11ANIL", "U01PRIYA", "U02TOM"]
    assert ex.action_items[0].what == "Deploy the rate limiting fix"


def test_fireflies_group_headings() -> None:
    text = (
        "Action items\n**Anil Kumar**\nDocument the retry policy (06:41)\n"
        "Add a sandbox health check by Monday (21:03)\n\n**Tom Becker**\n"
        "Send the endpoint list by tomorrow EOD (14:22)\n"
    )
    ex = run(text)
    assert [a.owner_user_id for a in ex.action_items] == ["U11ANIL", "U11ANIL", "U02TOM"]
    assert ex.action_items[0].what == "Document the retry policy"
    assert local(ex.action_items[2]) == "2024-03-07 17:00"


def test_fathom_name_colon_items() -> None:
    ex = run("Next Steps\n  - Priya: share the draft plan by Friday\n  - Anil: confirm headcount")
    assert [a.owner_user_id for a in ex.action_items] == ["U01PRIYA", "U11ANIL"]
    assert ex.action_items[0].what == "Share the draft plan"


def test_leading_mention_without_verb() -> None:
    item = only_action("*todo*\n• <@U11ANIL> rollback script → by wed")
    assert item.owner_user_id == "U11ANIL" and item.owner_name == "Anil Kumar"
    assert local(item) == "2024-03-13 17:00"


# --------------------------------------------------------------------------- transcripts


def test_speaker_turn_i_will() -> None:
    item = only_action("Priya: I'll send the estimate by Friday")
    assert item.owner_user_id == "U01PRIYA" and item.owner_sure
    assert item.what == "Send the estimate"
    assert local(item) == "2024-03-08 17:00"


def test_speaker_turn_with_timestamp() -> None:
    item = only_action("Priya Sharma (00:12:03): we will send the contract tomorrow")
    assert item.owner_user_id == "U01PRIYA"
    assert local(item) == "2024-03-07 17:00"


def test_we_in_a_vendor_turn_is_the_vendor() -> None:
    item = only_action("Anil Kumar: we will fix it by Friday")
    assert item.owner_user_id == "U11ANIL"


def test_otter_speaker_headers() -> None:
    text = (
        "Priya Sharma  0:00\nOkay.\n\n"
        "Anil Kumar  0:06\nSure. I'll send the notes by tomorrow noon.\n"
    )
    item = only_action(text)
    assert item.owner_user_id == "U11ANIL"
    assert local(item) == "2024-03-07 12:00"


def test_irc_turns() -> None:
    item = only_action("[14:02] <priya> I will announce the window by Friday")
    assert item.owner_user_id == "U01PRIYA"


def test_transcript_chatter_is_not_an_action() -> None:
    text = (
        "Anil Kumar: Let me just share my screen quickly.\n"
        "Tom Becker: I'll be out on Friday.\n"
        "Marta Nowak: I think we'll see how it goes.\n"
        "Tom Becker: I'll let you go now, thanks.\n"
    )
    assert run(text).action_items == ()


def test_pronoun_gets_context() -> None:
    text = (
        "Diego: the monitoring for the new endpoints isn't set up yet. "
        "I can do it tomorrow morning."
    )
    item = only_action(text)
    assert "monitoring" in item.what
    assert local(item) == "2024-03-07 09:00"


def test_unanswered_question_in_transcript() -> None:
    text = (
        "Marta Nowak: Should we also move the demo to next week?\n"
        "Tom Becker: Hmm, I'm not sure yet. Let's decide that on Thursday.\n"
    )
    assert run(text).open_questions == (OpenQuestion("Should we also move the demo to next week?"),)


def test_answered_question_is_not_open() -> None:
    text = "Priya: Can we ship with those?\nAnil: I think so, yes."
    assert run(text).open_questions == ()


# --------------------------------------------------------------------------- prose


@pytest.mark.parametrize(
    "sentence",
    [
        "We agreed to extend the pilot by two weeks.",
        "Let's go with option B.",
        "The team decided to drop IE11 support.",
        "Agreed that all payment calls use idempotency keys.",
        "We'll go with a written update every Friday.",
    ],
)
def test_prose_decisions(sentence: str) -> None:
    ex = run(sentence)
    assert ex.decisions == (Decision(sentence),)
    assert ex.action_items == ()


def test_agreed_that_someone_will_is_an_action() -> None:
    ex = run("We agreed that Priya will send the estimate by Friday.")
    assert ex.decisions == ()
    assert ex.action_items[0].owner_user_id == "U01PRIYA"


def test_questions_outside_question_sections_are_not_open_questions() -> None:
    assert run("Summary\nWhat is the budget? Tom asked about it.").open_questions == ()


def test_unclear_whether_is_an_open_question() -> None:
    ex = run("It remains unclear whether the suite covers refunds.")
    assert len(ex.open_questions) == 1


def test_email_author_resolves_i() -> None:
    text = "Hi all,\n\nI'll get the SOW signed by Monday.\n\nBest,\nPriya\n"
    item = only_action(text)
    assert item.owner_user_id == "U01PRIYA"
    assert local(item) == "2024-03-11 17:00"


def test_clauses_with_two_owners() -> None:
    ex = run("Rahul will send the SOW by Monday, and Tom will review it by Wednesday.")
    assert [a.owner_name for a in ex.action_items] == ["Rahul", "Tom"]
    assert [local(a) for a in ex.action_items] == ["2024-03-11 17:00", "2024-03-13 17:00"]


def test_negation_is_not_an_action() -> None:
    assert run("Tom will not send the report. Marta won't attend.").action_items == ()


def test_duplicate_in_summary_and_next_steps() -> None:
    text = (
        "Summary\nJonas Berg will resend it with the breakdown.\n\n"
        "Next steps\n- Anil will resend the February invoice with the hours breakdown.\n"
    )
    people = (*PEOPLE, Person("U21JONAS", ("Jonas Berg",), "vendor"))
    ex = extract(text, call_at=CALL, tz=BERLIN, people=people)
    # different owners: both stay
    assert len(ex.action_items) == 2
    text2 = text.replace("Anil", "Jonas Berg")
    ex2 = extract(text2, call_at=CALL, tz=BERLIN, people=people)
    assert len(ex2.action_items) == 1
    assert "February invoice" in ex2.action_items[0].what


def test_markdown_table() -> None:
    text = (
        "### Action items\n| Task | Owner | Due |\n|---|---|---|\n"
        "| Fix the flaky tests | Anil | Mar 8 |\n| Update the invite | Priya | |\n"
    )
    ex = run(text)
    assert [(a.what, a.owner_user_id, local(a)) for a in ex.action_items] == [
        ("Fix the flaky tests", "U11ANIL", "2024-03-08 17:00"),
        ("Update the invite", "U01PRIYA", None),
    ]


# --------------------------------------------------------------------------- due dates


@pytest.mark.parametrize(
    ("phrase", "expected", "sure"),
    [
        ("by Friday", "2024-03-08 17:00", True),
        ("by Mar 10", "2024-03-10 17:00", True),
        ("by March 10th", "2024-03-10 17:00", True),
        ("by 10 March", "2024-03-10 17:00", True),
        ("EOD tomorrow", "2024-03-07 17:00", True),
        ("tomorrow EOD", "2024-03-07 17:00", True),
        ("by end of week", "2024-03-08 17:00", True),
        ("by EOW", "2024-03-08 17:00", True),
        ("next week", "2024-03-15 17:00", True),
        ("by end of next week", "2024-03-15 17:00", True),
        ("early next week", "2024-03-11 17:00", False),
        ("in 2 days", "2024-03-08 17:00", True),
        ("in two weeks", "2024-03-20 17:00", True),
        ("in 3 business days", "2024-03-11 17:00", True),
        ("tomorrow", "2024-03-07 17:00", True),
        ("today", "2024-03-06 17:00", True),
        ("EOD", "2024-03-06 17:00", True),
        ("by 2024-03-15", "2024-03-15 17:00", True),
        ("by 2024-03-15T09:30", "2024-03-15 09:30", True),
        ("on Thursday at 10am", "2024-03-07 10:00", True),
        ("by Friday 3pm", "2024-03-08 15:00", True),
        ("by 15:00 tomorrow", "2024-03-07 15:00", True),
        ("by end of month", "2024-03-29 17:00", True),
        ("by the end of April", "2024-04-30 17:00", True),
        ("by 27/03", "2024-03-27 17:00", True),
        ("by 10.03.", "2024-03-10 17:00", True),
        ("bis Freitag", "2024-03-08 17:00", True),
        ("by next Friday", "2024-03-08 17:00", False),
        ("by Wednesday", "2024-03-13 17:00", False),
        ("by Mar 1", "2025-03-01 17:00", False),
        ("by 4/5", "2024-05-04 17:00", False),
    ],
)
def test_due_phrases(phrase: str, expected: str, sure: bool) -> None:
    item = only_action(f"Action items\n- Tom to send the report {phrase}")
    assert local(item) == expected
    assert item.due_sure is sure
    assert (
        item.due_text is not None and item.due_text.lower() in f"send the report {phrase}".lower()
    )


def test_us_timezone_reads_month_first() -> None:
    call = datetime(2024, 3, 26, 9, 30, tzinfo=NEW_YORK)
    item = only_action("Action items\n- Tom to rotate the keys before 4/5", call=call, tz=NEW_YORK)
    assert local(item, NEW_YORK) == "2024-04-05 17:00"
    assert item.due_sure is False


def test_due_is_utc_and_follows_dst() -> None:
    # Thursday 28 March 2024: Berlin moves to summer time on 31 March.
    call = datetime(2024, 3, 28, 10, 0, tzinfo=BERLIN)
    item = only_action("Action items\n- Tom to send the report next week", call=call)
    assert item.due_at == datetime(2024, 4, 5, 15, 0, tzinfo=UTC)
    assert item.due_at is not None and item.due_at.tzinfo == UTC


@pytest.mark.parametrize("phrase", ["ASAP", "before the next release", "by Q2", "in May"])
def test_vague_due_is_kept_as_text_only(phrase: str) -> None:
    item = only_action(f"Action items\n- Tom to send the report {phrase}")
    assert item.due_at is None and item.due_sure is False
    assert item.due_text is not None


def test_no_date_means_none() -> None:
    item = only_action("Action items\n- Tom to send the report")
    assert (item.due_at, item.due_text, item.due_sure) == (None, None, False)


@pytest.mark.parametrize(
    "text",
    [
        "Tom to move the demo to Thursdays",
        "Tom to prepare the Thursday demo series",
        "Tom to deploy 2.4.1 to staging",
        "Tom to check what happened since Monday",
        "Tom to follow up on the call from last Friday",
    ],
)
def test_not_due_dates(text: str) -> None:
    item = only_action(f"Action items\n- {text}")
    assert item.due_at is None


def test_past_year_date_is_unsure() -> None:
    item = only_action("Action items\n- Tom to send the report by 2023-12-01")
    assert local(item) == "2023-12-01 17:00"
    assert item.due_sure is False


def test_slack_date_and_links_are_readable() -> None:
    item = only_action("Action items\n- Tom to update <https://example.com/runbook|the runbook>")
    assert item.what == "Update the runbook"


# --------------------------------------------------------------------------- data model


def test_round_trip_to_dict() -> None:
    ex = run(
        "Decisions\n- Go with B\n\nAction items\n- Tom to send the report by Friday\n"
        "- Update the runbook\n\nOpen questions\n- Who pays?"
    )
    data = ex.to_dict()
    assert Extraction.from_dict(data) == ex
    item = data["action_items"][0]
    assert item["due_at"] == "2024-03-08T16:00:00+00:00"
    assert item["owner_user_id"] == "U02TOM"


def test_person_round_trip_and_validation() -> None:
    p = Person("U1", ("A B",), "vendor")
    assert Person.from_dict(p.to_dict()) == p
    with pytest.raises(ValueError):
        Person("U1", ("A",), "partner")  # type: ignore[arg-type]


def test_naive_call_at_is_refused() -> None:
    with pytest.raises(ValueError):
        extract("x", call_at=datetime(2024, 3, 6, 15, 0), tz=BERLIN)


def test_empty_text() -> None:
    assert run("").empty
    assert run("   \n\n ").empty


def test_names_that_are_common_words_need_a_capital() -> None:
    people = (*PEOPLE, Person("U09WILL", ("Will",), "vendor"), Person("U08MAY", ("May",), "vendor"))
    ex = extract(
        "Action items\n- will send the docs\n- Will to send the logs\n- May will check it",
        call_at=CALL,
        tz=BERLIN,
        people=people,
    )
    assert [a.owner_user_id for a in ex.action_items] == [None, "U09WILL", "U08MAY"]
    assert run("Tom will send the docs").action_items[0].owner_user_id == "U02TOM"
