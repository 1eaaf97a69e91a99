"""Connecting: engines for SQLite (WAL, one writer) and PostgreSQL, and the schema's state."""

from __future__ import annotations

import sqlite3
import sys
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration this code knows (a test holds it to the migrations folder's head).
# Every command checks the database against it: a constant, because Alembic's script reader
# and PostgreSQL's driver, imported for it, took 0.4 of a command's 2 s start here.
HEAD = "0013"


class SchemaError(RuntimeError):
    """The database is missing or behind; str() says which command fixes it."""


def insert_on_conflict(conn: Connection, table: sa.Table) -> Any:
    """An INSERT that can say ON CONFLICT DO UPDATE / DO NOTHING: one statement where an
    UPDATE, then an INSERT if nothing was updated, lets two writers race to the same key.
    Both dialects have it, each behind its own construct."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


_SQLITE_OUTAGES = ("disk is full", "disk i/o error", "unable to open")
# PostgreSQL's SQLSTATEs of a server out of reach: connection exceptions (08...), an
# administrator or crash shutdown, "cannot connect now", a full disk, too many connections.
_PG_OUTAGES = ("57P01", "57P02", "57P03", "53100", "53300")


def reason_of(exc: BaseException) -> str:
    """The first line of what went wrong, without the driver's wrapping."""
    text = str(getattr(exc, "orig", None) or exc) or exc.__class__.__name__
    return text.splitlines()[0]


def is_outage(exc: BaseException) -> bool:
    """Is `exc` the database being out of reach (a dropped connection, a server restarting
    or refusing connections, a full disk), not a fault of the work? Such a failure is waited
    out and retried; it never counts against a task. A statement timeout, a deadlock or a
    value out of range is the work's own failure, not an outage. Driver errors are judged
    bare too: the fast paths use the driver's cursor directly."""
    if not isinstance(exc, sa.exc.DBAPIError) and isinstance(exc.__cause__, sa.exc.DBAPIError):
        return is_outage(exc.__cause__)  # a driver's error said in words (a shop unreachable)
    orig: BaseException = exc
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa.exc.InterfaceError):
            return True
        orig = exc.orig or exc
    if isinstance(orig, sqlite3.OperationalError):
        # SQLite's OperationalError also covers mistakes in SQL: only these are the disk's.
        text = str(orig).lower()
        return any(words in text for words in _SQLITE_OUTAGES)
    psycopg = sys.modules.get("psycopg")  # not loaded: no error can be its
    if psycopg is not None and isinstance(orig, psycopg.InterfaceError):
        return True  # the connection is closed
    if psycopg is not None and isinstance(orig, psycopg.OperationalError):
        state = orig.sqlstate
        # No SQLSTATE: the connection failed or was lost, with no answer from a server.
        return state is None or state.startswith("08") or state in _PG_OUTAGES
    if type(orig).__module__.startswith("pymysql"):
        # A shop's MySQL/MariaDB (the PrestaShop catalog): judged by the error's number.
        code = orig.args[0] if orig.args and isinstance(orig.args[0], int) else None
        return type(orig).__name__ == "InterfaceError" or code in _MYSQL_OUTAGES
    return False


# MySQL's client and server errors of a server out of reach: cannot connect (2002, 2003),
# gone away or lost (2006, 2013, 2014, 2045, 2055, 1927, 4031), shutting down (1053, 1077,
# 1078, 1079, 3169), too many connections (1040, 1203), a full disk (1021).
_MYSQL_OUTAGES = frozenset({2002, 2003, 2006, 2013, 2014, 2045, 2055, 1053, 1077, 1078, 1079,
                            1927, 3169, 4031, 1040, 1203, 1021})


# MySQL errors that end the whole transaction, not one statement: a deadlock (1213), a lock
# wait timeout (1205: the whole transaction with innodb_rollback_on_timeout), a savepoint
# gone because of one of them (1305).
_MYSQL_LOST = frozenset({1213, 1205, 1305})


def loses_transaction(exc: BaseException) -> bool:
    """Did `exc` end the whole transaction (a deadlock in MySQL), so that rolling back to a
    savepoint cannot undo just the one product? The batch is then tried again whole, and no
    product is blamed for it."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    if not type(orig).__module__.startswith("pymysql"):
        return False
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    return bool(args) and args[0] in _MYSQL_LOST


def make_engine(url: str) -> Engine:
    """An engine for `url`, set up the way syncbeat needs it."""
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            Path(sa_url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(sa_url, connect_args={"timeout": 30})
        _sqlite_setup(engine)
        return engine
    return sa.create_engine(sa_url, pool_pre_ping=True)


def _sqlite_setup(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let us say BEGIN ourselves: pysqlite's implicit transactions cannot BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # 16 MB: enough for the hot index pages; a bigger cache grew the worker with the
        # database (137 MB at 1M products with 64 MB) and measured no faster.
        cur.execute("PRAGMA cache_size=-16384")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        # A writer takes the lock up front, so it never fails half way on SQLITE_BUSY.
        write = conn.get_execution_options().get("syncbeat_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class WriteStats:
    """How long this process held write transactions (other writers wait that long), and
    how long it waited for the write lock itself."""

    def __init__(self) -> None:
        self.count = 0
        self.longest = 0.0
        self.total = 0.0
        self.longest_wait = 0.0

    def add(self, seconds: float, waited: float = 0.0) -> None:
        self.count += 1
        self.total += seconds
        self.longest = max(self.longest, seconds)
        self.longest_wait = max(self.longest_wait, waited)

    def merge(self, other: WriteStats) -> None:
        """Count another process's transactions with these."""
        self.count += other.count
        self.total += other.total
        self.longest = max(self.longest, other.longest)
        self.longest_wait = max(self.longest_wait, other.longest_wait)


WRITE_STATS = WriteStats()
GATE_WAIT = 5.0  # seconds: past this a writer goes on without the gate (SQLite still locks)
_GATES: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()


def share_write_gate(engine: Engine, gate: Any) -> None:
    """Take turns with other processes at `gate` (a store.gate.WriteGate) before each write
    transaction on `engine` (None: stop)."""
    if gate is None:
        _GATES.pop(engine, None)
    else:
        _GATES[engine] = gate


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A short write transaction: committed on success, rolled back on any error."""
    asked = time.perf_counter()
    gate: Any = _GATES.get(engine)
    gated = gate is not None and gate.acquire(timeout=GATE_WAIT)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(syncbeat_write=True)
            transaction = conn.begin()  # SQLite: BEGIN IMMEDIATE, the write lock
            got = time.perf_counter()
            try:
                with transaction:
                    yield conn
            finally:
                WRITE_STATS.add(time.perf_counter() - got, waited=got - asked)
    finally:
        if gated:
            gate.release()


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A consistent read-only snapshot."""
    with engine.connect() as conn, conn.begin():
        yield conn


def shared_between_processes(engine: Engine) -> bool:
    """Can another process open this database (not an in-memory SQLite)?"""
    url = engine.url
    return not (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"))


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to `engine`, no alembic.ini needed."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade the database to the newest schema; safe to run twice."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, current_revision(engine) or HEAD


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for a new database: Alembic's own table,
    read without Alembic (see HEAD)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def missing_sqlite_file(url: str) -> str | None:
    """The one line to show when `url` is a SQLite file that does not exist yet: opening it
    would create it (and its folder) before saying to run init."""
    sa_url = sa.make_url(url)
    name = sa_url.database
    if sa_url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if Path(name).exists():
        return None
    return "the database has no syncbeat tables yet: run `syncbeat init` to create them"


def check_schema(engine: Engine) -> None:
    """Raise SchemaError in one line when the database is missing or behind; the database
    out of reach is raised as it is (`is_outage`), for the faces to say so."""
    try:
        current = current_revision(engine)
    except sa.exc.OperationalError as exc:
        if is_outage(exc):
            raise  # out of reach (no server, a dropped connection): retried, not set up again
        raise SchemaError(
            f"cannot open the database {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}"
        ) from None
    if current is None:
        raise SchemaError(
            "the database has no syncbeat tables yet: run `syncbeat init` to create them"
        )
    head = HEAD
    if current != head:
        raise SchemaError(
            f"the database is at schema {current}, this syncbeat needs {head}: "
            "run `syncbeat init` to upgrade it"
        )
