"""Fixtures shared by the tiers: a fresh database (SQLite, or PostgreSQL when
SYNCBEAT_TEST_DATABASE_URL says so), a clock that tests move, an engine context, and a
PrestaShop-shaped MariaDB database per test module (`shop_db`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

TEST_URL = os.environ.get("SYNCBEAT_TEST_DATABASE_URL", "")
REQUIRE_PG = os.environ.get("SYNCBEAT_REQUIRE_POSTGRES") == "1"
REQUIRE_MARIADB = os.environ.get("SYNCBEAT_REQUIRE_MARIADB") == "1"
_reached_postgres = 0
_mariadb_skipped = 0
_reached_mariadb = 0


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _postgres_database() -> Iterator[str]:
    global _reached_postgres
    admin_url = sa.make_url(TEST_URL)
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    _reached_postgres += 1
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """An empty database: PostgreSQL if SYNCBEAT_TEST_DATABASE_URL is set, else SQLite."""
    if TEST_URL:
        yield from _postgres_database()
    else:
        yield f"sqlite:///{tmp_path / 'syncbeat.db'}"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def ctx(db_url: str, data_dir: Path, clock: Clock) -> Iterator[object]:
    """An engine context on a migrated database, with the test's clock."""
    from syncbeat.engine.context import Context
    from syncbeat.store.db import make_engine, upgrade

    db = make_engine(db_url)
    upgrade(db)
    context = Context(db=db, data_dir=data_dir, clock=clock)
    yield context
    context.close()
    db.dispose()


@pytest.fixture(scope="module")
def shop_db() -> Iterator[object]:
    """A fresh MariaDB database for this test module (sb_test_..., dropped after), where
    `install(prefix)` loads the PrestaShop-shaped schema and seeds it. Skipped when MariaDB
    is not reachable, unless SYNCBEAT_REQUIRE_MARIADB=1."""
    global _mariadb_skipped, _reached_mariadb
    from shopdb import ShopDatabase

    try:
        found = ShopDatabase.create()
    except sa.exc.OperationalError as exc:
        if REQUIRE_MARIADB:
            pytest.fail(f"MariaDB is required but unreachable: {exc}")
        _mariadb_skipped += 1
        pytest.skip(f"MariaDB unreachable: {exc}")
    _reached_mariadb += 1
    try:
        yield found
    finally:
        found.drop()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_PG and exitstatus == 0 and _reached_postgres == 0:
        print("\nSYNCBEAT_REQUIRE_POSTGRES is set but no test reached PostgreSQL")
        session.exitstatus = 1
    if REQUIRE_MARIADB and exitstatus == 0 and (_mariadb_skipped or not _reached_mariadb):
        print("\nSYNCBEAT_REQUIRE_MARIADB is set but the PrestaShop tests did not reach "
              "MariaDB")
        session.exitstatus = 1
