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


# Empty PostgreSQL databases kept for the next test: emptying one (its schema dropped and
# made again) takes a tenth of the time of dropping it and creating another.
_free_databases: list[str] = []


def _postgres_database() -> Iterator[str]:
    global _reached_postgres
    admin_url = sa.make_url(TEST_URL)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    if _free_databases:
        name = _free_databases.pop()
    else:
        name = f"sb_test_{uuid.uuid4().hex[:12]}"
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except sa.exc.OperationalError as exc:
            if REQUIRE_PG:
                pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
    _reached_postgres += 1
    url = admin_url.set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        try:
            if _empty(admin, url, name):
                _free_databases.append(name)
            else:
                _drop(admin, name)
        except sa.exc.SQLAlchemyError:
            _drop(admin, name)
        admin.dispose()


def _empty(admin: sa.Engine, url: sa.URL, name: str) -> bool:
    """The test's database as a new one (settings reset, schema remade), if nothing is
    connected to it any more; False, untouched, if something is: a process the test left
    running might reconnect, so that database is dropped rather than given to another test."""
    with admin.connect() as conn:
        connected = conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity "
                                         "WHERE datname = :name"), {"name": name}).scalar()
        if connected:
            return False
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" RESET ALL')
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()
    return True


def _drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


# The fixtures that hand a test the store's database: only tests that use one of them can
# behave differently on PostgreSQL.
STORE_FIXTURES = frozenset({"db_url", "other_db_url"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL (SYNCBEAT_TEST_DATABASE_URL set), run the tests that use the store's
    database or are marked `postgres`; the others never reach it, so they would only repeat
    the SQLite run (they are deselected, and counted as such)."""
    if not TEST_URL:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        uses = STORE_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        (keep if uses or item.get_closest_marker("postgres") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _free_databases:
        admin = sa.create_engine(sa.make_url(TEST_URL), isolation_level="AUTOCOMMIT")
        while _free_databases:
            _drop(admin, _free_databases.pop())
        admin.dispose()
    if REQUIRE_PG and exitstatus == 0 and _reached_postgres == 0:
        print("\nSYNCBEAT_REQUIRE_POSTGRES is set but no test reached PostgreSQL")
        session.exitstatus = 1
    if REQUIRE_MARIADB and exitstatus == 0 and (_mariadb_skipped or not _reached_mariadb):
        print("\nSYNCBEAT_REQUIRE_MARIADB is set but the PrestaShop tests did not reach "
              "MariaDB")
        session.exitstatus = 1
