"""Driving the real `syncbeat` command in subprocesses, as an operator would: exit codes,
standard output and error, JSON, CSV, files; and background workers stopped with signals."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

CLI = [sys.executable, "-m", "syncbeat.cli"]
TIMEOUT = 60.0  # seconds any one command may take before the test fails instead of hanging
T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    """A finished command: what the operator saw."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def json(self) -> Any:
        return json.loads(self.out)

    def csv(self) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.out, newline="")))

    def __str__(self) -> str:
        return (f"$ syncbeat {' '.join(self.args)}\n(exit {self.code})\n"
                f"--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}")


class Worker:
    """A command (usually `syncbeat worker`) running in the background, its output going to
    files."""

    def __init__(self, proc: subprocess.Popen[bytes], out: Path, err: Path) -> None:
        self.proc = proc
        self.out_path = out
        self.err_path = err

    def running(self) -> bool:
        return self.proc.poll() is None

    def send(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float = TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=TIMEOUT)
            pytest.fail(f"the process did not stop within {timeout} s\n{self.output()}")

    def sigkill(self) -> None:
        """Kill -9: no handler runs, no transaction commits, no lease is released."""
        if self.running():
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=TIMEOUT)

    @property
    def out(self) -> str:
        return self.out_path.read_text(encoding="utf-8")

    @property
    def err(self) -> str:
        return self.err_path.read_text(encoding="utf-8")

    def output(self) -> str:
        return f"--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"


class Syncbeat:
    """Runs the real CLI with SYNCBEAT_DATA_DIR and SYNCBEAT_DATABASE_URL set."""

    def __init__(self, data_dir: Path, db_url: str, cwd: Path) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.cwd = cwd
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCBEAT_")}
        env.update(
            SYNCBEAT_DATA_DIR=str(data_dir),
            SYNCBEAT_DATABASE_URL=db_url,
            PYTHONUNBUFFERED="1",  # a worker's lines reach its file as they are printed
            PYTHONUTF8="1",
            COLUMNS="200",
        )
        self.env = env
        self._background = 0

    def with_env(self, **variables: str) -> Syncbeat:
        """The same installation, run with more environment variables."""
        other = Syncbeat(self.data_dir, self.db_url, self.cwd)
        other.env.update(variables)
        return other

    # -------------------------------------------------------------- one command
    def run(self, *args: str, timeout: float = TIMEOUT) -> Result:
        """Run a command, whatever its exit code."""
        try:
            done = subprocess.run(
                [*CLI, *args], cwd=self.cwd, env=self.env, capture_output=True,
                encoding="utf-8", timeout=timeout, check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"`syncbeat {' '.join(args)}` did not end within {timeout} s: {exc}")
        return Result(tuple(args), done.returncode, done.stdout, done.stderr)

    def __call__(self, *args: str, timeout: float = TIMEOUT) -> Result:
        """Run a command that must succeed (exit 0)."""
        result = self.run(*args, timeout=timeout)
        assert result.code == 0, str(result)
        return result

    def fails(self, *args: str, code: int = 1, timeout: float = TIMEOUT) -> Result:
        """Run a command that must fail with `code`."""
        result = self.run(*args, timeout=timeout)
        assert result.code == code, str(result)
        return result

    def json(self, *args: str) -> Any:
        return self(*args, "--json").json()

    def many(self, *commands: Sequence[str], check: bool = True,
             timeout: float = TIMEOUT) -> list[Result]:
        """Run independent commands side by side; results in order. With `check`, each must
        succeed."""
        return side_by_side(*((self, args) for args in commands), check=check, timeout=timeout)

    # -------------------------------------------------------------- a worker
    @contextmanager
    def popen(self, *args: str) -> Iterator[Worker]:
        """`syncbeat ARGS` in the background, its output going to files; SIGKILLed on the way
        out if still alive."""
        self._background += 1
        logs = self.cwd / "background"
        logs.mkdir(exist_ok=True)
        out_path = logs / f"{self._background}-{args[0]}.out"
        err_path = logs / f"{self._background}-{args[0]}.err"
        with out_path.open("wb") as out, err_path.open("wb") as err, subprocess.Popen(
            [*CLI, *args], cwd=self.cwd, env=self.env, stdout=out, stderr=err,
        ) as proc:
            process = Worker(proc, out_path, err_path)
            try:
                yield process
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(timeout=TIMEOUT)

    def worker(self, *args: str) -> AbstractContextManager[Worker]:
        """`syncbeat worker ARGS` in the background."""
        return self.popen("worker", *args)

    # -------------------------------------------------------------- reading state
    def task(self, task_id: int) -> dict[str, Any]:
        return self("task", "show", str(task_id), "--json").json()  # type: ignore[no-any-return]

    # -------------------------------------------------------------- files
    def feed(self, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
             delimiter: str = ",") -> Path:
        """A CSV feed under the data folder's feeds/ (profiles name it feeds/NAME)."""
        path = self.data_dir / "feeds" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f, delimiter=delimiter)
            out.writerow(header)
            out.writerows(rows)
        return path

    def profile_file(self, text: str, name: str | None = None) -> Path:
        path = self.cwd / (name or f"profile-{uuid.uuid4().hex[:6]}.toml")
        path.write_text(text, encoding="utf-8")
        return path

    def add_profile(self, text: str) -> Result:
        return self("profile", "add", str(self.profile_file(text)))


def side_by_side(*calls: tuple[Syncbeat, Sequence[str]], check: bool = True,
                 timeout: float = TIMEOUT) -> list[Result]:
    """Run independent commands (of one or several installations) at once; results in order.
    With `check`, each must succeed."""
    results = []
    deadline = time.monotonic() + timeout
    with ExitStack() as stack:
        procs = [
            stack.enter_context(subprocess.Popen(
                [*CLI, *args], cwd=cli.cwd, env=cli.env, encoding="utf-8",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            ))
            for cli, args in calls
        ]
        try:
            for (_, args), proc in zip(calls, procs, strict=True):
                out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
                results.append(Result(tuple(args), proc.returncode, out, err))
        except subprocess.TimeoutExpired:
            for proc in procs:
                proc.kill()
            pytest.fail(f"{[args for _, args in calls]} did not end within {timeout} s")
    for result in results:
        assert result.code == 0 or not check, str(result)
    return results


def import_toml(
    name: str, feed: str, *, batch_size: int = 100, create_missing: bool = False,
    schedule: str | None = None, mapping: str = 'price = "price"\nquantity = "qty"\n'
    'name = "title"',
) -> str:
    """An import profile reading feeds/FEED (CSV: sku, title, price, qty by default)."""
    schedule_line = f'schedule = "{schedule}"\n' if schedule else ""
    return (
        f'name = "{name}"\nkind = "import"\n{schedule_line}batch_size = {batch_size}\n\n'
        f'[source]\nlocation = "feeds/{feed}"\nformat = "csv"\n\n'
        f'[match]\nfeed = "sku"\ncatalog = "reference"\n\n'
        f"[mapping]\n{mapping}\n\n"
        f"[options]\ncreate_missing = {'true' if create_missing else 'false'}\n"
        "skip_unchanged = true\n"
    )


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = TIMEOUT,
             every: float = 0.05) -> T:
    """Call `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def invariant(progress: dict[str, int]) -> bool:
    p = progress
    return p["pending"] + p["processed"] + p["skipped"] + p["cancelled"] + p["error"] == p["total"]


def migrate(db_url: str) -> None:
    """Create the tables in-process (what `syncbeat init` does; test_cli tests init itself)."""
    from syncbeat.store.db import make_engine, upgrade

    db = make_engine(db_url)
    try:
        upgrade(db)
    finally:
        db.dispose()


class TaskProbe:
    """Reads a task's row straight from the database, many times a second, to time a signal.

    Only for timing: what the tests assert comes from the CLI."""

    def __init__(self, db_url: str) -> None:
        self.db = sa.create_engine(db_url)
        self.tasks = sa.table(
            "tasks", sa.column("id"), sa.column("status"), sa.column("total"),
            sa.column("pending"), sa.column("queue_done"),
        )

    def row(self, task_id: int) -> dict[str, Any] | None:
        t = self.tasks
        with self.db.connect() as conn:
            found = conn.execute(
                sa.select(t.c.status, t.c.total, t.c.pending, t.c.queue_done)
                .where(t.c.id == task_id)
            ).first()
        return dict(found._mapping) if found else None

    def close(self) -> None:
        self.db.dispose()
