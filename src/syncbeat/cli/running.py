"""`syncbeat run`, `heartbeat` and `worker`: run a profile now, tick once, tick until
stopped."""

from __future__ import annotations

import threading

import click

from syncbeat.cli.common import fail
from syncbeat.cli.state import State, pass_state
from syncbeat.cli.watch import created, cut_short, hand_back
from syncbeat.engine.actions import run_now
from syncbeat.engine.errors import NotFound
from syncbeat.engine.events import RunStats, is_progress
from syncbeat.engine.heartbeat import Heartbeat, TickReport
from syncbeat.engine.worker import run_worker, stop_on_signals
from syncbeat.store.db import is_outage


@click.command()
@click.argument("profile_ref", metavar="PROFILE")
@click.option("--wait", is_flag=True,
              help="Work the task here and show its progress until it ends.")
@click.option("--force", is_flag=True,
              help="Run it anyway, whatever the profile's safety limits say.")
@pass_state
def run(state: State, profile_ref: str, wait: bool, force: bool) -> None:
    """Run a profile now (by id or name)."""
    ctx = state.ctx()
    try:
        task_id = run_now(ctx, profile_ref, force=force)
    except NotFound as exc:
        fail(f"{exc} (see `syncbeat profile list`)")
    created(ctx, task_id, wait)


@click.command()
@pass_state
def heartbeat(state: State) -> None:
    """One tick, for cron: schedule, start, one batch per running task, finish, tidy."""
    ctx = state.ctx()
    beat = Heartbeat(ctx)
    try:
        report = beat.tick()
    except Exception as exc:
        if not is_outage(exc):
            raise
        cut_short(beat.current.lines, exc, "what this tick did")
    finally:
        hand_back(ctx)  # the next tick is another process: let it work
    for line in report.lines:
        click.echo(line)
    if not report.lines:
        click.echo("nothing to do")


@click.command()
@click.option("--drain", is_flag=True, help="Stop when no task is due or running.")
@click.option("--interval", type=float, default=None, envvar="SYNCBEAT_TICK_INTERVAL",
              show_envvar=True,
              help="Seconds between idle ticks (default: the tick interval setting).")
@click.option("--quiet", "-q", is_flag=True, help="Print only starts and ends of tasks.")
@click.option("--stats", is_flag=True,
              help="At the end, print write transactions (count, longest) and peak memory.")
@pass_state
def worker(state: State, drain: bool, interval: float | None, quiet: bool, stats: bool) -> None:
    """Tick until SIGTERM or SIGINT (the batch in flight finishes first)."""
    ctx = state.ctx()
    stop = threading.Event()
    stop_on_signals(stop)

    def on_tick(report: TickReport) -> None:
        for line in report.lines:
            if not (quiet and is_progress(line)):  # --quiet: events only, no batch
                click.echo(line)

    figures = RunStats()
    ticks = run_worker(ctx, drain=drain, stop=stop, on_tick=on_tick, interval=interval,
                       stats=figures)
    click.echo(f"worker stopped after {ticks:,} ticks")
    if stats:
        _print_stats(figures)


def _print_stats(figures: RunStats) -> None:
    own = figures.own_peak_kb / 1024
    child = figures.child_peak_kb / 1024
    writes = figures.writes
    memory = f"peak memory {own + child:.0f} MB"
    if figures.children:
        memory += (f" ({own:.0f} MB in the worker, {child:.0f} MB in the process that read "
                   "the feeds)")
    click.echo(f"write transactions: {writes.count:,}, longest {writes.longest:.3f} s, "
               f"total {writes.total:.2f} s, longest wait for the lock "
               f"{writes.longest_wait:.3f} s; {memory}")
