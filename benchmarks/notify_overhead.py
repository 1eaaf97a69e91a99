"""What notifications cost a heartbeat tick: an idle tick without any channel set, with a
webhook set and nothing due, and the tick that sends to a receiver that answers at once, to
one that refuses connections, and to one that accepts and never answers (the timeout).

    python benchmarks/notify_overhead.py [--ticks 200]

Real SQLite database in a temporary folder, real HTTP receivers on 127.0.0.1. It prints
figures; it asserts nothing but that the messages went where they should.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from syncbeat.domain.notify import Event, Reason
from syncbeat.engine.context import Context
from syncbeat.engine.heartbeat import Heartbeat
from syncbeat.engine.notify import deliver_due
from syncbeat.store import notifications as queue
from syncbeat.store.db import make_engine, upgrade, write_tx
from syncbeat.store.settings import save_settings


def _receiver() -> tuple[ThreadingHTTPServer, list[bytes]]:
    got: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got


def _idle_ticks(ctx: Context, n: int) -> list[float]:
    heartbeat, times = Heartbeat(ctx), []
    for _ in range(n):
        started = time.perf_counter()
        heartbeat.tick()
        times.append(time.perf_counter() - started)
    heartbeat.close()
    return times


def _idle_ticks_without_channel(ctx: Context, n: int, url: str) -> list[float]:
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"notify_webhook_url": ""})
    times = _idle_ticks(ctx, n)
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"notify_webhook_url": url})
    return times


def _one_send(ctx: Context, url: str, profile_id: int) -> tuple[float, list[str]]:
    # A profile of its own each time: one message an hour per profile and reason.
    with write_tx(ctx.db) as conn:
        save_settings(conn, {"notify_webhook_url": url})
        event = Event(reason=Reason.ERROR, at=ctx.clock(), message="benchmark",
                      profile_id=profile_id)
        queue.queue_event(conn, event, ctx.clock(), ["webhook"])
    started = time.perf_counter()
    said = deliver_due(ctx)
    return time.perf_counter() - started, said


def _ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e3:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ticks", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = make_engine(f"sqlite:///{Path(folder) / 'syncbeat.db'}")
        upgrade(db)
        ctx = Context(db=db, data_dir=Path(folder))
        plain = _idle_ticks(ctx, args.ticks)
        server, got = _receiver()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        with write_tx(ctx.db) as conn:
            save_settings(conn, {"notify_webhook_url": url})
        hooked = _idle_ticks(ctx, args.ticks)
        plain_again = _idle_ticks_without_channel(ctx, args.ticks, url)
        checks = []
        for _ in range(args.ticks):
            started = time.perf_counter()
            deliver_due(ctx)
            checks.append(time.perf_counter() - started)
        print(f"idle tick, no channel set:         median {_ms(plain)} ms")
        print(f"idle tick, webhook set, none due:  median {_ms(hooked)} ms")
        print(f"idle tick, no channel set (again): median {_ms(plain_again)} ms")
        print(f"deliver_due alone, none due:       median {_ms(checks)} ms")
        seconds, _ = _one_send(ctx, url, 1)
        assert len(got) == 1
        print(f"send to a receiver that answers:   {seconds * 1e3:.1f} ms")
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            refused = f"http://127.0.0.1:{closed.getsockname()[1]}/hook"
        seconds, _ = _one_send(ctx, refused, 2)
        print(f"send to a port that refuses:       {seconds * 1e3:.1f} ms")
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)  # accepts, never answers
            seconds, _ = _one_send(ctx, f"http://127.0.0.1:{silent.getsockname()[1]}/", 3)
        print(f"send to a receiver that hangs:     {seconds:.2f} s  (the timeout)")
        server.shutdown()
        ctx.close()
        db.dispose()


if __name__ == "__main__":
    main()
