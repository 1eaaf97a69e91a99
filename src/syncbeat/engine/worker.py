"""The worker loop: ticks until stopped; drain mode ticks until nothing is left to do."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType

from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat, TickReport
from syncbeat.store.db import read_tx, write_tx
from syncbeat.store.settings import load_settings
from syncbeat.store.tasks import release_leases

WAIT_FOR_QUEUE = 0.02  # seconds: a task's items are being queued by a child process


def run_worker(
    ctx: Context,
    *,
    drain: bool = False,
    stop: threading.Event | None = None,
    on_tick: Callable[[TickReport], None] | None = None,
    interval: float | None = None,
) -> int:
    """Tick until `stop` is set (or, with `drain`, until no task is due or running).

    Returns the number of ticks. A busy worker ticks again at once; an idle one waits the
    tick interval (a setting) between ticks.
    """
    stop = stop or threading.Event()
    heartbeat = Heartbeat(ctx, background=True)
    ticks = 0
    try:
        while not stop.is_set():
            report = heartbeat.tick(stop)
            ticks += 1
            if on_tick is not None:
                on_tick(report)
            if drain and not report.more:
                break
            if report.waiting and report.worked == 0:
                stop.wait(WAIT_FOR_QUEUE)
            elif report.worked == 0:
                stop.wait(interval if interval is not None else _interval(ctx))
    finally:
        last = heartbeat.close()  # background queueing first: it holds the same leases
        if last and on_tick is not None:
            on_tick(TickReport(lines=last))
        with write_tx(ctx.db) as conn:
            release_leases(conn, ctx.owner)  # another worker may take over at once
        ctx.close()
    return ticks


def _interval(ctx: Context) -> float:
    with read_tx(ctx.db) as conn:
        return load_settings(conn).tick_interval_seconds


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT end the worker after the batch in flight."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
