"""The worker loop: ticks until stopped; drain mode ticks until nothing is left to do."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat, TickReport
from syncbeat.store.db import is_outage, read_tx, reason_of, write_tx
from syncbeat.store.settings import load_settings
from syncbeat.store.tasks import release_leases

WAIT_FOR_QUEUE = 0.02  # seconds: a task's items are being queued by a child process
OUTAGE_WAIT_FIRST, OUTAGE_WAIT_MOST = 0.5, 30.0  # seconds between tries while the database is out
log = logging.getLogger(__name__)


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
                line = outage.began(exc, time.monotonic())
                if line:
                    say(TickReport(lines=[line]))
                stop.wait(outage.wait)
                continue
            if outage.since is not None:
                say(TickReport(lines=[outage.ended(time.monotonic())]))
            ticks += 1
            say(report)
            if drain and not report.more:
                break
            if report.waiting and report.worked == 0:
                stop.wait(WAIT_FOR_QUEUE)
            elif report.worked == 0:
                stop.wait(interval if interval is not None else _interval(ctx))
    finally:
        last = heartbeat.close()  # background queueing first: it holds the same leases
        if last:
            say(TickReport(lines=last))
        try:
            with write_tx(ctx.db) as conn:
                release_leases(conn, ctx.owner)  # another worker may take over at once
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("leases not handed back (the database is out of reach): %s", exc)
        ctx.close()
    return ticks


@dataclass
class Outage:
    """The database out of reach: said once, waited out with growing pauses, said over."""

    since: float | None = None
    wait: float = 0.0

    def began(self, exc: BaseException, now: float) -> str | None:
        """Note a failed tick; the line to say when the outage is new."""
        log.warning("the database is out of reach: %s", reason_of(exc))
        if self.since is not None:
            self.wait = min(self.wait * 2, OUTAGE_WAIT_MOST)
            return None
        self.since, self.wait = now, OUTAGE_WAIT_FIRST
        return (f"the database is out of reach ({reason_of(exc)}); waiting for it, trying "
                f"again every {OUTAGE_WAIT_FIRST:g} to {OUTAGE_WAIT_MOST:g} seconds")

    def ended(self, now: float) -> str:
        """The line to say when a tick works again."""
        lasted = now - (self.since or now)
        self.since, self.wait = None, 0.0
        return f"the database is back after {lasted:.1f} seconds; carrying on"


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
