"""`syncbeat catalog ...`: check the catalog; look at its products."""

from __future__ import annotations

import sys

import click

from syncbeat.catalog.location import PrestashopLocation
from syncbeat.cli.common import AS_JSON, fail, print_json, table
from syncbeat.cli.state import State, pass_state
from syncbeat.store.db import read_tx


@click.group()
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
@AS_JSON
@pass_state
def catalog_list(state: State, limit: int, search: str | None, as_json: bool) -> None:
    """List products by reference."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = ctx.catalog.browse(conn, search=search, limit=limit, offset=0).products
    if as_json:
        print_json(found)
        return
    table(("id", "reference", "ean13", "name", "price", "quantity", "active"),
          [(p["id"], p["reference"], p["ean13"] or "", p["name"], p["price"], p["quantity"],
            "yes" if p["active"] else "no") for p in found])


@catalog.command("show")
@click.argument("key")
@AS_JSON
@pass_state
def catalog_show(state: State, key: str, as_json: bool) -> None:
    """Show a product by reference (or id)."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = ctx.catalog.show(conn, key)
    if found is None:
        fail(f"no product '{key}' (see `syncbeat catalog list --search TEXT`)")
    if as_json:
        print_json(found)
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
