"""`syncbeat init` makes the first admin; `syncbeat user` adds, lists, removes users and sets
passwords; `syncbeat serve` reads its options from the environment too."""

from __future__ import annotations

import gc
import re
import warnings

import pytest
from click.testing import CliRunner
from webtools import TestClient, sign_in

from syncbeat.cli import main
from syncbeat.engine.accounts import authenticate


@pytest.fixture
def sb(db_url, tmp_path):
    runner = CliRunner()

    def run(*args, env=None, input=None):
        # The command leaves its database engine to the end of the process, as a CLI may;
        # in-process, its pooled PostgreSQL connection is closed by the garbage collector.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            result = runner.invoke(main, ["--data-dir", str(tmp_path / "data"),
                                          "--database-url", db_url, *args],
                                   env=env or {}, input=input)
            gc.collect()
        return result

    return run


def test_init_makes_the_admin_once_with_a_generated_password(sb, db_url, ctx):
    first = sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": ""})
    assert first.exit_code == 0, first.output
    password = re.search(r"with the password (\S+)", first.output).group(1)
    assert "syncbeat user password admin --generate" in first.output
    assert len(password) == 20
    assert authenticate(ctx.db, "admin", password, ctx.clock()) is not None
    again = sb("init")
    assert again.exit_code == 0 and "user 'admin'" not in again.output


def test_init_takes_the_admins_password_from_the_environment(sb, ctx):
    result = sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "from-the-env-1"})
    assert "password from SYNCBEAT_ADMIN_PASSWORD" in result.output
    assert authenticate(ctx.db, "admin", "from-the-env-1", ctx.clock()) is not None
    assert sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "x"}).exit_code == 0  # users exist


def test_init_refuses_a_short_admin_password(sb):
    result = sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "short"})
    assert result.exit_code == 1 and "at least 8 characters" in result.output


def test_user_add_list_password_and_remove(sb, ctx):
    sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "admin-password"})
    added = sb("user", "add", "maria", input="maria-password\nmaria-password\n")
    assert added.exit_code == 0 and "user 'maria' added" in added.output
    assert authenticate(ctx.db, "maria", "maria-password", ctx.clock()) is not None
    generated = sb("user", "add", "jonas", "--generate")
    assert re.search(r"password: \w{20}", generated.output)
    assert sb("user", "add", "maria", "--password", "whatever-1").exit_code == 1
    assert "exists already" in sb("user", "add", "maria", "--password", "whatever-1").output
    listed = sb("user", "list").output
    assert [line.split()[0] for line in listed.splitlines()] == ["admin", "jonas", "maria"]
    changed = sb("user", "password", "maria", env={"SYNCBEAT_USER_PASSWORD": "new-password-1"})
    assert changed.exit_code == 0
    assert authenticate(ctx.db, "maria", "new-password-1", ctx.clock()) is not None
    assert sb("user", "password", "nobody", "--generate").exit_code == 1
    assert sb("user", "remove", "maria").exit_code == 0
    assert sb("user", "remove", "jonas").exit_code == 0
    last = sb("user", "remove", "admin")
    assert last.exit_code == 1 and "only user" in last.output


def test_a_password_set_with_the_cli_ends_every_session_of_the_user(sb, web, app):
    with TestClient(app, base_url="http://testserver") as other:
        assert sign_in(other).status_code == 303
        done = sb("user", "password", "admin", "--password", "set-by-the-operator")
        assert done.exit_code == 0, done.output
        for client in (web, other):
            assert client.get("/tasks", follow_redirects=False).status_code == 303
            assert client.get("/api/tasks").status_code == 401


def test_a_user_name_and_password_must_be_sensible(sb):
    sb("init", env={"SYNCBEAT_ADMIN_PASSWORD": "admin-password"})
    assert "letters, digits" in sb("user", "add", "no spaces", "--generate").output
    assert "at least 8" in sb("user", "add", "ok", "--password", "short").output


def test_serve_shows_its_options_and_environment_variables(sb):
    shown = sb("serve", "--help").output
    for name in ("--host", "SYNCBEAT_HOST", "--port", "SYNCBEAT_PORT", "--no-worker",
                 "SYNCBEAT_NO_WORKER"):
        assert name in shown
