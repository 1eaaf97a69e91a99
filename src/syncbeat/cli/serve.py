"""`syncbeat serve`: the web admin, the JSON API and a heartbeat worker in one process."""

from __future__ import annotations

import errno
import os

import click

from syncbeat.cli.common import fail, password_box
from syncbeat.cli.state import State, pass_state
from syncbeat.engine.accounts import ensure_admin
from syncbeat.engine.context import utcnow
from syncbeat.engine.workers import other_worker


@click.command()
@click.option("--host", envvar="SYNCBEAT_HOST", default="127.0.0.1", show_default=True,
              show_envvar=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", envvar="SYNCBEAT_PORT", type=int, default=8000, show_default=True,
              show_envvar=True, help="Port to listen on.")
@click.option("--no-worker", "no_worker", envvar="SYNCBEAT_NO_WORKER", is_flag=True,
              show_envvar=True,
              help="Serve only; separate `syncbeat worker` processes run the tasks.")
@pass_state
def serve(state: State, host: str, port: int, no_worker: bool) -> None:
    """Serve the web admin and the JSON API, with a heartbeat worker inside."""
    import uvicorn

    from syncbeat.web.app import create_app

    ctx = state.ctx()
    problem = port_problem(host, port)
    if problem:  # before announcing an address that another program answers
        fail(problem)
    # The first user, made here when `init --no-admin` left it to serve (make run), so its
    # password is printed after the address, where it is seen. A refused
    # SYNCBEAT_ADMIN_PASSWORD (AccountError) is answered by the root group.
    admin = ensure_admin(ctx.db, os.environ.get("SYNCBEAT_ADMIN_PASSWORD"), utcnow())
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
