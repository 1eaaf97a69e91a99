"""Writers of a worker and its queueing process take turns at a shared gate; a gate that
stays shut (its holder died) delays a writer, never stops it."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

import syncbeat.store.db as db
from syncbeat.store.db import share_write_gate, write_tx


def _count(ctx) -> int:
    with write_tx(ctx.db) as conn:
        conn.execute(sa.text("INSERT INTO settings (key, value) VALUES (:k, '1')"),
                     {"k": f"gate-{time.perf_counter_ns()}"})
        return int(conn.execute(sa.text("SELECT count(*) FROM settings")).scalar_one())


def test_a_writer_waits_at_the_gate_and_leaves_it_open(ctx):
    gate = threading.Lock()
    share_write_gate(ctx.db, gate)
    before = _count(ctx)
    assert gate.acquire(blocking=False)  # released after the transaction
    done = threading.Event()
    worker = threading.Thread(target=lambda: (_count(ctx), done.set()))
    worker.start()
    time.sleep(0.2)
    assert not done.is_set()  # the gate is held: the writer waits
    gate.release()
    worker.join(5)
    assert done.is_set()
    assert _count(ctx) == before + 2


def test_a_gate_left_shut_only_delays_a_writer(ctx, monkeypatch):
    gate = threading.Lock()
    gate.acquire()  # as by a process killed while it wrote
    share_write_gate(ctx.db, gate)
    monkeypatch.setattr(db, "GATE_WAIT", 0.2)
    started = time.perf_counter()
    before = _count(ctx)
    assert _count(ctx) == before + 1
    assert time.perf_counter() - started >= 0.4
    assert db.WRITE_STATS.longest_wait >= 0.2


def _hold_then_hang(gate, holding) -> None:
    assert gate.acquire(timeout=5)
    holding.set()
    time.sleep(60)  # killed here, inside its "transaction"


def test_a_process_killed_while_it_holds_the_gate_does_not_keep_it_shut(ctx, tmp_path):
    import multiprocessing
    import os
    import signal

    from syncbeat.store.gate import WriteGate

    spawn = multiprocessing.get_context("spawn")
    gate = WriteGate.beside(tmp_path / "syncbeat.db")
    try:
        holding = spawn.Event()
        holder = spawn.Process(target=_hold_then_hang, args=(gate, holding), daemon=True)
        holder.start()
        assert holding.wait(30)
        assert not gate.acquire(timeout=0.05)  # held by a live process: the others wait
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(10)
        assert gate.acquire(timeout=0)  # its holder died: open at once, no timeout to sit out
        gate.release()
        share_write_gate(ctx.db, gate)
        before = _count(ctx)
        assert _count(ctx) == before + 1
    finally:
        share_write_gate(ctx.db, None)
        gate.close()


def test_threads_of_one_process_take_turns_at_the_gate(tmp_path):
    from syncbeat.store.gate import WriteGate

    gate = WriteGate.beside(tmp_path / "syncbeat.db")
    try:
        assert gate.acquire(timeout=1)
        other = threading.Thread(target=lambda: results.append(gate.acquire(timeout=0.2)))
        results: list[bool] = []
        other.start()
        other.join(5)
        assert results == [False]  # one flock per process: the thread lock keeps them apart
        gate.release()
        assert gate.acquire(timeout=0)
        gate.release()
    finally:
        gate.close()


def test_closing_waits_for_the_thread_that_holds_the_gate(tmp_path):
    """In `serve`, web threads write through the gate while the worker thread closes it:
    the file must not be closed under a holder, and a late release is no error."""
    import os

    from syncbeat.store.gate import WriteGate

    gate = WriteGate.beside(tmp_path / "syncbeat.db")
    assert gate.acquire(timeout=1)  # a web thread inside its write transaction
    held = gate._fd
    closer = threading.Thread(target=gate.close)
    closer.start()
    time.sleep(0.2)
    assert closer.is_alive()  # close waits for the holder...
    os.fstat(held)  # ...and the holder's file is still open
    gate.release()
    closer.join(5)
    assert not closer.is_alive()
    gate.release()  # a release after close: nothing to let go, no exception
    assert not gate.acquire(timeout=0)  # a writer that finds it closed goes on without it
    gate.close()  # closing twice is harmless


def _hold_the_flock(path, holding, done) -> None:
    import fcntl
    import os

    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    holding.set()
    done.wait(60)


def test_a_writer_gives_up_the_gate_after_its_timeout_while_another_process_holds_it(
        ctx, tmp_path, monkeypatch):
    """The gate's timeout with a real second process holding the flock (not a thread lock):
    the writer goes on without the gate after GATE_WAIT, and commits."""
    import multiprocessing

    from syncbeat.store.gate import WriteGate

    spawn = multiprocessing.get_context("spawn")
    gate = WriteGate.beside(tmp_path / "syncbeat.db")
    holding, done = spawn.Event(), spawn.Event()
    holder = spawn.Process(target=_hold_the_flock, args=(gate.path, holding, done), daemon=True)
    holder.start()
    try:
        assert holding.wait(30)
        share_write_gate(ctx.db, gate)
        monkeypatch.setattr(db, "GATE_WAIT", 0.5)
        before = _count(ctx)  # waits out the gate once...
        started = time.perf_counter()
        assert _count(ctx) == before + 1  # ...and every time, but never stops
        waited = time.perf_counter() - started
        assert 0.5 <= waited < 5
        assert db.WRITE_STATS.longest_wait >= 0.5
        assert holder.is_alive()  # the other process held it all along
    finally:
        done.set()
        holder.join(10)
        share_write_gate(ctx.db, None)
        gate.close()
