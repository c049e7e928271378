"""The pipeline: normalize → segment → classify → assemble."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.text.extraction.assemble import assemble
from bot.text.extraction.classify import classify
from bot.text.extraction.context import Context
from bot.text.extraction.dates import dateparser_parse
from bot.text.extraction.model import Extraction, Person
from bot.text.extraction.names import people_index
from bot.text.extraction.normalize import prepare_lines
from bot.text.extraction.segment import find_author, segment_lines


def extract(
    text: str,
    *,
    call_at: datetime,
    tz: ZoneInfo,
    people: Sequence[Person] = (),
    we_user_id: str | None = None,
    they_user_id: str | None = None,
) -> Extraction:
    """Find decisions, action items and open questions in pasted call notes."""
    if call_at.tzinfo is None:
        raise ValueError("call_at must be timezone-aware")
    index = people_index(tuple(people))
    if not text or not text.strip():
        return Extraction()
    lines = prepare_lines(text)
    ctx = Context(
        call_local=call_at.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0),
        tz=tz,
        people=index,
        we=we_user_id,
        they=they_user_id,
        author=find_author(lines),
        date_order="MDY" if tz.key.startswith("America/") else "DMY",
    )
    return assemble(classify(segment_lines(lines, ctx), ctx))


def warm_up() -> None:
    """Load dateparser's language data now rather than on the first recap (~0.1 s)."""
    dateparser_parse("friday", datetime(2024, 1, 1, 12, 0), "DMY")
