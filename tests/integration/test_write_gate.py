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
