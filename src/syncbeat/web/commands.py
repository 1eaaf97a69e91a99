"""`syncbeat serve` (the admin, the API and a worker in one process) and `syncbeat user`.

Registered on the main group by syncbeat.cli; they get its State through click's context
object, so this module never imports syncbeat.cli at import time."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from syncbeat.engine.context import utcnow


def _fail(message: str) -> None:
    click.echo(f"syncbeat: {message}", err=True)
    sys.exit(1)


@click.command()
@click.option("--host", envvar="SYNCBEAT_HOST", default="127.0.0.1", show_default=True,
              show_envvar=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", envvar="SYNCBEAT_PORT", type=int, default=8000, show_default=True,
              show_envvar=True, help="Port to listen on.")
@click.option("--no-worker", "no_worker", envvar="SYNCBEAT_NO_WORKER", is_flag=True,
              show_envvar=True,
              help="Serve only; separate `syncbeat worker` processes run the tasks.")
@click.pass_obj
def serve(state: Any, host: str, port: int, no_worker: bool) -> None:
    """Serve the web admin and the JSON API, with a heartbeat worker inside."""
    import uvicorn

    from syncbeat.store.db import read_tx
    from syncbeat.store.users import count_users
    from syncbeat.web.app import create_app

    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        if not count_users(conn):
            click.echo("syncbeat: no user can sign in yet: run `syncbeat init` or "
                       "`syncbeat user add NAME`", err=True)
    secret = os.environ.get("SYNCBEAT_SECRET_KEY")
    app = create_app(ctx, worker=not no_worker,
                     secret=secret.encode("utf-8") if secret else None,
                     catalog=state.settings.catalog)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    click.echo(f"syncbeat admin on http://{shown}:{port}/ "
               f"({'with' if not no_worker else 'without'} the heartbeat worker)")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@click.group()
def user() -> None:
    """Add, list and remove the users of the web admin; set passwords."""


def _password(given: str | None, generate: bool) -> tuple[str, bool]:
    if generate:
        from syncbeat.web.passwords import generate_password

        return generate_password(), True
    if given:
        return given, False
    return click.prompt("Password", hide_input=True, confirmation_prompt=True), False


PASSWORD = click.option("--password", envvar="SYNCBEAT_USER_PASSWORD", default=None,
                        show_envvar=True,
                        help="The password (default: asked for, not echoed).")
GENERATE = click.option("--generate", is_flag=True,
                        help="Make up a password and print it once.")


@user.command("add")
@click.argument("name")
@PASSWORD
@GENERATE
@click.pass_obj
def user_add(state: Any, name: str, password: str | None, generate: bool) -> None:
    """Add a user who can sign in to the admin."""
    from syncbeat.web.accounts import AccountError, create_account

    secret, made = _password(password, generate)
    try:
        create_account(state.ctx().db, name, secret, utcnow())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"user '{name}' added" + (f"; password: {secret}" if made else ""))


@user.command("list")
@click.pass_obj
def user_list(state: Any) -> None:
    """List users."""
    from syncbeat.web.accounts import accounts

    found = accounts(state.ctx().db)
    for u in found:
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never"
        click.echo(f"{u.username}  (created {u.created_at:%Y-%m-%d}, last sign-in {last})")
    if not found:
        click.echo("(none)")


@user.command("remove")
@click.argument("name")
@click.pass_obj
def user_remove(state: Any, name: str) -> None:
    """Remove a user (not the last one)."""
    from syncbeat.web.accounts import AccountError, remove_account

    try:
        remove_account(state.ctx().db, name)
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"user '{name}' removed")


@user.command("password")
@click.argument("name")
@PASSWORD
@GENERATE
@click.pass_obj
def user_password(state: Any, name: str, password: str | None, generate: bool) -> None:
    """Set a user's password; the user's sessions end."""
    from syncbeat.web.accounts import AccountError, change_password

    secret, made = _password(password, generate)
    try:
        change_password(state.ctx().db, name, secret, utcnow())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"password of '{name}' set" + (f": {secret}" if made else ""))
