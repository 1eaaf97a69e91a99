"""`syncbeat user ...`: add, list and remove the users of the web admin; set passwords.

A refused name or password (the use cases' AccountError) is answered by the root group."""

from __future__ import annotations

import json

import click

from syncbeat.cli.common import AS_JSON
from syncbeat.cli.state import State, pass_state
from syncbeat.engine.accounts import accounts, change_password, create_account, remove_account
from syncbeat.engine.context import utcnow
from syncbeat.engine.passwords import generate_password


@click.group()
def user() -> None:
    """Add, list and remove the users of the web admin; set passwords."""


def _password(given: str | None, generate: bool) -> tuple[str, bool]:
    """The password to set, and whether syncbeat made it up (then it is printed once)."""
    if generate:
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
@pass_state
def user_add(state: State, name: str, password: str | None, generate: bool) -> None:
    """Add a user who can sign in to the admin."""
    secret, made = _password(password, generate)
    create_account(state.ctx().db, name, secret, utcnow())
    click.echo(f"user '{name}' added" + (f"; password: {secret}" if made else ""))


@user.command("list")
@AS_JSON
@pass_state
def user_list(state: State, as_json: bool) -> None:
    """List users."""
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
@pass_state
def user_remove(state: State, name: str) -> None:
    """Remove a user (not the last one)."""
    remove_account(state.ctx().db, name)
    click.echo(f"user '{name}' removed")


@user.command("password")
@click.argument("name")
@PASSWORD
@GENERATE
@pass_state
def user_password(state: State, name: str, password: str | None, generate: bool) -> None:
    """Set a user's password; the user's sessions end."""
    secret, made = _password(password, generate)
    change_password(state.ctx().db, name, secret, utcnow())
    click.echo(f"password of '{name}' set" + (f": {secret}" if made else ""))
