"""The export writes exactly the bytes of the golden files (tests/overview/golden/).

The records are seeded by tests/overview/golden_record.py, which also rewrites the golden files
when a change of output is meant (its docstring says how). Any other difference is a regression:
a character escaped differently, a blank line more, a column moved.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.services.export_record import Record, write_markdown
from storage.db import Database
from storage.models import AuditEntry, Vendor
from tests.overview.golden_record import (
    NOW,
    OWNER,
    SCENARIOS,
    export_file,
    golden_path,
    names,
    seed,
)

# What the upload's comment and the audit say the file holds ("N items"): Markdown counts the
# record's items, CSV its rows after the header.
ITEMS = {
    ("rich", "md"): 33,
    ("rich", "csv"): 45,
    ("empty", "md"): 0,
    ("empty", "csv"): 1,
    ("leaving", "md"): 3,
    ("leaving", "csv"): 4,
}


@pytest.fixture
def seeded(any_db_url: str) -> Iterator[tuple[Database, dict[str, int]]]:
    db = Database(any_db_url)
    ids = seed(db)
    yield db, ids
    db.dispose()


def _diff(expected: bytes, got: bytes) -> str:
    lines = difflib.unified_diff(
        expected.decode("utf-8").splitlines(keepends=True),
        got.decode("utf-8").splitlines(keepends=True),
        "golden",
        "export",
    )
    return "".join(repr(line)[1:-1] + "\n" for line in lines)


@pytest.mark.parametrize("fmt", ["md", "csv"])
def test_export_matches_the_golden_files(
    seeded: tuple[Database, dict[str, int]], fmt: str, tmp_path: Path
) -> None:
    db, ids = seeded
    for scenario in SCENARIOS:
        expected = golden_path(scenario, fmt).read_bytes()
        got, items = export_file(db, ids[scenario], fmt, tmp_path)
        assert got == expected, f"{scenario}.{fmt} differs:\n{_diff(expected, got)}"
        assert items == ITEMS[scenario, fmt]


def test_markdown_is_written_while_the_record_is_still_being_read(
    seeded: tuple[Database, dict[str, int]],
) -> None:
    """Streaming: a big vendor's file grows section by section, it is never one string first."""
    db, ids = seeded
    out = io.StringIO()
    written_before_audit: list[str] = []
    with db.transaction() as s:
        vendor = s.get(Vendor, ids["rich"])
        assert vendor is not None
        record = Record(session=s, vendor=vendor)
        read_audit = record.audit

        def audit() -> Iterator[AuditEntry]:
            written_before_audit.append(out.getvalue())
            return read_audit()

        record.audit = audit  # type: ignore[method-assign]
        write_markdown(
            out, record, tz=ZoneInfo(vendor.tz), names=names(), now=NOW, requested_by=OWNER
        )
    [before] = written_before_audit
    assert "## Deadlines\n\n### #1 " in before and "## Offboarding\n" in before
    assert out.getvalue().encode() == golden_path("rich", "md").read_bytes()
