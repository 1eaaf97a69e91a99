"""Issue 13 in the engine: a profile that did not choose a batch size follows the default in
force when each task starts (kept by that task whatever the default becomes); an export says
its filter when it starts; the log names the feed rows that could not be read; task ids are
never given twice."""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import command
from helpers import add_profile, import_profile

from syncbeat.engine.actions import delete_task, run_now
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.store.db import alembic_config, make_engine, read_tx, upgrade, write_tx
from syncbeat.store.logs import tail_log
from syncbeat.store.profiles import get_profile
from syncbeat.store.settings import save_settings
from syncbeat.store.tasks import get_task


def _started_line(ctx, task_id):
    with read_tx(ctx.db) as conn:
        return next(m for _, _, m in tail_log(conn, task_id, 10) if m.startswith("started"))


def test_a_profile_without_a_batch_size_follows_the_default_at_each_start(ctx):
    from helpers import write_csv

    write_csv(ctx, "a.csv", ["sku", "net_price", "stock", "title"],
              [[f"A-{i}", "1.00", i, f"A {i}"] for i in range(5)])
    data = import_profile()
    del data["batch_size"]
    profile = add_profile(ctx, data)
    with read_tx(ctx.db) as conn:
        assert get_profile(conn, profile.id).batch_size is None
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"default_batch_size": "2"})
    first = run_now(ctx, str(profile.id))
    Heartbeat(ctx).tick()
    with read_tx(ctx.db) as conn:
        task = get_task(conn, first)
    assert task.spec["batch_size"] == 2  # the running task keeps a number
    assert _started_line(ctx, first).endswith("batch size 2 (the default)")
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"default_batch_size": "1000"})
    with read_tx(ctx.db) as conn:
        assert get_task(conn, first).spec["batch_size"] == 2


def test_an_export_says_its_filter_when_it_starts(ctx):
    profile = add_profile(ctx, {"name": "Active out", "kind": "export",
                                "filter": {"active": True}, "fields": {"sku": "reference"}})
    task_id = run_now(ctx, str(profile.id))
    Heartbeat(ctx).tick()
    assert _started_line(ctx, task_id).startswith("started: export of active products")


def test_a_deleted_tasks_id_is_never_given_again(ctx):
    profile = add_profile(ctx, import_profile())
    first = run_now(ctx, str(profile.id))
    delete_task(ctx, first)
    assert run_now(ctx, str(profile.id)) == first + 1


def test_the_migration_keeps_tasks_and_their_items_and_defaulted_batch_sizes(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0005")
    with engine.begin() as conn:
        for pid, size in ((1, 1000), (2, 250)):
            spec = json.dumps({"name": f"P{pid}", "kind": "export", "timezone": "UTC",
                               "batch_size": size, "enabled": True,
                               "filter": {"changed_since_last_export": False},
                               "fields": {"sku": "reference"}})
            conn.execute(sa.text(
                "INSERT INTO profiles (id, name, kind, enabled, timezone, batch_size, spec, "
                "created_at, updated_at) VALUES (:id, :name, 'export', 1, 'UTC', :size, :spec, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"id": pid, "name": f"P{pid}", "size": size, "spec": spec})
        conn.execute(sa.text(
            "INSERT INTO tasks (id, profile_id, profile_name, kind, status, \"trigger\", "
            "scheduled_at, total, pending, processed, skipped, cancelled, errors, queue_done, "
            "cursor, export_size, batches, work_seconds, created_at) VALUES (7, 1, 'P1', 'export', "
            "'completed', 'manual', CURRENT_TIMESTAMP, 1, 0, 1, 0, 0, 0, 1, 1, 0, 1, 0, "
            "CURRENT_TIMESTAMP)"))
        conn.execute(sa.text("INSERT INTO items (task_id, seq, outcome) VALUES (7, 1, 1)"))
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM items")).scalar() == 1
        sizes = dict(conn.execute(sa.text("SELECT id, batch_size FROM profiles")).all())
        assert sizes == {1: None, 2: 250}
        conn.execute(sa.text("DELETE FROM tasks WHERE id = 7"))
        conn.execute(sa.text(
            "INSERT INTO tasks (profile_id, profile_name, kind, status, \"trigger\", "
            "scheduled_at, total, pending, processed, skipped, cancelled, errors, queue_done, "
            "cursor, export_size, batches, work_seconds, created_at) VALUES (1, 'P1', 'export', "
            "'pending', 'manual', CURRENT_TIMESTAMP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "
            "CURRENT_TIMESTAMP)"))
        assert conn.execute(sa.text("SELECT max(id) FROM tasks")).scalar() == 8
    engine.dispose()


def test_the_log_names_the_feed_rows_that_could_not_be_read(ctx):
    from helpers import drain, write_csv

    from syncbeat.engine.artifacts import log_lines

    write_csv(ctx, "a.csv", ["sku", "net_price", "stock", "title"],
              [["A-1", "1.00", 1, "A 1"], ["", "2.00", 2, "no key"], ["A-3", "3.00", 3, "A 3"]])
    task_id = run_now(ctx, str(add_profile(ctx, import_profile()).id))
    drain(ctx)
    with read_tx(ctx.db) as conn:
        task = get_task(conn, task_id)
    text = "".join(log_lines(ctx.db, task))
    assert "could not read 1 row of the feed:\n" in text
    assert "  item 2: the row has no value for its key" in text
    assert "queued 3 items (1 could not be read)" in text
