"""PostgreSQL connections cut under a running worker (pg_terminate_backend, or the database
refusing connections for a few seconds) are waited out: the worker says so once, carries on,
and the task ends exactly as an uninterrupted run would, its failure count untouched."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest
import sqlalchemy as sa
from helpers import add_products, add_profile, import_profile, product, task_of, write_csv

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.engine.worker import run_worker

ROWS = 3000


def _admin(ctx):
    return sa.create_engine(ctx.db.url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _cut(admin, name: str) -> int:
    with admin.connect() as conn:
        return len(conn.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name}).all())


def _allow(admin, name: str, allowed: bool) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))


@pytest.fixture
def postgres_only(ctx):
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("connections to cut are PostgreSQL's; SQLite has none")
    return ctx


def test_a_worker_waits_out_cut_connections_and_an_outage(postgres_only, clock):
    ctx = postgres_only
    add_products(ctx, *[(f"P{i}", "1.00", 1) for i in range(ROWS)])
    header = ["sku", "title", "net_price", "stock"]
    write_csv(ctx, "a.csv", header, [[f"P{i}", f"P{i}", "2.00", "5"] for i in range(ROWS)])
    profile = add_profile(ctx, import_profile(batch_size=50))
    task_id = run_now(ctx, profile.id)
    name = ctx.db.url.database
    admin = _admin(ctx)
    said: list[str] = []
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, kwargs={
        "ctx": ctx, "stop": stop, "interval": 0.01,
        "on_tick": lambda report: said.extend(report.lines)})
    worker.start()
    try:
        for _ in range(5):  # connections cut mid-batch, mid-queueing
            time.sleep(0.15)
            _cut(admin, name)
        _allow(admin, name, False)  # then the database refuses connections for 2 seconds
        _cut(admin, name)
        time.sleep(2)
        _allow(admin, name, True)
        deadline = time.monotonic() + 60
        while task_of(ctx, task_id).status is TaskStatus.RUNNING and time.monotonic() < deadline:
            time.sleep(0.1)
        assert worker.is_alive()  # it never died of the outage
    finally:
        _allow(admin, name, True)
        stop.set()
        worker.join(30)
        admin.dispose()
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED, task.message
    assert task.progress.processed == ROWS and task.progress.errors == 0
    assert product(ctx, "P0")["price"] == "2.00" and product(ctx, f"P{ROWS - 1}")["quantity"] == 5
    rows = list(csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task)))))
    assert len(rows) == ROWS and {r["outcome"] for r in rows} == {"processed"}
    outages = [line for line in said if line.startswith("the database is out of reach")]
    assert outages and all("waiting for it" in line for line in outages)
    assert any(line.startswith("the database is back after") for line in said)
    work = [line for line in said if not line.startswith("the database is")]
    assert [line for line in work if "will be retried" in line or "failed" in line] == []
