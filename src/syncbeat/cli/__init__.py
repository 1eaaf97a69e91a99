"""The command line: parse, call one engine or store operation, print.

The root group lives here; each group of commands has a module of its own (`tasks`,
`profiles`, `running`, ...), registered below, and `common` says things the one way every
command says them."""

from __future__ import annotations

from typing import Any

import click

from syncbeat import __version__
from syncbeat.catalog.base import CatalogUnusable
from syncbeat.catalog.location import BUILTIN, ENV_CATALOG
from syncbeat.cli.catalog import catalog
from syncbeat.cli.common import ANSWERED, fail
from syncbeat.cli.hostkeys import accept_host_key
from syncbeat.cli.profiles import profile
from syncbeat.cli.running import heartbeat, run, worker
from syncbeat.cli.secrets import secret
from syncbeat.cli.serve import serve
from syncbeat.cli.setup import demo, init, settings_cmd
from syncbeat.cli.state import State
from syncbeat.cli.tasks import task, tasks
from syncbeat.cli.users import user
from syncbeat.config import ENV_DATA_DIR, ENV_DATABASE_URL
from syncbeat.store.db import is_outage, reason_of


class Commands(click.Group):
    """The command group: the database out of reach is one line, not a traceback, and so is
    a use case's typed error."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an outage of the database (or the shop's) ends it with exit code
        3, a shop that refuses syncbeat's user with 1, a use case's refusal with 1."""
        try:
            return super().invoke(ctx)
        except ANSWERED as exc:
            fail(str(exc))
        except CatalogUnusable as exc:  # the shop's database, said in words already
            fail(f"the shop's catalog: {exc}", 3 if is_outage(exc) else 1)
        except Exception as exc:
            if not is_outage(exc):
                raise
            fail(f"the database is out of reach, nothing was changed: {reason_of(exc)}", 3)


# Every option can also come from the environment: SYNCBEAT_<COMMAND>_<OPTION>, e.g.
# SYNCBEAT_WORKER_DRAIN=1; options with a name of their own say so in --help.
@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"],
                                             "auto_envvar_prefix": "SYNCBEAT"})
@click.version_option(__version__, prog_name="syncbeat", allow_from_autoenv=False)
@click.option("--data-dir", envvar=ENV_DATA_DIR, default="./syncbeat-data", show_envvar=True,
              help="Folder of the SQLite database, feeds and task files.")
@click.option("--database-url", envvar=ENV_DATABASE_URL, default=None, show_envvar=True,
              help="SQLAlchemy URL, e.g. postgresql+psycopg://host/db (default: SQLite "
                   "in the data folder).")
@click.option("--catalog", envvar=ENV_CATALOG, default=BUILTIN, show_envvar=True,
              show_default=True,
              help="The catalog: builtin, or a PrestaShop shop's database, "
                   "prestashop://USER:PASSWORD@HOST:3306/DBNAME?prefix=ps_&shop=1&lang=1.")
@click.pass_context
def main(click_ctx: click.Context, data_dir: str, database_url: str | None,
         catalog: str) -> None:
    """syncbeat: scheduled catalog imports and exports, as tasks you can watch."""
    click_ctx.obj = State(data_dir, database_url, catalog)
    click_ctx.call_on_close(click_ctx.obj.close)


for command in (init, demo, profile, run, heartbeat, worker, tasks, task, catalog,
                settings_cmd, serve, user, secret):
    main.add_command(command)
profile.add_command(accept_host_key)


def _show_envvars(command: click.Command, prefix: str = "SYNCBEAT") -> None:
    """--help shows each option's variable; an option whose Python name differs from its
    flag (`--json` is `as_json`) reads the variable named after the flag
    (SYNCBEAT_TASKS_JSON), as click names the others (SYNCBEAT_WORKER_DRAIN)."""
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        param.show_envvar = True
        flags = [opt[2:] for opt in param.opts if opt.startswith("--")]
        if param.envvar is None and flags and param.name not in (
                flag.replace("-", "_") for flag in flags):
            param.envvar = f"{prefix}_{max(flags, key=len).replace('-', '_').upper()}"
    for name, sub in getattr(command, "commands", {}).items():
        _show_envvars(sub, f"{prefix}_{name.replace('-', '_').upper()}")


_show_envvars(main)
