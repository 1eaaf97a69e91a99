"""`syncbeat serve` (the admin, the API and a worker in one process) and `syncbeat user`.

Registered on the main group by syncbeat.cli; they get its State through click's context
object, so this module never imports syncbeat.cli at import time."""

from __future__ import annotations

import errno
import os
from typing import Any, NoReturn

import click

from syncbeat.engine.context import utcnow
from syncbeat.engine.workers import other_worker


def _fail(message: str) -> NoReturn:
    from syncbeat.cli import fail  # the CLI's one way of saying it (cli imports this module)

    fail(message)


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

    from syncbeat.web.app import create_app

    ctx = state.ctx()
    problem = port_problem(host, port)
    if problem:  # before announcing an address that another program answers
        _fail(problem)
    admin = _first_admin(ctx.db)
    secret = os.environ.get("SYNCBEAT_SECRET_KEY")
    app = create_app(ctx, worker=not no_worker,
                     secret=secret.encode("utf-8") if secret else None,
                     catalog=state.settings.catalog)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    click.echo(f"syncbeat admin on http://{shown}:{port}/ "
               f"({'with' if not no_worker else 'without'} the heartbeat worker)")
    other = None if no_worker else other_worker(ctx, utcnow())
    if other is not None:
        click.echo(f"note: {other.line()}")
    if admin is not None and admin.generated_password:
        click.echo(password_box(admin.username, admin.generated_password))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def port_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be listened on (in one line), or None."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "is in use (another syncbeat serve?)" if exc.errno == errno.EADDRINUSE \
                else f"cannot be used: {exc.strerror}"
            return (f"port {port} on {host} {why}: stop that server, or choose another "
                    "with --port (PORT= for make run)")
    return None


def _first_admin(db: Any) -> Any:
    """The first user, made here when `init --no-admin` left it to serve (make run), so its
    password is printed after the address, where it is seen."""
    from syncbeat.engine.accounts import AccountError, ensure_admin

    try:
        return ensure_admin(db, os.environ.get("SYNCBEAT_ADMIN_PASSWORD"), utcnow())
    except AccountError as exc:
        _fail(str(exc))


def password_box(username: str, password: str) -> str:
    """The first user's password, boxed so it stands out from the lines around it."""
    lines = [f"Sign in as {username} with the password {password}",
             "It is shown only once. To set a new one:",
             f"  syncbeat user password {username} --generate"]
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {line.ljust(width)} |" for line in lines), rule])


@click.group()
def user() -> None:
    """Add, list and remove the users of the web admin; set passwords."""


def _password(given: str | None, generate: bool) -> tuple[str, bool]:
    if generate:
        from syncbeat.engine.passwords import generate_password

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
    from syncbeat.engine.accounts import AccountError, create_account

    secret, made = _password(password, generate)
    try:
        create_account(state.ctx().db, name, secret, utcnow())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"user '{name}' added" + (f"; password: {secret}" if made else ""))


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def user_list(state: Any, as_json: bool) -> None:
    """List users."""
    import json

    from syncbeat.engine.accounts import accounts

    found = accounts(state.ctx().db)
    if as_json:
        click.echo(json.dumps([{"name": u.username, "created_at": u.created_at.isoformat(),
                                "last_sign_in_at": u.last_login_at.isoformat()
                                if u.last_login_at else None} for u in found], indent=2))
        return
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
    from syncbeat.engine.accounts import AccountError, remove_account

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
    from syncbeat.engine.accounts import AccountError, change_password

    secret, made = _password(password, generate)
    try:
        change_password(state.ctx().db, name, secret, utcnow())
    except AccountError as exc:
        _fail(str(exc))
    click.echo(f"password of '{name}' set" + (f": {secret}" if made else ""))
