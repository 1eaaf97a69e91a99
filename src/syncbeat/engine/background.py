"""Queueing a big import feed in a second process while the worker works its batches.

Reading a feed is Python work (parsing, checking, encoding each row), and so is a batch: in
one process they take turns on one core. A worker (`run_worker`) therefore hands the
queueing of a big import feed to a child process and works the batches already queued, on
the second core. Nothing changes for correctness: the child is the same lease owner as its
worker, commits chunk by chunk with the same checks (a chunk counts only if the queued total
is still the one it read), and after a crash the next worker resumes from the queued count.
Once the feed is read, the child works batches of the task beside its worker, each on a range
of its own (`store.claims`, under a worker name of its own), until no range is left: a
worker's one big import keeps both cores busy to its end.

The worker queues the first two chunks itself, so batches start at once and last while the
child starts (a fresh interpreter: a few tenths of a second). The child dies with its worker (Linux:
PR_SET_PDEATHSIG; elsewhere it checks its parent between chunks) and stops after its chunk in
flight when the worker stops.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from syncbeat.catalog.location import CatalogLocation
from syncbeat.catalog.opening import open_catalog
from syncbeat.domain.statuses import TaskKind, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine.context import Context, sqlite_file, worker_name
from syncbeat.engine.events import ChildBatches, ChildEnded, RunStats, peak_rss_kb
from syncbeat.feeds.reach import Reach
from syncbeat.store.db import WRITE_STATS, share_write_gate, shared_between_processes
from syncbeat.store.gate import WriteGate

log = logging.getLogger(__name__)
HELP_BYTES = 512 * 1024  # feeds smaller than this are queued within a tick or two
# Children at once: one core is the worker's. Past this, a big feed is read in the ticks.
MAX_CHILDREN = max(1, (os.cpu_count() or 2) - 1)
SLICE = 0.5  # seconds of queueing between two looks at the stop flag, the parent and the task
STOP_WAIT = 30.0  # seconds a stopping worker waits for a child's chunk in flight
_SPAWN = multiprocessing.get_context("spawn")  # safe beside threads (the web server's)


class Queuer:
    """The queueing child processes of one worker, one a task."""

    def __init__(self, ctx: Context, stats: RunStats) -> None:
        self.ctx = ctx
        self.stats = stats  # the run's figures: each child's, as it ends
        self.stopping = False
        # Made with the first child: they start multiprocessing's helper process.
        self.stop: Event | None = None
        self.said: Any = None  # lines (and last figures) the children send the worker
        # SQLite: writers of the worker and its children take turns
        self.gate: WriteGate | None = None
        self.children: dict[int, BaseProcess] = {}
        self._ended: set[int] = set()  # tasks whose child ended, until `ended` is asked
        self.batch_owners: set[str] = set()  # children's worker names, once they work batches

    def helps(self, task: Task) -> bool:
        """Is the task's feed worth a second process?"""
        if task.kind is not TaskKind.IMPORT or task.queue_done or self.stopping:
            return False
        if sum(child.is_alive() for child in self.children.values()) >= MAX_CHILDREN:
            return False
        if not shared_between_processes(self.ctx.db):
            return False  # a database only this process can see
        snapshot = task.run.snapshot
        if not snapshot:
            return False
        try:
            size = (self.ctx.task_dir(task.id) / snapshot).stat().st_size
        except OSError:
            return False  # the queueing step will say what is wrong with it
        return size >= HELP_BYTES

    def start(self, task: Task, lease: timedelta) -> bool:
        """Start a child queueing the task, unless one is at it already. False when no
        process can be started here (no shared memory, no room): the worker then queues the
        feed within its ticks, as a one-shot heartbeat does."""
        if self.alive(task.id):
            return True
        try:
            if self.stop is None:
                self.stop, self.said = _SPAWN.Event(), _SPAWN.SimpleQueue()
                database = sqlite_file(self.ctx.db)
                if database is not None:
                    self.gate = WriteGate.beside(database)
            child = _SPAWN.Process(
                target=queue_in_child,
                args=(self.ctx.db.url.render_as_string(hide_password=False),
                      str(self.ctx.data_dir), self.ctx.owner, task.id, lease.total_seconds(),
                      self.stop, self.said, self.gate, os.getpid(), self.ctx.catalog.location,
                      self.ctx.reach),
                name=f"syncbeat-queue-{task.id}", daemon=True,
            )
            child.start()
        except OSError as exc:
            log.warning("no second process for reading feeds (%s): feeds are read by the "
                        "worker itself", exc)
            self.stopping = True  # helps() says no from now on
            return False
        if self.gate is not None:
            share_write_gate(self.ctx.db, self.gate)
        self.children[task.id] = child
        return True

    def alive(self, task_id: int) -> bool:
        """Is a child queueing the task (or starting to)?"""
        child = self.children.get(task_id)
        return child is not None and child.is_alive()

    def ended(self, task_id: int) -> bool:
        """Did a child queueing the task end since this was last asked? (Once per child.)"""
        child = self.children.get(task_id)
        if child is not None and not child.is_alive():
            self.children.pop(task_id).join()
            return True
        if task_id in self._ended:
            self._ended.discard(task_id)
            return True
        return False

    def busy(self) -> bool:
        """Is any child queueing?"""
        return any(child.is_alive() for child in self.children.values())

    def lines(self) -> list[str]:
        """What the children said since the last call; forget the children that ended."""
        if self.said is None:
            return []
        lines = self._said()
        for task_id in [t for t, child in self.children.items() if not child.is_alive()]:
            self.children.pop(task_id).join()
            self._ended.add(task_id)
        return lines

    def _said(self) -> list[str]:
        """What the children said since the last call (their lines; their figures and names
        kept)."""
        lines: list[str] = []
        while self.said is not None and not self.said.empty():
            said = self.said.get()
            if isinstance(said, ChildEnded):
                self.stats.child_ended(said)
            elif isinstance(said, ChildBatches):
                self.batch_owners.add(said.owner)
            else:
                lines.append(said)
        return lines

    def _hand_back(self) -> None:
        """The ranges of a child killed mid-batch, handed back at once, not after their
        lease."""
        from syncbeat.store.db import write_tx
        from syncbeat.store.tasks import release_leases

        for owner in self.batch_owners:
            with contextlib.suppress(Exception), write_tx(self.ctx.db) as conn:
                release_leases(conn, owner)

    def close(self) -> list[str]:
        """Stop every child after its chunk in flight (a chunk commits or rolls back whole);
        return what they said last."""
        self.stopping = True
        if self.stop is not None:
            self.stop.set()
        last: list[str] = []
        killed = False
        for child in self.children.values():
            until = time.monotonic() + STOP_WAIT
            while child.is_alive() and time.monotonic() < until:
                child.join(0.1)
                last += self._said()  # read on: a child blocked on a full pipe never ends
            if child.is_alive():
                child.kill()  # its transaction rolls back; the next worker reads on
                child.join()
                killed = True
        last += self.lines()
        if killed:
            self._hand_back()
        if self.gate is not None:
            share_write_gate(self.ctx.db, None)
        if self.said is not None:
            self.said.close()
        if self.gate is not None:
            self.gate.close()
        # Let the shared locks go now: the process that made them removes them.
        self.stop = self.said = self.gate = None
        return last


def queue_in_child(
    url: str, data_dir: str, owner: str, task_id: int, lease_seconds: float, stop: Event,
    said: Any, gate: Any, parent: int, catalog: CatalogLocation, reach: Reach,
) -> None:
    """The child process: queue the task chunk by chunk until it is queued or let go."""
    _die_with_parent()
    if os.getppid() != parent:
        return  # the worker died before we asked to die with it
    # Ctrl-C, or a service manager's stop sent to every process of the service, reaches the
    # worker too, which stops us after our chunk or batch in flight.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from syncbeat.engine.failures import step_failed
    from syncbeat.engine.queueing import queue_some
    from syncbeat.store.db import make_engine, read_tx
    from syncbeat.store.tasks import get_task

    engine = make_engine(url)
    if gate is not None:
        share_write_gate(engine, gate)
    ctx = Context(db=engine, data_dir=Path(data_dir), owner=owner,
                  catalog=open_catalog(catalog), reach=reach)
    lease = timedelta(seconds=lease_seconds)
    task = None
    try:
        while not stop.is_set() and os.getppid() == parent:
            with read_tx(engine) as conn:
                task = get_task(conn, task_id)
            if task is None or task.status is not TaskStatus.RUNNING or task.queue_done:
                return
            if task.held_by_another(owner, datetime.now(UTC)):
                return
            line, more = queue_some(ctx, task, ctx.clock(), time.perf_counter() + SLICE, lease,
                                    wanted=lambda: os.getppid() == parent)
            if not more:
                with read_tx(engine) as conn:
                    after = get_task(conn, task_id)
                if after is not None and after.queue_done:
                    said.put(f"{line} (read by a second process)")
                    _work_batches(ctx, task_id, lease, stop, said, parent)
                    return
                if after is None or after.status is not TaskStatus.RUNNING:
                    said.put(line)
                    return
                # Otherwise the worker committed a chunk first: read on from there.
    except Exception as exc:  # counted like any failed step; the worker's next tick retries
        log.warning("task %s: queueing failed: %s", task_id, exc)
        if task is not None:  # an outage is not counted: step_failed raises it again
            with contextlib.suppress(Exception):  # the database itself may be out of reach
                said.put(step_failed(ctx, task, "queueing", exc))
    finally:
        ctx.close()
        ctx.catalog.close()
        engine.dispose()
        with contextlib.suppress(OSError):  # a worker that died no longer listens
            said.put(ChildEnded(peak_kb=peak_rss_kb(), writes=WRITE_STATS))


def _work_batches(
    ctx: Context, task_id: int, lease: timedelta, stop: Event, said: Any, parent: int
) -> None:
    """The child, its feed read: batches of the task beside its worker, each on a range of
    its own, under a worker name of its own (a SIGKILLed one is seen gone at once), until no
    range is left, the task ends or the worker stops (after the batch in flight). Its
    ranges are handed back as it ends."""
    from syncbeat.engine.batch import run_batch
    from syncbeat.store.db import read_tx, write_tx
    from syncbeat.store.tasks import get_task, release_leases

    helper = Context(db=ctx.db, data_dir=ctx.data_dir, owner=worker_name(),
                     catalog=ctx.catalog, reach=ctx.reach)
    said.put(ChildBatches(helper.owner))
    try:
        while not stop.is_set() and os.getppid() == parent:
            with read_tx(ctx.db) as conn:
                task = get_task(conn, task_id)
            if task is None or task.status is not TaskStatus.RUNNING \
                    or task.progress.pending <= 0:
                return
            line = run_batch(helper, task, lease)
            if line is None:
                return  # the ranges left are the worker's batches in flight
            said.put(line)
    except Exception as exc:
        # Not the queueing's failure, which is done: a batch's own failures are counted
        # by `run_batch`. This one (the database out of reach, a lock timeout) ends the
        # batches here; the worker works the rest.
        log.warning("task %s: the second process stops working batches: %s", task_id, exc)
    finally:
        with contextlib.suppress(Exception):  # the database may be out of reach: leases end
            with write_tx(ctx.db) as conn:
                release_leases(conn, helper.owner)


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (a SIGKILLed worker)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

