"""The write gate: SQLite writers of one worker and its queueing children take turns at it.

SQLite lets a waiting writer poll with growing sleeps, so a process that writes back to back
can keep another waiting for seconds; a gate taken before each write transaction wakes the
waiting one as soon as the write lock is free. It is an flock on a file of its own: the
kernel lets the lock go when its holder dies, so a child SIGKILLed inside its transaction
never leaves the others waiting (a multiprocessing lock stayed held, and every writer then
waited its full timeout before each transaction). An flock belongs to an open file, shared
by the threads of a process, so a thread lock makes those take turns first; closing takes
that lock too (in `serve`, web threads write through the gate while the worker thread that
made it stops), so the file is never closed under a holder.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Any

GATE_SUFFIX = "-gate"  # the gate's file: the database's name and this
_POLL_FIRST, _POLL_MOST = 0.0005, 0.005  # seconds between tries while another process holds it
CLOSE_WAIT = 30.0  # seconds closing waits for a holder's transaction before it lets the file be


class WriteGate:
    """A lock across processes that dies with its holder; picklable (a child reopens it)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._reset()

    @classmethod
    def beside(cls, database: Path) -> WriteGate:
        """The gate of a SQLite database: a file beside it, as its -wal and -shm files are,
        kept (empty) when the writers end, so a worker killed outright leaves nothing new."""
        path = database.with_name(database.name + GATE_SUFFIX)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return cls(str(path))

    def _reset(self) -> None:
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = os.getpid()
        self._closed = False

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self._reset()

    def acquire(self, timeout: float) -> bool:
        """Take the gate, waiting at most `timeout` seconds; False if it could not."""
        end = time.monotonic() + timeout
        if not self._threads.acquire(timeout=timeout):
            return False
        try:
            if self._closed:
                self._threads.release()
                return False  # a writer that found the gate as it closed goes on without it
            fd = self._file()
            pause = _POLL_FIRST
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    left = end - time.monotonic()
                    if left <= 0:
                        self._threads.release()
                        return False
                    time.sleep(min(pause, left))
                    pause = min(pause * 2, _POLL_MOST)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        """Let the gate go; after `close` (which waited for the holder), nothing is left to
        let go, and a late release is no error."""
        if self._fd is None:
            return
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def close(self, timeout: float = CLOSE_WAIT) -> None:
        """Close this process's file (the gate stays for the others), once the thread that
        holds the gate lets it go. Later writers go on without the gate."""
        if not self._threads.acquire(timeout=timeout):
            self._closed = True  # a holder is stuck: its file goes with the process
            return
        try:
            self._closed = True
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None
        finally:
            self._threads.release()

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd, self._pid = os.open(self.path, os.O_RDWR), os.getpid()
        return self._fd
