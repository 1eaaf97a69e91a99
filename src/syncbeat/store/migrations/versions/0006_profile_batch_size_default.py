"""profiles.batch_size may be NULL: the profile follows the default batch size (Configure)

A profile saved with the default of the time (every profile used to store a number) follows
the default from now on; one that chose another number keeps it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_profiles = sa.table("profiles", sa.column("id", sa.Integer), sa.column("batch_size", sa.Integer),
                     sa.column("spec", sa.JSON))
_settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.alter_column("batch_size", existing_type=sa.Integer(), nullable=True)
    conn = op.get_bind()
    stored = conn.execute(
        sa.select(_settings.c.value).where(_settings.c.key == "default_batch_size")
    ).scalar()
    default = int(stored) if stored is not None else 1000
    rows = conn.execute(sa.select(_profiles.c.id, _profiles.c.spec)
                        .where(_profiles.c.batch_size == default)).all()
    for profile_id, spec in rows:
        spec = {k: v for k, v in dict(spec).items() if k != "batch_size"}
        conn.execute(sa.update(_profiles).where(_profiles.c.id == profile_id)
                     .values(batch_size=None, spec=spec))


def downgrade() -> None:
    conn = op.get_bind()
    stored = conn.execute(
        sa.select(_settings.c.value).where(_settings.c.key == "default_batch_size")
    ).scalar()
    default = int(stored) if stored is not None else 1000
    for profile_id, spec in conn.execute(sa.select(_profiles.c.id, _profiles.c.spec)
                                         .where(_profiles.c.batch_size.is_(None))).all():
        conn.execute(sa.update(_profiles).where(_profiles.c.id == profile_id)
                     .values(batch_size=default, spec={**dict(spec), "batch_size": default}))
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.alter_column("batch_size", existing_type=sa.Integer(), nullable=False)
