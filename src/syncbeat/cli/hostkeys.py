"""`syncbeat profile accept-host-key`: accept the host key an SFTP server of a profile shows."""

from __future__ import annotations

import click

from syncbeat.cli.common import fail
from syncbeat.cli.profiles import profile_or_fail
from syncbeat.cli.state import State, pass_state
from syncbeat.engine.hostkeys import accept_server_key
from syncbeat.feeds.errors import FeedError


@click.command("accept-host-key")
@click.argument("ref", metavar="PROFILE")
@click.argument("fingerprint")
@pass_state
def accept_host_key(state: State, ref: str, fingerprint: str) -> None:
    """Accept the host key FINGERPRINT (SHA256:..., as `profile show` and the task's error
    show it) of the profile's SFTP server, if the server shows that very key now."""
    ctx = state.ctx()
    found = profile_or_fail(ctx, ref)
    try:
        keys = accept_server_key(ctx, found, fingerprint)
    except FeedError as exc:
        fail(str(exc))
    for key in keys:
        click.echo(f"host key {key.words()} of {key.host} accepted")
