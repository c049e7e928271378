"""The pipeline: normalize → segment → classify → assemble."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.text.extraction.assemble import assemble
from bot.text.extraction.classify import classify
from bot.text.extraction.context import Context, Unit
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
    units, ctx = read(
        text,
        call_at=call_at,
        tz=tz,
        people=people,
        we_user_id=we_user_id,
        they_user_id=they_user_id,
    )
    if not units:
        return Extraction()
    return assemble(classify(units, ctx))


def read(
    text: str,
    *,
    call_at: datetime,
    tz: ZoneInfo,
    people: Sequence[Person] = (),
    we_user_id: str | None = None,
    they_user_id: str | None = None,
) -> tuple[list[Unit], Context]:
    """The first two stages: the notes' units and the call's context (the scorer's line
    ceiling in tests/extraction/real_scores.py runs the later stages on its own)."""
    if call_at.tzinfo is None:
        raise ValueError("call_at must be timezone-aware")
    index = people_index(tuple(people))
    lines = prepare_lines(text) if text and text.strip() else []
    ctx = Context(
        call_local=call_at.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0),
        tz=tz,
        people=index,
        we=we_user_id,
        they=they_user_id,
        author=find_author(lines),
        date_order="MDY" if tz.key.startswith("America/") else "DMY",
    )
    return list(segment_lines(lines, ctx)), ctx


def warm_up() -> None:
    """Load dateparser's language data now rather than on the first recap (~0.1 s)."""
    dateparser_parse("friday", datetime(2024, 1, 1, 12, 0), "DMY")
