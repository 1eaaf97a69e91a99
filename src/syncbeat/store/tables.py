"""The tables syncbeat declares; the migrations build exactly these (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from syncbeat.domain.convert import canonical_decimal

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL; canonical text on SQLite, whose REAL would round prices."""

    impl = sa.String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.Numeric(18, 6))
        return dialect.type_descriptor(sa.String(40))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name != "postgresql":
            return sqlite_decimal(value)
        return canonical_decimal(Decimal(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else canonical_decimal(Decimal(value))


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("syncbeat stores aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def sqlite_decimal(value: Any) -> str:
    """The text `ExactDecimal` stores on SQLite, for raw statements on the hot path."""
    return str(canonical_decimal(value if isinstance(value, Decimal) else Decimal(value)))


def sqlite_datetime(value: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores, for raw statements on the hot path."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

profiles = sa.Table(
    "profiles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("schedule", sa.String(100)),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("batch_size", sa.Integer),  # NULL: the default batch size (settings)
    sa.Column("spec", sa.JSON, nullable=False),  # the whole profile, as its TOML shape
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

tasks = sa.Table(
    "tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("profile_id", sa.Integer, sa.ForeignKey("profiles.id", ondelete="SET NULL")),
    sa.Column("profile_name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("trigger", sa.String(10), nullable=False),  # schedule | manual
    sa.Column("scheduled_at", UtcDateTime(), nullable=False),
    sa.Column("started_at", UtcDateTime()),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("message", sa.Text),  # why it is missed or error; the export's delivery
    sa.Column("spec", sa.JSON),  # the profile as it was when the task started
    # counters: pending + processed + skipped + cancelled + errors = total, after every commit
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pending", sa.Integer, nullable=False, server_default="0"),
    sa.Column("processed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancelled", sa.Integer, nullable=False, server_default="0"),
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
    # progress of the work itself
    sa.Column("queue_done", sa.Boolean, nullable=False, server_default=sa.false()),
    # every seq up to `cursor` is worked; an import's batches take their ranges after `claimed`
    sa.Column("cursor", sa.Integer, nullable=False, server_default="0"),
    sa.Column("claimed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("export_size", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("batches", sa.Integer, nullable=False, server_default="0"),
    # steps that failed in a row (any worker): five end the task instead of a running forever
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("work_seconds", sa.Float, nullable=False, server_default="0"),
    # of which queueing (in a worker, the feed is read while batches run: the two overlap)
    sa.Column("queue_seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("unread", sa.Integer, nullable=False, server_default="0"),  # feed rows in error
    sa.Column("lease_owner", sa.String(100)),
    sa.Column("lease_until", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    # One task per occurrence of a schedule, however many heartbeats race to make it.
    sa.Index(
        "uq_tasks_profile_id_scheduled_at", "profile_id", "scheduled_at", unique=True,
        sqlite_where=sa.text("trigger = 'schedule'"),
        postgresql_where=sa.text("trigger = 'schedule'"),
    ),
    sa.Index("ix_tasks_status_scheduled_at", "status", "scheduled_at"),
    sa.Index("ix_tasks_profile_id_status", "profile_id", "status"),
    sqlite_autoincrement=True,  # a deleted task's id is never given again (0007)
)

# One row per queued product. Written twice: queued with its input, then given its outcome.
items = sa.Table(
    "items",
    metadata,
    sa.Column("task_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),  # 1.. in feed order
    sa.Column("key", sa.String(200)),
    sa.Column("input", sa.Text),  # JSON list of the feed fields the profile reads
    sa.Column("outcome", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("detail", sa.Text),
    sqlite_with_rowid=False,
    # Room on each page for the outcome's new row version: PostgreSQL updates in place
    # (a HOT update) instead of touching the primary key index for every item.
    postgresql_with={"fillfactor": 60},
)

log_lines = sa.Table(
    "log_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("task_id", sa.Integer, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("level", sa.String(10), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_log_lines_task_id_id", "task_id", "id"),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(100), nullable=False, unique=True),
    sa.Column("ean13", sa.String(20), index=True),
    sa.Column("name", sa.String(500), nullable=False, server_default=""),
    sa.Column("price", ExactDecimal, nullable=False, server_default="0"),
    sa.Column("quantity", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("attributes", sa.JSON),
    # The `catalog_changes` count of the write that last changed the product: an incremental
    # export takes those above the count its last export read (0: before counting began).
    # Not indexed: an export walks the products by id anyway, and an index on a column every
    # write changes would cost PostgreSQL its in-page (HOT) updates.
    sa.Column("change_seq", sa.BigInteger, nullable=False, server_default="0"),
    postgresql_with={"fillfactor": 80},  # imports rewrite rows: keep them on their page
)

# One row counting the built-in catalog's writes: each write takes the next number in its own
# transaction and holds the row until it commits, so the writes commit in the order of their
# numbers and a count read as committed has every write up to it visible.
catalog_changes = sa.Table(
    "catalog_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("n", sa.BigInteger, nullable=False),
)

# What an export listed that the next export may list again unchanged: a catalog whose
# changed times cannot tell a late commit from a product already sent (a PrestaShop shop's
# date_upd) gives those products a stamp, and the next export skips the same stamp.
export_stamps = sa.Table(
    "export_stamps",
    metadata,
    sa.Column("task_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("product_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("stamp", sa.String(40), nullable=False),
)

# People who sign in to the web admin. Passwords are kept only as slow (argon2) hashes.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("password_changed_at", UtcDateTime(), nullable=False),
    sa.Column("last_login_at", UtcDateTime()),
)

# Bearer tokens of the JSON API. Only a SHA-256 of the token is kept: the token itself is
# random (256 bits) and shown once. scope "api:read" may read, "api:write" may read and change,
# "heartbeat" may only tick.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("scope", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),  # shown in lists to tell tokens apart
    sa.Column("created_by", sa.String(100)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_used_at", UtcDateTime()),
)

# Signed-in sessions of the pages. The cookie holds a random id; only its SHA-256 is kept, so
# a copy of the database signs nobody in. Signing out deletes the row.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("csrf", sa.String(64), nullable=False),  # every form and API change carries it
    sa.Column("created_at", UtcDateTime(), nullable=False),  # for the absolute limit
    sa.Column("last_seen_at", UtcDateTime(), nullable=False),  # for the idle limit
)

# Sign-ins counted per key ("user:NAME" or "address:IP") across every process: the failures,
# and the attempts whose password is being checked right now.
signin_failures = sa.Table(
    "signin_failures",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UtcDateTime(), index=True),
    sa.Column("pending", sa.Integer, nullable=False),
    sa.Column("pending_at", UtcDateTime()),  # the newest of them began then
)

# Sign-in form tokens already posted: a form token is good for one attempt.
spent_form_tokens = sa.Table(
    "spent_form_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("expires_at", UtcDateTime(), nullable=False, index=True),
)

# Secrets that profiles name as {secret:NAME}: each value encrypted (Fernet) with a key kept
# outside the database (store/vault.py), so a copy of the database alone reveals none.
secrets = sa.Table(
    "secrets",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("ciphertext", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

# Notifications to send (one row per channel), queued in the transaction that ended the task
# and sent from the heartbeat's housekeeping: a slow or broken receiver never holds a tick.
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(20), nullable=False),  # webhook | email
    sa.Column("reason", sa.String(20), nullable=False),  # domain.notify.Reason
    sa.Column("profile_id", sa.Integer),  # none for the heartbeat's own messages
    sa.Column("task_id", sa.Integer),
    sa.Column("status", sa.String(10), nullable=False),  # pending | sent | folded | failed
    sa.Column("body", sa.JSON, nullable=False),  # what the message says (domain.notify.Event)
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("last_error", sa.Text),
    sa.Index("ix_notifications_due", "status", "next_attempt_at"),
    sa.Index("ix_notifications_group", "channel", "profile_id", "reason", "sent_at"),
)

# Each step's failures, counted by every worker (engine/failures.py) for /metrics: a step that
# keeps failing (a catalog out of reach, a feed that breaks) shows before tasks end in error.
step_failures = sa.Table(
    "step_failures",
    metadata,
    sa.Column("step", sa.String(40), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_at", UtcDateTime(), nullable=False),
)

# Every batch's duration, counted in the buckets of /metrics' histogram (bucket i holds the
# batches of at most BATCH_BUCKETS[i] seconds and more than the bound before; the last, the
# rest), written in the batch's own transaction by every worker.
BATCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)  # seconds
# The ranges of an import's items that batches in flight work (several at once, each on its
# own range; engine/batch.py), on PostgreSQL: a claim whose worker stopped is taken over when
# its lease ends, so its range is worked again, and applied once (the catalog's records).
batch_claims = sa.Table(
    "batch_claims",
    metadata,
    sa.Column("task_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("first_seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("owner", sa.String(100), nullable=False),
    sa.Column("lease_until", UtcDateTime()),
)

batch_durations = sa.Table(
    "batch_durations",
    metadata,
    sa.Column("bucket", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("batches", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
)
