"""`syncbeat secret ...`: set, list and delete the secrets profiles name as {secret:NAME}.

A value is read from stdin or a hidden prompt, never from an argument (which the shell
history and `ps` would show), and is never printed."""

from __future__ import annotations

import sys

import click

from syncbeat.cli.common import AS_JSON, fail, print_json
from syncbeat.cli.state import State, pass_state
from syncbeat.engine.secrets import SecretError, delete_secret, list_secrets, set_secret


@click.group()
def secret() -> None:
    """Set, list and delete secrets ({secret:NAME} in profiles); values are never shown."""


@secret.command("set")
@click.argument("name")
@pass_state
def secret_set(state: State, name: str) -> None:
    """Set the secret NAME to a value read from stdin (piped) or typed at a hidden prompt."""
    ctx = state.ctx()
    if sys.stdin.isatty():
        value = click.prompt(f"value of the secret '{name}'", hide_input=True,
                             confirmation_prompt=True, prompt_suffix=": ")
    else:
        value = sys.stdin.read()
        # One line ending, as `echo` and most files end: not part of the value.
        value = value.removesuffix("\n").removesuffix("\r")
    try:
        new = set_secret(ctx, name, value)
    except SecretError as exc:
        fail(f"secret {name!r}: {exc}")
    click.echo(f"secret '{name.strip()}' {'set' if new else 'changed'}; profiles name it as "
               f"{{secret:{name.strip()}}}")


@secret.command("list")
@AS_JSON
@pass_state
def secret_list(state: State, as_json: bool) -> None:
    """List the secrets by name (never their values)."""
    found = list_secrets(state.ctx())
    if as_json:
        print_json({"secrets": [s.as_dict() for s in found]})
        return
    for one in found:
        click.echo(f"{one.name}  (changed {one.updated_at:%Y-%m-%d %H:%M:%S})")
    if not found:
        click.echo("(no secret)")


@secret.command("delete")
@click.argument("name")
@pass_state
def secret_delete(state: State, name: str) -> None:
    """Delete the secret NAME; profiles naming it fail until it is set again."""
    if not delete_secret(state.ctx(), name):
        fail(f"no secret '{name}' (see `syncbeat secret list`)")
    click.echo(f"secret '{name.strip()}' deleted")
