"""The command line as a new user meets it (issue 13): nothing created before init, one line
for a port in use, the first password boxed after the address, a hint for an unknown profile,
`--json` on every list and show, and help text on every option."""

from __future__ import annotations

import gc
import os
import re
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from syncbeat.cli import main


@pytest.fixture
def sb(db_url, tmp_path):
    runner = CliRunner()

    def run(*args, env=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            result = runner.invoke(main, ["--data-dir", str(tmp_path / "data"),
                                          "--database-url", db_url, *args], env=env or {})
            gc.collect()
        return result

    return run


def test_a_command_outside_a_project_folder_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["tasks"], env={"SYNCBEAT_DATA_DIR": None,
                                                       "SYNCBEAT_DATABASE_URL": None})
    assert result.exit_code == 2
    assert "run `syncbeat init`" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_port_in_use_fails_first_in_one_line(sb):
    assert sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "admin-password"}).exit_code == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = sb("serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"syncbeat: port {port} on 127.0.0.1 is in use (another syncbeat serve?): stop that "
        "server, or choose another with --port (PORT= for make run)"]


def test_serve_prints_the_first_password_last_boxed_after_the_address(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCBEAT_")}
    data = str(tmp_path / "data")
    cli = [sys.executable, "-m", "syncbeat.cli", "--data-dir", data]
    subprocess.run([*cli, "init", "--no-admin"], env=env, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    served = subprocess.Popen([*cli, "serve", "--no-worker", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while len(lines) < 6 and time.monotonic() < deadline:
            lines.append(served.stdout.readline().rstrip("\n"))
    finally:
        served.terminate()
        served.wait(20)
        served.stdout.close()
    assert lines[0].startswith(f"syncbeat admin on http://localhost:{port}/")
    assert re.fullmatch(r"\+-+\+", lines[1]) and lines[1] == lines[5]
    assert re.fullmatch(r"\| Sign in as admin with the password \S{20} +\|", lines[2])
    assert "syncbeat user password admin --generate" in lines[4]


def test_an_unknown_profile_gets_the_hint_by_name_as_by_id(sb):
    sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "admin-password"})
    for ref in ("Nope", "99"):
        result = sb("run", ref)
        assert result.exit_code == 1
        assert f"no profile '{ref}' (see `syncbeat profile list`)" in result.output


def test_every_list_and_show_prints_text_and_takes_json(sb):
    sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "admin-password"})
    sb("demo")
    shown = sb("catalog", "show", "DEMO-0001")
    assert shown.exit_code == 0 and "reference: DEMO-0001" in shown.output
    assert '"reference": "DEMO-0001"' in sb("catalog", "show", "DEMO-0001", "--json").output
    users = sb("user", "list", "--json")
    assert users.exit_code == 0 and '"name": "admin"' in users.output
    killed = sb("task", "show", "6").output
    assert re.search(r"progress: \d+ of 502 worked, \d+ cancelled", killed)
    assert re.search(r"message: killed by ", killed)
    batch = sb("profile", "list").output
    assert "batch" in batch.splitlines()[0]


def _options(command: click.Command, path: str = "syncbeat"):
    for param in command.params:
        if isinstance(param, click.Option) and param.expose_value:
            yield path, param
    for name, sub in getattr(command, "commands", {}).items():
        yield from _options(sub, f"{path} {name}")


def test_every_option_has_help_text():
    missing = [f"{path} {p.opts[-1]}" for path, p in _options(main) if not p.help]
    assert missing == []


def test_the_makefile_leaves_the_first_password_to_serve():
    makefile = (Path(__file__).parents[2] / "Makefile").read_text(encoding="utf-8")
    assert "init --no-admin" in makefile


def test_the_readme_says_how_to_run_syncbeat_and_the_wrapper_runs_it():
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    for words in ("./syncbeat tasks", ".venv/bin/syncbeat", "PORT=", "HOST=",
                  "syncbeat user password admin --generate"):
        assert words in readme, words
    done = subprocess.run([str(root / "syncbeat"), "--version"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.startswith("syncbeat, version"), done.stderr



def _served_output(cli: list[str], env: dict[str, str], port: int) -> list[str]:
    """What `serve` (with its worker) prints up to the moment it answers on `port`."""
    served = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
    finally:
        served.terminate()
        out, _ = served.communicate(timeout=20)
    return out.splitlines()


def test_a_server_beside_another_worker_says_it_shares_the_tasks(tmp_path):
    import sqlite3

    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCBEAT_")}
    data = tmp_path / "data"
    cli = [sys.executable, "-m", "syncbeat.cli", "--data-dir", str(data)]
    subprocess.run([*cli, "init", "--no-admin"], env=env, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    worker = subprocess.Popen([*cli, "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        ticked = None
        while ticked is None and time.monotonic() < deadline:
            time.sleep(0.2)
            with sqlite3.connect(data / "syncbeat.db") as db:
                ticked = db.execute("SELECT value FROM settings WHERE key = "
                                    "'heartbeat.last_tick'").fetchone()
        assert ticked is not None, "the worker never ticked"
        lines = _served_output(cli, env, port)
    finally:
        worker.kill()
        worker.wait(20)
    assert lines[0].startswith(f"syncbeat admin on http://localhost:{port}/ (with the")
    assert lines[1].startswith(f"note: another worker (pid {worker.pid} on "), lines
    assert "on SQLite they take turns at the database's write lock" in lines[1]
    assert "--no-worker serves the admin only" in lines[1]
    # The worker is gone (a process of this machine that no longer exists): no note.
    lines = _served_output(cli, env, port)
    assert lines[0].startswith(f"syncbeat admin on http://localhost:{port}/ (with the")
    assert not [line for line in lines if "another worker" in line], lines
