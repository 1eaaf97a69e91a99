"""Builders for the store contract suite: profiles, tasks in any status, rows as stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from syncbeat.domain.profile import Profile, parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.profiles import insert_profile
from syncbeat.store.tables import tasks
from syncbeat.store.tasks import create_task, move_task


def profile_data(name: str = "Supplier A", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "kind": "import",
        "source": {"location": "feeds/a.csv", "format": "csv"},
        "match": {"feed": "sku", "catalog": "reference"},
        "mapping": {"price": "price"},
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def add_profile(db: Engine, now: datetime, name: str = "Supplier A", **overrides: Any) -> Profile:
    with write_tx(db) as conn:
        return insert_profile(conn, parse_profile(profile_data(name, **overrides)), now)


def add_task(db: Engine, profile: Profile, at: datetime, *, trigger: str = "manual",
             status: TaskStatus = TaskStatus.PENDING) -> int:
    """A task of `profile` scheduled at `at`, brought to `status` by the allowed moves."""
    path = {
        TaskStatus.PENDING: [],
        TaskStatus.RUNNING: [TaskStatus.RUNNING],
        TaskStatus.MISSED: [TaskStatus.MISSED],
        TaskStatus.KILLED: [TaskStatus.KILLED],
        TaskStatus.ERROR: [TaskStatus.ERROR],
        TaskStatus.COMPLETED: [TaskStatus.RUNNING, TaskStatus.COMPLETED],
    }[status]
    with write_tx(db) as conn:
        task_id = create_task(conn, profile, scheduled_at=at, trigger=trigger, now=at)
        assert task_id is not None
        for step in path:
            assert move_task(conn, task_id, step, now=at)
    return task_id


def task_row(db: Engine, task_id: int) -> dict[str, Any]:
    """The task's row as stored, by column name."""
    with read_tx(db) as conn:
        row = conn.execute(sa.select(tasks).where(tasks.c.id == task_id)).first()
    assert row is not None, f"task {task_id} is gone"
    return dict(row._mapping)


def counters(db: Engine, task_id: int) -> dict[str, int]:
    row = task_row(db, task_id)
    return {name: row[name] for name in
            ("total", "pending", "processed", "skipped", "cancelled", "errors")}
