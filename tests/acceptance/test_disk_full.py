"""A full disk under the SQLite database: a worker waits (saying why) instead of dying, and
finishes the task exactly once there is room; a CLI write says so in one line. The data
folder is a small tmpfs, which needs root: skipped with the reason where it cannot mount."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clitools import Syncbeat

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.outage import WAITING
from syncbeat.engine.worker import run_worker
from syncbeat.store.db import make_engine, read_tx, upgrade, write_tx
from syncbeat.store.tasks import get_task

ROWS = 2000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs as the data folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs for the data folder needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Take every free byte of the disk; the file to delete to give them back."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)
    return filler


def _context(folder: Path, clock) -> Context:
    db = make_engine(f"sqlite:///{folder / 'syncbeat.db'}")
    upgrade(db)
    return Context(db=db, data_dir=folder, clock=clock)


def _import(ctx: Context) -> int:
    from syncbeat.domain.profile import parse_profile
    from syncbeat.store.catalog_queries import insert_products
    from syncbeat.store.profiles import insert_profile

    with write_tx(ctx.db) as conn:
        insert_products(conn, [
            {"reference": f"P{i}", "name": f"P{i}", "price": 1, "quantity": 1, "active": True,
             "updated_at": ctx.clock()} for i in range(ROWS)])
        profile = insert_profile(conn, parse_profile({
            "name": "Supplier", "kind": "import", "batch_size": 50,
            "source": {"location": "feeds/a.csv", "format": "csv"},
            "match": {"feed": "sku", "catalog": "reference"},
            "mapping": {"price": "price", "quantity": "stock"},
        }), ctx.clock())
    feeds = ctx.data_dir / "feeds"
    feeds.mkdir()
    (feeds / "a.csv").write_text("sku,price,stock\n" + "".join(
        f"P{i},2.50,7\n" for i in range(ROWS)))
    return run_now(ctx, profile.id)


def test_a_worker_waits_for_room_then_finishes_exactly(small_disk: Path, clock) -> None:
    ctx = _context(small_disk, clock)
    task_id = _import(ctx)
    heartbeat = Heartbeat(ctx)
    while True:  # started and queued, no batch yet
        with read_tx(ctx.db) as conn:
            task = get_task(conn, task_id)
        assert task is not None
        if task.queue_done:
            break
        heartbeat.tick()
    said: list[str] = []
    stop = threading.Event()
    filler = _fill(small_disk)
    worker = threading.Thread(target=run_worker, kwargs={
        "ctx": ctx, "stop": stop, "interval": 0.01,
        "on_tick": lambda report: said.extend(report.lines)})
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while not any("out of reach" in line for line in said) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.is_alive()
        assert next(line for line in said if "out of reach" in line).startswith(
            "the database is out of reach (the disk holding the database is full: 0 bytes "
            "free); waiting for it")
        waiting = WAITING.oldest()  # what GET /api/health says in `serve`
        assert waiting is not None
        assert waiting.reason == "the disk holding the database is full: 0 bytes free"
        filler.unlink()  # room again
        while time.monotonic() < deadline:
            with read_tx(ctx.db) as conn:
                task = get_task(conn, task_id)
            if task is not None and task.status is not TaskStatus.RUNNING:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        worker.join(30)
    assert task is not None and task.status is TaskStatus.COMPLETED, task
    assert task.progress.processed == ROWS and task.progress.errors == 0
    assert task.message is None  # no "waiting" left on the task
    assert WAITING.oldest() is None
    rows = list(csv.DictReader(io.StringIO("".join(report_lines(ctx.db, task)))))
    assert len(rows) == ROWS and {r["outcome"] for r in rows} == {"processed"}
    assert any(line.startswith("the database is back after") for line in said)
    ctx.close()
    ctx.db.dispose()


def test_a_cli_write_on_a_full_disk_is_one_line(small_disk: Path, tmp_path: Path, clock) -> None:
    ctx = _context(small_disk, clock)  # its open connection keeps the database's WAL files
    with read_tx(ctx.db) as conn:
        conn.exec_driver_sql("SELECT count(*) FROM tasks").all()
    profile = tmp_path / "p.toml"
    profile.write_text('name = "Disk"\nkind = "import"\n[source]\nlocation = "feeds/a.csv"\n'
                       'format = "csv"\n[match]\nfeed = "sku"\ncatalog = "reference"\n'
                       '[mapping]\nprice = "price"\n')
    (small_disk / "feeds").mkdir()
    _fill(small_disk)
    sb = Syncbeat(small_disk, f"sqlite:///{small_disk / 'syncbeat.db'}", tmp_path)
    result = sb.run("profile", "add", str(profile))
    assert result.code == 3, str(result)
    assert result.err_lines == [
        "syncbeat: the database is out of reach, nothing was changed: database or disk is full"]
    ctx.close()
    ctx.db.dispose()


def test_a_disk_too_full_for_any_write_keeps_its_task_past_the_limit_and_resumes(
        small_disk: Path, clock) -> None:
    """Past `outage_limit_seconds` a task ends in error only if the database takes that one
    small write (tests/integration/test_outage_waiting.py). A disk so full that nothing fits
    cannot record an error either: the task waits on (the worker says why), and once there
    is room it resumes and completes exactly, rather than ending in error then."""
    from syncbeat.store.settings import save_settings

    ctx = _context(small_disk, clock)
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"outage_limit_seconds": 1})
    task_id = _import(ctx)
    heartbeat = Heartbeat(ctx)
    while True:  # started and queued, no batch yet
        with read_tx(ctx.db) as conn:
            task = get_task(conn, task_id)
        assert task is not None
        if task.queue_done:
            break
        heartbeat.tick()
    said: list[str] = []
    stop = threading.Event()
    filler = _fill(small_disk)
    worker = threading.Thread(target=run_worker, kwargs={
        "ctx": ctx, "stop": stop, "interval": 0.01,
        "on_tick": lambda report: said.extend(report.lines)})
    worker.start()
    try:
        time.sleep(4)  # past the limit, a few tries
        with read_tx(ctx.db) as conn:
            task = get_task(conn, task_id)
        assert task is not None and task.status is TaskStatus.RUNNING, said
        assert worker.is_alive()
        filler.unlink()  # room again
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with read_tx(ctx.db) as conn:
                task = get_task(conn, task_id)
            if task is not None and task.status is not TaskStatus.RUNNING:
                break
            time.sleep(0.1)
    finally:
        stop.set()
        worker.join(30)
    assert task is not None and task.status is TaskStatus.COMPLETED, (task, said)
    assert task.progress.processed == ROWS and task.progress.errors == 0
    ctx.close()
    ctx.db.dispose()
