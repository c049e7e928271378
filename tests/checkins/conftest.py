"""`both`: the same test on SQLite and on PostgreSQL (skipped unless TEST_DATABASE_URL is set)."""

from __future__ import annotations

import pytest

from tests.harness import Harness


@pytest.fixture(params=["sqlite", "postgresql"])
def both(request: pytest.FixtureRequest) -> Harness:
    name = "harness" if request.param == "sqlite" else "pg_harness"
    h: Harness = request.getfixturevalue(name)
    return h
