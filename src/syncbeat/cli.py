"""The command line: parse, call one engine or store operation, print."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import tomllib
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import click

from syncbeat import __version__
from syncbeat.app import open_context
from syncbeat.catalog.base import CatalogUnusable
from syncbeat.catalog.location import BUILTIN, ENV_CATALOG, PrestashopLocation
from syncbeat.config import ENV_DATA_DIR, ENV_DATABASE_URL, Settings, SettingsError
from syncbeat.domain.ids import parse_id
from syncbeat.domain.profile import Profile, ProfileError, set_dotted, shown_batch_size
from syncbeat.domain.schedule import describe, in_zone, occurrences
from syncbeat.domain.statuses import FINAL_STATUSES, TaskStatus
from syncbeat.domain.task import Task
from syncbeat.engine import profiles
from syncbeat.engine.actions import ActionError, delete_task, kill_task, run_now
from syncbeat.engine.artifacts import log_lines, report_lines
from syncbeat.engine.context import Context
from syncbeat.engine.errors import NotFound, SettingRefused
from syncbeat.engine.finish import export_path
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.hostkeys import server_keys
from syncbeat.engine.profiles import shown_settings
from syncbeat.engine.rerun import rerun_failed
from syncbeat.engine.settings import change_settings, current_settings
from syncbeat.engine.worker import run_worker, stop_on_signals
from syncbeat.store import profiles as profile_store
from syncbeat.store.db import (
    SchemaError,
    is_outage,
    make_engine,
    missing_sqlite_file,
    read_tx,
    reason_of,
    upgrade,
    write_tx,
)
from syncbeat.store.settings import SETTING_NAMES
from syncbeat.store.tasks import TaskFilter, get_task, list_tasks, release_leases


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line for the operator and exit."""
    click.echo(f"syncbeat: {message}", err=True)
    sys.exit(code)


class State:
    def __init__(self, data_dir: str, database_url: str | None, catalog: str = BUILTIN) -> None:
        env = {**os.environ, ENV_DATA_DIR: data_dir, ENV_DATABASE_URL: database_url or "",
               ENV_CATALOG: catalog}
        try:
            self.settings = Settings.from_environ(env)
        except SettingsError as exc:
            fail(str(exc), 2)
        self._ctx: Context | None = None

    def close(self) -> None:
        """Give the database connections back when the command ends."""
        if self._ctx is not None:
            self._ctx.close()
            self._ctx.catalog.close()
            self._ctx.db.dispose()

    def ctx(self, check: bool = True) -> Context:
        if self._ctx is None:
            missing = missing_sqlite_file(self.settings.database_url)
            if missing:  # create nothing (not even the data folder) until init
                fail(missing, 2)
            try:
                self._ctx = open_context(self.settings, check=check)
            except SchemaError as exc:
                fail(str(exc), 2)
        return self._ctx


pass_state = click.make_pass_decorator(State)


class Commands(click.Group):
    """The command group: the database out of reach is one line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an outage of the database (or the shop's) ends it with exit code
        3, a shop that refuses syncbeat's user with 1."""
        try:
            return super().invoke(ctx)
        except CatalogUnusable as exc:  # the shop's database, said in words already
            fail(f"the shop's catalog: {exc}", 3 if is_outage(exc) else 1)
        except Exception as exc:
            if not is_outage(exc):
                raise
            fail(f"the database is out of reach, nothing was changed: {reason_of(exc)}", 3)


# Every option can also come from the environment: SYNCBEAT_<COMMAND>_<OPTION>, e.g.
# SYNCBEAT_WORKER_DRAIN=1; options with a name of their own say so in --help.
@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"],
                                             "auto_envvar_prefix": "SYNCBEAT"})
@click.version_option(__version__, prog_name="syncbeat", allow_from_autoenv=False)
@click.option("--data-dir", envvar=ENV_DATA_DIR, default="./syncbeat-data", show_envvar=True,
              help="Folder of the SQLite database, feeds and task files.")
@click.option("--database-url", envvar=ENV_DATABASE_URL, default=None, show_envvar=True,
              help="SQLAlchemy URL, e.g. postgresql+psycopg://host/db (default: SQLite "
                   "in the data folder).")
@click.option("--catalog", envvar=ENV_CATALOG, default=BUILTIN, show_envvar=True,
              show_default=True,
              help="The catalog: builtin, or a PrestaShop shop's database, "
                   "prestashop://USER:PASSWORD@HOST:3306/DBNAME?prefix=ps_&shop=1&lang=1.")
@click.pass_context
def main(click_ctx: click.Context, data_dir: str, database_url: str | None,
         catalog: str) -> None:
    """syncbeat: scheduled catalog imports and exports, as tasks you can watch."""
    click_ctx.obj = State(data_dir, database_url, catalog)
    click_ctx.call_on_close(click_ctx.obj.close)


@main.command()
@click.option("--no-admin", is_flag=True,
              help="Do not make the first user here: `serve` makes it and prints its "
                   "password after its address (what `make run` does).")
@pass_state
def init(state: State, no_admin: bool) -> None:
    """Create or upgrade the database (safe to run twice)."""
    db = make_engine(state.settings.database_url)
    before, after = upgrade(db)
    state.settings.data_dir.mkdir(parents=True, exist_ok=True)
    where = db.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"the database {where} is up to date (schema {after})")
    else:
        click.echo(f"the database {where} is at schema {after} (was {before or 'empty'})")
    from syncbeat.engine.accounts import AccountError, ensure_admin
    from syncbeat.engine.context import utcnow
    from syncbeat.web.commands import password_box

    if no_admin:
        return
    try:
        admin = ensure_admin(db, os.environ.get("SYNCBEAT_ADMIN_PASSWORD"), utcnow())
    except AccountError as exc:
        fail(str(exc))
    if admin is not None:
        shown = admin.generated_password
        click.echo(f"user '{admin.username}' created for the web admin"
                   + ("" if shown else "; password from SYNCBEAT_ADMIN_PASSWORD"))
        if shown:
            click.echo(password_box(admin.username, shown))


@main.command()
@pass_state
def demo(state: State) -> None:
    """Load a demo catalog, feeds and profiles, and run them: every status within a minute."""
    from syncbeat.demo import load_demo

    ctx = state.ctx()
    if isinstance(state.settings.catalog, PrestashopLocation):
        fail(f"the demo loads 500 products into the built-in catalog, never into a shop: "
             f"unset SYNCBEAT_CATALOG (or --catalog {BUILTIN}) to load it; "
             f"{state.settings.catalog.shown} is left as it is")
    for line in load_demo(ctx):
        click.echo(line)


# ---------------------------------------------------------------- profiles
@main.group()
def profile() -> None:
    """Add, list, show, edit, enable, disable and delete profiles."""


def _profile_or_fail(ctx: Context, ref: str) -> Profile:
    try:
        return profiles.find_profile(ctx, ref)
    except NotFound as exc:
        fail(f"{exc} (see `syncbeat profile list`)")


@profile.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def profile_add(state: State, file: Path) -> None:
    """Add the profile described by a TOML file."""
    ctx = state.ctx()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"), parse_float=Decimal)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        fail(f"{file}: not a valid TOML file: {exc}")
    try:
        saved = profiles.save_profile_data(ctx, data, None)
    except ProfileError as exc:
        _profile_errors(file, exc)
    click.echo(f"profile {saved.id} '{saved.name}' added ({saved.kind}"
               + (f", {describe(saved.schedule).lower()}" if saved.schedule else "") + ")")
    _feed_warning(ctx, saved)


def _feed_warning(ctx: Context, saved: Any) -> None:
    from syncbeat.engine.preview import feed_warning

    warning = feed_warning(ctx, saved)
    if warning:
        click.echo(f"syncbeat: warning: its feed cannot be read now, so a task would fail: "
                   f"{warning}", err=True)


def _profile_errors(where: object, exc: ProfileError) -> NoReturn:
    for name, message in exc.errors:
        click.echo(f"syncbeat: {where}: {name}: {message}", err=True)
    sys.exit(1)


@profile.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def profile_list(state: State, as_json: bool) -> None:
    """List profiles."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = profile_store.list_profiles(conn)
    if as_json:
        _json([{"id": p.id, **shown_settings(p)} for p in found])
        return
    default = current_settings(ctx).default_batch_size
    rows = [(p.id, p.name, p.kind, "on" if p.enabled else "off",
             p.schedule or "by hand", shown_batch_size(p.batch_size, default)) for p in found]
    _table(("id", "name", "kind", "enabled", "schedule", "batch"), rows)


@profile.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def profile_show(state: State, ref: str, as_json: bool) -> None:
    """Show a profile (by id or name), with its next runs."""
    ctx = state.ctx()
    found = _profile_or_fail(ctx, ref)
    data = {"id": found.id, **shown_settings(found)}
    data["batch_size"] = found.batch_size  # null: the default batch size, at each start
    if found.schedule:
        data["next_runs"] = [
            in_zone(at, found.timezone).isoformat()
            for at in occurrences(found.schedule, found.timezone, ctx.clock(), 5)
        ]
    keys = server_keys(ctx, found)  # an SFTP server's host key, to accept or accepted
    if as_json:
        _json({**data, **({"host_keys": [k.words() for k in keys]} if keys else {})})
        return
    default = current_settings(ctx).default_batch_size
    for line in (k.words() for k in keys):
        click.echo(line.replace("PROFILE", str(found.id)))
    for key, value in data.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
        if key == "batch_size":
            shown = shown_batch_size(value, default)
        click.echo(f"{key}: {shown}")


@profile.command("edit")
@click.argument("ref")
@click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE",
              help="Change a field, e.g. --set batch_size=200 --set source.delimiter=';'.")
@click.option("--name", help="A new name.")
@click.option("--schedule", help="A 5-field cron expression; '' for run-by-hand only.")
@click.option("--timezone", help="The schedule's IANA time zone, e.g. Europe/Vilnius.")
@click.option("--batch-size", type=int,
              help="Items per batch (a profile without one follows the default batch "
                   "size).")
@pass_state
def profile_edit(state: State, /, ref: str, sets: tuple[str, ...], **fields: Any) -> None:
    """Change fields of a profile; it is validated again before it is saved."""
    ctx = state.ctx()
    found = _profile_or_fail(ctx, ref)
    data = found.to_dict()
    for name, value in fields.items():
        if value is not None:
            data[name] = value if value != "" else None
    for item in sets:
        name, sep, value = item.partition("=")
        if not sep:
            fail(f"--set {item}: write FIELD=VALUE")
        set_dotted(data, name.strip(), _toml_value(value))
    data = {k: v for k, v in data.items() if v is not None}
    try:
        saved = profiles.save_profile_data(ctx, data, found.id)
    except ProfileError as exc:
        _profile_errors(f"profile {found.id}", exc)
    click.echo(f"profile {saved.id} '{saved.name}' saved")
    _feed_warning(ctx, saved)


def _toml_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}", parse_float=Decimal)["v"]
    except tomllib.TOMLDecodeError:
        return text


@profile.command("enable")
@click.argument("ref")
@pass_state
def profile_enable(state: State, ref: str) -> None:
    """Enable a profile: its schedule runs again."""
    _set_enabled(state, ref, True)


@profile.command("disable")
@click.argument("ref")
@pass_state
def profile_disable(state: State, ref: str) -> None:
    """Disable a profile: no scheduled task starts; run-now still works."""
    _set_enabled(state, ref, False)


def _set_enabled(state: State, ref: str, enabled: bool) -> None:
    found = _profile_or_fail(state.ctx(), ref)
    profiles.set_enabled(state.ctx(), found.id or 0, enabled)
    click.echo(f"profile {found.id} '{found.name}' {'enabled' if enabled else 'disabled'}")


@profile.command("delete")
@click.argument("ref")
@pass_state
def profile_delete(state: State, ref: str) -> None:
    """Delete a profile; its tasks stay in the history."""
    found = _profile_or_fail(state.ctx(), ref)
    profiles.delete_profile(state.ctx(), found.id or 0)
    click.echo(f"profile {found.id} '{found.name}' deleted; its tasks are kept")


# ---------------------------------------------------------------- running
@main.command()
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
    except ActionError as exc:
        fail(f"{exc} (see `syncbeat profile list`)" if exc.code == 404 else str(exc))
    _created(ctx, task_id, wait)


def _created(ctx: Context, task_id: int, wait: bool) -> None:
    if not wait:
        click.echo(f"task {task_id} created; the heartbeat (worker or serve) starts it")
        return
    task = _watch(ctx, task_id)
    click.echo(f"task {task.id} {task.status}" + (f": {task.message}" if task.message else ""))
    if task.status is not TaskStatus.COMPLETED:
        sys.exit(1)


def _watch(ctx: Context, task_id: int) -> Task:
    stop = threading.Event()
    stop_on_signals(stop)
    heartbeat = Heartbeat(ctx)
    bar = _ProgressBar()
    task: Task | None = None
    try:
        while True:
            try:
                heartbeat.tick(stop)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                bar.end()
                kept = (f"task {task_id} at {task.progress.done:,} of {task.progress.total:,} "
                        "items, and what this tick did" if task else "what this tick did")
                _cut_short(heartbeat.current.lines, exc, kept)
            with read_tx(ctx.db) as conn:
                task = get_task(conn, task_id)
            if task is None:
                fail(f"task {task_id} was deleted")
            bar.show(task)
            if task.status in FINAL_STATUSES or stop.is_set():
                bar.end()
                return task
            if task.status is TaskStatus.PENDING:
                time.sleep(0.2)
    finally:
        _hand_back(ctx)  # stopped by Ctrl-C or an outage: a worker goes on at once


def _cut_short(done: list[str], exc: BaseException, kept: str) -> NoReturn:
    """A tick cut short by the database going out of reach: batches before it committed,
    so say what is kept (exit code 3, as for any outage), not that nothing changed."""
    for line in done:
        click.echo(line)
    fail(f"the database went out of reach ({reason_of(exc)}); work committed before it is "
         f"kept: {kept}" + (f" ({len(done)} step(s) above)" if done else " (no step ended)")
         + "; a worker or the next heartbeat carries on from there", 3)


def _hand_back(ctx: Context) -> None:
    """Hand this command's leases back, so the next process works its tasks at once; with
    the database out of reach they cannot be, and expire after a lease instead."""
    try:
        with write_tx(ctx.db) as conn:
            release_leases(conn, ctx.owner)
    except Exception as exc:
        if not is_outage(exc):
            raise


class _ProgressBar:
    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last = 0.0

    def show(self, task: Task) -> None:
        now = time.monotonic()
        if not self.tty and now - self.last < 1.0 and task.status not in FINAL_STATUSES:
            return
        self.last = now
        p = task.progress
        done = p.worked  # a killed task's cancelled items were not worked
        width = 30
        filled = int(width * done / p.total) if p.total else 0
        elapsed = now - self.started
        speed = done / elapsed if elapsed > 0 else 0.0
        eta = f"{p.pending / speed:.0f}s" if speed > 0 and p.pending else "-"
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {p.summary()} "
                f"{task.status} processed {p.processed:,} skipped {p.skipped:,} "
                f"error {p.errors:,} cancelled {p.cancelled:,} {speed:,.0f}/s ETA {eta}")
        click.echo(("\r" + line) if self.tty else line, err=True, nl=not self.tty)

    def end(self) -> None:
        if self.tty:
            click.echo("", err=True)


@main.command()
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
        _cut_short(beat.current.lines, exc, "what this tick did")
    finally:
        _hand_back(ctx)  # the next tick is another process: let it work
    for line in report.lines:
        click.echo(line)
    if not report.lines:
        click.echo("nothing to do")


@main.command()
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

    def on_tick(report: Any) -> None:
        for line in report.lines:
            if not quiet or not (": batch " in line or "so far" in line):
                click.echo(line)

    ticks = run_worker(ctx, drain=drain, stop=stop, on_tick=on_tick, interval=interval)
    click.echo(f"worker stopped after {ticks:,} ticks")
    if stats:
        _print_stats()


def _print_stats() -> None:
    from syncbeat.engine.background import CHILD_STATS, peak_rss_kb
    from syncbeat.store.db import WRITE_STATS, WriteStats

    own = peak_rss_kb() / 1024
    child = CHILD_STATS.peak_kb / 1024
    writes = WriteStats()
    writes.merge(WRITE_STATS)
    writes.merge(CHILD_STATS.writes)
    memory = f"peak memory {own + child:.0f} MB"
    if CHILD_STATS.children:
        memory += (f" ({own:.0f} MB in the worker, {child:.0f} MB in the process that read "
                   "the feeds)")
    click.echo(f"write transactions: {writes.count:,}, longest {writes.longest:.3f} s, "
               f"total {writes.total:.2f} s, longest wait for the lock "
               f"{writes.longest_wait:.3f} s; {memory}")


# ---------------------------------------------------------------- tasks
@main.command()
@click.option("--status", multiple=True, type=click.Choice([s.value for s in TaskStatus]),
              help="Only tasks in this status; repeat for several.")
@click.option("--profile", "profile_ref", help="Only the tasks of this profile (id or name).")
@click.option("--kind", type=click.Choice(["import", "export"]),
              help="Only imports or only exports.")
@click.option("--limit", type=int, default=50, show_default=True,
              help="At most this many tasks, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def tasks(state: State, status: tuple[str, ...], profile_ref: str | None, kind: str | None,
          limit: int, as_json: bool) -> None:
    """List tasks, newest first."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = list_tasks(conn, TaskFilter(status=status, profile=profile_ref, kind=kind),
                           limit=limit)
    if as_json:
        _json([t.as_dict() for t in found])
        return
    rows = [(t.id, t.profile_name, t.kind, t.status,
             t.progress.summary(), _when(t.scheduled_at),
             _when(t.started_at), _when(t.finished_at), t.message or "") for t in found]
    _table(("id", "profile", "kind", "status", "progress", "scheduled", "started",
            "finished", "message"), rows)


@main.group()
def task() -> None:
    """Show, kill or delete a task; get its log, report or export file."""


class TaskIdType(click.ParamType):  # type: ignore[type-arg]  # generic since click 8.2
    """A task id: ASCII digits in the id column's range. Anything else names no task, and
    says so in one line (not click's usage text: the command was typed right)."""

    name = "task_id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> int:
        if isinstance(value, int):
            return value
        found = parse_id(str(value))
        if found is None:
            fail(f"no task '{value}': a task's id is a whole number (see `syncbeat tasks`)")
        return found


TASK_ID = TaskIdType()


def _task_or_fail(ctx: Context, task_id: int) -> Task:
    with read_tx(ctx.db) as conn:
        found = get_task(conn, task_id)
    if found is None:
        fail(f"no task {task_id} (see `syncbeat tasks`)")
    return found


@task.command("show")
@click.argument("task_id", type=TASK_ID)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def task_show(state: State, task_id: int, as_json: bool) -> None:
    """Show a task's status, counters and times."""
    found = _task_or_fail(state.ctx(), task_id)
    data = found.as_dict()
    if as_json:
        _json(data)
        return
    for key, value in data.items():
        if key == "progress":
            value = f"{found.progress.summary()} (" + ", ".join(
                f"{k} {v:,}" for k, v in value.items() if k != "total") + ")"
        click.echo(f"{key}: {'' if value is None else value}")


@task.command("kill")
@click.argument("task_id", type=TASK_ID)
@pass_state
def task_kill(state: State, task_id: int) -> None:
    """Kill a pending or running task; its pending items are cancelled."""
    try:
        result = kill_task(state.ctx(), task_id, by=f"{_os_user()} on the command line")
    except ActionError as exc:
        fail(str(exc))
    click.echo(f"task {task_id} killed; {result.cancelled:,} pending items cancelled")


@task.command("rerun")
@click.argument("task_id", type=TASK_ID)
@click.option("--errors", "errors_only", is_flag=True,
              help="Only the items in error, not the cancelled ones.")
@click.option("--wait", is_flag=True,
              help="Work the new task here and show its progress until it ends.")
@pass_state
def task_rerun(state: State, task_id: int, errors_only: bool, wait: bool) -> None:
    """Re-run the items of an ended import that ended in error or were cancelled, from the
    same copy of its feed, as a new task of its profile."""
    ctx = state.ctx()
    try:
        new_id = rerun_failed(ctx, task_id, errors_only=errors_only)
    except ActionError as exc:
        fail(str(exc))
    if not wait:
        click.echo(f"task {new_id} created: it re-runs what failed in task {task_id}; the "
                   "heartbeat (worker or serve) starts it")
        return
    _created(ctx, new_id, wait)


@task.command("delete")
@click.argument("task_id", type=TASK_ID)
@pass_state
def task_delete(state: State, task_id: int) -> None:
    """Delete a task with its items, log and files (killing it first if active)."""
    try:
        delete_task(state.ctx(), task_id)
    except ActionError as exc:
        fail(str(exc))
    click.echo(f"task {task_id} deleted")


def _output(output: Path | None, chunks: Iterable[str | bytes]) -> None:
    if output is None:
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        out.flush()
        return
    tmp = output.with_name(output.name + ".part")
    with tmp.open("wb") as f:
        for chunk in chunks:
            f.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
    tmp.replace(output)
    click.echo(f"written to {output}", err=True)


OUTPUT = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                      help="Write to this file instead of standard output.")


@task.command("log")
@click.argument("task_id", type=TASK_ID)
@OUTPUT
@pass_state
def task_log(state: State, task_id: int, output: Path | None) -> None:
    """The task's actions log, as text."""
    ctx = state.ctx()
    _output(output, log_lines(ctx.db, _task_or_fail(ctx, task_id)))


@task.command("report")
@click.argument("task_id", type=TASK_ID)
@OUTPUT
@pass_state
def task_report(state: State, task_id: int, output: Path | None) -> None:
    """The task's report: a CSV row per queued product."""
    ctx = state.ctx()
    _output(output, report_lines(ctx.db, _task_or_fail(ctx, task_id)))


@task.command("export-file")
@click.argument("task_id", type=TASK_ID)
@OUTPUT
@pass_state
def task_export_file(state: State, task_id: int, output: Path | None) -> None:
    """The file (JSON, CSV or XML) an export task produced."""
    ctx = state.ctx()
    found = _task_or_fail(ctx, task_id)
    path = export_path(ctx, found)
    if found.kind != "export":
        fail(f"task {task_id} is an import: only exports have an export file")
    if not path.exists():
        fail(f"task {task_id} is {found.status} and has no export file yet")
    _output(output, _file_chunks(path))


def _file_chunks(path: Path, size: int = 1 << 20) -> Iterable[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(size):
            yield chunk


# ---------------------------------------------------------------- catalog, settings
@main.group()
def catalog() -> None:
    """Check the catalog; look at its products."""


@catalog.command("check")
@pass_state
def catalog_check(state: State) -> None:
    """Connect to the catalog and say what it holds, or exactly what is wrong with it."""
    from syncbeat.catalog.check import check_catalog

    location = state.settings.catalog
    db = None if isinstance(location, PrestashopLocation) else state.ctx().db
    report = check_catalog(location, db)
    for label, value in report.facts():
        click.echo(f"{label}: {value}")
    for problem in report.problems:
        click.echo(f"syncbeat: {problem}", err=True)
    if not report.usable:
        click.echo("the catalog is not usable", err=True)
        sys.exit(1)
    click.echo("the catalog is usable")


@catalog.command("list")
@click.option("--limit", type=int, default=50, show_default=True,
              help="At most this many products.")
@click.option("--search", default=None, help="Part of a reference or a name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def catalog_list(state: State, limit: int, search: str | None, as_json: bool) -> None:
    """List products by reference."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = ctx.catalog.browse(conn, search=search, limit=limit, offset=0).products
    if as_json:
        _json(found)
        return
    _table(("id", "reference", "ean13", "name", "price", "quantity", "active"),
           [(p["id"], p["reference"], p["ean13"] or "", p["name"], p["price"], p["quantity"],
             "yes" if p["active"] else "no") for p in found])


@catalog.command("show")
@click.argument("key")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def catalog_show(state: State, key: str, as_json: bool) -> None:
    """Show a product by reference (or id)."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = ctx.catalog.show(conn, key)
    if found is None:
        fail(f"no product '{key}' (see `syncbeat catalog list --search TEXT`)")
    if as_json:
        _json(found)
        return
    for name, value in found.items():
        if isinstance(value, list):  # a shop's combinations: a line each
            for item in value:
                click.echo(f"{name.removesuffix('s')}: " + ", ".join(
                    f"{k} {'' if v is None else v}" for k, v in item.items()))
        else:
            click.echo(f"{name}: {'' if value is None else value}")


@catalog.command("count")
@pass_state
def catalog_count(state: State) -> None:
    """How many products the catalog holds."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        click.echo(f"{ctx.catalog.browse(conn, search=None, limit=0, offset=0).total:,}")


@main.command("settings")
@click.argument("changes", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def settings_cmd(state: State, changes: tuple[str, ...], as_json: bool) -> None:
    """Show the run-time settings, or change some: syncbeat settings retention_days=60."""
    ctx = state.ctx()
    parsed = {}
    for change in changes:
        name, sep, value = change.partition("=")
        if not sep:
            fail(f"{change}: write NAME=VALUE (names: {', '.join(SETTING_NAMES)})")
        parsed[name.strip()] = value
    try:
        current = change_settings(ctx, parsed) if parsed else current_settings(ctx)
    except SettingRefused as exc:
        fail(str(exc))
    data = current.shown()  # the SMTP password is *** (write-only)
    if as_json:
        _json(data)
        return
    for name, value in data.items():
        click.echo(f"{name} = {value}")


# ---------------------------------------------------------------- output
def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "a user"


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        click.echo("(none)")


from syncbeat.cli_hostkeys import accept_host_key  # noqa: E402
from syncbeat.cli_secrets import secret  # noqa: E402
from syncbeat.web.commands import serve, user  # noqa: E402

main.add_command(serve)
main.add_command(user)
main.add_command(secret)
profile.add_command(accept_host_key)


def _show_envvars(command: click.Command, prefix: str = "SYNCBEAT") -> None:
    """--help shows each option's variable; an option whose Python name differs from its
    flag (`--json` is `as_json`) reads the variable named after the flag
    (SYNCBEAT_TASKS_JSON), as click names the others (SYNCBEAT_WORKER_DRAIN)."""
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        param.show_envvar = True
        flags = [opt[2:] for opt in param.opts if opt.startswith("--")]
        if param.envvar is None and flags and param.name not in (
                flag.replace("-", "_") for flag in flags):
            param.envvar = f"{prefix}_{max(flags, key=len).replace('-', '_').upper()}"
    for name, sub in getattr(command, "commands", {}).items():
        _show_envvars(sub, f"{prefix}_{name.replace('-', '_').upper()}")


_show_envvars(main)

if __name__ == "__main__":
    main()
