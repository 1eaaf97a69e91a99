"""The database the migrations build is the one the code declares, and init is repeatable."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from syncbeat.store.db import (
    SchemaError,
    check_schema,
    current_revision,
    head_revision,
    make_engine,
    upgrade,
)
from syncbeat.store.tables import metadata


def test_migrations_build_exactly_the_declared_tables(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == []


def test_init_twice_is_harmless_and_a_missing_schema_is_named(db_url):
    engine = make_engine(db_url)
    with pytest.raises(SchemaError, match="run `syncbeat init`"):
        check_schema(engine)
    assert upgrade(engine) == (None, head_revision(engine))
    assert upgrade(engine) == (head_revision(engine), head_revision(engine))
    check_schema(engine)
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()


def test_tokens_of_the_old_scope_api_become_api_write(db_url):
    import sqlalchemy as sa
    from alembic import command

    from syncbeat.store.db import alembic_config

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0004")
    with engine.begin() as conn:
        for name, scope in (("shop", "api"), ("cron", "heartbeat")):
            conn.execute(sa.text(
                "INSERT INTO api_tokens (name, scope, token_hash, prefix, created_at) "
                "VALUES (:name, :scope, :hash, 'sb_x', CURRENT_TIMESTAMP)"
            ), {"name": name, "scope": scope, "hash": name * 8})
    upgrade(engine)
    with engine.connect() as conn:
        scopes = dict(conn.execute(sa.text("SELECT name, scope FROM api_tokens")).all())
    engine.dispose()
    assert scopes == {"shop": "api:write", "cron": "heartbeat"}
