"""`any_harness`: the must-show tests run on SQLite and, when TEST_DATABASE_URL is set, on
PostgreSQL (row locks, partial unique index, streaming cursors)."""

from __future__ import annotations

import pytest

from tests.harness import Harness


@pytest.fixture(params=["sqlite", "postgresql"])
def any_harness(request: pytest.FixtureRequest) -> Harness:
    name = "harness" if request.param == "sqlite" else "pg_harness"
    h: Harness = request.getfixturevalue(name)
    return h
