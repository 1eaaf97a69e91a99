"""`syncbeat init`, `demo` and `settings`: set up the database, load the demo, show or
change the run-time settings."""

from __future__ import annotations

import os

import click

from syncbeat.catalog.location import BUILTIN, PrestashopLocation
from syncbeat.cli.common import AS_JSON, fail, password_box, print_json
from syncbeat.cli.state import State, pass_state
from syncbeat.engine.accounts import ensure_admin
from syncbeat.engine.context import utcnow
from syncbeat.engine.settings import change_settings, current_settings
from syncbeat.store.db import make_engine, upgrade
from syncbeat.store.settings import SETTING_NAMES


@click.command()
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
    if no_admin:
        return
    # A refused SYNCBEAT_ADMIN_PASSWORD (AccountError) is answered by the root group.
    admin = ensure_admin(db, os.environ.get("SYNCBEAT_ADMIN_PASSWORD"), utcnow())
    if admin is not None:
        shown = admin.generated_password
        click.echo(f"user '{admin.username}' created for the web admin"
                   + ("" if shown else "; password from SYNCBEAT_ADMIN_PASSWORD"))
        if shown:
            click.echo(password_box(admin.username, shown))


@click.command()
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


@click.command("settings")
@click.argument("changes", nargs=-1, metavar="[NAME=VALUE]...")
@AS_JSON
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
    # A refused change (SettingRefused) is answered by the root group, in its own words.
    current = change_settings(ctx, parsed) if parsed else current_settings(ctx)
    data = current.shown()  # the SMTP password is *** (write-only)
    if as_json:
        print_json(data)
        return
    for name, value in data.items():
        click.echo(f"{name} = {value}")
