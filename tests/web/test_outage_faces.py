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


def test_health_and_the_configure_tab_say_the_worker_waits_for_the_database(anon, api, web,
                                                                           clock):
    """The worker in `serve` waits for a database that reads but will not take writes (a
    full disk): a monitor hears it (503), people see since when and why."""
    from syncbeat.engine.outage import WAITING, Waiting

    api.post("/api/heartbeat")
    waiting = Waiting(since=clock(), reason="the disk holding the database is full: 0 bytes free")
    WAITING.note("worker-in-serve", waiting)
    try:
        visitor = anon.get("/api/health")
        assert visitor.status_code == 503
        assert visitor.json() == {"status": "waiting for the database", "database": "ok",
                                  "heartbeat_ok": True}
        details = api.get("/api/health")
        assert details.status_code == 503
        body = details.json()
        line = ("waiting for the database since 2026-11-02 09:00:00 UTC: the disk holding the "
                "database is full: 0 bytes free; waiting")
        assert body["warning"] == line
        assert body["waiting_for_database"] == {
            "since": "2026-11-02T09:00:00+00:00",
            "reason": "the disk holding the database is full: 0 bytes free", "message": line}
        assert "Waiting for the database since 2026-11-02 09:00:00 UTC: the disk" in web.get(
            "/configure").text
    finally:
        WAITING.clear("worker-in-serve")
    assert anon.get("/api/health").status_code == 200
