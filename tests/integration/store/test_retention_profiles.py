"""Store contract: retention (old final tasks found and deleted with their items and log),
the lookups the heartbeat makes across tasks, profiles and settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from storetools import add_profile, add_task, task_row

from syncbeat.domain.profile import ProfileError, parse_profile
from syncbeat.domain.statuses import TaskStatus
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.items import insert_items
from syncbeat.store.logs import add_log, tail_log
from syncbeat.store.profiles import (
    delete_profile_row,
    get_profile,
    list_profiles,
    set_enabled,
    update_profile,
)
from syncbeat.store.settings import (
    RuntimeSettings,
    last_heartbeat,
    load_settings,
    record_heartbeat,
    save_settings,
)
from syncbeat.store.tasks import (
    TaskFilter,
    count_tasks,
    create_task,
    delete_items_chunk,
    delete_task_rows,
    expired_task_ids,
    get_task,
    last_completed_export,
    last_feed_rows,
    last_task_of_profiles,
    list_tasks,
    move_task,
    scheduled_placeholders,
    update_task,
)

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _ended(db, profile, status, finished):
    task_id = add_task(db, profile, finished - timedelta(minutes=1),
                       status=TaskStatus.RUNNING if status is TaskStatus.COMPLETED
                       else TaskStatus.PENDING)
    with write_tx(db) as conn:
        assert move_task(conn, task_id, status, now=finished)
    return task_id


def test_retention_finds_final_tasks_finished_before_it_oldest_first(db):
    profile = add_profile(db, NOW)
    old_missed = _ended(db, profile, TaskStatus.MISSED, NOW - 40 * DAY)
    old_done = _ended(db, profile, TaskStatus.COMPLETED, NOW - 31 * DAY)
    _ended(db, profile, TaskStatus.COMPLETED, NOW - 29 * DAY)  # inside the retention
    add_task(db, profile, NOW - 60 * DAY)  # pending: never expires
    add_task(db, profile, NOW - 60 * DAY, status=TaskStatus.RUNNING)
    with read_tx(db) as conn:
        assert expired_task_ids(conn, NOW - 30 * DAY) == [old_missed, old_done]
        assert expired_task_ids(conn, NOW - 30 * DAY, limit=1) == [old_missed]


def test_a_task_is_deleted_with_its_items_and_log_and_its_id_is_never_given_again(db):
    profile = add_profile(db, NOW)
    task_id = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    other = add_task(db, profile, NOW, status=TaskStatus.RUNNING)
    with write_tx(db) as conn:
        for one in (task_id, other):
            insert_items(conn, one, [(n, f"P{n}", None, 0, None) for n in range(1, 6)])
            add_log(conn, one, NOW, "started")
    with write_tx(db) as conn:
        assert delete_items_chunk(conn, task_id, chunk=2) == 2
        assert delete_items_chunk(conn, task_id, chunk=2) == 2
    with write_tx(db) as conn:
        assert delete_task_rows(conn, task_id)
        assert not delete_task_rows(conn, task_id)
        assert delete_items_chunk(conn, task_id) == 0
    with read_tx(db) as conn:
        assert get_task(conn, task_id) is None
        assert tail_log(conn, task_id) == []
        assert tail_log(conn, other) == [(NOW, "info", "started")]
    newest = add_task(db, profile, NOW)
    assert newest > other


def test_last_completed_export_is_the_newest_one_of_that_profile(db):
    export = add_profile(db, NOW, "Feed out", kind="export", source=None, match=None,
                         mapping=None, destination={"location": "exports/"},
                         fields={"sku": "reference", "price": "price"})
    _ended(db, export, TaskStatus.COMPLETED, NOW - 2 * DAY)
    newest = _ended(db, export, TaskStatus.COMPLETED, NOW - DAY)
    add_task(db, export, NOW, status=TaskStatus.RUNNING)
    with read_tx(db) as conn:
        found = last_completed_export(conn, export.id)
        assert found is not None and found.id == newest
        assert last_completed_export(conn, export.id + 1) is None


def test_last_feed_rows_reads_the_newest_full_import_not_a_rerun(db):
    profile = add_profile(db, NOW)
    with read_tx(db) as conn:
        assert last_feed_rows(conn, profile.id, 0) is None
    full = _ended(db, profile, TaskStatus.COMPLETED, NOW - 2 * DAY)
    rerun = _ended(db, profile, TaskStatus.COMPLETED, NOW - DAY)
    with write_tx(db) as conn:
        update_task(conn, full, spec={"_feed_rows": 120}, total=100)
        update_task(conn, rerun, spec={"_rerun_of": full}, total=3)
    with read_tx(db) as conn:
        assert last_feed_rows(conn, profile.id, before_task=999) == 120
        assert last_feed_rows(conn, profile.id, before_task=full) is None


def test_last_task_of_each_profile_and_the_scheduled_placeholders(db):
    first = add_profile(db, NOW, "First")
    second = add_profile(db, NOW, "Second")
    add_task(db, first, NOW - DAY, status=TaskStatus.COMPLETED)
    newest_first = add_task(db, first, NOW + DAY, trigger="schedule")
    newest_second = add_task(db, second, NOW, status=TaskStatus.RUNNING)
    with read_tx(db) as conn:
        last = last_task_of_profiles(conn)
        placeholders = scheduled_placeholders(conn)
    assert {k: v.id for k, v in last.items()} == {first.id: newest_first,
                                                   second.id: newest_second}
    assert placeholders == {first.id: [NOW + DAY]}


def test_list_and_count_tasks_filter_sort_and_page(db):
    first = add_profile(db, NOW, "First")
    second = add_profile(db, NOW, "Second")
    a = add_task(db, first, NOW - DAY, status=TaskStatus.COMPLETED)
    b = add_task(db, first, NOW, status=TaskStatus.RUNNING)
    c = add_task(db, second, NOW + DAY)
    with read_tx(db) as conn:
        assert [t.id for t in list_tasks(conn)] == [c, b, a]
        assert [t.id for t in list_tasks(conn, TaskFilter(profile="First"))] == [b, a]
        assert [t.id for t in list_tasks(conn, TaskFilter(profile=str(second.id)))] == [c]
        assert [t.id for t in list_tasks(conn, TaskFilter(status=["running", "pending"]))] == [
            c, b]
        assert [t.id for t in list_tasks(conn, TaskFilter(since=NOW, until=NOW + DAY))] == [b]
        assert [t.id for t in list_tasks(conn, sort="scheduled_at", descending=False)] == [
            a, b, c]
        assert [t.id for t in list_tasks(conn, limit=1, offset=1)] == [b]
        assert count_tasks(conn) == 3
        assert count_tasks(conn, TaskFilter(kind="export")) == 0


def test_profiles_are_saved_renamed_disabled_and_deleted_keeping_their_tasks(db):
    profile = add_profile(db, NOW, "Supplier A", schedule="0 6 * * *")
    task_id = add_task(db, profile, NOW - DAY, status=TaskStatus.COMPLETED)
    with write_tx(db) as conn:
        placeholder = create_task(conn, profile, scheduled_at=NOW + DAY, trigger="schedule",
                                  now=NOW)
    with read_tx(db) as conn:
        assert get_profile(conn, "Supplier A") == get_profile(conn, profile.id) == profile
        assert [p.name for p in list_profiles(conn, scheduled_only=True)] == ["Supplier A"]
    with write_tx(db) as conn:
        assert set_enabled(conn, profile.id, False, NOW)
        assert not set_enabled(conn, 999, False, NOW)
    with read_tx(db) as conn:
        assert list_profiles(conn, scheduled_only=True) == []
        assert get_task(conn, placeholder) is None  # a disabled profile schedules nothing
        stored = get_profile(conn, profile.id)
    assert stored is not None and stored.enabled is False
    with write_tx(db) as conn:
        assert delete_profile_row(conn, profile.id)
        assert not delete_profile_row(conn, profile.id)
    row = task_row(db, task_id)
    assert (row["profile_id"], row["profile_name"]) == (None, "Supplier A")


def test_a_profile_name_is_taken_once(db):
    first = add_profile(db, NOW, "First")
    add_profile(db, NOW, "Second")
    with pytest.raises(ProfileError) as caught:
        add_profile(db, NOW, "First")
    assert "a profile named 'First' exists already" in str(caught.value)
    renamed = parse_profile({**first.to_dict(), "name": "Second"})
    with pytest.raises(ProfileError), write_tx(db) as conn:
        update_profile(conn, first.id, renamed, NOW)
    with read_tx(db) as conn:
        assert [p.name for p in list_profiles(conn)] == ["First", "Second"]


def test_settings_are_defaults_until_saved_and_a_bad_one_is_refused(db):
    with read_tx(db) as conn:
        assert load_settings(conn) == RuntimeSettings()
        assert last_heartbeat(conn) is None
    with write_tx(db) as conn:
        saved = save_settings(conn, {"retention_days": "7", "timezone": "Europe/Paris"})
        record_heartbeat(conn, NOW, {"started": 2})
        record_heartbeat(conn, NOW + DAY, {"started": 1})
    assert (saved.retention_days, saved.timezone) == (7, "Europe/Paris")
    for bad, words in (({"retention_days": 0}, "retention_days: must be between 1"),
                       ({"nope": 1}, "nope: no such setting"),
                       ({"lease_seconds": "x"}, "lease_seconds: 'x' is not a number")):
        with pytest.raises(ValueError, match=words), write_tx(db) as conn:
            save_settings(conn, bad)
    with read_tx(db) as conn:
        assert load_settings(conn) == saved
        assert last_heartbeat(conn) == {"at": (NOW + DAY).isoformat(), "started": 1}
