"""A task's spec, typed: the profile a task started with, the batch size it works with, and
what its run keeps (`TaskRun`); and the JSON the tasks table stores it as.

The stored JSON (the `spec` column of `tasks`) is one object. A pending task's holds only
what it was created with, or nothing (null). When the task starts it becomes the profile in
the shape of its TOML file (`Profile.to_dict()`), with the profile's `id` and the task's
`batch_size` (the profile's, or the default of that moment), and the run's own keys, each
with a leading underscore:

| key | `TaskRun` field | written |
|---|---|---|
| `_force` | `force` | at creation: "run anyway", whatever the safety limits say |
| `_rerun_of` | `rerun_of` | at creation: the task whose failed items this one re-runs |
| `_rerun_cancelled` | `rerun_cancelled` | with `_rerun_of`: its cancelled items too |
| `_run` | `token` | at start: this run, which keys what a catalog keeps |
| `_catalog` | `catalog` | at start: the catalog every batch must work on |
| `_snapshot` | `snapshot` | at an import's start: its copy of the feed, in the task's folder |
| `_since` | `since` | at an export's start: ISO 8601 time, or null for every product |
| `_feed_rows` | `feed_rows` | once an import is queued whole: the feed's rows |
| `_failed_limit` | `failed_limit` | when an import broke a safety limit |
| `_missing_started`, `_missing_done`, `_missing_after` | `missing_*` | while the products |
| | | missing from an import's feed are acted on |

This is the format every version of syncbeat has written; a key an older version did not
write reads as its default (a spec without `_run` or `_catalog`, say), so `from_json` reads
every stored spec and `to_json` writes what `from_json` read, key for key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeGuard

from syncbeat.domain.profile import Profile, parse_profile
from syncbeat.domain.statuses import TaskKind


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskRun:
    """The keys of a task's spec that belong to its run, not to its profile. A pending task
    has the first three (`created_with`); the others are written as the run goes."""

    force: bool = False  # run it whatever its safety limits say
    rerun_of: int | None = None  # the task whose failed items it re-runs
    rerun_cancelled: bool = False  # ... and that task's cancelled items too
    token: str | None = None  # this run (a reused task id never finds another run's records)
    catalog: str | None = None  # the catalog it started on, as shown (no password)
    snapshot: str | None = None  # an import's copy of its feed, a name in the task's folder
    since: datetime | None = None  # an export's "changed since" (None: every product)
    feed_rows: int | None = None  # an import's feed rows, once queued whole
    failed_limit: bool = False  # it ended in error on a safety limit
    missing_started: bool = False  # the feed's keys were checked for missing products
    missing_done: bool = False  # its products missing from the feed are acted on
    missing_after: int | None = None  # ... up to this product id (catalogs without fast path)

    @classmethod
    def created_with(cls, *, force: bool = False, rerun_of: int | None = None,
                     rerun_cancelled: bool = False) -> Mapping[str, Any] | None:
        """The stored JSON of a new pending task ("run anyway", "re-run what failed"): what
        `create_task` stores, and the task's spec keeps when it starts; None for neither."""
        flags = cls(force=force, rerun_of=rerun_of, rerun_cancelled=rerun_cancelled)
        return flags.to_json() or None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> TaskRun:
        """Read the run's keys of a stored spec (any task's, pending or not)."""
        if not data:
            return cls()
        rerun_of = data.get("_rerun_of")
        since = data.get("_since")
        feed_rows = data.get("_feed_rows")
        after = data.get("_missing_after")
        return cls(
            force=bool(data.get("_force")),
            rerun_of=int(rerun_of) if rerun_of else None,
            rerun_cancelled=bool(data.get("_rerun_cancelled")),
            token=str(data["_run"]) if data.get("_run") else None,
            catalog=data.get("_catalog"),
            snapshot=str(data["_snapshot"]) if data.get("_snapshot") else None,
            since=datetime.fromisoformat(since) if since else None,
            feed_rows=int(feed_rows) if feed_rows is not None else None,
            failed_limit=bool(data.get("_failed_limit")),
            missing_started=bool(data.get("_missing_started")),
            missing_done=bool(data.get("_missing_done")),
            missing_after=int(after) if after is not None else None,
        )

    def to_json(self, kind: TaskKind | None = None) -> dict[str, Any]:
        """The run's keys as stored: each only when set, as the engine has always written
        them; an export (`kind`) that started always has `_since`, null or a time."""
        data: dict[str, Any] = {}
        if self.force:
            data["_force"] = True
        if self.rerun_of is not None:
            data["_rerun_of"] = self.rerun_of
            data["_rerun_cancelled"] = self.rerun_cancelled
        if self.token is not None:
            data["_run"] = self.token
        if self.catalog is not None:
            data["_catalog"] = self.catalog
        if self.snapshot is not None:
            data["_snapshot"] = self.snapshot
        if kind is TaskKind.EXPORT:
            data["_since"] = self.since.isoformat() if self.since else None
        if self.feed_rows is not None:
            data["_feed_rows"] = self.feed_rows
        if self.failed_limit:
            data["_failed_limit"] = True
        if self.missing_started:
            data["_missing_started"] = True
        if self.missing_done:
            data["_missing_done"] = True
        if self.missing_after is not None:
            data["_missing_after"] = self.missing_after
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskSpec:
    """What a started task works from: built once when it starts (`engine.start`), stored as
    JSON, and read back by every step that works the task (in any worker process)."""

    profile: Profile  # the profile as it was when the task started (its id included)
    batch_size: int  # the profile's batch size, or the default when the task started
    run: TaskRun

    @property
    def kind(self) -> TaskKind:
        """Import or export."""
        return self.profile.kind

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TaskSpec:
        """Read a started task's stored spec. ValueError for one that holds no profile (a
        task that never started); `ProfileError` (a ValueError) for a profile that no longer
        reads, which only a spec edited by hand gets."""
        if not is_started(data):
            raise ValueError("the task never started: its spec holds no profile")
        return cls(profile=profile_of(data), batch_size=int(data["batch_size"]),
                   run=TaskRun.from_json(data))

    def with_run(self, **changes: Any) -> TaskSpec:
        """The same spec with some of its run's fields changed (`TaskRun`'s names)."""
        return replace(self, run=replace(self.run, **changes))

    def to_json(self) -> dict[str, Any]:
        """The spec as the tasks table stores it (the module's docstring has its keys)."""
        data = self.profile.to_dict()
        data["id"] = self.profile.id
        data["batch_size"] = self.batch_size
        data.update(self.run.to_json(self.profile.kind))
        return data


def is_started(data: Mapping[str, Any] | None) -> TypeGuard[Mapping[str, Any]]:
    """Does a stored spec hold a profile (its task started)?"""
    return data is not None and "kind" in data


def profile_of(data: Mapping[str, Any]) -> Profile:
    """The profile part of a stored spec (the keys without a leading underscore): checked
    when it was saved, so its fields are not checked against a catalog again."""
    return parse_profile({k: v for k, v in data.items() if not k.startswith("_")}, known=None)
