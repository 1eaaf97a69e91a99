"""The store contract: one suite of the store's named operations, run on SQLite and, with
SYNCBEAT_TEST_DATABASE_URL, on PostgreSQL (the `db_url` fixture picks). Tests marked
`postgres` need two PostgreSQL connections (row locks, claims) and are skipped on
SQLite, which serves one writer at a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from syncbeat.store.db import make_engine, upgrade


@pytest.fixture
def db(db_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database: SQLite, or PostgreSQL when the test run points at one."""
    if request.node.get_closest_marker("postgres") and not db_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (SYNCBEAT_TEST_DATABASE_URL): two connections that "
                    "lock rows")
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()
