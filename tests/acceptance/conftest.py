"""The acceptance tier: the real `syncbeat` command in subprocesses, on the database the
`db_url` fixture gives (SQLite, or PostgreSQL when SYNCBEAT_TEST_DATABASE_URL is set).

Tests see what an operator sees: exit codes, stdout and stderr, JSON the CLI prints, report
CSV, log text, files. Setup that is not under test (creating the tables, loading a catalog)
may be done in-process on the same database to keep the tier fast.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from clitools import Syncbeat, TaskProbe, migrate


def _data_dir(base: Path) -> Path:
    path = base / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def bare(db_url: str, tmp_path: Path) -> Syncbeat:
    """The CLI on an empty database (no tables yet)."""
    return Syncbeat(_data_dir(tmp_path), db_url, tmp_path)


@pytest.fixture
def sb(bare: Syncbeat) -> Syncbeat:
    """The CLI on a database with syncbeat's tables."""
    migrate(bare.db_url)
    return bare


@pytest.fixture
def probe(db_url: str) -> Iterator[TaskProbe]:
    found = TaskProbe(db_url)
    yield found
    found.close()


@pytest.fixture
def other_db_url(tmp_path: Path) -> Iterator[str]:
    """A second empty database beside `db_url`, on the same kind of server."""
    test_url = os.environ.get("SYNCBEAT_TEST_DATABASE_URL", "")
    if not test_url:
        path = tmp_path / "other" / "syncbeat.db"
        path.parent.mkdir()
        yield f"sqlite:///{path}"
        return
    admin_url = sa.make_url(test_url)
    name = f"sb_accept_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except sa.exc.OperationalError as exc:
            pytest.skip(f"PostgreSQL unreachable: {exc}")
        yield admin_url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def other(other_db_url: str, tmp_path: Path) -> Syncbeat:
    """The CLI on a second, fresh database and data folder (tables created)."""
    migrate(other_db_url)
    return Syncbeat(_data_dir(tmp_path / "other"), other_db_url, tmp_path / "other")
