"""tasks.id AUTOINCREMENT on SQLite: a deleted task's id is never given to a new task

(SQLite otherwise reuses the highest id once its task is deleted, and a new task 33 would
mix with the old task 33's bookmarks, logs and reports. PostgreSQL's sequence never reuses.)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # The table is rebuilt; env.py turns foreign keys off meanwhile, so the items and log
    # lines of the tasks stay.
    with op.batch_alter_table("tasks", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.alter_column("id", autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("tasks", recreate="always",
                              table_kwargs={"sqlite_autoincrement": False}) as batch_op:
        batch_op.alter_column("id", autoincrement=True)
