"""Row ids as people type them: in a URL, a form, a query or on the command line."""

from __future__ import annotations

# The id columns are INTEGER (store/tables.py): 32 bits on PostgreSQL. A larger number can
# name no row, and sent to the database it is an error (or an overflow on SQLite).
MAX_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(text: str) -> int | None:
    """`text` as a row id: ASCII digits only (not "¹", "٣" or "1e3"), 1 to MAX_ID; else None."""
    if not (0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def parse_ref(text: str) -> int | str:
    """A reference to a profile: its id when `text` is one, otherwise its name."""
    found = parse_id(text)
    return text if found is None else found
