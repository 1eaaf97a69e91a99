"""`syncbeat profile accept-host-key`: accept the host key an SFTP server of a profile shows.

Registered on the `profile` group by syncbeat.cli; it gets its State through click's context
object."""

from __future__ import annotations

import sys
from typing import Any

import click

from syncbeat.engine.hostkeys import accept_server_key
from syncbeat.feeds.errors import FeedError
from syncbeat.store import profiles as profile_store
from syncbeat.store.db import read_tx


@click.command("accept-host-key")
@click.argument("ref", metavar="PROFILE")
@click.argument("fingerprint")
@click.pass_obj
def accept_host_key(state: Any, ref: str, fingerprint: str) -> None:
    """Accept the host key FINGERPRINT (SHA256:..., as `profile show` and the task's error
    show it) of the profile's SFTP server, if the server shows that very key now."""
    ctx = state.ctx()
    with read_tx(ctx.db) as conn:
        found = profile_store.get_profile(conn, ref)
    if found is None:
        click.echo(f"syncbeat: no profile '{ref}' (see `syncbeat profile list`)", err=True)
        sys.exit(1)
    try:
        keys = accept_server_key(ctx, found, fingerprint)
    except FeedError as exc:
        click.echo(f"syncbeat: {exc}", err=True)
        sys.exit(1)
    for key in keys:
        click.echo(f"host key {key.words()} of {key.host} accepted")
