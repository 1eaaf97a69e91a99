"""A worker's figures for `worker --stats`: each process that read a feed counted as it
ends, with the worker's own; progress lines told from events by their type."""

from __future__ import annotations

from syncbeat.engine.events import ChildEnded, ProgressLine, RunStats, is_progress, joined
from syncbeat.store.db import WriteStats


def _writes(*seconds: float, waited: float = 0.0) -> WriteStats:
    writes = WriteStats()
    for one in seconds:
        writes.add(one, waited=waited)
    return writes


def test_the_figures_of_a_run_add_the_children_to_the_worker():
    stats = RunStats()
    stats.child_ended(ChildEnded(peak_kb=40_000, writes=_writes(0.5, 0.25)))
    stats.child_ended(ChildEnded(peak_kb=60_000, writes=_writes(0.125, waited=2.0)))
    stats.own_writes = _writes(1.0, 0.5)
    assert (stats.children, stats.child_peak_kb) == (2, 60_000)  # the largest child's
    every = stats.writes
    assert (every.count, every.longest, every.total, every.longest_wait) == (
        5, 1.0, 2.375, 2.0)
    assert (stats.own_writes.count, stats.child_writes.count) == (2, 3)  # neither changed


def test_the_worker_takes_its_own_figures_as_it_ends():
    stats = RunStats()
    stats.worker_ended()
    assert stats.own_peak_kb > 0  # this process's peak memory, read from the system


def test_batches_said_as_one_line_are_progress_if_any_is():
    batch = ProgressLine("task 1: batch 2: items 11-20: 10 processed")
    assert is_progress(batch) and not is_progress("task 1 (Stock) completed")
    assert is_progress(joined([batch, "task 1: held by another worker"]))
    assert not is_progress(joined(["task 1: nothing left to work"]))
    assert joined([batch, batch]) == f"{batch}\n{batch}"
