"""Two workers writing the same setting at once (the heartbeat's last tick, on a fresh
PostgreSQL database) both succeed: a setting is written with one upsert, not an UPDATE and
then an INSERT that races another writer's INSERT (UniqueViolation "pk_settings")."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from syncbeat.store.db import read_tx
from syncbeat.store.settings import last_heartbeat, record_heartbeat


def test_two_writers_of_a_new_setting_both_succeed(ctx):
    if ctx.db.dialect.name != "postgresql":
        pytest.skip("SQLite's write transactions take turns: two writers cannot interleave")
    first, second = ctx.db.connect(), ctx.db.connect()
    failures: list[BaseException] = []
    try:
        first.begin()
        second.begin()
        at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        record_heartbeat(first, at, {"by": "worker-1"})  # holds the new key, uncommitted

        def later() -> None:
            try:
                # Waits for the first writer's row, then must update it, not fail.
                record_heartbeat(second, at.replace(second=1), {"by": "worker-2"})
                second.commit()
            except BaseException as exc:  # reported below
                failures.append(exc)

        waiting = threading.Thread(target=later)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # blocked on the first writer's key, as an INSERT would be
        first.commit()
        waiting.join(10)
    finally:
        first.close()
        second.close()
    assert failures == []
    with read_tx(ctx.db) as conn:
        beat = last_heartbeat(conn)
    assert beat is not None and beat["by"] == "worker-2"
