"""What the stage tests share: the people of a call and a Context for them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.text.extraction import Person
from bot.text.extraction.context import Context
from bot.text.extraction.names import people_index

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 6 March 2024, 15:00 in Berlin.
CALL_LOCAL = datetime(2024, 3, 6, 15, 0)

PEOPLE = (
    Person("U01PRIYA", ("Priya Sharma", "priya"), "internal"),
    Person("U02TOM", ("Tom Becker", "tom.becker"), "internal"),
    Person("U11ANIL", ("Anil Kumar", "anil.k"), "vendor"),
    Person("U12MARTA", ("Marta Nowak", "marta"), "vendor"),
)


def make_ctx(
    people: tuple[Person, ...] = PEOPLE,
    *,
    author: str | None = None,
    tz: ZoneInfo = BERLIN,
    call_local: datetime = CALL_LOCAL,
) -> Context:
    return Context(
        call_local=call_local,
        tz=tz,
        people=people_index(people),
        we="U01PRIYA",
        they="U11ANIL",
        author=author,
        date_order="MDY" if tz.key.startswith("America/") else "DMY",
    )
