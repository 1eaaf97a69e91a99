"""The database the migrations build is the one the code declares, and init is repeatable."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from syncbeat.store.db import (
    HEAD,
    SchemaError,
    alembic_config,
    check_schema,
    current_revision,
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
    assert upgrade(engine) == (None, HEAD)
    assert upgrade(engine) == (HEAD, HEAD)
    check_schema(engine)
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_the_head_every_command_checks_is_the_newest_migration(db_url):
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(alembic_config(make_engine(db_url))).get_current_head() \
        == HEAD


def test_a_database_one_migration_behind_says_to_run_init(db_url):
    from alembic import command

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0012")
    with pytest.raises(SchemaError, match=f"at schema 0012, this syncbeat needs {HEAD}: run "
                       "`syncbeat init`"):
        check_schema(engine)
    engine.dispose()


def test_tokens_of_the_old_scope_api_become_api_write(db_url):
    import sqlalchemy as sa
    from alembic import command

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
