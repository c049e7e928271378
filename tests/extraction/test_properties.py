"""Property tests: any text gives an Extraction, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.text.extraction import Extraction, Person, extract
from bot.text.transcripts import transcript_to_text

PEOPLE = (
    Person("U01PRIYA", ("Priya Sharma", "priya"), "internal"),
    Person("U11ANIL", ("Anil Kumar", "anil.k"), "vendor"),
    Person("U09WILL", ("Will",), "vendor"),
)
ZONES = [ZoneInfo(z) for z in ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")]

# Fragments that exercise the parsers; hypothesis mixes them with arbitrary text.
FRAGMENTS = [
    "Action items", "## Decisions", "**Next steps**", "Open questions:", "Parking lot",
    "- ", "* ", "• ", "1. ", "- [ ] ", "- [x] ", "☐ ", "ACTION: ", "AI: ", "TODO(priya): ",
    "DECISION: ", "AGREED: ", "#action ", "Priya: ", "Anil Kumar (00:12:03): ", "<@U01PRIYA> ",
    "<@U11ANIL|anil> ", "@priya ", "<anil> ", "I'll ", "we will ", "they'll ", "to send ",
    "will ", "by Friday", "EOD tomorrow", "end of week", "next week", "in 2 days",
    "by 2024-02-30", "by 31/02", "by 4/5", "on 27.03.", "at 25:99", "by Mar 32",
    "in 999 days", "in 0 business days", "end of next month", "tomorrow noon", "ASAP",
    "Let's go with", "We agreed to", "?", ":", "|", "| Task | Owner | Due |", "|---|---|---|",
    "\n", "\n\n", "  ", "Priya Sharma  0:03\n", "[10:32 AM] Priya Sharma\n", "Best,\nPriya",
    "=====", "---", "<https://x.example|link>", "&lt;", ":white_check_mark:", "🔁", "\u200b",
]  # fmt: skip

texts = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map("".join),
)
call_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, call_at=call_times, zone=st.sampled_from(ZONES))
def test_any_text_gives_an_extraction(text: str, call_at: datetime, zone: ZoneInfo) -> None:
    result = extract(
        text,
        call_at=call_at,
        tz=zone,
        people=PEOPLE,
        we_user_id="U01PRIYA",
        they_user_id="U11ANIL",
    )
    assert isinstance(result, Extraction)
    assert Extraction.from_dict(result.to_dict()) == result
    for item in result.action_items:
        assert item.what
        if item.due_at is not None:
            assert item.due_at.utcoffset() == timedelta(0)
        else:
            assert item.due_sure is False
        if item.owner_user_id is None:
            assert item.owner_sure is False


@settings(max_examples=200, deadline=None)
@given(
    content=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
    ext=st.sampled_from([".vtt", ".srt", ".txt", ".pdf", ""]),
)
def test_any_file_gives_text_or_a_user_error(content: bytes, ext: str) -> None:
    try:
        text = transcript_to_text("file" + ext, content)
    except UserError as err:
        assert err.message
    else:
        assert isinstance(text, str) and text.strip()
