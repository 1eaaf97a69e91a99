"""The keys a feed has had so far, each with its first row: what tells a key met again.

Queueing a feed of a million products must not hold a million keys in memory (a worker's peak
stays flat whatever the feed's size), so `SeenKeys` keeps them in a SQLite file of its own
beside the task's copy of the feed, chunk by chunk: a few statements a chunk, SQLite's own
small page cache. `SeenInMemory` does the same in a dict, for the preview's few rows."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

IN_LIST = 500  # keys in one IN (...)


class Seen(Protocol):
    def first_rows(self, keyed: Sequence[tuple[str, int]]) -> dict[int, int]:
        """Record these (key, row) pairs, given in feed order; return, for each row whose key
        an earlier row had (in this call or a former one), that earlier row."""
        ...


class SeenInMemory:
    """`Seen` in a dict: for a handful of rows."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}

    def first_rows(self, keyed: Sequence[tuple[str, int]]) -> dict[int, int]:
        """See `Seen.first_rows`."""
        again: dict[int, int] = {}
        for key, seq in keyed:
            first = self._first.setdefault(key, seq)
            if first != seq:
                again[seq] = first
        return again


class SeenKeys:
    """`Seen` in a SQLite file at `path` (made anew: a reader that starts over records the
    rows it skips again); `close()` removes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.unlink(missing_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        # A scratch file: a crash loses nothing (it is made anew), so no journal, no syncs.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, seq INTEGER) WITHOUT ROWID")

    def first_rows(self, keyed: Sequence[tuple[str, int]]) -> dict[int, int]:
        """See `Seen.first_rows`."""
        chunk_first: dict[str, int] = {}
        for key, seq in keyed:
            chunk_first.setdefault(key, seq)
        # One statement inserts 500 keys, in key order: they land on neighbouring pages of
        # the file's tree. Looked up first and inserted in a feed's own order (random, for
        # many suppliers), nearly every key was a page the small cache missed: a million
        # keys took 13.4 CPU s shuffled and 3.2 in order, now 3.9 and 1.2
        # (`benchmarks/seen_keys.py`, 2026-12-01).
        ordered = sorted(chunk_first)
        before: dict[str, int] = {}  # keys an earlier call recorded, with their first rows
        self._db.execute("BEGIN")
        for start in range(0, len(ordered), IN_LIST):
            part = ordered[start:start + IN_LIST]
            added = self._db.execute(
                f"INSERT INTO seen VALUES {', '.join(['(?, ?)'] * len(part))} "
                "ON CONFLICT (key) DO NOTHING",
                [value for key in part for value in (key, chunk_first[key])]).rowcount
            if added < len(part):  # rare: which keys were there already (with another row)
                before.update((key, seq) for key, seq in self._db.execute(
                    f"SELECT key, seq FROM seen WHERE key IN ({', '.join('?' * len(part))})",
                    part) if seq != chunk_first[key])
        self._db.execute("COMMIT")
        if not before and len(chunk_first) == len(keyed):
            return {}  # every key new, none twice: the usual chunk
        again: dict[int, int] = {}
        for key, seq in keyed:
            first = before.get(key, chunk_first[key])
            if first != seq:
                again[seq] = first
        return again

    def close(self) -> None:
        """Close and remove the file."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self.path.unlink(missing_ok=True)
