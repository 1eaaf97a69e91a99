"""tasks.claimed, batch_claims: several batches of one import in flight, each on its range

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import syncbeat.store.tables

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("claimed", sa.Integer(), server_default="0",
                                   nullable=False))
    # A task running when the version changes goes on from its cursor.
    op.execute("UPDATE tasks SET claimed = cursor")
    op.create_table(
        "batch_claims",
        sa.Column("task_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("lease_until", syncbeat.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("task_id", "first_seq"),
    )


def downgrade() -> None:
    op.drop_table("batch_claims")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("claimed")
