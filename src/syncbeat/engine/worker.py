"""The worker loop: ticks until stopped; drain mode ticks until nothing is left to do."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from syncbeat.engine.context import Context
from syncbeat.engine.events import RunStats
from syncbeat.engine.heartbeat import Heartbeat, TickReport
from syncbeat.engine.outage import (
    OUTAGE_WAIT_FIRST,
    WAITING,
    Outage,
    describe,
    resumed,
    while_waiting,
)
from syncbeat.store.db import is_outage, read_tx, write_tx
from syncbeat.store.settings import load_settings
from syncbeat.store.tasks import release_leases

WAIT_FOR_QUEUE = 0.02  # seconds: a task's items are being queued by a child process
# Seconds: an import another worker queues or works has no range for this one yet.
WAIT_FOR_OTHERS = 0.1
log = logging.getLogger(__name__)


def run_worker(
    ctx: Context,
    *,
    drain: bool = False,
    stop: threading.Event | None = None,
    on_tick: Callable[[TickReport], None] | None = None,
    interval: float | None = None,
    stats: RunStats | None = None,
) -> int:
    """Tick until `stop` is set (or, with `drain`, until no task is due or running).

    Returns the number of ticks. A busy worker ticks again at once; an idle one waits the
    tick interval (a setting) between ticks. `stats`, if given, is filled with the run's
    figures by the time it returns.
    """
    stop = stop or threading.Event()
    heartbeat = Heartbeat(ctx, background=True, stats=stats or RunStats())
    outage = Outage()
    say = on_tick or (lambda report: None)
    ticks = 0
    try:
        while not stop.is_set():
            try:
                report = heartbeat.tick(stop)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                line = outage.began(describe(ctx, exc), time.monotonic(), ctx.clock(),
                                    heartbeat.working)
                lines = ([line] if line else []) + while_waiting(ctx, outage, time.monotonic())
                if lines:
                    say(TickReport(lines=lines))
                stop.wait(outage.wait)
                continue
            if outage.since is not None:
                say(TickReport(lines=[resumed(ctx, outage, time.monotonic())]))
            ticks += 1
            say(report)
            if drain and not report.more:
                break
            if report.waiting and report.worked == 0:
                stop.wait(WAIT_FOR_QUEUE)
            elif report.later and report.worked == 0:
                stop.wait(WAIT_FOR_OTHERS)
            elif report.worked == 0:
                stop.wait(interval if interval is not None else _interval(ctx))
    finally:
        WAITING.clear(ctx.owner)
        last = heartbeat.close()  # background queueing first: it holds the same leases
        if last:
            say(TickReport(lines=last))
        heartbeat.stats.worker_ended()
        try:
            with write_tx(ctx.db) as conn:
                release_leases(conn, ctx.owner)  # another worker may take over at once
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("leases not handed back (the database is out of reach): %s", exc)
        ctx.close()
    return ticks


def _interval(ctx: Context) -> float:
    try:
        with read_tx(ctx.db) as conn:
            return load_settings(conn).tick_interval_seconds
    except Exception as exc:
        if not is_outage(exc):
            raise
        return OUTAGE_WAIT_FIRST  # the next tick meets the outage and waits it out


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT end the worker after the batch in flight."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
