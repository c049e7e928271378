"""A deadline made from an action item is titled without the item's trailing due phrase: the
deadline shows its own date, and "by next Wednesday" reads wrong once days have passed."""

from __future__ import annotations

import pytest

from bot.services.recaps.items import deadline_title
from bot.text.extraction import ActionItem


def item(what: str, due_text: str | None) -> ActionItem:
    return ActionItem(
        what=what,
        owner_user_id="U1",
        owner_name=None,
        owner_sure=True,
        due_at=None,
        due_text=due_text,
        due_sure=True,
        line=what,
    )


@pytest.mark.parametrize(
    ("what", "due_text", "title"),
    [
        (
            "Book the security review by next Wednesday",
            "by next Wednesday",
            "Book the security review",
        ),
        ("Fix the login bug by Thursday.", "by Thursday", "Fix the login bug"),
        ("Send the estimate, EOD tomorrow", "EOD tomorrow", "Send the estimate"),
        ("Ship the beta by 2027-03-15", "BY 2027-03-15", "Ship the beta"),
        # The phrase is inside the item, or is all of it: the words stay as written.
        ("By Friday send the estimate", "By Friday", "By Friday send the estimate"),
        ("Review by Friday", "by Friday", "Review by Friday"),
        ("Send the   estimate", None, "Send the estimate"),
        ("", None, "Action item from a call recap"),
    ],
)
def test_the_title_drops_a_trailing_due_phrase_only(
    what: str, due_text: str | None, title: str
) -> None:
    assert deadline_title(item(what, due_text)) == title
