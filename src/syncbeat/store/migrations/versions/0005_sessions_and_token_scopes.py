"""sessions on the server, failed sign-ins, spent sign-in form tokens; token scopes
api:read and api:write (tokens of the old scope "api" become api:write)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import syncbeat.store.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", syncbeat.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", syncbeat.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    op.create_table(
        "signin_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", syncbeat.store.tables.UtcDateTime(timezone=True),
                  nullable=True),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("pending_at", syncbeat.store.tables.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signin_failures")),
    )
    op.create_index(op.f("ix_signin_failures_last_failure_at"), "signin_failures",
                    ["last_failure_at"], unique=False)
    op.create_table(
        "spent_form_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", syncbeat.store.tables.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_spent_form_tokens")),
    )
    op.create_index(op.f("ix_spent_form_tokens_expires_at"), "spent_form_tokens",
                    ["expires_at"], unique=False)
    # "api" could call every route: its heir is api:write, which reads too.
    op.execute("UPDATE api_tokens SET scope = 'api:write' WHERE scope = 'api'")


def downgrade() -> None:
    # The old code has no read-only scope: a read token must not come back able to write.
    op.execute("DELETE FROM api_tokens WHERE scope = 'api:read'")
    op.execute("UPDATE api_tokens SET scope = 'api' WHERE scope = 'api:write'")
    op.drop_index(op.f("ix_spent_form_tokens_expires_at"), table_name="spent_form_tokens")
    op.drop_table("spent_form_tokens")
    op.drop_index(op.f("ix_signin_failures_last_failure_at"), table_name="signin_failures")
    op.drop_table("signin_failures")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_table("sessions")
