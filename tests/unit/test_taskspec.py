"""A task's spec as the tasks table stores it: specs written by older versions read, and what
is read is written back key for key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncbeat.domain.profile import ProfileError
from syncbeat.domain.statuses import TaskKind
from syncbeat.domain.taskspec import TaskRun, TaskSpec, is_started

# An import's spec as the first versions stored it (f300436, 91fb3f9): the profile's TOML
# shape with its id and batch size, a snapshot and the feed's rows; no `_run`, no `_catalog`.
OLD_IMPORT = {
    "name": "Supplier A stock", "kind": "import", "timezone": "UTC", "batch_size": 500,
    "enabled": True,
    "source": {"location": "feeds/a.csv", "format": "csv", "delimiter": ";", "quotechar": '"',
               "header": True, "encoding": "utf-8"},
    "match": {"feed": "sku", "catalog": "reference"},
    "mapping": {"price": "net_price", "quantity": "stock"},
    "options": {"create_missing": False, "skip_unchanged": True},
    "id": 3, "_snapshot": "source-1a2b3c4d.csv", "_feed_rows": 120,
}
# An export's, as stored by the same versions: `_since` always there, null or a time.
OLD_EXPORT = {
    "name": "Shop feed", "kind": "export", "timezone": "UTC", "batch_size": 1000,
    "enabled": True, "filter": {"changed_since_last_export": True, "active": True},
    "fields": {"sku": "reference", "price": "price"},
    "destination": {"location": "out/"}, "id": 4,
    "_since": "2026-11-29T10:55:00+00:00",
}


def test_an_import_spec_stored_by_an_older_version_reads_and_is_written_back_as_it_was():
    spec = TaskSpec.from_json(OLD_IMPORT)
    assert spec.kind is TaskKind.IMPORT and spec.profile.id == 3
    assert spec.profile.source is not None and spec.profile.source.delimiter == ";"
    assert spec.profile.feed_fields == ["sku", "net_price", "stock"]
    assert spec.batch_size == 500
    assert spec.run == TaskRun(snapshot="source-1a2b3c4d.csv", feed_rows=120)
    assert spec.run.token is None and spec.run.catalog is None  # written since ab441d0
    assert spec.to_json() == OLD_IMPORT


def test_an_export_spec_keeps_its_since_as_a_time_and_writes_it_as_it_was_stored():
    spec = TaskSpec.from_json(OLD_EXPORT)
    assert spec.run.since == datetime(2026, 11, 29, 10, 55, tzinfo=UTC)
    assert spec.profile.filter_active is True and spec.profile.destination == "out/"
    assert spec.to_json() == OLD_EXPORT
    every = TaskSpec.from_json({**OLD_EXPORT, "_since": None})
    assert every.run.since is None and every.to_json()["_since"] is None


def test_a_spec_of_today_with_every_run_key_reads_and_writes_back():
    stored = {
        **OLD_IMPORT,
        "mapping": {"price": {"from": "net_price", "steps": [{"multiply": 1.21}, {"round": 2}]},
                    "quantity": "stock"},
        "options": {"create_missing": False, "skip_unchanged": True, "missing": "zero_stock"},
        "scope": {"field": "reference", "prefix": "A-"},
        "limits": {"min_rows": 10},
        "_force": True, "_run": "9f1c", "_catalog": "built-in catalog",
        "_failed_limit": True, "_missing_started": True, "_missing_done": True,
        "_missing_after": 0,
    }
    spec = TaskSpec.from_json(stored)
    assert spec.profile.has_limits and spec.profile.missing == "zero_stock"
    assert spec.run.force and spec.run.failed_limit and spec.run.missing_after == 0
    assert spec.to_json() == stored
    changed = spec.with_run(feed_rows=7, missing_done=False).to_json()
    assert changed["_feed_rows"] == 7 and "_missing_done" not in changed


def test_a_pending_task_holds_what_it_was_created_with_and_no_profile():
    assert TaskRun.created_with() is None
    assert TaskRun.created_with(force=True) == {"_force": True}
    rerun = TaskRun.created_with(rerun_of=12, rerun_cancelled=False)
    assert rerun == {"_rerun_of": 12, "_rerun_cancelled": False}
    assert TaskRun.from_json(rerun) == TaskRun(rerun_of=12)
    assert not is_started(rerun) and not is_started(None)
    with pytest.raises(ValueError, match="never started"):
        TaskSpec.from_json(rerun)


def test_a_spec_whose_profile_no_longer_reads_says_which_setting():
    with pytest.raises(ProfileError, match=r"source\.format"):
        TaskSpec.from_json({**OLD_IMPORT, "source": {"location": "a.csv", "format": "pdf"}})
