"""Safety limits of an import: a feed far smaller than usual is refused before it changes
anything (a supplier's half-empty file must not zero the shop)."""

from __future__ import annotations


def broken_limit(
    rows: int, last_rows: int | None, *, min_rows: int | None, max_drop_percent: int | None
) -> str | None:
    """Why a feed of `rows` rows breaks the limits (the last completed run had `last_rows`),
    or None when it keeps them."""
    if min_rows is not None and rows < min_rows:
        return f"the feed has {rows:,} rows, fewer than limits.min_rows ({min_rows:,})"
    if max_drop_percent is not None and last_rows:
        dropped = last_rows - rows
        if dropped * 100 > max_drop_percent * last_rows:
            return (f"the feed has {rows:,} rows; the last run had {last_rows:,}: "
                    f"more than {max_drop_percent}% fewer (limits.max_drop_percent)")
    return None
