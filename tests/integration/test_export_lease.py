"""An export being written and delivered keeps its task with a lease of the configured length,
renewed while it works: a worker that dies while delivering loses the task after one lease
(not a fixed 15 minutes), and a live one never loses it to a second delivery."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from helpers import add_products, add_profile, task_of

from feedserver import feed_server
from syncbeat.domain.statuses import TaskStatus
from syncbeat.engine.actions import run_now
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.feeds.netguard import HostPolicy
from syncbeat.feeds.reach import Reach
from syncbeat.store.db import write_tx
from syncbeat.store.settings import save_settings
from syncbeat.store.tasks import claim, update_task


def _lease_until(ctx, task_id):
    return task_of(ctx, task_id).lease_until


def test_a_delivering_export_holds_its_task_for_the_configured_lease_and_renews_it(ctx, clock):
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"))
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"lease_seconds": 3})
    add_products(ctx, ("A1", "10.00", 3), ("A2", "11.00", 4))
    with feed_server(b"ok") as server:
        server.hold = threading.Event()
        profile = add_profile(ctx, {
            "name": "To the app", "kind": "export", "batch_size": 10,
            "fields": {"sku": "reference", "price": "price"},
            "destination": {"location": server.url("/upload")},
        })
        task_id = run_now(ctx, profile.id)
        heartbeat = Heartbeat(ctx)

        def work() -> None:
            for _ in range(20):
                if not heartbeat.tick().more:
                    return

        worker = threading.Thread(target=work)
        worker.start()
        assert server.arrived.wait(20)  # delivering: the server holds the answer
        lease = timedelta(seconds=3)
        assert _lease_until(ctx, task_id) == clock() + lease  # not 15 minutes
        later = clock.advance(seconds=10)  # the first lease is over by the test's clock...
        deadline = time.monotonic() + 10
        while _lease_until(ctx, task_id) != later + lease and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _lease_until(ctx, task_id) == later + lease  # ...but the live worker renewed it
        with write_tx(ctx.db) as conn:  # so another worker cannot take it and deliver again
            assert not claim(conn, task_id, owner="other-worker", now=later, lease=lease)
        server.hold.set()
        worker.join(20)
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.COMPLETED
    assert len(server.requests) == 1


def _export_to(ctx, server) -> int:
    ctx.reach = Reach.create(data_dir=ctx.data_dir, hosts=HostPolicy.parse("127.0.0.1"))
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"lease_seconds": 3})
    add_products(ctx, ("A1", "10.00", 3), ("A2", "11.00", 4))
    profile = add_profile(ctx, {
        "name": "To the app", "kind": "export", "batch_size": 10,
        "fields": {"sku": "reference", "price": "price"},
        "destination": {"location": server.url("/upload")},
    })
    return run_now(ctx, profile.id)


def _take_over(ctx, task_id, clock) -> None:
    """Another worker takes the task, as after this one was paused past its lease."""
    with write_tx(ctx.db) as conn:
        update_task(conn, task_id, lease_owner="other-worker",
                    lease_until=clock() + timedelta(hours=1))


def test_an_export_whose_lease_moved_while_its_file_was_written_is_not_delivered(
        ctx, clock, monkeypatch):
    import syncbeat.engine.finish as finish

    written = finish.finish_export

    def write_then_lose_the_lease(*args, **kwargs):
        size = written(*args, **kwargs)
        _take_over(ctx, task_id, clock)
        return size

    monkeypatch.setattr(finish, "finish_export", write_then_lose_the_lease)
    with feed_server(b"ok") as server:
        task_id = _export_to(ctx, server)
        heartbeat = Heartbeat(ctx)
        said = [line for _ in range(5) for line in heartbeat.tick().lines]
        assert server.requests == []  # never delivered by the worker that lost it
    assert any("lease moved to another worker" in line for line in said), said
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.RUNNING  # the other worker finishes it
    assert task.lease_owner == "other-worker"


def test_an_export_whose_lease_moved_while_it_was_delivered_is_not_completed(ctx, clock):
    with feed_server(b"ok") as server:
        server.hold = threading.Event()
        task_id = _export_to(ctx, server)
        heartbeat = Heartbeat(ctx)
        said: list[str] = []

        def work() -> None:
            for _ in range(5):
                said.extend(heartbeat.tick().lines)

        worker = threading.Thread(target=work)
        worker.start()
        assert server.arrived.wait(20)
        _take_over(ctx, task_id, clock)
        server.hold.set()
        worker.join(30)
    assert any("taken over by another worker" in line for line in said), said
    task = task_of(ctx, task_id)
    assert task.status is TaskStatus.RUNNING
    assert task.lease_owner == "other-worker" and task.finished_at is None
