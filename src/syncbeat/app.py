"""Opening syncbeat: the database engine and the engine's context; shared by the faces."""

from __future__ import annotations

from syncbeat.catalog.opening import open_catalog
from syncbeat.config import Settings
from syncbeat.engine.context import Context, sqlite_file
from syncbeat.feeds.reach import Reach
from syncbeat.store.db import check_schema, make_engine


def open_context(settings: Settings, *, check: bool = True) -> Context:
    """A Context on the configured database; raises SchemaError if it is missing or behind."""
    db = make_engine(settings.database_url)
    if check:
        check_schema(db)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    data_dir = settings.data_dir.resolve()
    reach = Reach.create(data_dir=data_dir, allowed_paths=settings.allowed_paths,
                         hosts=settings.allowed_hosts, database=sqlite_file(db),
                         shown_data_dir=settings.data_dir)
    return Context(db=db, data_dir=data_dir, reach=reach,
                   catalog=open_catalog(settings.catalog), secret_key=settings.secret_key)
