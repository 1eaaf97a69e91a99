"""Tasks started by an older version of syncbeat, whose specs lack what later versions
write (`_run`, `_catalog`), are worked to their end by this one: the stored format reads."""

from __future__ import annotations

import shutil

from helpers import add_products, add_profile, drain, import_profile, product, task_of, write_csv

from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.artifacts import report_lines
from syncbeat.store.db import write_tx
from syncbeat.store.tasks import move_task


def test_an_import_started_by_an_older_version_is_worked_to_its_end(ctx):
    add_products(ctx, ("A1", "10.00", 3), ("A2", "5.50", 1))
    feed = write_csv(ctx, "a.csv", ["sku", "title", "net_price", "stock"],
                     [["A1", "A1", "12.00", "3"], ["A2", "A2", "5.50", "4"]])
    profile = add_profile(ctx, import_profile())
    task_id = run_now(ctx, profile.id)
    folder = ctx.task_dir(task_id)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(feed, folder / "source-0ld5pec0.csv")
    old_spec = {  # as versions before ab441d0 stored it
        "name": profile.name, "kind": "import", "timezone": "UTC", "batch_size": 1,
        "enabled": True,
        "source": {"location": "feeds/a.csv", "format": "csv", "delimiter": ";",
                   "quotechar": '"', "header": True, "encoding": "utf-8"},
        "match": {"feed": "sku", "catalog": "reference"},
        "mapping": {"price": "net_price", "quantity": "stock"},
        "options": {"create_missing": False, "skip_unchanged": True},
        "id": profile.id, "_snapshot": "source-0ld5pec0.csv",
    }
    with write_tx(ctx.db) as conn:
        assert move_task(conn, task_id, TaskStatus.RUNNING, now=ctx.clock(), spec=old_spec)
    drain(ctx)

    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED and task.batches == 2  # its batch size of 1
    assert product(ctx, "A1")["price"] == "12.00" and product(ctx, "A2")["quantity"] == 4
    report = "".join(report_lines(ctx.db, task))
    assert "price: 10.00 -> 12.00" in report and "quantity: 1 -> 4" in report
