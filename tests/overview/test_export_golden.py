"""The export writes exactly the bytes of the golden files (tests/overview/golden/).

The records are seeded by tests/overview/golden_record.py, which also rewrites the golden files
when a change of output is meant (its docstring says how). Any other difference is a regression:
a character escaped differently, a blank line more, a column moved.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.overview.golden_record import SCENARIOS, export_bytes, golden_path, seed


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
        got = export_bytes(db, ids[scenario], fmt, tmp_path)
        assert got == expected, f"{scenario}.{fmt} differs:\n{_diff(expected, got)}"
