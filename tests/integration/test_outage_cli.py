"""A one-shot command (`syncbeat heartbeat`, `syncbeat run --wait`) cut short by the database
going out of reach says what is true: the batches before it committed and are kept; it
hands its leases back all the same, and exits with code 3 in one line, no traceback."""

from __future__ import annotations

import gc
import sqlite3
import warnings
from decimal import Decimal

import pytest
from click.testing import CliRunner
from helpers import add_products, add_profile, import_profile, product, task_of, write_csv

import syncbeat.engine.heartbeat as heartbeat_module
from syncbeat.cli import main
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.db import write_tx
from syncbeat.store.tasks import release_leases


def _cli(ctx, db_url, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        result = CliRunner().invoke(main, ["--data-dir", str(ctx.data_dir), "--database-url",
                                           db_url, *args])
        gc.collect()
    return result


def _outage_after(monkeypatch, batches: int) -> None:
    """The database goes out of reach after `batches` batches committed (a full disk)."""
    real = heartbeat_module.run_batch
    done = []

    def run_batch(*args, **kwargs):
        if len(done) >= batches:
            raise sqlite3.OperationalError("database or disk is full")
        done.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(heartbeat_module, "run_batch", run_batch)


def _two_queued_imports(ctx) -> tuple[int, int]:
    add_products(ctx, *[(f"A{i}", "1.00", 1) for i in range(6)],
                 *[(f"B{i}", "1.00", 1) for i in range(6)])
    header = ["sku", "title", "net_price", "stock"]
    ids = []
    for name in ("a", "b"):
        write_csv(ctx, f"{name}.csv", header,
                  [[f"{name.upper()}{i}", f"{name}{i}", "2.00", "5"] for i in range(6)])
        profile = add_profile(ctx, import_profile(
            name=f"Supplier {name}", source={"location": f"feeds/{name}.csv", "format": "csv",
                                             "delimiter": ";"}))
        ids.append(run_now(ctx, profile.id))
    beat = Heartbeat(ctx)
    while not all(task_of(ctx, i).queue_done for i in ids):
        beat.tick()
    with write_tx(ctx.db) as conn:
        release_leases(conn, ctx.owner)
    assert all(task_of(ctx, i).progress.processed == 0 for i in ids)
    return ids[0], ids[1]


def test_a_heartbeat_cut_short_keeps_and_says_what_committed(ctx, db_url, monkeypatch):
    first, second = _two_queued_imports(ctx)
    _outage_after(monkeypatch, batches=1)
    result = _cli(ctx, db_url, "heartbeat")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "nothing was changed" not in result.output
    error = result.stderr.strip().splitlines()
    assert len(error) == 1, result.stderr
    assert error[0].startswith("syncbeat: the database went out of reach "
                               "(database or disk is full); work committed before it is kept")
    assert f"task {first}" in result.stdout  # the batch that committed, said
    kept = task_of(ctx, first)
    assert kept.progress.processed == 3  # its batch is kept...
    assert Decimal(str(product(ctx, "A0")["price"])) == Decimal("2.00")
    assert task_of(ctx, second).progress.processed == 0
    for task_id in (first, second):  # ...and the leases are handed back all the same
        assert task_of(ctx, task_id).lease_owner is None


def test_run_wait_cut_short_says_how_far_its_task_got(ctx, db_url, monkeypatch):
    add_products(ctx, *[(f"A{i}", "1.00", 1) for i in range(9)])
    write_csv(ctx, "a.csv", ["sku", "title", "net_price", "stock"],
              [[f"A{i}", f"a{i}", "2.00", "5"] for i in range(9)])
    add_profile(ctx, import_profile(name="Supplier a"))
    _outage_after(monkeypatch, batches=2)
    result = _cli(ctx, db_url, "run", "Supplier a", "--wait")
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output and "nothing was changed" not in result.output
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("syncbeat: the database went out of reach"), result.stderr
    assert "at 6 of 9 items" in error or "at 3 of 9 items" in error, error
    [task] = [task_of(ctx, 1)]
    assert task.status is TaskStatus.RUNNING and task.progress.processed == 6
    assert task.lease_owner is None


@pytest.mark.parametrize("args", [["tasks"], ["task", "show", "1"]])
def test_a_database_on_a_closed_port_is_exit_code_3_in_one_line(ctx, args):
    """No server at all (a closed port): the database is out of reach, not a setup error."""
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+psycopg://syncbeat@127.0.0.1:{port}/syncbeat?connect_timeout=3"
    result = _cli(ctx, url, *args)
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("syncbeat: the database is out of reach")
    assert str(port) in lines[0]
