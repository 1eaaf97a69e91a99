"""Alembic environment: runs migrations on the engine syncbeat hands it."""

from alembic import context

from syncbeat.store.tables import metadata

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A migration that rebuilds a table (SQLite's batch mode) drops the old one: with
        # foreign keys on, that would delete or orphan the rows that refer to it. The pragma
        # works only outside a transaction, so it is set before the first statement.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
