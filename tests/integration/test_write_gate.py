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
