"""The database out of reach (PostgreSQL refusing connections) is one clear line on every
face: a 503 from the API and the pages, one line from the command line, no traceback (a
write that fails once the database is open: tests/acceptance/test_disk_full.py)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from syncbeat.cli import main


@pytest.fixture
def refusing(ctx: Any, db_url: str) -> Iterator[str]:
    """The test's PostgreSQL database, refusing connections for the test's length."""
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("a database server that refuses connections is PostgreSQL's case")
    name = ctx.db.url.database
    admin = sa.create_engine(ctx.db.url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def allow(allowed: bool) -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(
                f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :name"), {"name": name})

    allow(False)
    try:
        yield db_url
    finally:
        allow(True)
        admin.dispose()


def test_the_api_and_the_pages_answer_503_in_words(api, web, refusing):
    for client, path in ((api, "/api/tasks"), (api, "/api/profiles"), (web, "/tasks")):
        answer = client.get(path)
        assert answer.status_code == 503, (path, answer.text[:200])
        assert "the database is out of reach, nothing was changed" in answer.text
        assert "Traceback" not in answer.text


def test_the_cli_says_it_in_one_line(ctx, refusing):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = CliRunner().invoke(main, ["--data-dir", str(ctx.data_dir), "--database-url",
                                           refusing, "task", "show", "1"])
        gc.collect()
    # Out of reach, not a database to set up: exit code 3, as for any outage (cron retries).
    assert result.exit_code == 3, result.output
    assert result.output.startswith("syncbeat: the database is out of reach, nothing was "
                                    "changed: connection failed:")
    assert "is not currently accepting connections" in result.output
    assert result.output.count("\n") == 1
