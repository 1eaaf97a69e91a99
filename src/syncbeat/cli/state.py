"""The state every command shares: the process settings, and a context opened on first use."""

from __future__ import annotations

import os

import click

from syncbeat.app import open_context
from syncbeat.catalog.location import BUILTIN, ENV_CATALOG
from syncbeat.cli.common import fail
from syncbeat.config import ENV_DATA_DIR, ENV_DATABASE_URL, Settings, SettingsError
from syncbeat.engine.context import Context
from syncbeat.store.db import SchemaError, missing_sqlite_file


class State:
    """The root options as settings; the context (database, catalog) when a command asks."""

    def __init__(self, data_dir: str, database_url: str | None, catalog: str = BUILTIN) -> None:
        env = {**os.environ, ENV_DATA_DIR: data_dir, ENV_DATABASE_URL: database_url or "",
               ENV_CATALOG: catalog}
        try:
            self.settings = Settings.from_environ(env)
        except SettingsError as exc:
            fail(str(exc), 2)
        self._ctx: Context | None = None

    def close(self) -> None:
        """Give the database connections back when the command ends."""
        if self._ctx is not None:
            self._ctx.close()
            self._ctx.catalog.close()
            self._ctx.db.dispose()

    def ctx(self, check: bool = True) -> Context:
        """The context, opened on first use; exit code 2 for a database not made or not
        upgraded."""
        if self._ctx is None:
            missing = missing_sqlite_file(self.settings.database_url)
            if missing:  # create nothing (not even the data folder) until init
                fail(missing, 2)
            try:
                self._ctx = open_context(self.settings, check=check)
            except SchemaError as exc:
                fail(str(exc), 2)
        return self._ctx


pass_state = click.make_pass_decorator(State)
