"""Store contract: a running task is worked under a lease (an owner and an expiry); a worker
claims it, renews it, loses it when it expires, and hands it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storetools import add_profile, add_task, task_row

from syncbeat.domain.statuses import TaskStatus
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.tasks import (
    LeaseHeld,
    claim,
    clear_waiting,
    leases_held_on,
    note_waiting,
    release_expired_leases,
    release_lease,
    release_leases,
    running_tasks,
    update_task,
    waiting_tasks,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)


def _claim(db, task_id, owner, now=NOW):
    with write_tx(db) as conn:
        return claim(conn, task_id, owner=owner, now=now, lease=LEASE)


def _lease(db, task_id):
    row = task_row(db, task_id)
    return row["lease_owner"], row["lease_until"]


def test_a_claim_takes_an_unleased_running_task(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    assert _claim(db, task_id, "host:1")
    assert _lease(db, task_id) == ("host:1", NOW + LEASE)


def test_a_live_lease_of_another_worker_is_not_claimed(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    assert _claim(db, task_id, "host:1")
    assert not _claim(db, task_id, "host:2", NOW + LEASE - timedelta(seconds=1))
    assert _lease(db, task_id) == ("host:1", NOW + LEASE)


def test_the_holder_renews_its_lease(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    assert _claim(db, task_id, "host:1")
    later = NOW + timedelta(seconds=60)
    assert _claim(db, task_id, "host:1", later)
    assert _lease(db, task_id) == ("host:1", later + LEASE)


def test_an_expired_lease_is_claimed_by_another_worker(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    assert _claim(db, task_id, "host:1")
    later = NOW + LEASE + timedelta(seconds=1)
    assert _claim(db, task_id, "host:2", later)
    assert _lease(db, task_id) == ("host:2", later + LEASE)


def test_only_a_running_task_is_claimed(db):
    profile = add_profile(db, NOW)
    for status in (TaskStatus.PENDING, TaskStatus.COMPLETED, TaskStatus.KILLED):
        task_id = add_task(db, profile, NOW, status=status)
        assert not _claim(db, task_id, "host:1")
        assert _lease(db, task_id) == (None, None)
    assert not _claim(db, 999, "host:1")


def test_running_tasks_are_those_a_worker_may_claim_least_recently_worked_first(db):
    profile = add_profile(db, NOW)
    mine = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    theirs = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    expired = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    free = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    add_task(db, profile, NOW)  # pending: not running
    assert _claim(db, expired, "host:2", NOW - LEASE - timedelta(seconds=5))
    assert _claim(db, mine, "host:1")
    assert _claim(db, theirs, "host:2")
    with write_tx(db) as conn:
        update_task(conn, theirs, queue_done=True)  # queued, nothing pending: theirs alone
        found = [t.id for t in running_tasks(conn, NOW, "host:1")]
    assert found == [free, expired, mine]
    with write_tx(db) as conn:
        assert [t.id for t in running_tasks(conn, NOW, "host:1", limit=1)] == [free]
    # An import another worker holds is listed while it is queued or has items pending:
    # this worker may work batches of it, each on a range of its own.
    for values in ({"queue_done": False}, {"queue_done": True, "pending": 5}):
        with write_tx(db) as conn:
            update_task(conn, theirs, **values)
            assert theirs in [t.id for t in running_tasks(conn, NOW, "host:1")]


def test_release_expired_leases_forgets_only_the_expired_ones(db):
    profile = add_profile(db, NOW)
    old = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    live = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    assert _claim(db, old, "host:1", NOW - LEASE - timedelta(seconds=1))
    assert _claim(db, live, "host:2")
    with write_tx(db) as conn:
        assert release_expired_leases(conn, NOW) == 1
    assert _lease(db, old) == (None, None)
    assert _lease(db, live) == ("host:2", NOW + LEASE)


def test_leases_held_on_a_host_by_other_workers(db):
    profile = add_profile(db, NOW)
    other = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    own = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    elsewhere = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    assert _claim(db, other, "alpha:11:a")
    assert _claim(db, own, "alpha:12:b")
    assert _claim(db, elsewhere, "beta:11:a")
    with read_tx(db) as conn:
        held = leases_held_on(conn, "alpha", NOW, "alpha:12:b")
    assert held == [LeaseHeld(task_id=other, owner="alpha:11:a")]


def test_release_lease_only_while_that_owner_still_holds_it(db):
    task_id = add_task(db, add_profile(db, NOW), NOW, status=TaskStatus.RUNNING)
    assert _claim(db, task_id, "host:1")
    gone = LeaseHeld(task_id=task_id, owner="host:9")
    with write_tx(db) as conn:
        assert not release_lease(conn, gone)
        assert release_lease(conn, LeaseHeld(task_id=task_id, owner="host:1"))
    assert _lease(db, task_id) == (None, None)


def test_release_leases_hands_back_every_task_of_one_worker(db):
    profile = add_profile(db, NOW)
    a = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    b = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    c = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    for task_id, owner in ((a, "host:1"), (b, "host:1"), (c, "host:2")):
        assert _claim(db, task_id, owner)
    with write_tx(db) as conn:
        release_leases(conn, "host:1")
    assert _lease(db, a) == _lease(db, b) == (None, None)
    assert _lease(db, c) == ("host:2", NOW + LEASE)


def test_a_waiting_worker_notes_why_on_its_tasks_and_clears_it(db):
    profile = add_profile(db, NOW)
    mine = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    taken = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    assert _claim(db, mine, "host:1")
    assert _claim(db, taken, "host:2")  # another live worker took it meanwhile
    note = "waiting for the database since 09:00: the disk is full"
    with write_tx(db) as conn:
        assert waiting_tasks(conn, [mine, taken], "host:1", NOW) == [mine]
        assert note_waiting(conn, [mine, taken], "host:1", NOW, note) == [mine]
    assert task_row(db, mine)["message"] == note
    assert task_row(db, taken)["message"] is None
    with write_tx(db) as conn:
        clear_waiting(conn, [mine, taken], "waiting for the database")
    assert task_row(db, mine)["message"] is None
