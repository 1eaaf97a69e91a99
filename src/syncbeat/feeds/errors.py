"""The two ways a feed can fail: as a whole (FeedError) or one record at a time (RowError)."""

from __future__ import annotations

from dataclasses import dataclass


class FeedError(Exception):
    """The feed as a whole cannot be opened, read or written; str(e) is the operator message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RowError:
    """One record that cannot be read; the import marks that item error and goes on.

    `line` is the 1-based position of the record among everything `records()` yields
    (good records and errors alike): the header and blank lines are not counted, so the
    engine's item number and `line` always agree. The message may name the physical
    line of the file as well, where that differs and helps an operator find it.
    """

    line: int
    key: str | None
    message: str
