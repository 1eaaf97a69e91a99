"""A worker's wait for the database, without a database: said once, paused with growing
waits, each task's first failure remembered (its own limit), said over."""

from __future__ import annotations

from datetime import UTC, datetime

from syncbeat.engine.outage import OUTAGE_WAIT_MOST, Outage, WaitingBoard

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_an_outage_is_said_once_and_waits_longer_each_time() -> None:
    outage = Outage()
    first = outage.began("database or disk is full", 100.0, AT, task_id=7)
    assert first is not None and first.startswith("the database is out of reach (database")
    waits = [outage.wait]
    for step in range(1, 12):
        assert outage.began("database or disk is full", 100.0 + step, AT, task_id=None) is None
        waits.append(outage.wait)
    assert waits[:3] == [0.5, 1.0, 2.0] and waits[-1] == OUTAGE_WAIT_MOST
    assert outage.waiting is not None and outage.waiting.line() == (
        "waiting for the database since 2026-11-02 09:00:00 UTC: database or disk is full; "
        "waiting")


def test_each_task_keeps_the_time_it_first_failed() -> None:
    outage = Outage()
    outage.began("full", 100.0, AT, task_id=7)
    outage.began("full", 500.0, AT, task_id=8)
    outage.began("full", 900.0, AT, task_id=7)
    assert outage.tasks == {7: 100.0, 8: 500.0}  # task 8 gets its own full limit
    assert outage.ended(1000.0) == "the database is back after 900.0 seconds; carrying on"
    assert outage.tasks == {} and outage.waiting is None and outage.noted is None


def test_the_board_tells_the_longest_wait_of_the_process() -> None:
    board = WaitingBoard()
    assert board.oldest() is None
    board.note("a", Outage(began_at=AT.replace(hour=10), reason="x").waiting)  # type: ignore[arg-type]
    board.note("b", Outage(began_at=AT, reason="y").waiting)  # type: ignore[arg-type]
    oldest = board.oldest()
    assert oldest is not None and oldest.reason == "y"
    board.clear("b")
    board.clear("b")
    assert board.oldest() is not None and board.oldest().reason == "x"  # type: ignore[union-attr]


def test_only_sqlites_own_full_disk_is_said_to_be_the_databases_disk(tmp_path) -> None:
    import sqlite3

    import sqlalchemy as sa

    from syncbeat.engine.context import Context
    from syncbeat.engine.outage import describe

    ctx = Context(db=sa.create_engine(f"sqlite:///{tmp_path / 'syncbeat.db'}"),
                  data_dir=tmp_path)
    full = sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError(
        "database or disk is full"))
    assert describe(ctx, full).startswith("the disk holding the database is full: ")
    assert describe(ctx, full).endswith(" bytes free")
    # another database's full disk (a shop's) is said in its own words
    assert describe(ctx, RuntimeError("(1021, 'Disk full (/tmp/x); waiting')")) == (
        "(1021, 'Disk full (/tmp/x); waiting')")
    ctx.db.dispose()
