"""`<when>` through signed requests: a part that cannot be read is refused, naming it, and
nothing is created or posted; what is read is stored as typed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from storage.models import AuditEntry, ChangeRequest, Deadline
from tests.harness import Harness


def _reply(h: Harness, text: str) -> str:
    resp = h.command(text)
    assert resp.status == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral", body
    return str(body["text"])


def _counts(h: Harness) -> tuple[int, int, int, int]:
    with h.session() as s:
        return (
            len(s.scalars(select(Deadline)).all()),
            len(s.scalars(select(ChangeRequest)).all()),
            len(s.scalars(select(AuditEntry)).all()),
            len(h.posts()),
        )


@pytest.mark.parametrize(
    ("when", "fragment"),
    [
        ("tomorrow 25:00", "`25:00` is not a time of day (in 'tomorrow 25:00')"),
        ("tomorrow 17:75", "`17:75` is not a time of day (in 'tomorrow 17:75')"),
        ("tomorrow 13pm", "`13pm` is not a time of day"),
        ("tomorrow 9", "`9` (in 'tomorrow 9') is not a time of day I can read"),
        ("friday 17h", "could be a time of day or 17 hours"),
        ("tomorrow blah", "I couldn't read `blah` in 'tomorrow blah'"),
        ("thursday 12 mar 2027", "Fri 12 Mar 2027 is a Friday, not a Thursday"),
    ],
)
def test_deadline_add_refuses_a_part_it_cannot_read(
    harness: Harness, when: str, fragment: str
) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    before = _counts(h)
    text = _reply(h, f'deadline add "a" {when}')
    assert fragment in text, text
    assert "Usage: `/outsource deadline add" in text
    assert "Traceback" not in text
    assert _counts(h) == before


def test_deadline_move_refuses_a_part_it_cannot_read(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")
    _reply(h, 'deadline add "API" 2027-03-10')
    before = _counts(h)
    text = _reply(h, 'deadline move 1 tomorrow 17:75 reason "late"')
    assert "`17:75` is not a time of day" in text
    assert _counts(h) == before


def test_what_is_typed_is_what_is_stored(harness: Harness) -> None:
    h = harness
    h.make_vendor(tz="Europe/Berlin")  # the harness starts Mon 1 Mar 2027 10:00 CET
    text = _reply(h, 'deadline add "a" tomorrow 17:45')
    assert "due *Tue 2 Mar 2027 17:45 CET" in text
    _reply(h, 'deadline add "b" friday 9:30am')
    _reply(h, 'deadline add "c" 10 Mar 2027 17h30')
    with h.session() as s:
        due = [d.due_at for d in s.scalars(select(Deadline).order_by(Deadline.id))]
    assert due == [
        datetime(2027, 3, 2, 16, 45, tzinfo=UTC),
        datetime(2027, 3, 5, 8, 30, tzinfo=UTC),
        datetime(2027, 3, 10, 16, 30, tzinfo=UTC),
    ]
