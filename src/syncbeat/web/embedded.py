"""The heartbeat worker that runs inside `syncbeat serve`, as a thread beside the web admin."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat, TickReport
from syncbeat.engine.notify import watch_heartbeat
from syncbeat.engine.worker import run_worker

log = logging.getLogger(__name__)
RESTART_AFTER = 5.0  # seconds to wait before a worker that crashed starts again


def thread_context(ctx: Context) -> Context:
    """A context of its own (owner, open feeds) on the same database engine and clock."""
    return Context(db=ctx.db, data_dir=ctx.data_dir, clock=ctx.clock, catalog=ctx.catalog,
                   reach=ctx.reach, secret_key=ctx.secret_key)


class EmbeddedWorker:
    """Ticks in a background thread until stopped; an unexpected error restarts it."""

    def __init__(self, ctx: Context, *, interval: float | None = None,
                 on_tick: Callable[[TickReport], None] | None = None) -> None:
        self.ctx = thread_context(ctx)
        self.interval = interval
        self.on_tick = on_tick
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="syncbeat-worker", daemon=True)

    def start(self) -> None:
        """Start ticking."""
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                run_worker(self.ctx, stop=self.stop_event, on_tick=self.on_tick,
                           interval=self.interval)
            except Exception:
                log.exception("the embedded worker failed; it starts again in %s s",
                              RESTART_AFTER)
                self.stop_event.wait(RESTART_AFTER)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the batch in flight, and wait for it."""
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout)


class UrlHeartbeat:
    """Ticks asked for by POST /api/heartbeat: one at a time, with a context of their own."""

    def __init__(self, ctx: Context) -> None:
        self.heartbeat = Heartbeat(thread_context(ctx))
        self.lock = threading.Lock()

    def tick(self) -> TickReport:
        """One tick; a second caller waits for the first."""
        with self.lock:
            try:
                return self.heartbeat.tick()
            finally:
                self.heartbeat.ctx.close()  # no feed stays open between two calls of a URL


class HeartbeatWatch:
    """In `serve`: every minute, tell of a heartbeat stopped for `notify_stale_minutes` and
    send what is due (engine/notify.py), since no tick sends while none runs."""

    def __init__(self, ctx: Context, *, every: float = 60.0) -> None:
        self.ctx = thread_context(ctx)
        self.every = every
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="syncbeat-watch", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self.thread.start()

    def _run(self) -> None:
        while not self.stop_event.wait(self.every):
            try:
                for line in watch_heartbeat(self.ctx):
                    log.info("%s", line)
            except Exception:  # the database may be out of reach: try again next minute
                log.exception("watching the heartbeat failed")

    def stop(self) -> None:
        """Stop watching."""
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(10)
