"""The database: SQLAlchemy Core tables, Alembic migrations, named queries."""
