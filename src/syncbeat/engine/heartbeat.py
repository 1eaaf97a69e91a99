"""One tick of the heartbeat: schedule, start, process one batch per running task, finish, tidy."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from syncbeat.domain.task import Task
from syncbeat.engine.batch import run_batch
from syncbeat.engine.context import Context
from syncbeat.engine.events import RunStats, joined
from syncbeat.engine.failures import step_failed
from syncbeat.engine.finish import finish_task
from syncbeat.engine.missing import acts_on_missing, missing_step
from syncbeat.engine.notify import deliver_due
from syncbeat.engine.queueing import forget_reader
from syncbeat.engine.queuers import InBackground, InTick, Queueing
from syncbeat.engine.scheduling import schedule
from syncbeat.engine.start import start_due
from syncbeat.engine.tidy import release_gone_leases, tidy
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.settings import RuntimeSettings, load_settings, record_heartbeat
from syncbeat.store.tasks import any_work, pending_held, running_tasks

TIDY_EVERY = 60.0  # seconds between two tidies by one process
RECORD_EVERY = 1.0  # seconds between two records of "the heartbeat is alive"
PLAN_EVERY = 1.0  # seconds between two looks at schedules (and settings) by a busy worker
# Seconds a busy worker with one task works batch after batch of it within one tick (each
# batch its own transaction, so a kill still waits for one batch), rather than a tick a
# batch: the tick's own reads (settings, running tasks) are paid once for all of them.
BATCHES_FOR = 0.25


# What a task's step says when it is another worker's turn (see `TickReport.later`).
LATER = ""


@dataclass
class TickReport:
    """What a tick did, in lines for people, and whether work remains."""

    lines: list[str] = field(default_factory=list)
    worked: int = 0  # tasks this tick queued, batched or finished
    more: bool = False  # running tasks remain, or pending ones whose time has come
    waiting: bool = False  # a task waits for its queueing process: tick again soon
    # An import another worker queues or works will have ranges for this one, or will be
    # finished by this one once their batches end: tick again in a moment.
    later: bool = False


@dataclass
class Heartbeat:
    """Ticks for one process; remembers when it last tidied and recorded itself.

    A long-running worker passes `background=True`: it ticks back to back, so while busy it
    looks at schedules once a second and gives a task it works alone several batches a tick;
    and a big import feed is queued by a child process while the ticks work its batches
    (`engine.queuers.InBackground`); `close()` stops the children. A one-shot tick (cron,
    tests) plans every tick and queues within the tick (`engine.queuers.InTick`).
    """

    ctx: Context
    background: bool = False
    stats: RunStats = field(default_factory=RunStats)  # the figures of a worker's run
    last_tidy: float = field(default=-1e18)
    last_record: float = field(default=-1e18)
    last_plan: float = field(default=-1e18)
    settings: RuntimeSettings | None = None  # as last read; a busy worker reads them once a second
    busy: bool = False  # the last tick worked something
    queueing: Queueing = field(init=False)
    # The tick in progress, or the last one: what it committed before an outage (raised out
    # of `tick`) cut it short, for a command to say what is kept.
    current: TickReport = field(default_factory=TickReport, init=False)
    working: int | None = field(default=None, init=False)  # the task a step is at, or None

    def __post_init__(self) -> None:
        self.queueing = InBackground(self.ctx, self.stats) if self.background else InTick(self.ctx)

    def close(self) -> list[str]:
        """Stop background queueing after its chunk in flight; what it said last."""
        return self.queueing.close()

    def tick(self, stop: threading.Event | None = None) -> TickReport:
        """One bounded tick: schedule, start, then each running task's next step (queue,
        process a batch, or finish), then tidy. `stop` is checked between tasks: a stopping
        worker ends after the batch in flight."""
        ctx = self.ctx
        report = self.current = TickReport()
        self.working = None
        now = ctx.clock()
        settings, plan = self._read_settings()
        deadline = time.perf_counter() + settings.time_budget_seconds
        lease = timedelta(seconds=settings.lease_seconds)
        if plan:
            window = timedelta(minutes=settings.start_window_minutes)
            report.lines += schedule(ctx, now, window)  # 1. schedule
            report.lines += start_due(ctx, now)  # 2. start
            report.lines += release_gone_leases(ctx, now)
        with read_tx(ctx.db) as conn:
            candidates = running_tasks(conn, now, ctx.owner)
        report.lines += self.queueing.lines()
        for task in candidates:  # 3. process, 4. finish: one step a running task
            if stop is not None and stop.is_set():
                break
            if report.worked and time.perf_counter() > deadline:
                break  # the rest wait for the next tick: a tick stays within its budget
            self._step(task, deadline, lease, report, alone=len(candidates) == 1, stop=stop)
        if self.queueing.busy():
            # Another process queueing holds a task's row (PostgreSQL skips it) or is about
            # to commit items: look again soon rather than after the idle interval.
            report.waiting = True
        self._forget_others(candidates)
        self._housekeeping(settings, report)  # 5. tidy
        # A busy worker ticks again anyway; the question is asked when a tick finds nothing.
        self.busy = report.worked > 0
        report.more = (self.background and self.busy) or has_work(ctx, ctx.clock())
        return report

    def _read_settings(self) -> tuple[RuntimeSettings, bool]:
        """The settings, read again when this tick plans (every tick of a one-shot
        heartbeat; once a second for a busy worker), and whether it plans."""
        clock = time.monotonic()
        plan = not self.background or not self.busy or clock - self.last_plan >= PLAN_EVERY
        if plan or self.settings is None:
            with read_tx(self.ctx.db) as conn:
                self.settings = load_settings(conn)
        if plan:
            self.last_plan = clock
        return self.settings, plan

    def _step(self, task: Task, deadline: float, lease: timedelta, report: TickReport, *,
              alone: bool, stop: threading.Event | None) -> None:
        """The task's next step, its line in the report; a failure is the task's, counted."""
        self.working = task.id  # an outage raised from here was this task's
        try:
            line = self._work(task, deadline, lease, alone=alone, stop=stop)
        except Exception as exc:  # one task's failure must not stop the heartbeat
            line = step_failed(self.ctx, task, self._step_name(task), exc)
        self.working = None
        if line is None:
            report.waiting = True
        elif line is LATER:
            report.later = True
        else:
            report.lines.append(line)
            report.worked += 1

    def _work(self, task: Task, deadline: float, lease: timedelta, *, alone: bool = False,
              stop: threading.Event | None = None) -> str | None:
        """Queue, work a batch of, or finish the task; None when it waits for another
        process (queueing it, or working its last batches). A worker's only task (`alone`)
        may get several batches (`_batches`) until `stop` is set. An import another worker
        holds gets batches only: several workers work one import on ranges of their own."""
        ctx = self.ctx
        if task.held_by_another(ctx.owner, ctx.clock()):
            if task.progress.pending <= 0 or waits_for_whole_feed(task):
                return LATER  # being queued by the other worker
            return self._batch(task, deadline, lease, alone=alone, stop=stop)
        if not task.queue_done:
            settled = self.queueing.settled(task)
            if settled is None:
                return None  # killed, or ended, while another process queued it
            task = settled
        if not task.queue_done:
            if not self.queueing.reading(task.id):
                return self.queueing.queue(task, deadline, lease)
            if task.progress.pending <= 0 or waits_for_whole_feed(task):
                return None
        if task.progress.pending > 0:
            return self._batch(task, deadline, lease, alone=alone, stop=stop)
        if acts_on_missing(task):
            return missing_step(ctx, task, lease)
        return finish_task(ctx, task, lease)

    def _batch(self, task: Task, deadline: float, lease: timedelta, *, alone: bool,
               stop: threading.Event | None) -> str | None:
        """A batch of the task (LATER: other workers' batches hold every range left), and
        for a worker's only task, more (`_batches`)."""
        line = run_batch(self.ctx, task, lease)
        if line is None:
            return LATER
        if not alone or not self.background:
            return line
        return self._batches(task, deadline, lease, stop, line)

    def _batches(self, task: Task, deadline: float, lease: timedelta,
                 stop: threading.Event | None, line: str) -> str:
        """After a batch of the only task a worker works, more of its batches for up to
        BATCHES_FOR seconds (within the tick's budget), while it has pending items this
        worker may take; each is a transaction of its own, as in a tick of its own. The
        batches' lines, one a line."""
        ctx = self.ctx
        lines = [line]
        until = min(time.perf_counter() + BATCHES_FOR, deadline)
        while time.perf_counter() < until and not (stop is not None and stop.is_set()):
            with read_tx(ctx.db) as conn:
                if pending_held(conn, task.id, ctx.owner) <= 0:
                    break  # worked through, killed, or taken over: the next tick sees which
            more = run_batch(ctx, task, lease)
            if more is None:
                break  # the ranges left are other workers' batches in flight
            lines.append(more)
        return joined(lines)

    def _step_name(self, task: Task) -> str:
        if not task.queue_done and not self.queueing.reading(task.id):
            return "queueing"
        return "a batch" if task.progress.pending > 0 else "finishing"

    def _forget_others(self, candidates: list[Task]) -> None:
        # A task killed or deleted by another process: close the feed this one held open.
        running = {task.id for task in candidates}
        for task_id in [t for t in self.ctx.readers if t not in running]:
            forget_reader(self.ctx, task_id)
        # Its range taken for a next batch stays claimed by this worker, which takes its own
        # claims first (`store.claims.take_range`): nothing is lost by forgetting it here.
        for task_id in [t for t in self.ctx.ranges if t not in running]:
            del self.ctx.ranges[task_id]
        for task_id in [t for t in self.ctx.paces if t not in running]:
            del self.ctx.paces[task_id]  # a long-lived worker keeps no pace of ended tasks

    def _housekeeping(self, settings: RuntimeSettings, report: TickReport) -> None:
        ctx = self.ctx
        clock = time.monotonic()
        if clock - self.last_tidy >= TIDY_EVERY:
            self.last_tidy = clock
            report.lines += tidy(ctx, ctx.clock(), timedelta(days=settings.retention_days))
        report.lines += deliver_due(ctx)  # short timeouts; failures wait for a later tick
        if clock - self.last_record >= RECORD_EVERY:
            self.last_record = clock
            with write_tx(ctx.db) as conn:
                record_heartbeat(conn, ctx.clock(), {"worker": ctx.owner,
                                                     "worked": report.worked})


def waits_for_whole_feed(task: Task) -> bool:
    """Is the task an import whose safety limits need its whole feed counted before a batch
    may apply anything? (A one-shot tick queues a feed whole before any batch anyway.)"""
    run = task.run  # its few keys first: the whole spec is read only when they allow it
    if run.rerun_of or run.force:
        return False
    spec = task.started_spec()
    return spec is not None and spec.profile.has_limits


def has_work(ctx: Context, now: datetime) -> bool:
    """Are there running tasks, or pending ones whose time has come?"""
    with read_tx(ctx.db) as conn:
        return any_work(conn, now)
