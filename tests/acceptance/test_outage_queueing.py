"""PostgreSQL backends terminated while a big feed is queued by the worker's second process
(and the worker's own connections with them), then a few seconds of a database refusing
connections: the worker waits it out and ends with the same catalog, counters and report as
an uninterrupted run on a second database, side by side."""

from __future__ import annotations

import signal
import time

import pytest
import sqlalchemy as sa
from clitools import wait_for
from test_background import ROWS, _check_done, _queueing_child, _setup

REFUSED_SECONDS = 3.0


def _admin(db_url: str) -> sa.Engine:
    return sa.create_engine(sa.make_url(db_url).set(database="postgres"),
                            isolation_level="AUTOCOMMIT")


def _cut(admin: sa.Engine, name: str) -> int:
    with admin.connect() as conn:
        return len(conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name "
            "AND pid <> pg_backend_pid()"), {"name": name}).all())


def _allow(admin: sa.Engine, name: str, allowed: bool) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))


def _row(probe) -> dict:
    """The task's row, or {} while the probe's own connection is cut too."""
    try:
        return probe.row(1) or {}
    except sa.exc.OperationalError:
        probe.db.dispose()
        return {}


def _catalog(cli) -> dict[str, tuple[str, str, int]]:
    return {p["reference"]: (p["name"], p["price"], p["quantity"])
            for p in cli.json("catalog", "list", "--limit", str(ROWS * 2))}


@pytest.mark.slow
@pytest.mark.timeout(600)  # two imports of 100,000 rows and their reports, on a shared machine
def test_backends_cut_mid_queueing_end_as_an_uninterrupted_run(sb, other, probe):
    if not sb.db_url.startswith("postgresql"):
        pytest.skip("terminating backends is PostgreSQL's case: set SYNCBEAT_TEST_DATABASE_URL")
    for cli in (sb, other):
        _setup(cli)
        cli("run", "Big")
    name = sa.make_url(sb.db_url).database
    admin = _admin(sb.db_url)
    cuts = 0
    try:
        with sb.worker() as worker:
            wait_for("the queueing process", lambda: _queueing_child(worker.proc.pid),
                     every=0.005)
            # Cut every connection (the child's and the worker's) while the child queues:
            # each cut rolls its chunk back; the worker's next tick reads on.
            while not _row(probe).get("queue_done") and cuts < 5:
                cuts += 1 if _cut(admin, name) else 0
                time.sleep(0.3)
            _allow(admin, name, False)  # then an outage of a few seconds
            try:
                _cut(admin, name)
                time.sleep(REFUSED_SECONDS)
            finally:
                _allow(admin, name, True)
            wait_for("the task to end", lambda: _row(probe).get("status")
                     not in (None, "running"), timeout=240, every=0.2)
            worker.send(signal.SIGTERM)
            assert worker.wait() == 0, worker.output()
            said, errors = worker.out, worker.err
    finally:
        admin.dispose()
    assert cuts >= 1
    assert "the database is out of reach (" in said, said[-2000:]
    assert "the database is back after" in said, said[-2000:]
    assert "Traceback" not in errors, errors[-2000:]
    other("worker", "--drain", timeout=240)  # the uninterrupted run
    _check_done(sb)  # exactly what one uninterrupted process gives (test_background.py)...
    # ...and, side by side with the uninterrupted run: counters, report, catalog.
    assert sb.task(1)["progress"] == other.task(1)["progress"]
    assert sb("task", "report", "1").out == other("task", "report", "1").out
    assert _catalog(sb) == _catalog(other)
