"""catalog_changes, products.change_seq, export_stamps: incremental exports without a margin

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_changes",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO catalog_changes (id, n) VALUES (1, 0)")
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("change_seq", sa.BigInteger(), server_default="0",
                                   nullable=False))
    op.create_table(
        "export_stamps",
        sa.Column("task_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("product_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "product_id"),
    )


def downgrade() -> None:
    op.drop_table("export_stamps")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("change_seq")
    op.drop_table("catalog_changes")
