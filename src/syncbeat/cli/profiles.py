"""`syncbeat profile ...`: add, list, show, edit, enable, disable and delete profiles."""

from __future__ import annotations

import json
import sys
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import click

from syncbeat.cli.common import AS_JSON, fail, print_json, table
from syncbeat.cli.state import State, pass_state
from syncbeat.domain.profile import Profile, ProfileError, set_dotted, shown_batch_size
from syncbeat.domain.schedule import describe, in_zone, occurrences
from syncbeat.engine import profiles
from syncbeat.engine.context import Context
from syncbeat.engine.errors import NotFound
from syncbeat.engine.hostkeys import server_keys
from syncbeat.engine.profiles import shown_settings
from syncbeat.engine.settings import current_settings
from syncbeat.store import profiles as profile_store
from syncbeat.store.db import read_tx


@click.group()
def profile() -> None:
    """Add, list, show, edit, enable, disable and delete profiles."""


def profile_or_fail(ctx: Context, ref: str) -> Profile:
    """The profile `ref` (an id or a name), or one line pointing at `profile list`."""
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


def _feed_warning(ctx: Context, saved: Profile) -> None:
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
@AS_JSON
@pass_state
def profile_list(state: State, as_json: bool) -> None:
    """List profiles."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = profile_store.list_profiles(conn)
    if as_json:
        print_json([{"id": p.id, **shown_settings(p)} for p in found])
        return
    default = current_settings(ctx).default_batch_size
    rows = [(p.id, p.name, p.kind, "on" if p.enabled else "off",
             p.schedule or "by hand", shown_batch_size(p.batch_size, default)) for p in found]
    table(("id", "name", "kind", "enabled", "schedule", "batch"), rows)


@profile.command("show")
@click.argument("ref")
@AS_JSON
@pass_state
def profile_show(state: State, ref: str, as_json: bool) -> None:
    """Show a profile (by id or name), with its next runs."""
    ctx = state.ctx()
    found = profile_or_fail(ctx, ref)
    data = {"id": found.id, **shown_settings(found)}
    data["batch_size"] = found.batch_size  # null: the default batch size, at each start
    if found.schedule:
        data["next_runs"] = [
            in_zone(at, found.timezone).isoformat()
            for at in occurrences(found.schedule, found.timezone, ctx.clock(), 5)
        ]
    keys = server_keys(ctx, found)  # an SFTP server's host key, to accept or accepted
    if as_json:
        print_json({**data, **({"host_keys": [k.words() for k in keys]} if keys else {})})
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
    found = profile_or_fail(ctx, ref)
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
    found = profile_or_fail(state.ctx(), ref)
    profiles.set_enabled(state.ctx(), found.id or 0, enabled)
    click.echo(f"profile {found.id} '{found.name}' {'enabled' if enabled else 'disabled'}")


@profile.command("delete")
@click.argument("ref")
@pass_state
def profile_delete(state: State, ref: str) -> None:
    """Delete a profile; its tasks stay in the history."""
    found = profile_or_fail(state.ctx(), ref)
    profiles.delete_profile(state.ctx(), found.id or 0)
    click.echo(f"profile {found.id} '{found.name}' deleted; its tasks are kept")
